import {
  OutboxApiError,
  type ApiArgs,
  type ApiMethod,
  type ApiResult,
  type ApiReturn,
} from '../../../main/core/api/api-transport';
import type { ApiError, ApiEvent, OutboxApi } from '../../../main/core/api/outbox-api';

/**
 * OutboxApi over the browser host's HTTP API (main/core/server/browser-host.ts):
 * `POST /api/<method>` with the arguments as a JSON array, live events from
 * the `/api/events` stream, files streamed with `POST /api/uploads`. The
 * session cookie travels by itself (same origin).
 */

const notSignedIn: ApiError = {
  code: 'ACCESS_DENIED',
  message:
    'This browser is not signed in to Outbox: open the address that "outbox serve" printed (the one with ?key=).',
};

async function errorOf(response: Response): Promise<ApiError> {
  if (response.status === 401 || response.status === 403) return notSignedIn;
  try {
    const body = (await response.json()) as ApiResult<unknown>;
    if (!body.ok) return body.error;
  } catch {
    // not JSON: fall through
  }
  return { code: 'INTERNAL_ERROR', message: `Outbox answered ${response.status}.` };
}

async function call<M extends ApiMethod>(method: M, args: ApiArgs<M>): Promise<ApiReturn<M>> {
  let response: Response;
  try {
    response = await fetch(`/api/${method}`, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(args),
    });
  } catch (error) {
    throw new OutboxApiError({
      code: 'UNREACHABLE',
      message: 'Outbox is not answering: is "outbox serve" still running?',
      detail: error instanceof Error ? error.message : String(error),
    });
  }
  if (!response.ok) throw new OutboxApiError(await errorOf(response));
  const body = (await response.json()) as ApiResult<ApiReturn<M>>;
  if (!body.ok) throw new OutboxApiError(body.error);
  return body.value;
}

/** One EventSource shared by every subscriber; closed when the last one leaves. */
function eventHub(): (listener: (event: ApiEvent) => void) => () => void {
  const listeners = new Set<(event: ApiEvent) => void>();
  let source: EventSource | undefined;
  return (listener) => {
    listeners.add(listener);
    if (!source) {
      source = new EventSource('/api/events', { withCredentials: true });
      source.onmessage = (message: MessageEvent<string>) => {
        const event = JSON.parse(message.data) as ApiEvent;
        for (const l of listeners) l(event);
      };
    }
    return () => {
      listeners.delete(listener);
      if (listeners.size === 0 && source) {
        source.close();
        source = undefined;
      }
    };
  };
}

export function createBrowserClient(): OutboxApi {
  return {
    info: () => call('info', []),
    listProfiles: () => call('listProfiles', []),
    saveProfile: (...args) => call('saveProfile', args),
    deleteProfile: (...args) => call('deleteProfile', args),
    testConnection: (...args) => call('testConnection', args),
    startExport: (...args) => call('startExport', args),
    listJobs: () => call('listJobs', []),
    cancelJob: (...args) => call('cancelJob', args),
    retryJob: (...args) => call('retryJob', args),
    pauseJob: (...args) => call('pauseJob', args),
    resumeJob: (...args) => call('resumeJob', args),
    moveJobToFront: (...args) => call('moveJobToFront', args),
    pauseAll: () => call('pauseAll', []),
    resumeAll: () => call('resumeAll', []),
    createShareLink: (...args) => call('createShareLink', args),
    removeJob: (...args) => call('removeJob', args),
    clearHistory: () => call('clearHistory', []),
    searchDeliveries: (...args) => call('searchDeliveries', args),
    listLinks: () => call('listLinks', []),
    revokeLink: (...args) => call('revokeLink', args),
    updateLink: (...args) => call('updateLink', args),
    getSettings: () => call('getSettings', []),
    saveSettings: (...args) => call('saveSettings', args),
    setBandwidthLimit: (...args) => call('setBandwidthLimit', args),
    setMaxRunningJobs: (...args) => call('setMaxRunningJobs', args),
    listWatches: () => call('listWatches', []),
    addWatch: (...args) => call('addWatch', args),
    removeWatch: (...args) => call('removeWatch', args),
    subscribe: eventHub(),
  };
}

/**
 * Streams one file to the host (the browser reads it from disk as it sends:
 * nothing is held in memory) and returns its upload id for startExport.
 * `name` is the file's relative path (`photos/2024/a.jpg`) or its name.
 * XMLHttpRequest rather than fetch: it reports upload progress.
 */
export function uploadFile(
  file: Blob,
  name: string,
  options: { onProgress?: (sent: number) => void; signal?: AbortSignal } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open('POST', `/api/uploads?name=${encodeURIComponent(name)}`);
    request.withCredentials = true;
    request.responseType = 'json';
    request.setRequestHeader('Content-Type', 'application/octet-stream');
    request.upload.onprogress = (event) => options.onProgress?.(event.loaded);
    request.onload = () => {
      const body = request.response as ApiResult<{ uploadId: string }> | null;
      if (request.status === 401 || request.status === 403) reject(new OutboxApiError(notSignedIn));
      else if (body?.ok) resolve(body.value.uploadId);
      else
        reject(
          new OutboxApiError(
            body?.error ?? {
              code: 'INTERNAL_ERROR',
              message: `Upload failed (${request.status}).`,
            },
          ),
        );
    };
    request.onerror = () =>
      reject(
        new OutboxApiError({
          code: 'UNREACHABLE',
          message: `Could not send ${name} to Outbox: is "outbox serve" still running?`,
        }),
      );
    request.onabort = () =>
      reject(new OutboxApiError({ code: 'CANCELLED', message: 'Cancelled.' }));
    options.signal?.addEventListener('abort', () => request.abort(), { once: true });
    request.send(file);
  });
}
