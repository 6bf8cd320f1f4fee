import { describe, expect, it } from 'vitest';
import type { JobRecord } from '../../main/core/transfer/records';
import type { TaskProgress } from '../../main/core/engine/progress';
import { appMenuTemplate } from '../../main/electron/app-menu';
import { jobNotice } from '../../main/core/api/job-notice';
import { overallProgress, RunningTasks } from '../../main/electron/job-signals';
import { uiContentSecurityPolicy } from '../../main/core/http/ui-csp';
import { mainWindowOptions } from '../../main/electron/window-options';

describe('main window options', () => {
  const options = mainWindowOptions('/app/out/preload/index.js');
  const prefs = options.webPreferences ?? {};

  it('keeps Node and the OS out of the page', () => {
    expect(prefs).toMatchObject({
      preload: '/app/out/preload/index.js',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      navigateOnDragDrop: false,
    });
    expect(options.show).toBe(false); // shown when ready: no white flash
  });

  it('has a strict CSP: scripts from the app only, no inline script, no framing', () => {
    expect(uiContentSecurityPolicy).toContain("default-src 'none'");
    expect(uiContentSecurityPolicy).toMatch(/script-src 'self'(;|$)/);
    expect(uiContentSecurityPolicy).toContain("frame-ancestors 'none'");
    expect(uiContentSecurityPolicy).not.toMatch(/script-src[^;]*(unsafe|\*)/);
  });
});

describe('application menu', () => {
  const roles = (template: ReturnType<typeof appMenuTemplate>) =>
    template
      .flatMap((menu) => (Array.isArray(menu.submenu) ? menu.submenu : []))
      .map((item) => item.role);

  it('has the usual roles (and so their shortcuts) on every platform', () => {
    for (const isMac of [true, false]) {
      const template = appMenuTemplate({ isMac, appName: 'Outbox', isDev: false });
      expect(roles(template)).toEqual(
        expect.arrayContaining([
          'undo',
          'redo',
          'cut',
          'copy',
          'paste',
          'selectAll',
          'reload',
          'togglefullscreen',
          'minimize',
        ]),
      );
      expect(roles(template)).toContain(isMac ? 'hide' : 'quit');
      expect(roles(template)).not.toContain('toggleDevTools');
    }
    expect(appMenuTemplate({ isMac: true, appName: 'Outbox', isDev: false })[0]?.label).toBe(
      'Outbox',
    );
    expect(roles(appMenuTemplate({ isMac: false, appName: 'Outbox', isDev: true }))).toContain(
      'toggleDevTools',
    );
  });
});

function progress(
  job: string,
  task: string,
  bytes: number,
  total: number,
  done = false,
): TaskProgress {
  return {
    job_id: job,
    task,
    bytes,
    total,
    rate: 0,
    eta_seconds: null,
    files_done: 0,
    files_total: 1,
    done,
  };
}

describe('taskbar progress', () => {
  it('is the byte fraction of everything running, or -1 (no bar) when nothing runs', () => {
    expect(overallProgress([])).toBe(-1);
    expect(
      overallProgress([progress('a', 'export', 25, 100), progress('b', 'export', 75, 100)]),
    ).toBe(0.5);
    expect(overallProgress([progress('a', 'export', 0, 0)])).toBe(0);
    const running = new RunningTasks();
    running.update(progress('a', 'export', 50, 100));
    expect(running.fraction()).toBe(0.5);
    running.update(progress('a', 'export', 100, 100, true));
    expect(running.fraction()).toBe(-1);
    running.update(progress('b', 'export', 10, 100));
    running.forgetJob('b');
    expect(running.fraction()).toBe(-1);
  });
});

describe('job notifications', () => {
  const job = (
    status: JobRecord['tasks'][number]['status'],
    ended: boolean,
    task: Partial<JobRecord['tasks'][number]> = {},
  ): JobRecord => ({
    id: 'j',
    status,
    created_at: '2026-01-01T00:00:00Z',
    expires_at: '2026-01-02T00:00:00Z',
    ...(ended ? { ended_at: '2026-01-01T00:01:00Z' } : {}),
    owner: { pid: 1, boot: 'b' },
    tasks: [
      {
        id: 'task-1',
        name: 'import-files',
        operation: 'import/file',
        status: 'finished',
        input: [],
        params: {},
        created_at: '',
      },
      {
        id: 'task-2',
        name: 'export',
        operation: 'export/s3',
        status,
        input: ['import-files'],
        params: {},
        created_at: '',
        result: {
          files: [
            { filename: 'a', size: 1 },
            { filename: 'b', size: 2 },
          ],
        },
        ...task,
      },
    ],
  });

  it('says nothing while a job runs', () => {
    expect(jobNotice(job('processing', false))).toBeUndefined();
    expect(jobNotice(job('finished', false))).toBeUndefined();
  });

  it('says what happened when it ends', () => {
    expect(jobNotice(job('finished', true))).toEqual({
      title: 'Export finished',
      body: '2 files delivered.',
      failed: false,
    });
    expect(
      jobNotice(job('error', true, { code: 'ACCESS_DENIED', message: 'bucket x: access denied' })),
    ).toEqual({
      title: 'Export failed',
      body: 'bucket x: access denied',
      failed: true,
    });
    expect(jobNotice(job('error', true, { code: 'CANCELLED', message: 'Cancelled.' }))?.title).toBe(
      'Export cancelled',
    );
  });
});
