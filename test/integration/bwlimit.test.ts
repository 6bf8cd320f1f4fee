import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { dispatch } from '../../main/core/api/api-dispatch';
import { createCoreApi } from '../../main/core/api/core-api';
import { hostContext } from '../../main/core/api/host-context';
import type { Engine } from '../../main/core/engine/engine';
import { ProfileService } from '../../main/core/profiles/profile-service';
import type { TaskProgress } from '../../main/core/engine/progress';
import { saveBandwidthLimit } from '../../main/core/transfer/bwlimit-settings';
import { GLOBAL_SLOT, rateOf } from '../../main/core/transfer/byte-buckets';
import {
  exportFiles,
  exportTaskOf,
  makeFile,
  openTestEngine,
  sha256File,
  tempDir,
} from '../support/engine';
import { MemorySecrets } from '../support/memory-secrets';
import { SFTP, assertServerUp, sftpPasswordTask } from '../support/servers';
import { fetchedSha256 } from '../support/sftp-cli';

/**
 * Bandwidth limits against a real OpenSSH sshd on loopback, which takes far
 * more than the limits used here (4 MiB/s) even on a busy machine: what is
 * measured is the limiter, not the machine. The rate is the task's progress
 * (bytes the server acknowledged) between its first and last report, over
 * ~20 s, and must be within ±10% of the limit.
 */

const MiB = 1024 * 1024;
const LIMIT = 4 * MiB;
const root = `outbox-bwlimit-${randomBytes(4).toString('hex')}`;
const sftpTask = sftpPasswordTask;

type Sample = { at: number; bytes: number };

/** Progress samples of the export task while `body` runs. */
async function sampled<T>(engine: Engine, body: () => Promise<T>): Promise<[T, Sample[]]> {
  const samples: Sample[] = [];
  const stop = engine.on('progress', (progress: TaskProgress) => {
    if (progress.task === 'export') samples.push({ at: performance.now(), bytes: progress.bytes });
  });
  try {
    return [await body(), samples];
  } finally {
    stop();
  }
}

/** Bytes per second between two moments (ms), from the samples nearest them. */
function rateBetween(samples: Sample[], from: number, to: number): number {
  const first = samples.find((s) => s.at >= from) ?? samples[0];
  const last = [...samples].reverse().find((s) => s.at <= to) ?? samples[samples.length - 1];
  if (!first || !last || last.at <= first.at) throw new Error('too few progress samples');
  return ((last.bytes - first.bytes) * 1000) / (last.at - first.at);
}

/** The rate from the first byte reported to the last. */
function overallRate(samples: Sample[]): number {
  const moving = samples.filter((s) => s.bytes > 0);
  return rateBetween(moving, moving[0]?.at ?? 0, moving[moving.length - 1]?.at ?? 0);
}

