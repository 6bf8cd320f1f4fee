import { contextBridge, ipcRenderer, webUtils, type IpcRendererEvent } from 'electron';
import {
  apiMethods,
  ipcChannelOf,
  ipcEventChannel,
  type OutboxBridge,
} from '../main/core/api/api-transport';
import type { ApiEvent } from '../main/core/api/outbox-api';

/**
 * The renderer's only way out: `window.outbox`, exactly the OutboxApi methods
 * (each on its own fixed IPC channel, answering with a result envelope), one
 * event channel, and the real path of a dropped File. Nothing else of Electron
 * or Node reaches the page (contextIsolation + sandbox).
 */

const methods = Object.fromEntries(
  apiMethods.map((method) => [
    method,
    (...args: unknown[]) => ipcRenderer.invoke(ipcChannelOf(method), args),
  ]),
);

const bridge = {
  ...methods,
  subscribe(listener: (event: ApiEvent) => void) {
    const handler = (_event: IpcRendererEvent, event: ApiEvent) => listener(event);
    ipcRenderer.on(ipcEventChannel, handler);
    return () => {
      ipcRenderer.off(ipcEventChannel, handler);
    };
  },
  pathForFile: (file: File) => webUtils.getPathForFile(file),
} as OutboxBridge;

contextBridge.exposeInMainWorld('outbox', bridge);
