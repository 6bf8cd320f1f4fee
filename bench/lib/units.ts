import { promises as fs } from 'node:fs';
import { join } from 'node:path';

const KiB = 1024;
const MiB = KiB * 1024;
const GiB = MiB * 1024;

/** "1 GiB", "2000 × 64 KiB". */
export function describeSize(bytes: number, count?: number): string {
  const size =
    bytes >= GiB && bytes % GiB === 0
      ? `${bytes / GiB} GiB`
      : bytes >= MiB && bytes % MiB === 0
        ? `${bytes / MiB} MiB`
        : bytes % KiB === 0
          ? `${bytes / KiB} KiB`
          : `${bytes} B`;
  return count === undefined ? `${size} file` : `${count.toLocaleString('en')} × ${size}`;
}

/** Bytes in a file, or in the files of a folder (one level). */
export async function sourceBytes(path: string): Promise<number> {
  const stat = await fs.stat(path);
  if (!stat.isDirectory()) return stat.size;
  let total = 0;
  for (const name of await fs.readdir(path)) total += (await fs.stat(join(path, name))).size;
  return total;
}
