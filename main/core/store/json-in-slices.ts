import { inSlices } from '../time-slices';

/**
 * A long list as a JSON array (`before` and `after` around it: the rest of
 * a record), turned into bytes in time slices: in one piece, the 100,000
 * entries of a job's import list or a ZIP link's files hold the main thread
 * 30-130 ms. The items must not change meanwhile (stored lists are frozen).
 * The bytes come as the slices made them, to be written in order
 * (writeFileAtomic): joining a ZIP link's 14 MB into one buffer held the
 * main thread 40-60 ms, most of it the kernel handing out fresh pages.
 */
export async function jsonArrayInSlices(
  items: Iterable<unknown>,
  { before = '', after = '' }: { before?: string; after?: string } = {},
): Promise<Buffer[]> {
  const chunks = [Buffer.from(before + '[')];
  let separator = '';
  await inSlices(items, (slice) => {
    let text = '';
    for (const item of slice) {
      text += separator + JSON.stringify(item);
      separator = ',';
    }
    chunks.push(Buffer.from(text));
  });
  chunks.push(Buffer.from(']' + after));
  return chunks;
}
