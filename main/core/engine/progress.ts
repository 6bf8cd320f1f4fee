/** Progress of one export task, as hosts show it: bytes, speed, time left. */
export type TaskProgress = {
  job_id: string;
  task: string;
  bytes: number;
  total: number;
  /** Bytes per second over the last few seconds. */
  rate: number;
  /** Seconds left at the current rate, null while unknown. */
  eta_seconds: number | null;
  files_done: number;
  files_total: number;
  done: boolean;
};

type Key = { job_id: string; task: string };
type State = TaskProgress & { samples: { at: number; bytes: number }[]; timer?: NodeJS.Timeout };

const WINDOW_MS = 3000;

/**
 * Sums progress reported by workers and emits at most one update per task
 * every `intervalMs`: the UI and the main thread stay calm however many files
 * or bytes move.
 */
export class ProgressTracker {
  private readonly states = new Map<string, State>();

  constructor(
    private readonly emit: (progress: TaskProgress) => void,
    private readonly intervalMs = 250,
  ) {}

  private id(key: Key): string {
    return `${key.job_id}\u0000${key.task}`;
  }

  start(key: Key, sizes: number[]): void {
    const total = sizes.reduce((a, b) => a + b, 0);
    this.states.set(this.id(key), {
      ...key,
      bytes: 0,
      total,
      rate: 0,
      eta_seconds: null,
      files_done: 0,
      files_total: sizes.length,
      done: false,
      samples: [{ at: Date.now(), bytes: 0 }],
    });
  }

  add(key: Key, bytes: number): void {
    const state = this.states.get(this.id(key));
    if (!state) return;
    state.bytes = Math.max(0, state.bytes + bytes);
    this.schedule(state);
  }

  fileDone(key: Key): void {
    const state = this.states.get(this.id(key));
    if (!state) return;
    state.files_done++;
    this.schedule(state);
  }

  end(key: Key): void {
    const id = this.id(key);
    const state = this.states.get(id);
    if (!state) return;
    if (state.timer) clearTimeout(state.timer);
    state.done = true;
    this.publish(state);
    this.states.delete(id);
  }

  private schedule(state: State): void {
    state.timer ??= setTimeout(() => {
      state.timer = undefined;
      this.publish(state);
    }, this.intervalMs);
  }

  private publish(state: State): void {
    const now = Date.now();
    state.samples.push({ at: now, bytes: state.bytes });
    while (state.samples.length > 2 && (state.samples[1]?.at ?? now) < now - WINDOW_MS)
      state.samples.shift();
    const first = state.samples[0] ?? { at: now, bytes: 0 };
    const seconds = (now - first.at) / 1000;
    state.rate = seconds > 0 ? Math.max(0, (state.bytes - first.bytes) / seconds) : 0;
    const left = Math.max(0, state.total - state.bytes);
    state.eta_seconds = state.done ? 0 : state.rate > 0 ? Math.round(left / state.rate) : null;
    const { samples: _samples, timer: _timer, ...progress } = state;
    this.emit(progress);
  }
}
