import { EventEmitter } from 'node:events';
import type { JobRecord } from '../transfer/records';
import { OutboxError, ValidationError, toErrorInfo, type FieldErrors } from '../errors';
import { saveMaxRunningJobs } from '../engine/queue-settings';
import { saveLanSharing } from '../server/lan-settings';
import { saveBandwidthLimit } from '../transfer/bwlimit-settings';
import { refreshLanSharing } from '../server/outbox-server';
import type {
  ApiError,
  ApiEvent,
  Destination,
  FileRef,
  HostInfo,
  OutboxApi,
  ProfileInput,
  ProfileView,
} from './outbox-api';
import { EXPORT_TASK, IMPORT_TASK, exportJobOf } from './export-job';
import type { HostContext } from './host-context';
import { linkCalls } from './links-api';
import { settingsView } from './settings-views';
import { watchCalls } from './watch-api';

/** Where files the browser streamed to the host are (see main/browser/upload-staging.ts). */
export type UploadResolver = { pathOf(uploadId: string): Promise<string> };

export type CoreApiOptions = {
  host: HostInfo['host'];
  version: string;
  /**
   * Whether startExport takes local paths. The Electron host does (dropped
   * files have real paths); the browser host takes uploads only, so a page
   * that got hold of the session cannot turn any file on the disk into a link.
   */
  allowPaths: boolean;
};

/** Any error as the UI receives it: code, words, optional detail and per-field messages. */
export function apiErrorOf(error: unknown): ApiError {
  if (error instanceof ValidationError) return { ...toErrorInfo(error), fields: error.fields };
  return toErrorInfo(error);
}

/**
 * Field paths of the job startExport builds, as the UI names them: the
 * export task's parameters by their own name (`bucket`), the files as
 * `files`; with several destinations, a parameter after its task's name
 * (`backups.bucket`).
 */
function uiFields(error: ValidationError): ValidationError {
  const fields: FieldErrors = {};
  for (const [path, messages] of Object.entries(error.fields)) {
    let field = path;
    if (path.startsWith(`tasks.${EXPORT_TASK}.`))
      field = path.slice(`tasks.${EXPORT_TASK}.`.length);
    else if (path === `tasks.${EXPORT_TASK}`) field = '';
    else if (path.startsWith(`tasks.${IMPORT_TASK}`)) field = 'files';
    else if (path.startsWith('tasks.')) field = path.slice('tasks.'.length);
    (fields[field] ??= []).push(...messages);
  }
  return new ValidationError(fields);
}

function withUiFields<T>(work: Promise<T>): Promise<T> {
  return work.catch((error: unknown) => {
    throw error instanceof ValidationError ? uiFields(error) : error;
  });
}

/** The export task of a destination (a saved profile is referenced, and resolved by the runner). */
function exportTaskOf(destination: Destination): Record<string, unknown> {
  if ('profile' in destination) return { profile: destination.profile };
  const { input: _input, ...task } = destination.task;
  return task;
}

function isEnded(job: JobRecord): boolean {
  return job.status === 'finished' || job.status === 'error';
}

/**
 * OutboxApi on the core: the one implementation behind both hosts (Electron
 * IPC and the browser host's HTTP API), so they cannot drift apart.
 */
