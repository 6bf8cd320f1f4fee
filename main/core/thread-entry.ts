import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';
import { mainBuildDir } from './build-dir';

/** A script a worker thread runs: an entry of the build (electron.vite.config.ts). */
export type ThreadEntry = {
  /** Its file in out/main/. */
  built: string;
  /** Its TypeScript source, relative to main/core/. */
  source: string;
};

/** The exporter threads (engine/worker.ts). */
export const EXPORTER_THREAD: ThreadEntry = { built: 'worker.js', source: 'engine/worker.ts' };
/** The thread that checks files beside the main thread (store/file-check-thread.ts). */
export const FILE_CHECK_THREAD: ThreadEntry = {
  built: 'file-check.js',
  source: 'store/file-check-thread.ts',
};

/**
 * A new thread running `entry`: built next to this bundle (out/main/), or —
 * when running from source in tests — the TypeScript file loaded through tsx.
 */
export function startThread(entry: ThreadEntry, options?: WorkerOptions): Worker {
  const here = dirname(fileURLToPath(import.meta.url));
  const built = join(mainBuildDir(here), entry.built);
  if (existsSync(built)) return new Worker(built, options);
  const resolve = createRequire(import.meta.url).resolve;
  const tsx = join(dirname(resolve('tsx/package.json')), 'dist');
  const url = (path: string) => JSON.stringify(pathToFileURL(path).href);
  const bootstrap = [
    `(await import(${url(join(tsx, 'esm/api/index.mjs'))})).register();`,
    `(await import(${url(join(tsx, 'cjs/api/index.mjs'))})).register();`,
    `await import(${url(join(here, entry.source))});`,
  ].join('\n');
  return new Worker(new URL(`data:text/javascript,${encodeURIComponent(bootstrap)}`), options);
}
