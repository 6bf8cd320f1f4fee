import type { ApiError, ApiEvent, OutboxApi } from './outbox-api';

/**
 * How OutboxApi calls travel between a UI and a host, whatever the carrier
 * (Electron IPC or HTTP): one name per method, results wrapped in an envelope
 * so that an error keeps its code and per-field messages on the way (Electron
 * strips custom properties from errors that cross contextBridge).
 * No Node or DOM imports: the renderer, preload and hosts all use this file.
 */

/** Every request/response method of OutboxApi (`subscribe` is the event stream, not a call). */
export const apiMethods = [
  'info',
  'listProfiles',
  'saveProfile',
  'deleteProfile',
  'testConnection',
  'startExport',
  'listJobs',
  'cancelJob',
  'retryJob',
  'pauseJob',
  'resumeJob',
  'moveJobToFront',
  'pauseAll',
  'resumeAll',
  'createShareLink',
  'removeJob',
  'clearHistory',
  'searchDeliveries',
  'listLinks',
  'revokeLink',
  'updateLink',
  'getSettings',
  'saveSettings',
  'setBandwidthLimit',
  'setMaxRunningJobs',
  'listWatches',
  'addWatch',
  'removeWatch',
] as const satisfies readonly Exclude<keyof OutboxApi, 'subscribe'>[];

export type ApiMethod = (typeof apiMethods)[number];
export type ApiArgs<M extends ApiMethod> = Parameters<OutboxApi[M]>;
export type ApiReturn<M extends ApiMethod> = Awaited<ReturnType<OutboxApi[M]>>;

export type ApiResult<T> = { ok: true; value: T } | { ok: false; error: ApiError };

export function isApiMethod(name: string): name is ApiMethod {
  return (apiMethods as readonly string[]).includes(name);
}

/** An error from the host, as the UI catches it: `code`, words, optional detail and per-field messages. */
export class OutboxApiError extends Error {
  override readonly name = 'OutboxApiError';
  readonly code: ApiError['code'];
  readonly detail: string | undefined;
  /** Field path (e.g. `tasks.export.bucket`, or `params.bucket` for profiles) → messages. */
  readonly fields: Record<string, string[]> | undefined;

  constructor(info: ApiError) {
    super(info.message);
    this.code = info.code;
    this.detail = info.detail;
    this.fields = info.fields;
  }

  toJSON(): ApiError {
    return {
      code: this.code,
      message: this.message,
      ...(this.detail ? { detail: this.detail } : {}),
      ...(this.fields ? { fields: this.fields } : {}),
    };
  }
}

export function unwrapResult<T>(result: ApiResult<T>): T {
  if (result.ok) return result.value;
  throw new OutboxApiError(result.error);
}

/**
 * What the Electron preload exposes as `window.outbox`: the API's methods
 * returning envelopes, the event subscription, and the real path of a dropped
 * File. The renderer turns it into an OutboxApi (renderer/src/api/index.ts).
 */
export type OutboxBridge = {
  [M in ApiMethod]: (...args: ApiArgs<M>) => Promise<ApiResult<ApiReturn<M>>>;
} & {
  subscribe(listener: (event: ApiEvent) => void): () => void;
  /** webUtils.getPathForFile: '' for a File that is not on disk. */
  pathForFile(file: File): string;
  /**
   * Files the desktop handed to Outbox (opened with it, dropped on its dock or
   * taskbar icon, given to a second launch), for the window to ask where they go.
   */
  onOpenedFiles(listener: (files: OpenedFile[]) => void): () => void;
};

/** A file or folder the desktop handed to the running app. */
export type OpenedFile = { path: string; name: string; size: number; folder: boolean };

/** IPC channel of each method (one fixed channel per method), of events, and of opened files. */
export const ipcChannelOf = (method: ApiMethod): string => `outbox:${method}`;
export const ipcEventChannel = 'outbox:event';
export const ipcOpenedFilesChannel = 'outbox:opened-files';
