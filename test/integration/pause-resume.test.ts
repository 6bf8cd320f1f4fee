import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CreateBucketCommand, GetObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../main/core/engine/engine';
import { ProfileService } from '../../main/core/profiles/profile-service';
import type { JobRecord } from '../../main/core/transfer/records';
import { assertBuilt, outbox, until } from '../support/cli';
import { exportTaskOf, makeFile, sha256, sha256File, tempDir, testConfig } from '../support/engine';
import {
  MiB,
  emptyBucket,
  openUploads,
  rgwClient,
  storedParts,
  temporaryBytes,
} from '../support/mid-upload';
import { RGW, SFTP, assertServerUp, s3TaskOf } from '../support/servers';

/**
 * Pause and resume of a 200 MiB upload against the real servers (OpenSSH
 * sshd, Ceph RGW multipart). Paused mid-way (once a third has been sent), the
 * job's record says `paused`, the server keeps the partial upload (the SFTP
 * temporary file, the multipart upload and its parts), and no connection of
 * this process to the server stays open (`ss`). The engine is then closed
 * and opened again (as after a restart: the job is still paused, and an
 * engine that resumes interrupted jobs leaves it alone), the job resumed (in
 * this process, and by `outbox jobs resume` in a new one), and the stored
 * file is byte-identical, verified, and says how many bytes were kept.
 */

const SIZE = 200 * MiB;
const suffix = randomBytes(4).toString('hex');
const run = promisify(execFile);

let dir: string;
let source: string;
let sourceSha256: string;

beforeAll(async () => {
  assertBuilt();
  dir = await tempDir('outbox-pause-');
  source = await makeFile(dir, 'big.bin', SIZE);
  sourceSha256 = await sha256File(source);
});

afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

/** Established TCP connections of this process (the engine's workers are threads of it) to `port`. */
async function connectionsTo(port: number): Promise<number> {
  const { stdout } = await run('ss', ['-tnpH', 'state', 'established', `( dport = :${port} )`]);
  return stdout.split('\n').filter((line) => line.includes(`pid=${process.pid},`)).length;
}

/** A data directory with the destination saved as profile "dest" (secrets in the keychain). */
async function homeWithProfile(task: Record<string, unknown>) {
  const home = await tempDir('outbox-pause-home-');
  const profiles = new ProfileService(home);
  await profiles.add('dest', task);
  const open = (resumeInterrupted = false) =>
    Engine.open(testConfig(home), { resolveProfile: profiles.resolver, resumeInterrupted });
  return { home, profiles, open };
}

/** Exports the source with profile "dest" and pauses it once a third of it was sent. */
async function exportAndPauseMidway(engine: Engine, operation: string): Promise<JobRecord> {
  let pausing: Promise<JobRecord> | undefined;
  let jobId = '';
  const stop = engine.on('progress', (p) => {
    if (p.job_id === jobId && p.bytes >= SIZE / 3 && !pausing) pausing = engine.pause(jobId);
  });
  const job = await engine.submit({
    tasks: {
      files: { operation: 'import/file', path: [source] },
      export: { operation, profile: 'dest', input: 'files' },
    },
  });
  jobId = job.id;
  await until(() => pausing !== undefined, 60_000);
  stop();
  return (await pausing) as JobRecord;
}

function expectPaused(record: JobRecord): void {
  expect(record.status).toBe('paused');
  expect(record.paused_at).toBeTypeOf('string');
  expect(record.ended_at).toBeUndefined();
  expect(exportTaskOf(record).status).toBe('waiting');
}

async function partialRecords(home: string): Promise<string[]> {
  return (await fs.readdir(join(home, 'partials')).catch(() => [] as string[])).filter((n) =>
    n.endsWith('.json'),
  );
}

