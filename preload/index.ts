import { contextBridge } from 'electron';

// The typed API object arrives with the UI (one interface for Electron and the browser host).
contextBridge.exposeInMainWorld('outbox', { host: 'electron' as const });
