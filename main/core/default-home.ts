import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * The OS's per-user app data folder, the same one Electron's userData uses: the data
 * directory when OUTBOX_HOME is not set. Its own module (and chunk) because the CLI reads
 * it before it loads anything else (main/cli/operation-hint.ts).
 */
function defaultHome(env: NodeJS.ProcessEnv = process.env): string {
  switch (process.platform) {
    case 'darwin':
      return join(homedir(), 'Library', 'Application Support', 'Outbox');
    case 'win32':
      return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), 'Outbox');
    default:
      return join(env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'Outbox');
  }
}

/** The data directory: OUTBOX_HOME, else the per-user one. */
export function homeFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  return env.OUTBOX_HOME || defaultHome(env);
}
