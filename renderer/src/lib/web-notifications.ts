import { useEffect, useState } from 'react';
import { jobNotice } from '../../../main/core/api/job-notice';
import { isElectron } from '../api';
import { useStore } from '../store/app-store';

/**
 * Web Notifications for jobs that end, in the browser host only (the
 * Electron shell shows native ones itself). Nothing is asked until the person
 * turns them on; a click on a notification brings the window forward and
 * opens the job.
 */

/** 'unsupported' in Electron and in browsers without the API. */
export type NotificationState = NotificationPermission | 'unsupported';

function currentState(): NotificationState {
  if (isElectron() || typeof Notification === 'undefined') return 'unsupported';
  return Notification.permission;
}

/** The permission, and a way to ask for it (from a click: browsers ask only after a gesture). */
export function useNotificationPermission(): [NotificationState, () => Promise<void>] {
  const [state, setState] = useState<NotificationState>(currentState);
  const ask = async () => {
    if (currentState() === 'unsupported') return;
    setState(await Notification.requestPermission());
  };
  return [state, ask];
}

/** Shows a notification for every job that ends while this window is open. */
export function useJobNotifications(): void {
  useEffect(
    () =>
      useStore.subscribe((state, previous) => {
        if (state.jobs === previous.jobs || !previous.loaded) return;
        if (currentState() !== 'granted') return;
        for (const job of Object.values(state.jobs)) {
          // Ends that happen while the window is open (a job may be first seen ended,
          // when it fails at once), not the ended jobs loaded with the window.
          if (!job.ended_at || previous.jobs[job.id]?.ended_at) continue;
          const notice = jobNotice(job);
          if (!notice) continue;
          const notification = new Notification(notice.title, {
            body: notice.body,
            tag: job.id,
            silent: !notice.failed,
          });
          notification.addEventListener('click', () => {
            window.focus();
            state.openJob(job.id);
            notification.close();
          });
        }
      }),
    [],
  );
}
