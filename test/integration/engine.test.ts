import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TaskProgress } from '../../main/core/engine/progress';
import { ValidationError } from '../../main/core/errors';
import {
  exportFiles,
  exportTaskOf,
  makeFile,
  openTestEngine,
  sha256File,
  tempDir,
} from '../support/engine';
import { startPutServer } from '../support/put-server';

// The engine's own behaviour (progress, cancel, retry, persistence, validation
// before anything moves), driven through export/upload against a local PUT
// receiver whose speed and failures the test controls.

let dir: string;
beforeAll(async () => {
  dir = await tempDir('outbox-engine-');
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('engine', () => {
  it('reports throttled progress with bytes, total, rate and time left', async () => {
    const server = await startPutServer({ bytesPerSecond: 4 * 1024 * 1024 });
    const { engine, close } = await openTestEngine();
    try {
      const file = await makeFile(dir, 'progress.bin', 16 * 1024 * 1024);
      const updates: TaskProgress[] = [];
      engine.on('progress', (p) => updates.push(p));
      const record = await exportFiles(
        engine,
        { operation: 'export/upload', url: `${server.url}/p` },
        [file],
      );
      expect(exportTaskOf(record).status).toBe('finished');
      const last = updates.at(-1)!;
      expect(last).toMatchObject({
        done: true,
        bytes: 16 * 1024 * 1024,
        total: 16 * 1024 * 1024,
        files_done: 1,
        files_total: 1,
      });
      const middle = updates.filter((u) => !u.done && u.bytes > 0 && u.bytes < u.total);
      expect(middle.length).toBeGreaterThan(2);
      expect(middle.some((u) => u.rate > 0 && u.eta_seconds !== null)).toBe(true);
      // Throttled: about 4 updates a second for a ~4 s transfer, not one per chunk.
      expect(updates.length).toBeLessThan(30);
      expect(server.received.get('/p')?.sha256).toBe(await sha256File(file));
    } finally {
      await close();
      await server.close();
    }
  });

  it('cancels promptly and stays usable', async () => {
    const server = await startPutServer({ bytesPerSecond: 1024 * 1024 });
    const { engine, close } = await openTestEngine();
    try {
      const file = await makeFile(dir, 'cancel.bin', 20 * 1024 * 1024);
      const job = await engine.submit({
        tasks: {
          in: { operation: 'import/file', path: [file] },
          out: { operation: 'export/upload', input: 'in', url: `${server.url}/c` },
        },
      });
      await new Promise<void>((resolve) => {
        const off = engine.on('progress', (p) => {
          if (p.bytes > 0) {
            off();
            resolve();
          }
        });
      });
      const started = Date.now();
      expect(engine.cancel(job.id)).toBe(true);
      const record = await engine.wait(job.id);
      expect(Date.now() - started).toBeLessThan(3000);
      expect(record.status).toBe('error');
      expect(
        exportTaskOf({
          ...record,
          tasks: record.tasks.map((t) => ({ ...t, name: t.name === 'out' ? 'export' : t.name })),
        }),
      ).toMatchObject({ status: 'error', code: 'CANCELLED' });
      expect(server.received.has('/c')).toBe(false);

      const small = await makeFile(dir, 'after.txt', 'still works');
      const again = await exportFiles(
        engine,
        { operation: 'export/upload', url: `${server.url}/after` },
        [small],
      );
      expect(again.status).toBe('finished');
    } finally {
      await close();
      await server.close();
    }
  });

  it('retries retryable failures with the body restarted', async () => {
    const server = await startPutServer({ failFirst: { count: 2, status: 503 } });
    const { engine, close } = await openTestEngine();
    try {
      const file = await makeFile(dir, 'retry.bin', 300_000);
      const record = await exportFiles(
        engine,
        { operation: 'export/upload', url: `${server.url}/r` },
        [file],
      );
      expect(exportTaskOf(record).status).toBe('finished');
      expect(server.requests).toBe(3);
      expect(server.received.get('/r')).toEqual({ bytes: 300_000, sha256: await sha256File(file) });
    } finally {
      await close();
      await server.close();
    }
  });

  it('a failing file fails its task with a clear message; the other files are delivered', async () => {
    const server = await startPutServer();
    const { engine, close } = await openTestEngine();
    try {
      const files = await Promise.all(
        ['a', 'b', 'c'].map((n) => makeFile(dir, `multi-${n}.txt`, n)),
      );
      const record = await exportFiles(
        engine,
        { operation: 'export/upload', url: `${server.url}/%d`.replace('/%d', '/slot-%d') },
        files,
      );
      expect(exportTaskOf(record).status).toBe('finished');
      expect(exportTaskOf(record).result?.files.map((f) => f.location)).toEqual(
        [1, 2, 3].map((n) => `${server.url}/slot-${n}`),
      );

      const failing = await exportFiles(
        engine,
        { operation: 'export/upload', url: `${server.url}/missing-%d` },
        files,
      );
      const task = exportTaskOf(failing);
      expect(failing.status).toBe('error');
      expect(task.code).toBe('NOT_FOUND');
      expect(task.message).toMatch(
        /^3 of 3 files failed\. PUT http:\/\/127\.0\.0\.1:\d+\/missing-\d: not found \(404\)/,
      );
      expect(task.message).toMatch(/Server said: No such upload slot/);
    } finally {
      await close();
      await server.close();
    }
  });

  it('keeps jobs on disk in CloudConvert’s shape, without secrets', async () => {
    const server = await startPutServer();
    const { engine, close, home } = await openTestEngine();
    try {
      const file = await makeFile(dir, 'stored.txt', 'stored');
      const record = await exportFiles(
        engine,
        {
          operation: 'export/upload',
          url: `${server.url}/s`,
          headers: { Authorization: 'Bearer SUPER-SECRET-TOKEN' },
        },
        [file],
      );
      const stored = JSON.parse(await fs.readFile(join(home, 'jobs', `${record.id}.json`), 'utf8'));
      expect(stored).toMatchObject({
        id: record.id,
        status: 'finished',
        tasks: [
          { name: 'import-files', status: 'finished' },
          {
            name: 'export',
            status: 'finished',
            // The stored object's name (the PUT URL's path), not the source's.
            result: { files: [{ filename: 's', size: 6 }] },
          },
        ],
      });
      expect(JSON.stringify(stored)).not.toContain('SUPER-SECRET-TOKEN');
      expect((await engine.list()).map((j) => j.id)).toContain(record.id);
      const mode = (await fs.stat(join(home, 'jobs', `${record.id}.json`))).mode & 0o777;
      expect(mode).toBe(0o600);
    } finally {
      await close();
      await server.close();
    }
  });

  it('validates everything before a byte moves', async () => {
    const server = await startPutServer();
    const { engine, close, home } = await openTestEngine();
    try {
      const a = await makeFile(dir, 'v-a.txt', 'a');
      const b = await makeFile(dir, 'v-b.txt', 'b');
      const attempt = (task: Record<string, unknown>, paths: string[]) =>
        exportFiles(engine, task, paths);
      await expect(
        attempt({ operation: 'export/upload', url: `${server.url}/one` }, [a, b]),
      ).rejects.toThrow(/tasks\.export\.url: 2 files need 2 URLs/);
      await expect(
        attempt({ operation: 'export/upload', url: `${server.url}/x` }, [join(dir, 'nope.txt')]),
      ).rejects.toThrow(/tasks\.import-files\.path: .*nope\.txt does not exist/);
      const error = await attempt({ operation: 'export/upload' }, [a]).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).fields).toEqual({ 'tasks.export.url': ['is required'] });
      expect(server.requests).toBe(0);
      await expect(fs.readdir(join(home, 'jobs'))).resolves.toEqual([]);
    } finally {
      await close();
      await server.close();
    }
  });

  it('runs uploads on a bounded worker pool', async () => {
    const server = await startPutServer({ bytesPerSecond: 2 * 1024 * 1024 });
    const { engine, close } = await openTestEngine({ config: { workers: 2 } });
    try {
      const files = await Promise.all(
        Array.from({ length: 12 }, (_, i) => makeFile(dir, `pool-${i}.bin`, 256 * 1024)),
      );
      const record = await exportFiles(
        engine,
        { operation: 'export/upload', url: `${server.url}/pool-%d` },
        files,
      );
      expect(exportTaskOf(record).result?.files).toHaveLength(12);
      expect(server.received.size).toBe(12);
    } finally {
      await close();
      await server.close();
    }
  });
});
