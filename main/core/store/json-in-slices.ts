import type { FileHandle } from 'node:fs/promises';
import { timeSlices } from '../time-slices';

/** The one buffer a list is encoded into; its bytes are written when a slice ends or it fills. */
const BUFFER_BYTES = 1 << 20;

/**
 * A long list as a JSON array (`before` and `after` around it: the rest of
 * a record), made in time slices as it is written (writeFileAtomic): in one
 * piece, the 100,000 entries of a job's import list or a ZIP link's files
 * hold the main thread 30-130 ms. The items must not change meanwhile
 * (stored lists are frozen). Every slice is encoded into the same buffer and
 * written before the next: a fresh buffer per slice (20 MB for a ZIP link of
 * 100,000 files) cost ~100 ms more, most of it the kernel handing out fresh pages.
 */
export function jsonArrayInSlices(
  items: Iterable<unknown>,
  { before = '', after = '' }: { before?: string; after?: string } = {},
): (file: FileHandle) => Promise<void> {
  return async (file) => {
    const buffer = Buffer.allocUnsafeSlow(BUFFER_BYTES);
    let used = 0;
    // writeFile: from the file's position on, all of it (write() may write part)
    const flush = async () => {
      if (used > 0) await file.writeFile(buffer.subarray(0, used));
      used = 0;
    };
    // UTF-8 takes at most 3 bytes per UTF-16 unit: text that fits by this count fits.
    const fits = (text: string) => text.length * 3 <= BUFFER_BYTES - used;
    // Past the buffer's room: its bytes are written first, and text too long for it on its own.
    const putLong = async (text: string) => {
      await flush();
      if (fits(text)) used += buffer.write(text, used);
      else await file.writeFile(text);
    };
    // Synchronous when the text fits: no promise per item of 100,000.
    const put = (text: string): Promise<void> | undefined => {
      if (!fits(text)) return putLong(text);
      used += buffer.write(text, used);
      return undefined;
    };
    const slices = timeSlices();
    await put(before + '[');
    let separator = '';
    for (const item of items) {
      // as in JSON.stringify of the array: an item with no JSON (undefined, a function) is null
      const long = put(separator + (JSON.stringify(item) ?? 'null'));
      if (long) await long;
      separator = ',';
      if (slices.over()) {
        await flush();
        await slices.next();
      }
    }
    await put(']' + after);
    await flush();
  };
}
