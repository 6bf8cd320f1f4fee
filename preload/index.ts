import { contextBridge, ipcRenderer, webUtils, type IpcRendererEvent } from 'electron';
import {
  apiMethods,
  ipcChannelOf,
  ipcEventChannel,
  ipcOpenedFilesChannel,
  type OpenedFile,
  type OutboxBridge,
} from '../main/core/api/api-transport';
import { Relay } from '../main/electron/relay';
import type { ApiEvent } from '../main/core/api/outbox-api';

/**
 * The renderer's only way out: `window.outbox`, exactly the OutboxApi methods
 * (each on its own fixed IPC channel, answering with a result envelope), one
 * event channel, the real path of a dropped File, and the files the desktop
 * opened with Outbox. Nothing else of Electron
 * or Node reaches the page (contextIsolation + sandbox).
 */

const methods = Object.fromEntries(
  apiMethods.map((method) => [
    method,
    (...args: unknown[]) => ipcRenderer.invoke(ipcChannelOf(method), args),
  ]),
);

// Opened files may arrive before the page listens: they wait here.
const opened = new Relay<OpenedFile[]>();
ipcRenderer.on(ipcOpenedFilesChannel, (_event: IpcRendererEvent, files: OpenedFile[]) =>
  opened.push(files),
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
  onOpenedFiles: (listener: (files: OpenedFile[]) => void) => opened.listen(listener),
} as OutboxBridge;

contextBridge.exposeInMainWorld('outbox', bridge);
