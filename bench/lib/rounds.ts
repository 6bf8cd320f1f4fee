import type { BenchContext } from './context';

/** One contender of a line: a run per round; it throws when the run did not do its job. */
export type Contender<R> = {
  name: string;
  run: (round: number) => Promise<R>;
  /** The run as one log line ("2.41 s, 425.0 MB/s, …"). */
  describe: (run: R) => string;
};

export type Rounds<R> = {
  /** Each contender's successful runs, in the order of `contenders`. */
  runs: R[][];
  /** Each contender's error, if one of its runs failed. */
  errors: (string | undefined)[];
  /** Rounds started (fewer than `ctx.runs` when the budget ran out). */
  rounds: number;
};

/**
 * Runs every contender once per round, `ctx.runs` rounds, rotating the order
 * each round so that drift (page cache, a server's state, this machine's
 * speed) does not favour one. A contender that fails is not run again; its
 * error is kept for the board. No round starts after the first once the rounds
 * so far, plus one more like them, would pass `budgetSeconds`.
 */
export async function inRotatingRounds<R>(
  ctx: Pick<BenchContext, 'runs' | 'log'>,
  id: string,
  contenders: Contender<R>[],
  budgetSeconds = Infinity,
): Promise<Rounds<R>> {
  const runs = contenders.map(() => [] as R[]);
  const errors = contenders.map(() => undefined as string | undefined);
  const started = Date.now();
  let rounds = 0;
  for (let round = 0; round < ctx.runs; round++) {
    const elapsed = (Date.now() - started) / 1000;
    if (round > 0 && elapsed + elapsed / round > budgetSeconds) {
      ctx.log(`  ${id}: stopping after ${round} run(s): over its ${budgetSeconds} s budget`);
      break;
    }
    rounds++;
    for (let k = 0; k < contenders.length; k++) {
      const i = (k + round) % contenders.length;
      const contender = contenders[i];
      if (!contender || errors[i] !== undefined) continue;
      try {
        const run = await contender.run(round);
        runs[i]?.push(run);
        ctx.log(`  ${id} ${contender.name} run ${round + 1}: ${contender.describe(run)}`);
      } catch (error) {
        errors[i] = error instanceof Error ? error.message : String(error);
        ctx.log(`  ${id} ${contender.name}: FAILED ${errors[i]}`);
      }
    }
  }
  return { runs, errors, rounds };
}
