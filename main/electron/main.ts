import { app, BrowserWindow, session } from 'electron';
import { join } from 'node:path';
import { loadConfig } from '../core/config';
import { Engine } from '../core/engine/engine';
import { startServer, type RunningServer } from '../core/server/outbox-server';
import { appContentSecurityPolicy, mainWindowOptions } from './window-options';

/**
 * The Electron shell: one hardened window over the same core the CLI and
 * the browser host use. Kept thin on purpose (see README, "Where Electron runs").
 */

let engine: Engine | undefined;
let server: RunningServer | undefined;

function createWindow(): BrowserWindow {
  const window = new BrowserWindow(mainWindowOptions(join(__dirname, '../preload/index.js')));
  window.once('ready-to-show', () => window.show());
  window.webContents.setWindowOpenHandler(() => ({ action: 'deny' }));
  window.webContents.on('will-navigate', (event) => event.preventDefault());
  void window.loadFile(join(__dirname, '../renderer/index.html'));
  return window;
}

async function start(): Promise<void> {
  const config = loadConfig({
    ...process.env,
    OUTBOX_HOME: process.env.OUTBOX_HOME ?? app.getPath('userData'),
  });
  engine = await Engine.open(config, { sweepEvery: true });
  server = await startServer({ config, links: engine.links });

  session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) =>
    callback(false),
  );
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({
      responseHeaders: {
        ...details.responseHeaders,
        'Content-Security-Policy': [appContentSecurityPolicy],
      },
    });
  });
  createWindow();
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => {
    const [window] = BrowserWindow.getAllWindows();
    if (window) {
      if (window.isMinimized()) window.restore();
      window.focus();
    }
  });
  app.on('web-contents-created', (_event, contents) => {
    contents.on('will-attach-webview', (event) => event.preventDefault());
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow();
  });
  app.on('will-quit', () => {
    void server?.close();
    void engine?.close();
  });
  void app.whenReady().then(start);
}
