import { homedir } from 'node:os';
import { join } from 'node:path';
import module from 'node:module';

/**
 * Node's on-disk cache of compiled code for the modules loaded after this one
 * (Node ≥ 22.1): the CLI bundle and an exporter's SDK are compiled again by
 * every command otherwise, in the main thread and in each worker (a third of
 * a 1 MiB export's CPU). Node checks every entry against its module's source
 * and recompiles on a mismatch, so a stale cache costs time, never behaviour.
 * It is imported first, for its effect, by each thread's entry (the CLI, the
 * exporter worker); a worker does not inherit it from the thread that starts it.
 */

/** The OS's per-user cache folder for Outbox (not shared /tmp: the cache is code the process runs). */
function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  switch (process.platform) {
    case 'darwin':
      return join(homedir(), 'Library', 'Caches', 'Outbox', 'compile-cache');
    case 'win32':
      return join(
        env.LOCALAPPDATA ?? join(homedir(), 'AppData', 'Local'),
        'Outbox',
        'compile-cache',
      );
    default:
      return join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'Outbox', 'compile-cache');
  }
}

// Older runtimes (and Electron builds without it) lack the API; a cache that
// cannot be written only costs the compile time it would have saved.
try {
  module.enableCompileCache?.(process.env.NODE_COMPILE_CACHE || cacheDir());
} catch {
  // no cache: compile as before
}
