import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { OutboxConfig } from '../../main/core/config';
import { exportFiles, exportTaskOf, makeFile, openTestEngine, tempDir } from '../support/engine';
import { startPutServer, type PutServer } from '../support/put-server';
import { SFTP, sftpPasswordTask } from '../support/servers';

/**
 * How many files the engine sends at once, counted where they arrive: a PUT
 * server that holds every answer until the test releases it. With nothing
 * answered, the requests that arrive are the transfers the engine has open.
 * (SFTP's own lower number is the same pool rule with its descriptor's
 * value: test/unit/files-in-flight.test.ts.) Then one drop to two
 * destinations: the held server's files at their number must not hold back
 * the SFTP server's (the real sshd), which all land meanwhile.
 */

const FILES = 80;
let dir: string;
let paths: string[];

beforeAll(async () => {
  dir = await tempDir('outbox-in-flight-');
  paths = await Promise.all(
    Array.from({ length: FILES }, (_, i) => makeFile(dir, `f${i}.txt`, `file ${i}`)),
  );
});

/** Exports the files to a holding server; returns how many were open at once before any answer. */
async function openAtOnce(config: Partial<OutboxConfig>, expected: number): Promise<number> {
  const server: PutServer = await startPutServer({ hold: true });
  const { engine, close } = await openTestEngine({ config });
  let releaseArrived: NodeJS.Timeout | undefined;
  try {
    const job = exportFiles(
      engine,
      { operation: 'export/upload', url: `${server.url}/f%d` },
      paths,
    );
    await vi.waitFor(() => expect(server.arrived.length).toBeGreaterThanOrEqual(expected), {
      timeout: 20_000,
      interval: 20,
    });
    // A moment for any request beyond the limit to arrive too (it would fail the test).
    await new Promise((resolve) => setTimeout(resolve, 300));
    const atOnce = server.arrived.length;
    releaseArrived = setInterval(() => server.arrived.forEach(server.release), 10);
    const task = exportTaskOf(await job);
    expect(task.status, task.message).toBe('finished');
    expect(server.received.size).toBe(FILES);
    return atOnce;
  } finally {
    clearInterval(releaseArrived);
    await close();
    await server.close();
  }
}

describe('files in flight', () => {
  it('sends 64 files at once by default (no OUTBOX_TRANSFERS)', async () => {
    expect(await openAtOnce({}, 64)).toBe(64);
  });

  it('sends as many as OUTBOX_TRANSFERS says when it is set', async () => {
    expect(await openAtOnce({ transfersPerWorker: 5 }, 5)).toBe(5);
  });
});

describe('files in flight, one drop to two destinations', () => {
  it("sends one destination's files while another's are all in flight and unanswered", async () => {
    const server = await startPutServer({ hold: true });
    const { engine, close } = await openTestEngine();
    const folder = `in-flight-${process.pid}`;
    let releaseArrived: NodeJS.Timeout | undefined;
    try {
      // The held destination first: its files wait ahead of the SFTP files in the pool.
      const job = engine.run({
        tasks: {
          'import-files': { operation: 'import/file', path: paths },
          held: { operation: 'export/upload', input: 'import-files', url: `${server.url}/f%d` },
          sftp: { ...sftpPasswordTask, input: 'import-files', path: `${folder}/` },
        },
      });
      // under their own names (a file is written under a temporary one, then renamed)
      const landed = async () =>
        (await fs.readdir(join(SFTP.home, folder)).catch(() => [])).filter((name) =>
          /^f\d+\.txt$/.test(name),
        );
      await vi.waitFor(async () => expect(await landed()).toHaveLength(FILES), {
        timeout: 20_000,
        interval: 50,
      });
      expect(server.arrived).toHaveLength(64); // all the while, none of them answered
      expect(server.received.size).toBe(0);
      releaseArrived = setInterval(() => server.arrived.forEach(server.release), 10);
      const record = await job;
      for (const task of record.tasks) expect(task.status, task.message).toBe('finished');
      expect(server.received.size).toBe(FILES);
    } finally {
      clearInterval(releaseArrived);
      await close();
      await server.close();
      await fs.rm(join(SFTP.home, folder), { recursive: true, force: true });
    }
  });
});

afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});
