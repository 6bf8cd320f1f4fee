import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { describeOpened, openedFromArgv } from '../../main/electron/opened-files';
import { Relay } from '../../main/electron/relay';
import { controlAllFromTray, trayMenuTemplate } from '../../main/electron/tray-menu';

/**
 * The desktop side of the Electron shell, at its boundary with Electron:
 * what a launch's command line and macOS's open-file hand over, how files
 * wait for the window, and the tray menu. Electron itself is not loaded.
 */

const dir = mkdtempSync(join(tmpdir(), 'outbox-opened-'));
writeFileSync(join(dir, 'report.pdf'), 'x'.repeat(1234));
mkdirSync(join(dir, 'album'));
writeFileSync(join(dir, '-dash.txt'), 'dash');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('files opened with Outbox', () => {
  it('a packaged launch: the paths after the executable, relative to its folder, without switches', () => {
    const argv = [
      '/opt/Outbox/outbox',
      '--no-sandbox',
      'report.pdf',
      join(dir, 'album'),
      'gone.txt',
    ];
    expect(openedFromArgv(argv, dir, false)).toEqual([
      { path: join(dir, 'report.pdf'), name: 'report.pdf', size: 1234, folder: false },
      { path: join(dir, 'album'), name: 'album', size: 0, folder: true },
    ]);
  });

  it('`electron .` while developing: the app folder is not a file to send', () => {
    expect(openedFromArgv(['/usr/bin/electron', dir, 'report.pdf'], dir, true)).toEqual([
      { path: join(dir, 'report.pdf'), name: 'report.pdf', size: 1234, folder: false },
    ]);
    // A launch without files hands nothing over.
    expect(openedFromArgv(['/usr/bin/electron', '.'], dir, true)).toEqual([]);
    expect(openedFromArgv(['/opt/Outbox/outbox'], dir, false)).toEqual([]);
  });

  it('a second launch: Chromium switches are skipped, a file named like one is given by path', () => {
    const argv = [
      '/opt/Outbox/outbox',
      '--allow-file-access-from-files',
      '--original-process-start-time=1',
      join(dir, '-dash.txt'),
    ];
    expect(openedFromArgv(argv, '/', false).map((f) => f.name)).toEqual(['-dash.txt']);
  });

  it('open-file (macOS): missing paths and duplicates are dropped', () => {
    const path = join(dir, 'report.pdf');
    expect(describeOpened([path, path, join(dir, 'nope')], '/')).toHaveLength(1);
    expect(describeOpened(['/dev/null'], '/')).toEqual([]);
  });
});

describe('files wait for the window', () => {
  it('keeps what arrives before anyone listens, in order, then passes on at once', () => {
    const relay = new Relay<string>();
    relay.push('launch');
    relay.push('second launch');
    const got: string[] = [];
    const detach = relay.listen((item) => got.push(item));
    expect(got).toEqual(['launch', 'second launch']);
    relay.push('dock drop');
    expect(got).toEqual(['launch', 'second launch', 'dock drop']);

    // The window reloads or closes: files wait again for the next listener, none lost.
    detach();
    relay.push('while closed');
    const again: string[] = [];
    relay.listen((item) => again.push(item));
    expect(again).toEqual(['while closed']);
    expect(got).toHaveLength(3);
  });

  it('an old detach does not remove a newer listener', () => {
    const relay = new Relay<number>();
    const first = relay.listen(() => undefined);
    const second = vi.fn();
    relay.listen(second);
    first();
    relay.push(1);
    expect(second).toHaveBeenCalledWith(1);
  });
});

describe('tray menu', () => {
  it('opens the window, pauses and resumes all, and quits', () => {
    const actions = { open: vi.fn(), pauseAll: vi.fn(), resumeAll: vi.fn(), quit: vi.fn() };
    const template = trayMenuTemplate(actions);
    expect(template.map((item) => item.label ?? item.type)).toEqual([
      'Open Outbox',
      'separator',
      'Pause all',
      'Resume all',
      'separator',
      'Quit Outbox',
    ]);
    const click = (label: string) =>
      (template.find((item) => item.label === label)?.click as () => void)();
    click('Open Outbox');
    expect(actions.open).toHaveBeenCalledTimes(1);
    click('Pause all');
    expect(actions.pauseAll).toHaveBeenCalledTimes(1);
    expect(actions.resumeAll).not.toHaveBeenCalled();
    click('Resume all');
    expect(actions.resumeAll).toHaveBeenCalledTimes(1);
    click('Quit Outbox');
    expect(actions.quit).toHaveBeenCalledTimes(1);
  });

  it('pauses or resumes every job through the API and says what could not be done', async () => {
    const job = { id: 'j1' } as never;
    const api = {
      pauseAll: vi.fn(async () => ({ jobs: [job], failed: [] })),
      resumeAll: vi.fn(async () => ({
        jobs: [],
        failed: [{ id: 'j2', message: 'job j2 cannot be resumed: a profile was deleted' }],
      })),
    };
    const notify = vi.fn();
    await controlAllFromTray(api, 'pause', notify);
    expect(api.pauseAll).toHaveBeenCalledTimes(1);
    expect(notify).not.toHaveBeenCalled();
    await controlAllFromTray(api, 'resume', notify);
    expect(api.resumeAll).toHaveBeenCalledTimes(1);
    expect(notify).toHaveBeenCalledWith(
      'Could not resume every job',
      'job j2 cannot be resumed: a profile was deleted',
    );
    api.pauseAll.mockRejectedValueOnce(new Error('the engine is closed'));
    await controlAllFromTray(api, 'pause', notify);
    expect(notify).toHaveBeenLastCalledWith('Could not pause every job', 'the engine is closed');
  });
});
