import { promises as fs } from 'node:fs';
import { join } from 'node:path';

/**
 * Every file under `root`, at any depth, searched for `secrets` (read as
 * latin1, so any bytes compare): what the suites' "no secret left on disk"
 * checks scan. `leaks` names the files that hold one (not the secret itself);
 * `files` says how many were read, so a check can tell that it saw something.
 */
export async function secretsOnDisk(
  root: string,
  secrets: readonly string[],
): Promise<{ files: number; leaks: string[] }> {
  const entries = await fs.readdir(root, { withFileTypes: true, recursive: true });
  const leaks: string[] = [];
  let files = 0;
  for (const entry of entries.filter((e) => e.isFile())) {
    files++;
    const path = join(entry.parentPath, entry.name);
    const text = await fs.readFile(path, 'latin1');
    if (secrets.some((secret) => text.includes(secret))) leaks.push(path);
  }
  return { files, leaks };
}
