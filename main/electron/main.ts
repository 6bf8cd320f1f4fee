import '../core/young-generation';
import {
  app,
  BrowserWindow,
  ipcMain,
  Menu,
  nativeImage,
  Notification,
  session,
  Tray,
} from 'electron';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ipcEventChannel, ipcOpenedFilesChannel, type OpenedFile } from '../core/api/api-transport';
import { createCoreApi } from '../core/api/core-api';
import { hostContext, startWatches } from '../core/api/host-context';
import { uiContentSecurityPolicy } from '../core/http/ui-csp';
import { jobNotice } from '../core/api/job-notice';
import { loadConfig } from '../core/config';
import { Engine } from '../core/engine/engine';
import { ProfileService } from '../core/profiles/profile-service';
import { startServer, type RunningServer } from '../core/server/outbox-server';
import type { WatchService } from '../core/watch/watch-service';
import { appMenuTemplate } from './app-menu';
import { registerIpc, type AppPage } from './ipc';
import { RunningTasks } from './job-signals';
import { describeOpened, openedFromArgv } from './opened-files';
import { Relay } from './relay';
import { controlAllFromTray, trayMenuTemplate } from './tray-menu';
import { mainWindowOptions } from './window-options';

/**
 * The Electron shell: one hardened window over the same core the CLI and
 * the browser host use. Kept thin on purpose: what has logic lives in
 * ipc.ts, app-menu.ts, job-signals.ts, window-options.ts, opened-files.ts,
 * relay.ts and tray-menu.ts (unit-tested).
 */

let engine: Engine | undefined;
let watches: WatchService | undefined;
let server: RunningServer | undefined;
let stopEvents: (() => void) | undefined;
let tray: Tray | undefined;
// Files handed over by the desktop wait here until the window's page has loaded.
const opened = new Relay<OpenedFile[]>();

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
  const send = (files: OpenedFile[]) => window.webContents.send(ipcOpenedFilesChannel, files);
  let detach: (() => void) | undefined;
  window.webContents.on('did-finish-load', () => {
    detach?.();
    detach = opened.listen(send);
  });
  window.on('closed', () => detach?.());
  if (devServerUrl) void window.loadURL(devServerUrl);
  else void window.loadFile(rendererFile);
  return window;
}

function mainWindow(): BrowserWindow | undefined {
  return BrowserWindow.getAllWindows()[0];
}

/** Brings the window forward (making it again on macOS, where the app outlives it). */
function showWindow(): void {
  const window = mainWindow();
  if (!window) {
    if (app.isReady()) createWindow();
    return;
  }
  if (window.isMinimized()) window.restore();
  window.show();
  window.focus();
}

/** Files the desktop handed over: to the window, which asks where they go. */
function receive(files: OpenedFile[]): void {
  if (files.length === 0) return;
  opened.push(files);
  showWindow();
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
        'Content-Security-Policy': [uiContentSecurityPolicy],
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
  watches = await startWatches(engine, profiles);
  const context = hostContext(engine, profiles, watches);
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
  receive(openedFromArgv(process.argv, process.cwd(), process.defaultApp === true));
  tray = new Tray(nativeImage.createFromPath(join(__dirname, '../../assets/icon.png')));
  tray.setToolTip('Outbox');
  const notify = (title: string, body: string) => {
    if (Notification.isSupported()) new Notification({ title, body }).show();
  };
  tray.setContextMenu(
    Menu.buildFromTemplate(
      trayMenuTemplate({
        open: showWindow,
        pauseAll: () => void controlAllFromTray(api, 'pause', notify),
        resumeAll: () => void controlAllFromTray(api, 'resume', notify),
        quit: () => app.quit(),
      }),
    ),
  );
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', (_event, argv, cwd) => {
    showWindow();
    receive(openedFromArgv(argv, cwd, process.defaultApp === true));
  });
  // macOS: Finder's "Open With", a drop on the dock icon (also before the app is ready).
  app.on('open-file', (event, path) => {
    event.preventDefault();
    receive(describeOpened([path], process.cwd()));
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
    tray?.destroy();
    void server?.close();
    void watches?.close().finally(() => engine?.close());
  });
  void app.whenReady().then(start);
}
