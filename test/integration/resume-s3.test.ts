import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { CreateBucketCommand, GetObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../support/cli';
import { makeFile, sha256, sha256File, tempDir } from '../support/engine';
import type { FaultProxy } from '../support/fault-proxy';
import { freePort } from '../support/net';
import { RGW, assertServerUp, s3TaskOf } from '../support/servers';
import {
  emptyBucket,
  expectContinued,
  FILE_SIZE,
  openUploads,
  PART,
  rgwClient,
  STALL_AT,
  storedParts,
  type ResumedFile,
} from '../support/mid-upload';
import { useResumeHarness } from '../support/resume-harness';

/**
 * kill -9 in the middle of a large S3 multipart upload (Ceph RGW), then
 * Outbox again (`outbox jobs resume`, `outbox serve`, or the same export once
 * more): the upload continues from the parts the server already holds. The
 * harness, and how the crash is made: test/support/resume-harness.ts.
 */

const harness = useResumeHarness();
const { suffix, proxies, homes, closers, cli, spawnCli, crashMidUpload, resume } = harness;

describe('S3 (Ceph RGW): multipart upload id and finished parts', () => {
  const bucket = `outbox-resume-${suffix}`;
  const s3 = rgwClient();
  let proxy: FaultProxy;

  beforeAll(async () => {
    await assertServerUp('rgw');
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    proxy = await proxies.to(RGW.port);
  });
  afterAll(() => emptyBucket(s3, bucket));

  const task = (key: string) => ({
    ...s3TaskOf(RGW),
    bucket,
    endpoint: proxy.url,
    key,
    part_size: PART,
    concurrency: 1,
  });
  const storedSha256 = async (key: string) => {
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return sha256(
      await (object.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
    );
  };

  it('outbox jobs resume continues the upload from the stored parts', async () => {
    const key = 'resume/jobs-resume.bin';
    const { home, id } = await crashMidUpload({
      task: task(key),
      proxy,
      serverHasParts: async () => (await storedParts(s3, bucket, key)) >= 2,
    });
    const { file, sent } = await resume(home, id, proxy);
    expectContinued(file, sent, 2 * PART);
    expect(await storedSha256(key)).toBe(harness.sourceSha256);
    expect(await openUploads(s3, bucket, key)).toEqual([]);
  });

  it('outbox serve resumes interrupted jobs by itself when it starts', async () => {
    const key = 'resume/serve.bin';
    const { home, id } = await crashMidUpload({
      task: task(key),
      proxy,
      serverHasParts: async () => (await storedParts(s3, bucket, key)) >= 2,
    });
    const before = proxy.bytesUp;
    const serve = spawnCli(['serve', '--port', String(await freePort())], {
      OUTBOX_HOME: home,
    });
    const exited = new Promise((resolve) => serve.on('exit', resolve));
    let output = '';
    serve.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    serve.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    try {
      const record = async () =>
        JSON.parse(await fs.readFile(join(home, 'jobs', `${id}.json`), 'utf8')) as {
          status: string;
          tasks: { name: string; result?: { files: ResumedFile[] } }[];
        };
      await until(async () => (await record()).status === 'finished', 60_000).catch(
        async (error: unknown) => {
          throw new Error(`${String(error)}: ${JSON.stringify(await record())}\n${output}`);
        },
      );
      const file = (await record()).tasks.find((t) => t.name === 'export')?.result
        ?.files[0] as ResumedFile;
      expectContinued(file, proxy.bytesUp - before, 2 * PART);
    } finally {
      serve.kill('SIGTERM');
      await exited;
    }
    expect(await storedSha256(key)).toBe(harness.sourceSha256);
    expect(await openUploads(s3, bucket, key)).toEqual([]);
  });

  it('a folder of small files: the files delivered before the crash are not sent again', async () => {
    // More files than go at once: every connection stalls in its second file, the rest wait.
    const count = 100;
    const each = 64 * 1024;
    const folder = join(harness.dir, 'many');
    for (let i = 0; i < count; i++) await makeFile(folder, `f${i}.bin`, each);
    const prefix = 'resume/many/';
    const deliveredLog = async (home: string) => {
      const logs = await fs.readdir(join(home, 'delivered')).catch(() => []);
      const text = logs[0] ? await fs.readFile(join(home, 'delivered', logs[0]), 'utf8') : '';
      return text.split('\n').filter(Boolean).length;
    };
    const { home, id } = await crashMidUpload(
      {
        task: { ...task('unused'), key: undefined, key_prefix: prefix },
        proxy,
        // the delivered log holds some files: they were written down before the kill
        serverHasParts: async (h) => (await deliveredLog(h)) >= 10,
      },
      folder,
      { stallAt: each * 1.5, partials: 0 },
    );
    const logged = await deliveredLog(home);
    const before = proxy.bytesUp;
    const resumed = await cli(['jobs', 'resume', id, '--json'], { OUTBOX_HOME: home });
    expect(resumed.code, resumed.stderr).toBe(0);
    const summary = JSON.parse(resumed.stdout) as {
      status: string;
      tasks: { operation: string; result?: { files: { key: string }[] } }[];
    };
    expect(summary.status).toBe('finished');
    const files = summary.tasks.find((t) => t.operation === 'export/s3')?.result?.files ?? [];
    expect(files.map((f) => f.key).sort()).toEqual(
      Array.from({ length: count }, (_, i) => `${prefix}many/f${i}.bin`).sort(),
    );
    // Only the files not in the log crossed the proxy again (each with ~1 KiB of headers).
    expect(proxy.bytesUp - before).toBeLessThan((count - logged) * (each + 2048));
    // The job ended: its log is gone.
    expect(await fs.readdir(join(home, 'delivered'))).toEqual([]);
  });

  it('a file changed after the crash: the old upload is aborted and the new bytes are stored', async () => {
    const key = 'resume/changed.bin';
    const changing = await makeFile(harness.dir, 'changing.bin', FILE_SIZE);
    const { home, id } = await crashMidUpload(
      {
        task: task(key),
        proxy,
        serverHasParts: async () => (await storedParts(s3, bucket, key)) >= 2,
      },
      changing,
    );
    const [interrupted] = await openUploads(s3, bucket, key);
    await fs.writeFile(changing, randomBytes(FILE_SIZE));
    const { file, sent } = await resume(home, id, proxy);
    expect(file.resumed_bytes).toBeUndefined();
    expect(sent).toBeGreaterThanOrEqual(FILE_SIZE);
    expect(await storedSha256(key)).toBe(await sha256File(changing));
    const left = await openUploads(s3, bucket, key);
    expect(left.map((u) => u.UploadId)).not.toContain(interrupted?.UploadId);
    expect(left).toEqual([]);
  });

  it('a job with credentials given inline cannot be resumed, and says what to do', async () => {
    const home = await tempDir('outbox-resume-inline-');
    homes.push(home);
    closers.push(() => fs.rm(home, { recursive: true, force: true }));
    // The user's own task file holds the key: outside the data directory.
    const taskFile = join(harness.dir, 'inline-task.json');
    await fs.writeFile(taskFile, JSON.stringify(task('resume/inline.bin')));
    proxy.setPolicy({ fault: { kind: 'stall', afterBytes: STALL_AT, ms: 600_000 } });
    const child = spawnCli(['export', '--task', taskFile, harness.source, '--json'], {
      OUTBOX_HOME: home,
    });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    await until(async () => (await storedParts(s3, bucket, 'resume/inline.bin')) >= 2, 60_000);
    child.kill('SIGKILL');
    await exited;
    proxy.setPolicy({ fault: { kind: 'none' } });
    const [job] = JSON.parse((await cli(['jobs', '--json'], { OUTBOX_HOME: home })).stdout) as {
      id: string;
    }[];
    const resumed = await cli(['jobs', 'resume', job?.id ?? ''], { OUTBOX_HOME: home });
    expect(resumed.code).toBe(1);
    expect(resumed.stderr).toMatch(
      /cannot be resumed: task export had credentials that are not kept/,
    );
    // Exporting the same file again to the same place continues the upload all the same.
    const before = proxy.bytesUp;
    const again = await cli(['export', '--task', taskFile, harness.source, '--json'], {
      OUTBOX_HOME: home,
    });
    expect(again.code, again.stderr).toBe(0);
    const result = (JSON.parse(again.stdout) as { tasks: { result?: { files: ResumedFile[] } }[] })
      .tasks[1]?.result?.files[0] as ResumedFile;
    expectContinued(result, proxy.bytesUp - before, 2 * PART);
    expect(await storedSha256('resume/inline.bin')).toBe(harness.sourceSha256);
    expect(await openUploads(s3, bucket, 'resume/inline.bin')).toEqual([]);
  });
});

harness.itLeavesNoSecrets({ homes: 5 });
