import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../main/core/engine/engine';
import type { JobRecord } from '../../main/core/transfer/records';
import { until } from '../support/cli';
import { makeFile, openTestEngine, tempDir } from '../support/engine';
import { startPutServer, type PutServer } from '../support/put-server';

/**
 * The queue across jobs: with max_running_jobs = 2 (the default), four jobs
 * run two at a time, the others wait in order; a waiting job moves to the
 * front or is cancelled without ever starting. Asserted from the job records'
 * status transitions (every `job` event), not from timings: the HTTP PUT
 * destination holds each file's answer until the test releases it.
 */

let server: PutServer;
let engine: Engine;
let close: () => Promise<void>;
let dir: string;
/** Every record the engine announced, in order. */
const events: JobRecord[] = [];

beforeAll(async () => {
  server = await startPutServer({ hold: true });
  ({ engine, close } = await openTestEngine());
  engine.on('job', (job) => events.push(job));
  dir = await tempDir('outbox-queue-');
});

afterAll(async () => {
  await close();
  await server.close();
});

function uploadJob(path: string, name: string) {
  return {
    tasks: {
      files: { operation: 'import/file', path: [path] },
      put: { operation: 'export/upload', input: 'files', url: `${server.url}/${name}` },
    },
  };
}

/** The statuses of `ids` after each event, replayed from the events. */
function replay(ids: string[]): string[][] {
  const now = new Map<string, string>();
  return events.map((job) => {
    now.set(job.id, job.status);
    return ids.map((id) => now.get(id) ?? 'none');
  });
}

describe('job queue', () => {
  it('runs at most two jobs at once, in order; front and cancel work on waiting jobs', async () => {
    const names = ['a.bin', 'b.bin', 'c.bin', 'd.bin'];
    const ids: string[] = [];
    for (const name of names) {
      const path = await makeFile(dir, name, 4096);
      ids.push((await engine.submit(uploadJob(path, name))).id);
    }
    const [first, second, third, fourth] = ids as [string, string, string, string];
    await until(() => server.arrived.length === 2);
    // The first two submitted run; which of their requests reaches the server first is a race.
    expect(server.arrived.slice().sort()).toEqual(['/a.bin', '/b.bin']);

    const records = async () => Promise.all(ids.map(async (id) => (await engine.get(id))!));
    let now = await records();
    expect(now.map((r) => r.status)).toEqual(['processing', 'processing', 'waiting', 'waiting']);
    expect(now.map((r) => r.queue_position)).toEqual([undefined, undefined, 1, 2]);

    // The fourth goes to the front: it starts next.
    expect(engine.moveToFront(fourth).queue_position).toBe(1);
    now = await records();
    expect(now.map((r) => r.queue_position)).toEqual([undefined, undefined, 2, 1]);
    expect(() => engine.moveToFront(first)).toThrow(/not waiting/);

    // The third is cancelled while it waits: it ends without starting.
    expect(await engine.cancelAny(third)).toBe(true);
    const cancelled = await engine.wait(third);
    expect(cancelled.status).toBe('error');
    expect(cancelled.tasks.find((t) => t.name === 'put')).toMatchObject({ code: 'CANCELLED' });
    expect((await engine.get(fourth))?.queue_position).toBe(1);

    server.release('/a.bin');
    expect((await engine.wait(first)).status).toBe('finished');
    await until(() => server.arrived.length === 3);
    expect(server.arrived[2]).toBe('/d.bin');
    server.release('/b.bin');
    server.release('/d.bin');
    expect((await engine.wait(second)).status).toBe('finished');
    expect((await engine.wait(fourth)).status).toBe('finished');
    expect(server.arrived.slice(2)).toEqual(['/d.bin']); // c never sent a byte

    // From the records: never more than two processing; the third never processed;
    // the fourth started only after the first had finished.
    const states = replay(ids);
    for (const state of states) {
      expect(state.filter((s) => s === 'processing').length).toBeLessThanOrEqual(2);
    }
    expect(states.some((s) => s[2] === 'processing')).toBe(false);
    const firstFinished = states.findIndex((s) => s[0] === 'finished');
    const fourthStarted = states.findIndex((s) => s[3] === 'processing');
    expect(firstFinished).toBeGreaterThanOrEqual(0);
    expect(fourthStarted).toBeGreaterThan(firstFinished);
    expect(states.some((s) => s[3] === 'waiting')).toBe(true);
  });
});