describe('bandwidth limits (OpenSSH sshd)', () => {
  let engine: Engine;
  let home: string;
  let close: () => Promise<void>;
  let dir: string;

  beforeAll(async () => {
    await assertServerUp('sftp');
    ({ engine, home, close } = await openTestEngine({
      resolveProfile: async (name) => {
        if (name !== 'slow-sftp') throw new Error(`no profile ${name}`);
        return sftpTask;
      },
    }));
    dir = await tempDir();
  });

  afterAll(async () => {
    await close?.();
    await fs.rm(join(SFTP.home, root), { recursive: true, force: true });
  });

  /** Sets a limit as `outbox settings bwlimit` does, and waits until the engine applies it. */
  async function limit(text: string, profile?: string): Promise<void> {
    await saveBandwidthLimit(home, text, profile);
    if (profile === undefined) {
      const rate = text === 'off' ? 0 : LIMIT;
      await vi.waitFor(() => expect(rateOf(engine.bandwidth.buckets, GLOBAL_SLOT)).toBe(rate), {
        timeout: 5000,
      });
    }
  }

  it('one large file goes at the global limit (±10% over ~20 s), and is still verified', async () => {
    await limit('4M');
    const path = await makeFile(dir, 'large.bin', 80 * MiB);
    const [record, samples] = await sampled(engine, () =>
      exportFiles(engine, { ...sftpTask, file: `${root}/large.bin` }, [path]),
    );
    const task = exportTaskOf(record);
    expect(task.status, task.message).toBe('finished');
    const rate = overallRate(samples);
    expect(rate).toBeGreaterThan(LIMIT * 0.9);
    expect(rate).toBeLessThan(LIMIT * 1.1);
    // The limiter paces reads; checksums, verification and change detection stay.
    expect(task.result?.files[0]).toMatchObject({
      checksum: { algorithm: 'sha256', value: await sha256File(path) },
      verified: true,
    });
    expect(await fetchedSha256(`${root}/large.bin`)).toBe(await sha256File(path));
    await limit('off');
  });

  it('many small files to a destination with its own limit go at that limit (±10% over ~20 s)', async () => {
    const drop = await tempDir();
    const paths = await Promise.all(
      Array.from({ length: 400 }, (_, i) => makeFile(drop, `small-${i}.bin`, 200 * 1024 + i)),
    );
    const total = paths.reduce((sum, _, i) => sum + 200 * 1024 + i, 0);
    await limit('4M', 'slow-sftp');
    const [record, samples] = await sampled(engine, () =>
      exportFiles(engine, { profile: 'slow-sftp', path: `${root}/small/` }, paths),
    );
    const task = exportTaskOf(record);
    expect(task.status, task.message).toBe('finished');
    expect(task.result?.files).toHaveLength(400);
    expect(task.result?.files.every((file) => file.verified)).toBe(true);
    expect(samples[samples.length - 1]?.bytes).toBe(total);
    const rate = overallRate(samples);
    expect(rate).toBeGreaterThan(LIMIT * 0.9);
    expect(rate).toBeLessThan(LIMIT * 1.1);
    await limit('off', 'slow-sftp');
  });

  it('a changed limit applies to a running transfer within a second', async () => {
    await saveBandwidthLimit(home, '1M');
    await vi.waitFor(() => expect(rateOf(engine.bandwidth.buckets, GLOBAL_SLOT)).toBe(MiB), {
      timeout: 5000,
    });
    const path = await makeFile(dir, 'changed.bin', 32 * MiB);
    let changedAt = 0;
    const [record, samples] = await sampled(engine, async () => {
      const job = exportFiles(engine, { ...sftpTask, file: `${root}/changed.bin` }, [path]);
      await new Promise((resolve) => setTimeout(resolve, 4000));
      changedAt = performance.now();
      await saveBandwidthLimit(home, '8M'); // as another process would: only settings.json changes
      return job;
    });
    expect(exportTaskOf(record).status).toBe('finished');
    const before = rateBetween(samples, changedAt - 3000, changedAt);
    const after = rateBetween(samples, changedAt + 1000, changedAt + 2500);
    expect(before).toBeGreaterThan(MiB * 0.75);
    expect(before).toBeLessThan(MiB * 1.25);
    expect(after).toBeGreaterThan(5 * MiB);
    await saveBandwidthLimit(home, 'off');
  });

  it('the app sets limits through the API: a wrong one refused naming the entry, a right one applied', async () => {
    const profiles = new ProfileService(home, new MemorySecrets());
    const api = createCoreApi(hostContext(engine, profiles), undefined, {
      host: 'browser',
      version: 'test',
      allowPaths: false,
    });
    expect(await dispatch(api, 'setBandwidthLimit', ['08:00,1M 25:00,off'])).toMatchObject({
      ok: false,
      error: {
        code: 'INVALID_DATA',
        message: 'bandwidth_limit.global: "25:00,off": 25:00 is not a time of day',
      },
    });
    expect(await dispatch(api, 'setBandwidthLimit', ['4M'])).toMatchObject({
      ok: true,
      value: { bandwidth_limit: { global: '4M' }, bandwidth_now: { global: LIMIT } },
    });
    await vi.waitFor(() => expect(rateOf(engine.bandwidth.buckets, GLOBAL_SLOT)).toBe(LIMIT), {
      timeout: 5000,
    });
    expect(await dispatch(api, 'setBandwidthLimit', ['512K', 'slow-sftp'])).toMatchObject({
      ok: true,
      value: { bandwidth_limit: { profiles: { 'slow-sftp': '512K' } } },
    });
    await dispatch(api, 'setBandwidthLimit', ['off']);
    await dispatch(api, 'setBandwidthLimit', ['off', 'slow-sftp']);
  });
});
