import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { posix } from 'node:path';
import type { ProfileView } from '../profiles/profile-service';
import { destinationOf } from '../tasks/destinations';
import type { LedgerFile } from './ledger';

/**
 * A batch of settled files as one job for the job runner: the saved profile
 * as the export task, files of a subfolder under the same subfolder at the
 * destination (the profile's prefix or folder, extended), exactly as a
 * dropped folder would be laid out. Destinations that name files themselves
 * (a link, a whole URL) or profiles with a fixed name get the files by name.
 */

/** The prefix or folder parameter that places `sub/` under the profile's own, if the profile has one. */
function subfolderParams(profile: ProfileView, sub: string): Record<string, string> {
  const naming = destinationOf(profile.operation).naming;
  if (naming.kind === 'own' || typeof profile.params[naming.name] === 'string') return {};
  const own = profile.params[naming.prefix];
  const base = typeof own === 'string' ? own : '';
  if (naming.prefixKind === 'directory') {
    const dir = base.replace(/\/+$/, '');
    return { [naming.prefix]: dir === '' ? sub : `${dir}/${sub}` };
  }
  return { [naming.prefix]: `${base}${sub}/` };
}

/** The job that delivers `files` (relative to `dir`) to `profile`. */
export function batchJob(
  dir: string,
  profile: ProfileView,
  files: LedgerFile[],
): { tasks: Record<string, unknown> } {
  const groups = new Map<string, string[]>();
  for (const file of files) {
    const sub = posix.dirname(file.rel);
    groups.set(sub, [...(groups.get(sub) ?? []), `${dir}/${file.rel}`]);
  }
  const tasks: Record<string, unknown> = {};
  let n = 0;
  for (const [sub, paths] of groups) {
    n++;
    tasks[`files-${n}`] = { operation: 'import/file', path: paths };
    tasks[`export-${n}`] = {
      profile: profile.name,
      input: `files-${n}`,
      ...(sub === '.' ? {} : subfolderParams(profile, sub)),
    };
  }
  return { tasks };
}

/** SHA-256 of a file's content, to tell a file that reappears under a delivered name. */
export function contentHash(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(`sha256:${hash.digest('hex')}`));
  });
}
