import { describe, expect, it } from 'vitest';
import { inRotatingRounds, type Contender } from '../../bench/lib/rounds';

/** The board's rounds (bench/lib/rounds.ts): every line's order and failures go through them. */

function contender(name: string, order: string[], failOn?: number): Contender<string> {
  return {
    name,
    run: async (round) => {
      order.push(`${name}${round + 1}`);
      if (round + 1 === failOn) throw new Error(`${name} broke`);
      return `${name}${round + 1}`;
    },
    describe: (run) => run,
  };
}

describe('inRotatingRounds', () => {
  it('rotates the order each round and keeps each contender its own runs', async () => {
    const order: string[] = [];
    const log: string[] = [];
    const { runs, errors, rounds } = await inRotatingRounds(
      { runs: 3, log: (line) => log.push(line) },
      'line',
      ['a', 'b', 'c'].map((name) => contender(name, order)),
    );
    expect(order).toEqual(['a1', 'b1', 'c1', 'b2', 'c2', 'a2', 'c3', 'a3', 'b3']);
    expect(runs).toEqual([
      ['a1', 'a2', 'a3'],
      ['b1', 'b2', 'b3'],
      ['c1', 'c2', 'c3'],
    ]);
    expect(errors).toEqual([undefined, undefined, undefined]);
    expect(rounds).toBe(3);
    expect(log).toContain('  line b run 2: b2');
  });

  it('runs a contender that failed no more and keeps its error and its earlier runs', async () => {
    const order: string[] = [];
    const log: string[] = [];
    const { runs, errors } = await inRotatingRounds(
      { runs: 3, log: (line) => log.push(line) },
      'line',
      [contender('a', order), contender('b', order, 2)],
    );
    expect(order).toEqual(['a1', 'b1', 'b2', 'a2', 'a3']);
    expect(runs).toEqual([['a1', 'a2', 'a3'], ['b1']]);
    expect(errors).toEqual([undefined, 'b broke']);
    expect(log).toContain('  line b: FAILED b broke');
  });

  it('starts no round that would pass the budget', async () => {
    const log: string[] = [];
    const slow: Contender<number> = {
      name: 'slow',
      run: () => new Promise((resolve) => setTimeout(() => resolve(1), 40)),
      describe: String,
    };
    // After one round of ≥ 40 ms, a second would end at ≥ 80 ms: past a 0.05 s budget.
    const { runs, rounds } = await inRotatingRounds(
      { runs: 3, log: (line) => log.push(line) },
      'line',
      [slow],
      0.05,
    );
    expect(rounds).toBe(1);
    expect(runs).toEqual([[1]]);
    expect(log).toContain('  line: stopping after 1 run(s): over its 0.05 s budget');
  });
});
