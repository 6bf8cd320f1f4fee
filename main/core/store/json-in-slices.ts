import type { FileHandle } from 'node:fs/promises';
import { timeSlices } from '../time-slices';

/** The one buffer a list is encoded into; its bytes are written when a slice ends or it fills. */
const BUFFER_BYTES = 1 << 20;
/**
 * Items (a file's entry: ~100 bytes) encoded by one JSON.stringify: a call
 * per item of 100,000 (a ZIP link's files) cost ~3× what calls of this many do.
 */
const ITEMS_A_CALL = 256;

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
    const put = async (text: string) => {
      if (!fits(text)) await flush();
      if (fits(text)) used += buffer.write(text, used);
      else await file.writeFile(text);
    };
    const slices = timeSlices();
    await put(before + '[');
    let separator = '';
    let run: unknown[] = [];
    // A run's items as JSON.stringify writes them inside the array (so an item with no
    // JSON, such as undefined, is null): the text between its brackets.
    const putRun = async () => {
      const text = JSON.stringify(run);
      run = [];
      await put(separator + text.slice(1, -1));
      separator = ',';
    };
    for (const item of items) {
      run.push(item);
      if (run.length < ITEMS_A_CALL) continue;
      await putRun();
      if (slices.over()) {
        await flush();
        await slices.next();
      }
    }
    if (run.length > 0) await putRun();
    await put(']' + after);
    await flush();
  };
}
