import type { IpcMain, IpcMainInvokeEvent } from 'electron';
import { dispatch } from '../core/api/api-dispatch';
import {
  apiMethods,
  ipcChannelOf,
  type ApiMethod,
  type ApiResult,
} from '../core/api/api-transport';
import type { OutboxApi } from '../core/api/outbox-api';

/**
 * The one place that answers the renderer (ipcMain.handle). Every call is
 * checked twice before the core sees it: the sender must be the app's own
 * page in the window's top frame, and the arguments must match the method's
 * schema (api-dispatch). Pure apart from the IpcMain it is given, so it is
 * unit-tested without Electron.
 */

/** Where the app's own page is: the built file, or electron-vite's dev server while developing. */
export type AppPage = { fileUrl: string; devServerUrl?: string };

/** True only for the app's own page: the exact file:// document, or a page of the dev server's origin. */
export function isTrustedSender(frameUrl: string | undefined, page: AppPage): boolean {
  if (!frameUrl) return false;
  let url: URL;
  try {
    url = new URL(frameUrl);
  } catch {
    return false;
  }
  if (url.protocol === 'file:') {
    const expected = new URL(page.fileUrl);
    return url.pathname === expected.pathname && url.host === expected.host;
  }
  if (!page.devServerUrl) return false;
  const dev = new URL(page.devServerUrl);
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(dev.hostname);
  return (
    loopback && (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === dev.origin
  );
}

export type IpcEntry = { method: ApiMethod; channel: string };

/** One fixed channel per method; there is no channel that invokes "any" method. */
export const ipcChannelTable: readonly IpcEntry[] = apiMethods.map((method) => ({
  method,
  channel: ipcChannelOf(method),
}));

/** What a sender that is not the app gets (its call never reaches the core). */
const refused: ApiResult<never> = {
  ok: false,
  error: { code: 'ACCESS_DENIED', message: 'This page may not use Outbox.' },
};

/** The sender frame as Electron gives it (null once the frame navigated away or was destroyed). */
type SenderFrame = { url: string; parent: unknown } | null | undefined;

/** Handles one IPC call: sender check, then payload validation and the call (dispatch). */
export async function handleIpcCall(
  api: OutboxApi,
  page: AppPage,
  method: ApiMethod,
  frame: SenderFrame,
  args: unknown,
): Promise<ApiResult<unknown>> {
  // Top frame only: an iframe (were one ever loaded) gets nothing.
  if (!frame || frame.parent !== null || !isTrustedSender(frame.url, page)) return refused;
  return dispatch(api, method, args);
}

/** Registers every channel of the table; returns the function that removes them. */
export function registerIpc(
  ipcMain: Pick<IpcMain, 'handle' | 'removeHandler'>,
  api: OutboxApi,
  page: AppPage,
): () => void {
  for (const { method, channel } of ipcChannelTable) {
    ipcMain.handle(channel, (event: IpcMainInvokeEvent, args: unknown) =>
      handleIpcCall(api, page, method, event.senderFrame, args),
    );
  }
  return () => ipcChannelTable.forEach(({ channel }) => ipcMain.removeHandler(channel));
}
