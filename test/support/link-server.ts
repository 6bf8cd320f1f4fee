import { promises as fs } from 'node:fs';
import { basename, dirname } from 'node:path';
import { expect } from 'vitest';
import type { Engine } from '../../main/core/engine/engine';
import type { ResultFile } from '../../main/core/transfer/records';
import { startServer, type RunningServer } from '../../main/core/server/outbox-server';
import { exportFiles, exportTaskOf, openTestEngine, tempDir } from './engine';
import { freePort, run } from './net';

/** An engine and its link server on a free port, and a folder for the files to share. */
export type LinkServer = {
  engine: Engine;
  server: RunningServer;
  port: number;
  dir: string;
  close(): Promise<void>;
};

export async function openLinkServer(prefix: string): Promise<LinkServer> {
  const port = await freePort();
  const { engine, close } = await openTestEngine({ config: { port } });
  const server = await startServer({ config: { ...engine.config, port }, links: engine.links });
  const dir = await tempDir(prefix);
  return {
    engine,
    server,
    port,
    dir,
    async close() {
      await server.close();
      await close();
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}

/** Runs an export/url task (with `task`'s options) on `paths`; its result files (links). */
export async function linksOf(
  engine: Engine,
  task: Record<string, unknown>,
  paths: string[],
): Promise<ResultFile[]> {
  const record = await exportFiles(engine, { operation: 'export/url', ...task }, paths);
  const exported = exportTaskOf(record);
  expect(exported.status, exported.message).toBe('finished');
  return exported.result?.files ?? [];
}

/** Downloads `url` to `out` with aria2c in eight ranges at once, as download managers do. */
export async function aria2(url: string, out: string): Promise<void> {
  await run('aria2c', [
    ...['-q', '-x', '8', '-s', '8', '-k', '1M'],
    ...['--allow-overwrite=true', '--auto-file-renaming=false'],
    ...['-d', dirname(out), '-o', basename(out), url],
  ]);
}
