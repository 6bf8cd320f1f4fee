import { posix } from 'node:path';
import type { ResultFile } from '../transfer/records';
import type { SourceFile } from '../transfer/sources';
import type { ExportUrlTask } from '../tasks/operations';
import { hashPassword } from './link-password';
import type { LinkStore, NewLink } from './link-store';
import { forEachSliced } from '../time-slices';
import type { LinkRecord } from './link-record';
import { ZipSizeCount } from './zip-layout';

/** Link records written at once for separate links. */
const LINKS_AT_ONCE = 64;

/**
 * The ZIP's entries, named by the files' own names (unique: the job's plan
 * refuses two files of one name, naming.ts), its name: `photos.zip` when
 * every file comes from one dropped folder, else `archive.zip`, and its size.
 * Made in time slices: 100,000 files are ~60 ms of work.
 */
async function zipOf(
  files: SourceFile[],
): Promise<{ entries: LinkRecord['files']; filename: string; size: number }> {
  const tops = new Set<string>();
  const entries: LinkRecord['files'] = [];
  const size = new ZipSizeCount();
  await forEachSliced(files, (file) => {
    const entry = {
      path: file.path,
      name: file.name,
      size: file.size,
      mtime_ms: file.mtimeMs,
    };
    entries.push(entry);
    size.add(entry);
    const slash = file.name.indexOf('/');
    tops.add(slash === -1 ? '' : file.name.slice(0, slash));
  });
  const [top] = tops;
  return {
    entries,
    filename: tops.size === 1 && top ? `${top}.zip` : 'archive.zip',
    size: size.total,
  };
}

/**
 * export/url: temporary links on Outbox's link server, one per file or one
 * ZIP for all (`archive_multiple_files`). Nothing is copied: a link serves
 * the file in place for as long as it is unchanged. The files' size and
 * modification time are the ones the job found a moment ago (a resumed job
 * finds them again); the server compares them on every download, so a file
 * changed since, by a second or a week, is never served.
 */
export async function createUrlExport(
  task: ExportUrlTask,
  files: SourceFile[],
  links: LinkStore,
  origin: { job_id: string; task: string },
): Promise<ResultFile[]> {
  const expires_at = new Date(Date.now() + task.expires_in * 1000).toISOString();
  // One hash for all the links of this task: scrypt is slow on purpose.
  const options = {
    lan: task.lan,
    ...(task.max_downloads !== undefined ? { max_downloads: task.max_downloads } : {}),
    ...(task.password !== undefined ? { password_hash: await hashPassword(task.password) } : {}),
  };

  if (task.archive_multiple_files && files.length > 1) {
    const { entries, filename, size } = await zipOf(files);
    const link = await links.create({
      ...origin,
      ...options,
      kind: 'zip',
      filename,
      inline: false,
      expires_at,
      files: entries,
    });
    return [
      {
        filename,
        size,
        url: links.urlOf(link),
        link_id: link.id,
        expires_at,
        files: files.length,
      },
    ];
  }

  // A link per file, LINKS_AT_ONCE written at a time (10,000 files: not 10,000 files open at once).
  const results: ResultFile[] = [];
  for (let i = 0; i < files.length; i += LINKS_AT_ONCE) {
    const batch = files.slice(i, i + LINKS_AT_ONCE);
    const made = await links.createMany(batch.map(fileLink));
    batch.forEach((file, k) => {
      const link = made[k] as LinkRecord;
      results.push({
        filename: file.name,
        size: file.size,
        url: links.urlOf(link),
        link_id: link.id,
        expires_at,
      });
    });
  }
  return results;

  function fileLink(file: SourceFile): NewLink {
    // The download is named by the file's own name; the result keeps its place in a
    // dropped folder (`album/1.jpg`): two `1.jpg` of different folders stay apart.
    const downloadName = posix.basename(file.name);
    return {
      ...origin,
      ...options,
      kind: 'file',
      filename: downloadName,
      inline: task.inline,
      expires_at,
      files: [{ path: file.path, name: downloadName, size: file.size, mtime_ms: file.mtimeMs }],
    };
  }
}
