import { statSync } from 'node:fs';
import { basename, isAbsolute, resolve } from 'node:path';
import type { OpenedFile } from '../core/api/api-transport';

/**
 * Files the desktop hands to Outbox: "Open with Outbox" and a drop on the
 * taskbar icon start it with their paths as arguments (a second launch's
 * arguments reach the running one through `second-instance`); macOS sends
 * `open-file` events instead (the dock icon too). Pure Node, unit-tested.
 */

/** The existing files and folders among `paths`, described for the window; others are dropped. */
export function describeOpened(paths: readonly string[], cwd: string): OpenedFile[] {
  const files: OpenedFile[] = [];
  const seen = new Set<string>();
  for (const given of paths) {
    const path = isAbsolute(given) ? given : resolve(cwd, given);
    if (seen.has(path)) continue;
    seen.add(path);
    try {
      const stat = statSync(path);
      if (!stat.isFile() && !stat.isDirectory()) continue;
      files.push({
        path,
        name: basename(path),
        size: stat.isFile() ? stat.size : 0,
        folder: stat.isDirectory(),
      });
    } catch {
      // Gone, or not ours to read: the window never hears of it.
    }
  }
  return files;
}

/**
 * The files in a launch's command line: after the executable (and after the
 * app folder when run as `electron .`, `defaultApp`), without switches
 * (Chromium adds some to a second launch), relative to that launch's folder.
 */
export function openedFromArgv(
  argv: readonly string[],
  cwd: string,
  defaultApp: boolean,
): OpenedFile[] {
  const args = argv.slice(defaultApp ? 2 : 1).filter((arg) => !arg.startsWith('-'));
  return describeOpened(args, cwd);
}
