import { promises as fs, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../main/core/engine/engine';
import { openLinks } from '../../main/core/links/open-links';
import { makeFile, tempDir, testConfig } from '../support/engine';
import { assertBuilt, spawnOutbox, until } from '../support/cli';
import { startPutServer, type PutServer } from '../support/put-server';
import { indexRows } from '../support/record-index';

// kill -9 at any moment never leaves a store that fails to load: every
// record is written atomically, jobs whose process died are marked, and the
// index of jobs and links (store/record-index.ts) is made whole again by the
// next open that uses it.

let dir: string;
let server: PutServer;
beforeAll(async () => {
  assertBuilt();
  dir = await tempDir('outbox-crash-');
  server = await startPutServer({ bytesPerSecond: 1024 * 1024 });
});
afterAll(async () => {
  await server.close();
  await fs.rm(dir, { recursive: true, force: true });
});

async function jsonFiles(folder: string): Promise<string[]> {
  const names = await fs.readdir(folder).catch(() => [] as string[]);
  return names.filter((n) => n.endsWith('.json')).map((n) => join(folder, n));
}

describe('a killed engine', () => {
  it('leaves its running job marked interrupted, and the store loads', async () => {
    const home = join(dir, 'home-1');
    const file = await makeFile(dir, 'slow.bin', 8 * 1024 * 1024);
    const job = join(dir, 'job.json');
    await fs.writeFile(
      job,
      JSON.stringify({
        tasks: {
          in: { operation: 'import/file', path: file },
          out: { operation: 'export/upload', input: 'in', url: `${server.url}/slow` },
        },
      }),
    );
    const child = spawnOutbox(['run', job, '--json'], { OUTBOX_HOME: home });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    await until(async () => {
      for (const path of await jsonFiles(join(home, 'jobs'))) {
        const record = JSON.parse(await fs.readFile(path, 'utf8'));
        if (record.tasks.some((t: { status: string }) => t.status === 'processing')) return true;
      }
      return false;
    });
    child.kill('SIGKILL');
    await exited;

    const engine = await Engine.open(testConfig(home));
    try {
      const [record] = await engine.list();
      expect(record?.status).toBe('error');
      expect(record?.tasks.find((t) => t.name === 'out')).toMatchObject({
        status: 'error',
        code: 'INTERRUPTED',
        message: expect.stringMatching(/Outbox stopped while this task was running/),
      });
      expect(server.received.has('/slow')).toBe(false);
    } finally {
      await engine.close();
    }
  });

  it('never corrupts stored jobs and links, wherever the kill lands', async () => {
    const home = join(dir, 'home-2');
    const folder = join(dir, 'many');
    await Promise.all(
      Array.from({ length: 150 }, (_, i) => makeFile(folder, `f${i}.txt`, `file ${i}`)),
    );
    const task = join(dir, 'url.json');
    await fs.writeFile(task, JSON.stringify({ operation: 'export/url' }));

    for (let round = 0; round < 6; round++) {
      const child = spawnOutbox(['export', '--task', task, folder, '--json'], {
        OUTBOX_HOME: home,
      });
      const exited = new Promise((resolve) => child.on('exit', resolve));
      await new Promise((resolve) => setTimeout(resolve, 300 + Math.random() * 900));
      child.kill('SIGKILL');
      await exited;

      const engine = await Engine.open(testConfig(home));
      try {
        const jobs = await engine.list();
        for (const job of jobs) expect(['finished', 'error']).toContain(job.status);
        await engine.links.list();
      } finally {
        await engine.close();
      }
      // The links' index is made whole by the next host that uses the links: the link
      // server or `outbox links` (an engine that serves none leaves the links folder alone).
      await (await openLinks(home, 'http://127.0.0.1:1')).close();
      for (const sub of ['jobs', 'links'] as const) {
        const states = new Map<string, string | null>();
        for (const path of await jsonFiles(join(home, sub))) {
          expect(() => JSON.parse(readFileSync(path, 'utf8')), path).not.toThrow();
          const { id, status } = JSON.parse(readFileSync(path, 'utf8'));
          states.set(id, sub === 'links' ? null : status === 'finished' ? 'finished' : 'error');
        }
        expect(indexRows(home, sub)).toEqual(states);
        const leftovers = (await fs.readdir(join(home, sub)).catch(() => [] as string[])).filter(
          (n) => n.endsWith('.tmp'),
        );
        expect(leftovers).toEqual([]);
      }
    }
  });
});