export function createCoreApi(
  context: HostContext,
  staging: UploadResolver | undefined,
  options: CoreApiOptions,
): OutboxApi {
  const { config, runner, links, profiles } = context;
  // Changes to links that no job event announces (a revocation).
  const linkEvents = new EventEmitter<{ links: [] }>();
  linkEvents.setMaxListeners(0); // one per open window or browser tab
  const linkCall = linkCalls(links, config.home, () => linkEvents.emit('links'));

  async function pathsOf(files: FileRef[]): Promise<string[]> {
    const fields: FieldErrors = {};
    const paths: string[] = [];
    for (const [i, file] of files.entries()) {
      try {
        if ('uploadId' in file) {
          if (!staging) throw new OutboxError('INVALID_DATA', 'this host takes no uploads');
          paths.push(await staging.pathOf(file.uploadId));
        } else if (options.allowPaths) {
          paths.push(file.path);
        } else {
          throw new OutboxError(
            'INVALID_DATA',
            'in a browser, files are sent to Outbox first (uploads): local paths are not accepted',
          );
        }
      } catch (error) {
        if (!(error instanceof OutboxError)) throw error;
        (fields[`files.${i}`] ??= []).push(error.message);
      }
    }
    if (Object.keys(fields).length > 0) throw new ValidationError(fields);
    if (paths.length === 0) throw ValidationError.of('files', 'choose at least one file');
    return paths;
  }

  async function saveProfile(input: ProfileInput): Promise<ProfileView> {
    const task = { operation: input.operation, ...input.params };
    let view;
    if (input.originalName === undefined) {
      // A new profile has no stored secrets: "{ set }" placeholders (e.g. from a duplicate) mean nothing.
      const fresh = Object.fromEntries(
        Object.entries(task).filter(
          ([, value]) => !(typeof value === 'object' && value !== null && 'set' in value),
        ),
      );
      view = await profiles.add(input.name, fresh);
    } else {
      view = await profiles.edit(input.originalName, task);
      if (input.name.trim() !== input.originalName.trim()) {
        view = await profiles.rename(input.originalName, input.name);
      }
    }
    return view as ProfileView;
  }

  return {
    async info() {
      return {
        host: options.host,
        version: options.version,
        linkBaseUrl: context.linkBaseUrl,
        dataDir: config.home,
      };
    },

    async listProfiles() {
      return (await profiles.list()) as ProfileView[];
    },
    saveProfile,
    async deleteProfile(name) {
      await profiles.remove(name);
    },
    testConnection(destination) {
      return withUiFields(runner.probe({ input: IMPORT_TASK, ...exportTaskOf(destination) }));
    },

    async startExport(destinations, files) {
      const tasks = (Array.isArray(destinations) ? destinations : [destinations]).map(exportTaskOf);
      const paths = await pathsOf(files);
      return withUiFields(runner.submit(exportJobOf(tasks, paths)));
    },
    listJobs: () => runner.list(),
    async cancelJob(id) {
      if (!(await runner.cancelAny(id))) {
        throw new OutboxError('NOT_FOUND', 'This job is not running (it ended already).');
      }
    },
    retryJob: (id) => runner.retry(id),
    pauseJob: (id) => runner.control(id, 'pause'),
    resumeJob: (id) => runner.control(id, 'resume'),
    moveJobToFront: (id) => runner.control(id, 'front'),
    pauseAll: () => runner.controlAll('pause'),
    resumeAll: () => runner.controlAll('resume'),
    createShareLink: (jobId, task, options = {}) =>
      runner.createShareLink(jobId, task, options.file, options.expires_in),
    removeJob: (id) => runner.remove(id),
    async clearHistory() {
      for (const job of await runner.list()) if (isEnded(job)) await runner.remove(job.id);
    },
    searchDeliveries: async (query) => runner.deliveryLog.search(query),

    listLinks: linkCall.listLinks,
    updateLink: linkCall.updateLink,
    async revokeLink(id) {
      await linkCall.revokeLink(id);
    },

    getSettings: () => settingsView(config.home),
    async saveSettings(input) {
      await saveLanSharing(config.home, input.lan_sharing);
      await refreshLanSharing(config.home);
      linkEvents.emit('links');
      return settingsView(config.home);
    },
    async setBandwidthLimit(limit, profile) {
      await saveBandwidthLimit(config.home, limit, profile);
      return settingsView(config.home);
    },
    async setMaxRunningJobs(value) {
      runner.setMaxRunningJobs(await saveMaxRunningJobs(config.home, value));
      return settingsView(config.home);
    },
    ...watchCalls(context.watches),

    subscribe(listener: (event: ApiEvent) => void) {
      const onLinks = () => listener({ type: 'links' });
      const stops = [
        runner.on('job', (job) => {
          listener({ type: 'job', job });
          const madeLinks = job.tasks.some(
            (task) => task.operation === 'export/url' && task.status === 'finished',
          );
          if (isEnded(job) && madeLinks) listener({ type: 'links' });
        }),
        runner.on('progress', (progress) => listener({ type: 'progress', progress })),
        () => linkEvents.off('links', onLinks),
      ];
      linkEvents.on('links', onLinks);
      return () => stops.forEach((stop) => stop());
    },
  };
}
