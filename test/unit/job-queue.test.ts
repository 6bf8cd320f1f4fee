import { describe, expect, it } from 'vitest';
import { JobQueue, type Turn } from '../../main/core/engine/job-queue';

/** The queue's order and limit, without jobs: who may start, who waits where. */
describe('JobQueue', () => {
  function queue(limit: number) {
    const turns = new Map<string, Turn>();
    let changes = 0;
    const q = new JobQueue(limit, () => changes++);
    const join = (id: string) => void q.turn(id).then((turn) => turns.set(id, turn));
    const settle = () => new Promise((resolve) => setTimeout(resolve, 0));
    return { q, turns, join, settle, changes: () => changes };
  }

  it('starts up to the limit, the others in the order they came', async () => {
    const { q, turns, join, settle } = queue(2);
    for (const id of ['a', 'b', 'c', 'd']) join(id);
    await settle();
    expect([...turns.keys()]).toEqual(['a', 'b']);
    expect([q.position('c'), q.position('d'), q.position('a')]).toEqual([1, 2, 0]);
    q.leave('a');
    await settle();
    expect(turns.get('c')).toBe('start');
    expect(turns.has('d')).toBe(false);
    q.leave('x'); // never started: changes nothing
    await settle();
    expect(turns.has('d')).toBe(false);
  });

  it('moves a waiting job to the front, takes one out, and applies a new limit', async () => {
    const { q, turns, join, settle, changes } = queue(1);
    for (const id of ['a', 'b', 'c', 'd']) join(id);
    await settle();
    const before = changes();
    expect(q.toFront('d')).toBe(true);
    expect(q.toFront('a')).toBe(false); // running, not waiting
    expect(changes()).toBe(before + 1);
    expect([q.position('d'), q.position('b'), q.position('c')]).toEqual([1, 2, 3]);
    expect(q.takeOut('b')).toBe(true);
    expect(q.takeOut('b')).toBe(false);
    await settle();
    expect(turns.get('b')).toBe('left');
    q.leave('a');
    await settle();
    expect(turns.get('d')).toBe('start');
    q.setLimit(3);
    await settle();
    expect(turns.get('c')).toBe('start');
  });
});
