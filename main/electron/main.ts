import { app, BrowserWindow, ipcMain, Menu, Notification, session } from 'electron';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ipcEventChannel } from '../core/api/api-transport';
import { createCoreApi } from '../core/api/core-api';
import { hostContext } from '../core/api/host-context';
import { jobNotice } from '../core/api/job-notice';
import { loadConfig } from '../core/config';
import { Engine } from '../core/engine/engine';
import { ProfileService } from '../core/profiles/profile-service';
import { startServer, type RunningServer } from '../core/server/outbox-server';
import { appMenuTemplate } from './app-menu';
import { registerIpc, type AppPage } from './ipc';
import { RunningTasks } from './job-signals';
import { appContentSecurityPolicy, mainWindowOptions } from './window-options';

/**
 * The Electron shell: one hardened window over the same core the CLI and
 * the browser host use. Kept thin on purpose: what has logic lives in
 * ipc.ts, app-menu.ts, job-signals.ts and window-options.ts (unit-tested).
 */

let engine: Engine | undefined;
let server: RunningServer | undefined;
let stopEvents: (() => void) | undefined;

const rendererFile = join(__dirname, '../renderer/index.html');
// electron-vite sets this while developing (`electron-vite dev`); a packaged app never has it.
const devServerUrl = app.isPackaged ? undefined : process.env.ELECTRON_RENDERER_URL;
const appPage: AppPage = {
  fileUrl: pathToFileURL(rendererFile).href,
  ...(devServerUrl ? { devServerUrl } : {}),
};

function createWindow(): BrowserWindow {
  const window = new BrowserWindow(mainWindowOptions(join(__dirname, '../preload/index.js')));
  window.once('ready-to-show', () => window.show());
  window.webContents.setWindowOpenHandler(() => ({ action: 'deny' }));
  window.webContents.on('will-navigate', (event) => event.preventDefault());
  window.webContents.on('will-redirect', (event) => event.preventDefault());
  if (devServerUrl) void window.loadURL(devServerUrl);
  else void window.loadFile(rendererFile);
  return window;
}

function mainWindow(): BrowserWindow | undefined {
  return BrowserWindow.getAllWindows()[0];
}

async function start(): Promise<void> {
  session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) =>
    callback(false),
  );
  session.defaultSession.setPermissionCheckHandler(() => false);
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({
      responseHeaders: {
        ...details.responseHeaders,
        'Content-Security-Policy': [appContentSecurityPolicy],
      },
    });
  });
  Menu.setApplicationMenu(
    Menu.buildFromTemplate(
      appMenuTemplate({
        isMac: process.platform === 'darwin',
        appName: app.getName(),
        isDev: !app.isPackaged,
      }),
    ),
  );

  const config = loadConfig({
    ...process.env,
    OUTBOX_HOME: process.env.OUTBOX_HOME ?? app.getPath('userData'),
  });
  const profiles = new ProfileService(config.home);
  engine = await Engine.open(config, {
    sweepEvery: true,
    resolveProfile: profiles.resolver,
    resumeInterrupted: true,
  });
  const context = hostContext(engine, profiles);
  server = await startServer({ config, links: context.links });
  const api = createCoreApi(context, undefined, {
    host: 'electron',
    version: app.getVersion(),
    allowPaths: true,
  });
  registerIpc(ipcMain, api, appPage);

  const running = new RunningTasks();
  const notified = new Set<string>();
  stopEvents = api.subscribe((event) => {
    for (const window of BrowserWindow.getAllWindows()) {
      window.webContents.send(ipcEventChannel, event);
    }
    if (event.type === 'progress') running.update(event.progress);
    if (event.type === 'job') {
      const notice = jobNotice(event.job);
      if (notice && !notified.has(event.job.id)) {
        notified.add(event.job.id);
        running.forgetJob(event.job.id);
        if (Notification.isSupported()) {
          new Notification({
            title: notice.title,
            body: notice.body,
            silent: !notice.failed,
          }).show();
        }
      }
    }
    if (event.type !== 'links') mainWindow()?.setProgressBar(running.fraction());
  });
  createWindow();
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => {
    const window = mainWindow();
    if (window) {
      if (window.isMinimized()) window.restore();
      window.focus();
    }
  });
  app.on('web-contents-created', (_event, contents) => {
    contents.on('will-attach-webview', (event) => event.preventDefault());
    contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow();
  });
  app.on('will-quit', () => {
    stopEvents?.();
    void server?.close();
    void engine?.close();
  });
  void app.whenReady().then(start);
}
