/**
 * Runs `work` on every item, at most `limit` at a time, in order; resolves
 * when all have settled (`work` handles its own errors). A job of 100,000
 * files then holds a window of them in flight (queued, sending), not
 * 100,000 promises and queued requests at once.
 */
export async function eachLimited<T>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lane = async () => {
    for (let i = next++; i < items.length; i = next++) await work(items[i] as T, i);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}
