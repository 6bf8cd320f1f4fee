import { create } from 'zustand';
import type {
  ApiEvent,
  Destination,
  HostInfo,
  LinkOptions,
  LinkView,
  ProfileView,
  SettingsView,
  ShareLinkOptions,
} from '../../../main/core/api/outbox-api';
import type { JobRecord, TaskProgress } from '../lib/types';
import { getApi, sizeOf, toFileRefs, type PickedFile } from '../api';
import type { FormState } from '../lib/profile-form';
import { batchEvents } from './batched-events';
import { errorInfoOf, type ShownError } from './errors';

/** Files being streamed to the host before their job exists (browser host only). */
export type Preparing = {
  id: string;
  destination: string;
  files: number;
  sent: number;
  total: number;
  error?: ShownError;
  abort: AbortController;
};

export type Toast = { id: number; message: string; tone: 'info' | 'error' };

export type EditorState = { mode: 'new'; seed?: FormState } | { mode: 'edit'; name: string } | null;

type State = {
  info?: HostInfo;
  loadError?: ShownError;
  loaded: boolean;
  profiles: ProfileView[];
  jobs: Record<string, JobRecord>;
  progress: Record<string, TaskProgress>;
  links: LinkView[];
  /** Settings (LAN sharing) and what the server does with them. */
  settings?: SettingsView;
  /** Jobs of the Transfers tab: running, recent, or started since this window opened. */
  sessionJobs: string[];
  preparing: Preparing[];
  toasts: Toast[];
  editor: EditorState;
  /** Files dropped outside a tile, waiting for the person to pick a destination. */
  chooser: PickedFile[] | null;
  /** Destination tiles selected (by name) to receive one drop together. */
  selected: string[];
  tab: 'transfers' | 'links' | 'history';
  /** A job to bring into view and focus (a notification was clicked). */
  focusedJob?: string;
};

type Actions = {
  load(): Promise<void>;
  refreshProfiles(): Promise<void>;
  refreshLinks(): Promise<void>;
  /** Sends files to one destination, or to several in one job (one export task each). */
  exportFiles(
    destinations: Destination | Destination[],
    label: string,
    files: PickedFile[],
  ): Promise<void>;
  dismissPreparing(id: string): void;
  cancelJob(id: string): Promise<void>;
  retryJob(id: string): Promise<void>;
  pauseJob(id: string): Promise<void>;
  resumeJob(id: string): Promise<void>;
  moveJobToFront(id: string): Promise<void>;
  /** Pause all / Resume all (the transfers panel). */
  controlAll(action: 'pause' | 'resume'): Promise<void>;
  /** Signs share links for a finished cloud export's files; the error to show, if any. */
  createShareLink(
    jobId: string,
    task: string,
    options: ShareLinkOptions,
  ): Promise<ShownError | undefined>;
  removeJob(id: string): Promise<void>;
  clearHistory(): Promise<void>;
  revokeLink(id: string): Promise<void>;
  updateLink(id: string, options: LinkOptions, done: string): Promise<boolean>;
  refreshSettings(): Promise<void>;
  setLanSharing(enabled: boolean): Promise<void>;
  /** The global bandwidth limit, or a destination's; the error to show, if any. */
  setBandwidthLimit(limit: string, profile?: string): Promise<ShownError | undefined>;
  toast(message: string, tone?: Toast['tone']): void;
  dropToast(id: number): void;
  openEditor(editor: EditorState): void;
  choose(files: PickedFile[] | null): void;
  /** Selects a destination tile, or unselects it. */
  toggleSelected(name: string): void;
  clearSelected(): void;
  setTab(tab: State['tab']): void;
  /** Shows a job in Transfers and moves focus to it. */
  openJob(id: string): void;
};

export const progressKey = (job: string, task: string) => `${job}\u0000${task}`;

/** Jobs that ended this recently still show under Transfers after a reload. */
const RECENT_MS = 30 * 60 * 1000;

let toastId = 0;
let prepareId = 0;