describe('SFTP (OpenSSH): pause keeps the temporary file and closes the connection', () => {
  const folder = `pause-${suffix}`;
  afterAll(async () => {
    await fs.rm(join(SFTP.home, folder), { recursive: true, force: true });
  });

  it('pauses mid-way, stays paused after a restart, and `outbox jobs resume` finishes it', async () => {
    await assertServerUp('sftp');
    const { home, open } = await homeWithProfile({
      operation: 'export/sftp',
      host: SFTP.host,
      port: SFTP.port,
      username: SFTP.username,
      password: SFTP.password,
      file: `${folder}/big.bin`,
    });
    const engine = await open();
    const paused = await exportAndPauseMidway(engine, 'export/sftp');
    expectPaused(paused);
    // The server keeps what was written; nothing is in place yet.
    const kept = await temporaryBytes(folder);
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(SIZE);
    expect(await fs.readdir(join(SFTP.home, folder))).not.toContain('big.bin');
    expect(await partialRecords(home)).toHaveLength(1);
    // Its connection is released (the session closes once its transfers have stopped).
    await until(async () => (await connectionsTo(SFTP.port)) === 0, 10_000);
    await engine.close();

    // A restart: still paused, and not resumed by an engine that resumes interrupted jobs.
    const again = await open(true);
    expectPaused((await again.get(paused.id)) as JobRecord);
    await again.close();

    // Resumed by a new process.
    const resumed = await outbox(['jobs', 'resume', paused.id, '--json'], { OUTBOX_HOME: home });
    expect(resumed.stderr).toBe('');
    expect(resumed.code).toBe(0);
    const summary = JSON.parse(resumed.stdout) as JobRecord;
    expect(summary.status).toBe('finished');
    const [file] = exportTaskOf(summary).result?.files ?? [];
    expect(file).toMatchObject({ size: SIZE, verified: true, verified_by: 'size' });
    expect(file?.resumed_bytes).toBeGreaterThanOrEqual(kept - MiB);
    expect(await sha256File(join(SFTP.home, folder, 'big.bin'))).toBe(sourceSha256);
    expect(await fs.readdir(join(SFTP.home, folder))).toEqual(['big.bin']);
    expect(await partialRecords(home)).toEqual([]);
  });
});

describe('S3 (Ceph RGW): pause keeps the multipart upload and its parts', () => {
  const bucket = `outbox-pause-${suffix}`;
  const key = 'pause/big.bin';
  const s3 = rgwClient();
  afterAll(async () => {
    s3.destroy();
    // RGW keeps its data in memory: 200 MiB left per run fills it within a day of runs
    const cleanup = rgwClient();
    await emptyBucket(cleanup, bucket).catch(() => {});
    cleanup.destroy();
  });

  it('pauses mid-way, stays paused after a restart, resumes from the stored parts', async () => {
    await assertServerUp('rgw');
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    s3.destroy(); // its keep-alive sockets must not count as the engine's
    const { home, open } = await homeWithProfile({ ...s3TaskOf(RGW), bucket, key });
    const engine = await open();
    const paused = await exportAndPauseMidway(engine, 'export/s3');
    expectPaused(paused);
    await until(async () => (await connectionsTo(RGW.port)) === 0, 10_000);
    const check = rgwClient();
    const parts = await storedParts(check, bucket, key);
    expect(parts).toBeGreaterThan(0);
    expect(await openUploads(check, bucket, key)).toHaveLength(1);
    expect(await partialRecords(home)).toHaveLength(1);
    await engine.close();

    const again = await open(true);
    expectPaused((await again.get(paused.id)) as JobRecord);
    await again.resume(paused.id);
    const done = await again.wait(paused.id);
    await again.close();
    expect(done.status).toBe('finished');
    const [file] = exportTaskOf(done).result?.files ?? [];
    expect(file).toMatchObject({ size: SIZE, verified: true });
    expect(file?.resumed_bytes).toBeGreaterThan(0);
    const object = await check.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const body = await (
      object.Body as { transformToByteArray(): Promise<Uint8Array> }
    ).transformToByteArray();
    expect(sha256(body)).toBe(sourceSha256);
    expect(await openUploads(check, bucket, key)).toEqual([]);
    expect(await partialRecords(home)).toEqual([]);
    check.destroy();
  });
});
