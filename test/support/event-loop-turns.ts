/** Counts the event loop's turns until `work` settles: 0 means `work` held the thread throughout. */
export async function turnsDuring(work: () => Promise<unknown>): Promise<number> {
  let turns = 0;
  let done = false;
  const tick = () => {
    turns++;
    if (!done) setImmediate(tick);
  };
  setImmediate(tick);
  await work().finally(() => (done = true));
  return turns;
}
