import { createReadStream, promises as fs, type ReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import yazl from 'yazl';

export type ZipEntry = { name: string; path: string; size: number; mtimeMs: number };

/**
 * A ZIP of `entries` built while it is sent: files are opened one at a time,
 * stored uncompressed (so the total size is known up front and the link can
 * send Content-Length), Zip64 where an entry or the archive needs it.
 */
export function zipStream(entries: ZipEntry[]): {
  stream: Readable;
  size: number;
  cancel: () => void;
} {
  const zip = new yazl.ZipFile();
  const opened = new Set<ReadStream>();
  let cancelled = false;
  const output = zip.outputStream as Readable;
  zip.on('error', (error: Error) => output.destroy(error));
  for (const entry of entries) {
    zip.addReadStreamLazy(
      entry.name,
      { size: entry.size, mtime: new Date(entry.mtimeMs), compress: false },
      (callback) => {
        const fail = (error: unknown) =>
          callback(error, undefined as unknown as NodeJS.ReadableStream);
        if (cancelled) return fail(new Error('cancelled'));
        openUnchanged(entry).then((stream) => {
          if (cancelled) {
            stream.destroy();
            return fail(new Error('cancelled'));
          }
          opened.add(stream);
          stream.once('close', () => opened.delete(stream));
          callback(null, stream);
        }, fail);
      },
    );
  }
  let size = -1;
  // yazl reports the final size synchronously when every entry is stored with a known size
  // (its typings omit the callback's argument).
  const onSize = ((total: number) => {
    size = total;
  }) as unknown as () => void;
  zip.end({ forceZip64Format: false, comment: '' }, onSize);
  if (size < 0) throw new Error('ZIP size unknown: every entry needs a size and no compression');
  return {
    stream: output,
    size,
    cancel: () => {
      cancelled = true;
      for (const stream of opened) stream.destroy();
      output.destroy();
    },
  };
}

/** Opens a file for the archive only if it is still the file that was exported. */
async function openUnchanged(entry: ZipEntry): Promise<ReadStream> {
  const handle = await fs.open(entry.path, 'r');
  const stat = await handle.stat();
  if (stat.size !== entry.size || stat.mtimeMs !== entry.mtimeMs) {
    await handle.close();
    throw new Error(`${entry.name} changed after the link was created`);
  }
  return createReadStream('', { fd: handle, highWaterMark: 256 * 1024 });
}
