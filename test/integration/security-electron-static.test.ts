import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkElectronSources } from '../../scripts/electron-static-check';
import { tempDir } from '../support/engine';

/**
 * The Electron shell's static security check (scripts/electron-static-check.ts,
 * an electronegativity-style check without the dependency): the real sources
 * must have no finding, and the check must catch each insecure pattern in a
 * fixture (so a check that silently stopped working fails here).
 */

let dir: string;

beforeAll(async () => {
  dir = await tempDir('outbox-electron-check-');
});

afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

/** A main process that passes the check; each fixture below breaks one thing. */
const secureMain = `
import { app, BrowserWindow, session } from 'electron';
function options() {
  return { webPreferences: { preload: 'p.js', contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true } };
}
function create() {
  const window = new BrowserWindow(options());
  window.webContents.on('will-navigate', (event) => event.preventDefault());
  window.webContents.setWindowOpenHandler(() => ({ action: 'deny' }));
}
session.defaultSession.setPermissionRequestHandler((_c, _p, callback) => callback(false));
session.defaultSession.webRequest.onHeadersReceived((d, cb) => cb({ responseHeaders: { 'Content-Security-Policy': ['x'] } }));
app.on('web-contents-created', (_e, contents) => {
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
});
`;

async function findingsFor(name: string, source: string): Promise<string[]> {
  const folder = join(dir, name);
  await fs.mkdir(folder, { recursive: true });
  await fs.writeFile(join(folder, 'main.ts'), source);
  return checkElectronSources([folder], dir).map((f) => f.rule);
}

describe('electron static check', () => {
  it('finds nothing in main/electron and preload', () => {
    const findings = checkElectronSources(['main/electron', 'preload']);
    expect(findings.map((f) => `${f.file}:${f.line} ${f.rule}: ${f.message}`)).toEqual([]);
  });

  it('passes the secure fixture', async () => {
    expect(await findingsFor('secure', secureMain)).toEqual([]);
  });

  it.each([
    [
      'nodeIntegration on',
      ['nodeIntegration: false', 'nodeIntegration: true'],
      'WEB_PREFERENCES_INSECURE',
    ],
    ['no sandbox', ['sandbox: true, ', ''], 'WEB_PREFERENCES_MISSING'],
    [
      'contextIsolation off',
      ['contextIsolation: true', 'contextIsolation: false'],
      'WEB_PREFERENCES_INSECURE',
    ],
    [
      'webSecurity computed',
      ['webSecurity: true', 'webSecurity: !process.env.X'],
      'WEB_PREFERENCES_INSECURE',
    ],
    [
      'webviewTag on',
      ['webSecurity: true', 'webSecurity: true, webviewTag: true'],
      'WEB_PREFERENCES_INSECURE',
    ],
    [
      'blink features',
      ['webSecurity: true', "webSecurity: true, enableBlinkFeatures: 'X'"],
      'WEB_PREFERENCES_FORBIDDEN',
    ],
    [
      'options not checkable',
      ['new BrowserWindow(options())', 'new BrowserWindow(makeOptions())'],
      'WINDOW_OPTIONS_UNCHECKED',
    ],
    [
      'popups allowed',
      [
        "window.webContents.setWindowOpenHandler(() => ({ action: 'deny' }))",
        "window.webContents.setWindowOpenHandler(() => ({ action: 'allow' }))",
      ],
      'WINDOW_OPEN_ALLOWED',
    ],
    ['no permission handler', ['callback(false)', 'callback(true)'], 'PERMISSION_HANDLER'],
    [
      'free navigation',
      ["window.webContents.on('will-navigate', (event) => event.preventDefault());", ''],
      'NAVIGATION',
    ],
    ['no CSP', ["'Content-Security-Policy'", "'X-Other'"], 'CSP'],
    [
      'insecure switch',
      [
        'function create() {',
        "app.commandLine.appendSwitch('ignore-certificate-errors');\nfunction create() {",
      ],
      'DANGEROUS_SWITCH',
    ],
    [
      'computed openExternal',
      ['function create() {', 'shell.openExternal(url);\nfunction create() {'],
      'OPEN_EXTERNAL',
    ],
  ] as const)('reports %s', async (name, [from, to], rule) => {
    expect(secureMain).toContain(from);
    const rules = await findingsFor(name.replace(/\W+/g, '-'), secureMain.replace(from, to));
    expect(rules).toContain(rule);
  });
});
