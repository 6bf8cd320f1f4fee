import { beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../main/core/engine/engine';
import type { ProfileService } from '../../main/core/profiles/profile-service';
import { assertBuilt, outbox } from '../support/cli';
import { exportFiles, exportTaskOf } from '../support/engine';
import { download } from '../support/share-link-checks';
import {
  profileName,
  profileTasks,
  sharedFile,
  suffix,
  useShareLater,
} from '../support/share-later';

/**
 * "Create share link" after the fact: what it refuses, saying why, and
 * `outbox jobs share` (the CLI), on the fixture of test/support/share-later.ts
 * (saved profiles, an exporting engine and a later one on the same data
 * directory). The links themselves, per cloud, are in share-after-export.test.ts.
 */

const fixture = useShareLater();
let home: string;
let profiles: ProfileService;
let exporting: Engine;
let later: Engine;
let source: string;
let sourceSha256: string;
const exported = fixture.exported;
beforeAll(() => {
  ({ home, profiles, exporting, later, source, sourceSha256 } = fixture);
});

describe('createShareLink refuses what it cannot do, saying why', () => {
  const inline = () => ({ ...profileTasks.s3 });

  it('a job without a profile can be shared in the session that ran it, not after', async () => {
    const record = await exported(inline());
    // The engine that ran it still holds its original (with the credentials).
    const file = sharedFile(await exporting.createShareLink(record.id, 'export', 0, 600));
    expect(await download(String(file.url))).toEqual({ status: 200, sha256: sourceSha256 });
    // Another engine (Outbox restarted) has only the record, which holds no secret.
    await expect(later.createShareLink(record.id, 'export')).rejects.toMatchObject({
      code: 'INVALID_DATA',
      message: expect.stringMatching(
        /credentials of task "export" are not kept .*export with a saved profile.*share_link parameter/,
      ),
    });
  });

  it('a profile deleted since the export is named', async () => {
    const name = profileName('s3 gone');
    await profiles.add(name, profileTasks.s3);
    const record = await exported({ profile: name });
    await profiles.remove(name);
    await expect(later.createShareLink(record.id, 'export')).rejects.toMatchObject({
      code: 'PROFILE_NOT_FOUND',
      message: expect.stringContaining(`The profile "${name}" that task "export" used`),
    });
  });

  it('only finished cloud exports, existing jobs, tasks and files; expiry up to 7 days', async () => {
    const record = await exported({ profile: profileName('s3') });
    await expect(later.createShareLink('no-such-job', 'export')).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    await expect(later.createShareLink(record.id, 'nope')).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: expect.stringContaining('no task "nope"'),
    });
    await expect(later.createShareLink(record.id, 'import-files')).rejects.toMatchObject({
      code: 'INVALID_DATA',
      message: expect.stringMatching(/import\/file: share links are made for export\/s3, /),
    });
    await expect(later.createShareLink(record.id, 'export', 1)).rejects.toMatchObject({
      code: 'INVALID_DATA',
      fields: { file: ['task "export" delivered 1 file: give 0 to 0'] },
    });
    await expect(
      later.createShareLink(record.id, 'export', 0, 7 * 86400 + 1),
    ).rejects.toMatchObject({
      fields: { expires_in: ['must be a whole number of seconds from 1 to 604800 (7 days)'] },
    });
    await expect(later.createShareLink(record.id, 'export', 0, 0)).rejects.toMatchObject({
      fields: { expires_in: ['must be a whole number of seconds from 1 to 604800 (7 days)'] },
    });

    const links = await exported({ operation: 'export/url' });
    await expect(later.createShareLink(links.id, 'export')).rejects.toMatchObject({
      code: 'INVALID_DATA',
      message: expect.stringContaining('Task "export" is export/url'),
    });

    const failed = await exportFiles(exporting, { ...inline(), bucket: `missing-${suffix}` }, [
      source,
    ]);
    expect(exportTaskOf(failed).status).toBe('error');
    await expect(exporting.createShareLink(failed.id, 'export')).rejects.toMatchObject({
      code: 'INVALID_DATA',
      message: 'Task "export" is error: share links are made for finished exports only.',
    });
  });
});

/** The lines of stderr that Outbox itself printed (not a runtime's warnings). */
function outboxErrors(stderr: string): string[] {
  return stderr.split('\n').filter((line) => line.startsWith('outbox'));
}

describe('outbox jobs share (the CLI)', () => {
  it('prints a working link for a job exported with --profile, and errors in one line', async () => {
    assertBuilt();
    const env = { OUTBOX_HOME: home };
    const exportedByCli = await outbox(
      ['export', '--profile', profileName('s3'), source, '--json'],
      env,
    );
    expect(outboxErrors(exportedByCli.stderr)).toEqual([]);
    expect(exportedByCli.code).toBe(0);
    const jobs = JSON.parse((await outbox(['jobs', '--json'], env)).stdout) as {
      id: string;
      tasks: { name: string; status: string }[];
    }[];
    const id = jobs[0]?.id ?? '';
    expect(jobs[0]?.tasks.map((t) => [t.name, t.status])).toEqual([
      ['import-files', 'finished'],
      ['export', 'finished'],
    ]);
    expect((await outbox(['jobs'], env)).stdout).toContain(`${id}  finished   `);

    const shared = await outbox(
      ['jobs', 'share', id, 'export', '--expires-in', '3600', '--json'],
      env,
    );
    expect(outboxErrors(shared.stderr)).toEqual([]);
    expect(shared.code).toBe(0);
    const { files } = JSON.parse(shared.stdout) as {
      files: { index: number; filename: string; size: number; url: string; expires_at: string }[];
    };
    expect(files).toEqual([
      {
        index: 0,
        filename: 'quarterly report.bin',
        size: 300_000,
        url: expect.stringContaining('X-Amz-Expires=3600'),
        expires_at: expect.any(String),
      },
    ]);
    expect(await download(files[0]?.url ?? '')).toEqual({ status: 200, sha256: sourceSha256 });
    // The record has it too: `outbox jobs --json` shows the signed URL.
    expect((await outbox(['jobs', '--json'], env)).stdout).toContain(files[0]?.url);

    const human = await outbox(['jobs', 'share', id, 'export', '--file', '0'], env);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(
      /^0 {2}quarterly report\.bin \(300 KB\) {2}expires \S+Z\n {4}http:\/\/127\.0\.0\.1:7480\/\S+X-Amz-Expires=86400/,
    );

    for (const [args, code, message] of [
      [['--file', '3'], 1, /file: task "export" delivered 1 file/],
      [
        ['--expires-in', '604801'],
        1,
        /expires_in: must be a whole number of seconds from 1 to 604800/,
      ],
      [['--expires-in', 'soon'], 2, /--expires-in takes a whole number/],
      [['--file', '-1'], 2, /--file/],
    ] as const) {
      const result = await outbox(['jobs', 'share', id, 'export', ...args], env);
      expect(result.code, args.join(' ')).toBe(code);
      expect(outboxErrors(result.stderr)).toEqual([expect.stringMatching(message)]);
    }
    const missing = await outbox(['jobs', 'share', id], env);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/give a JOB_ID and a TASK name/);
    const help = await outbox(['jobs', '--help'], env);
    expect(help.stdout).toMatch(
      /outbox jobs share JOB_ID TASK \[--file N\] \[--expires-in SECONDS\]/,
    );
  });
});