export const useStore = create<State & Actions>()((set, get) => {
  const applyEvents = (events: ApiEvent[]) => {
    const jobs = { ...get().jobs };
    const progress = { ...get().progress };
    let session = get().sessionJobs;
    let linksChanged = false;
    for (const event of events) {
      if (event.type === 'job') {
        jobs[event.job.id] = event.job;
        // A finished export/url task has just made links.
        if (event.job.tasks.some((t) => t.operation === 'export/url' && t.status === 'finished')) {
          linksChanged = true;
        }
        if (!session.includes(event.job.id)) session = [event.job.id, ...session];
      } else if (event.type === 'progress') {
        progress[progressKey(event.progress.job_id, event.progress.task)] = event.progress;
      } else {
        linksChanged = true;
      }
    }
    set({ jobs, progress, sessionJobs: session });
    if (linksChanged) void get().refreshLinks();
  };

  const guard = async (what: string, action: () => Promise<void>) => {
    try {
      await action();
    } catch (error) {
      get().toast(`${what}: ${errorInfoOf(error).message}`, 'error');
    }
  };

  return {
    loaded: false,
    profiles: [],
    jobs: {},
    progress: {},
    links: [],
    sessionJobs: [],
    preparing: [],
    toasts: [],
    editor: null,
    chooser: null,
    selected: [],
    tab: 'transfers',

    async load() {
      const api = getApi();
      try {
        api.subscribe(batchEvents(applyEvents));
        const [info, profiles, jobs, links] = await Promise.all([
          api.info(),
          api.listProfiles(),
          api.listJobs(),
          api.listLinks(),
        ]);
        // Transfers opens with what runs and what ended recently; the rest is History.
        const since = Date.now() - RECENT_MS;
        const recent = jobs.filter(
          (j) => !j.ended_at || Date.parse(j.ended_at) >= since || j.status === 'processing',
        );
        set({
          info,
          profiles,
          links,
          loaded: true,
          loadError: undefined,
          jobs: Object.fromEntries(jobs.map((j) => [j.id, j])),
          sessionJobs: recent.map((j) => j.id),
        });
        void get().refreshSettings();
      } catch (error) {
        set({ loaded: true, loadError: errorInfoOf(error) });
      }
    },

    async refreshProfiles() {
      const profiles = await getApi().listProfiles();
      set({ profiles });
    },

    async refreshLinks() {
      try {
        set({ links: await getApi().listLinks() });
      } catch {
        // Keep showing what we had; the next event or refresh tries again.
      }
    },

    async refreshSettings() {
      try {
        set({ settings: await getApi().getSettings() });
      } catch {
        // An older host without settings: LAN sharing is simply not offered.
      }
    },

    setLanSharing: (enabled) =>
      guard('Could not change LAN sharing', async () => {
        const current = get().settings?.lan_sharing;
        const settings = await getApi().saveSettings({
          lan_sharing: { ...current, enabled },
        });
        set({ settings });
        await get().refreshLinks();
        get().toast(
          enabled
            ? settings.lan.urls.length > 0
              ? 'LAN sharing is on: shared links are reachable on your network.'
              : 'LAN sharing is on; links are served on the network while Outbox’s server runs.'
            : 'LAN sharing is off: links work on this computer only.',
        );
      }),

    async setBandwidthLimit(limit, profile) {
      try {
        const api = getApi();
        const settings = await (profile === undefined
          ? api.setBandwidthLimit(limit)
          : api.setBandwidthLimit(limit, profile));
        set({ settings });
        const whose = profile === undefined ? 'All transfers' : `Transfers to ${profile}`;
        get().toast(
          limit.trim().toLowerCase() === 'off'
            ? `${whose}: no speed limit.`
            : `${whose}: limited to ${limit.trim()}.`,
        );
        return undefined;
      } catch (error) {
        return errorInfoOf(error);
      }
    },

    async updateLink(id, options, done) {
      let ok = false;
      await guard('Could not change the link', async () => {
        await getApi().updateLink(id, options);
        await get().refreshLinks();
        get().toast(done);
        ok = true;
      });
      return ok;
    },

    async exportFiles(destinations, label, files) {
      if (files.length === 0) {
        get().toast('Nothing to send: the drop held no files.', 'error');
        return;
      }
      const item: Preparing = {
        id: `prepare-${++prepareId}`,
        destination: label,
        files: files.length,
        sent: 0,
        total: files.reduce((sum, f) => sum + sizeOf(f), 0),
        abort: new AbortController(),
      };
      const update = (patch: Partial<Preparing>) =>
        set({ preparing: get().preparing.map((p) => (p.id === item.id ? { ...p, ...patch } : p)) });
      set({ preparing: [item, ...get().preparing], tab: 'transfers' });
      let last = 0;
      try {
        const refs = await toFileRefs(files, {
          signal: item.abort.signal,
          onProgress: (sent) => {
            // The upload reports per chunk; the UI needs a few updates a second.
            const now = performance.now();
            if (now - last < 250) return;
            last = now;
            update({ sent });
          },
        });
        const job = await getApi().startExport(destinations, refs);
        set({
          preparing: get().preparing.filter((p) => p.id !== item.id),
          jobs: { [job.id]: get().jobs[job.id] ?? job, ...get().jobs },
          sessionJobs: get().sessionJobs.includes(job.id)
            ? get().sessionJobs
            : [job.id, ...get().sessionJobs],
        });
      } catch (error) {
        const shown = errorInfoOf(error);
        if (shown.code === 'CANCELLED') get().dismissPreparing(item.id);
        else update({ error: shown });
      }
    },

    dismissPreparing(id) {
      const item = get().preparing.find((p) => p.id === id);
      if (item && !item.error) item.abort.abort();
      set({ preparing: get().preparing.filter((p) => p.id !== id) });
    },

    cancelJob: (id) => guard('Could not cancel', () => getApi().cancelJob(id)),
    pauseJob: (id) =>
      guard('Could not pause', async () => {
        await getApi().pauseJob(id);
      }),
    resumeJob: (id) =>
      guard('Could not resume', async () => {
        await getApi().resumeJob(id);
      }),
    moveJobToFront: (id) =>
      guard('Could not move the job', async () => {
        await getApi().moveJobToFront(id);
      }),
    controlAll: (action) =>
      guard(`Could not ${action} all`, async () => {
        const api = getApi();
        const { failed } = await (action === 'pause' ? api.pauseAll() : api.resumeAll());
        for (const { message } of failed) get().toast(message, 'error');
      }),

    retryJob: (id) =>
      guard('Could not retry', async () => {
        // The same job: its failed tasks run again, the others keep their results.
        const job = await getApi().retryJob(id);
        set({
          jobs: { ...get().jobs, [job.id]: job },
          sessionJobs: [job.id, ...get().sessionJobs.filter((j) => j !== job.id)],
        });
      }),

    async createShareLink(jobId, task, options) {
      try {
        const job = await getApi().createShareLink(jobId, task, options);
        set({ jobs: { ...get().jobs, [job.id]: job } });
        get().toast('Share link created.');
        return undefined;
      } catch (error) {
        return errorInfoOf(error);
      }
    },

    removeJob: (id) =>
      guard('Could not remove', async () => {
        await getApi().removeJob(id);
        const { [id]: _removed, ...jobs } = get().jobs;
        set({ jobs, sessionJobs: get().sessionJobs.filter((j) => j !== id) });
      }),

    clearHistory: () =>
      guard('Could not clear the history', async () => {
        await getApi().clearHistory();
        const jobs = await getApi().listJobs();
        const kept = new Set(jobs.map((j) => j.id));
        set({
          jobs: Object.fromEntries(jobs.map((j) => [j.id, j])),
          sessionJobs: get().sessionJobs.filter((id) => kept.has(id)),
        });
        get().toast('History cleared.');
      }),

    revokeLink: (id) =>
      guard('Could not revoke the link', async () => {
        await getApi().revokeLink(id);
        await get().refreshLinks();
        get().toast('Link revoked: it no longer works.');
      }),

    toast(message, tone = 'info') {
      const id = ++toastId;
      set({ toasts: [...get().toasts, { id, message, tone }] });
      setTimeout(() => get().dropToast(id), tone === 'error' ? 8000 : 3500);
    },

    dropToast(id) {
      set({ toasts: get().toasts.filter((t) => t.id !== id) });
    },

    openEditor: (editor) => set({ editor }),
    choose: (chooser) => set({ chooser }),
    toggleSelected: (name) => {
      const selected = get().selected;
      set({
        selected: selected.includes(name)
          ? selected.filter((n) => n !== name)
          : [...selected, name],
      });
    },
    clearSelected: () => set({ selected: [] }),
    setTab: (tab) => set({ tab }),
    openJob: (id) =>
      set({
        tab: 'transfers',
        focusedJob: id,
        sessionJobs: get().sessionJobs.includes(id)
          ? get().sessionJobs
          : [id, ...get().sessionJobs],
      }),
  };
});
