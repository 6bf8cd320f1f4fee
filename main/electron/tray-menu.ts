import type { MenuItemConstructorOptions } from 'electron';
import type { OutboxApi } from '../core/api/outbox-api';

/** What the tray menu can do; main.ts wires each to the window, the API and the app. */
export type TrayActions = {
  open: () => void;
  pauseAll: () => void;
  resumeAll: () => void;
  quit: () => void;
};

/** The tray (notification area / menu bar) menu. Pure, so tested without Electron. */
export function trayMenuTemplate(actions: TrayActions): MenuItemConstructorOptions[] {
  return [
    { label: 'Open Outbox', click: actions.open },
    { type: 'separator' },
    { label: 'Pause all', click: actions.pauseAll },
    { label: 'Resume all', click: actions.resumeAll },
    { type: 'separator' },
    { label: 'Quit Outbox', click: actions.quit },
  ];
}

/**
 * "Pause all" / "Resume all" from the tray: every job of the data directory
 * (the UI shows the change through its events); what could not be done is
 * said in a notification, since the window may be closed.
 */
export async function controlAllFromTray(
  api: Pick<OutboxApi, 'pauseAll' | 'resumeAll'>,
  action: 'pause' | 'resume',
  notify: (title: string, body: string) => void,
): Promise<void> {
  const title = action === 'pause' ? 'Could not pause every job' : 'Could not resume every job';
  try {
    const { failed } = await (action === 'pause' ? api.pauseAll() : api.resumeAll());
    if (failed.length > 0) notify(title, failed.map((f) => f.message).join('\n'));
  } catch (error) {
    notify(title, error instanceof Error ? error.message : String(error));
  }
}
