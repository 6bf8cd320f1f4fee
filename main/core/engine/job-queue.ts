/**
 * The jobs of one Outbox process take turns: at most `limit` run at once,
 * the others wait in the order they came (a waiting job can be moved to the
 * front, or taken out: cancelled or paused before it started).
 */

/** 'start': the job may run now; 'left': it was taken out of the queue before its turn. */
export type Turn = 'start' | 'left';

type Waiting = { id: string; resolve: (turn: Turn) => void };

export class JobQueue {
  private readonly waiting: Waiting[] = [];
  private readonly running = new Set<string>();

  /** `changed`: the waiting jobs' places changed (positions to show). */
  constructor(
    private limit: number,
    private readonly changed: () => void,
  ) {}

  /** Resolves when job `id` may start, or when it is taken out before that. */
  turn(id: string): Promise<Turn> {
    return new Promise((resolve) => {
      this.waiting.push({ id, resolve });
      this.startWhatFits();
    });
  }

  /** A started job ended (or paused): the next in line starts. */
  leave(id: string): void {
    if (this.running.delete(id)) this.startWhatFits();
  }

  /** Takes a waiting job out (its turn resolves 'left'); false if it was not waiting. */
  takeOut(id: string): boolean {
    const index = this.waiting.findIndex((w) => w.id === id);
    if (index < 0) return false;
    const [taken] = this.waiting.splice(index, 1);
    taken?.resolve('left');
    this.changed();
    return true;
  }

  /** Moves a waiting job to the front of the line; false if it was not waiting. */
  toFront(id: string): boolean {
    const index = this.waiting.findIndex((w) => w.id === id);
    if (index < 0) return false;
    const [moved] = this.waiting.splice(index, 1);
    if (moved) this.waiting.unshift(moved);
    this.changed();
    return true;
  }

  /** A new limit (the setting changed): more jobs start at once if it rose. */
  setLimit(limit: number): void {
    this.limit = limit;
    this.startWhatFits();
  }

  /** A waiting job's place in line (1: next), 0 when it is not waiting. */
  position(id: string): number {
    return this.waiting.findIndex((w) => w.id === id) + 1;
  }

  private startWhatFits(): void {
    while (this.running.size < this.limit && this.waiting.length > 0) {
      const next = this.waiting.shift() as Waiting;
      this.running.add(next.id);
      next.resolve('start');
    }
    // Also when none started: a job joined the line, and its position is news.
    this.changed();
  }
}
