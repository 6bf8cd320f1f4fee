import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * Garbage collections paced by bytes, for code that leaves dead buffers
 * behind faster than V8 notices. ssh2 copies every SFTP write into the 32 KiB
 * packets it encrypts (and the writes of small files into a request first),
 * and a dead copy's memory is freed only by a collection. V8 schedules
 * scavenges by the JavaScript objects allocated, not by the bytes their
 * buffers hold, and copies that were still queued at two scavenges move to
 * the old generation, collected only when external memory has grown by some
 * 64 MiB. During a 4 GiB SFTP upload the worker's ArrayBuffers swung between
 * ~14 and ~55 MiB, and its malloc arena kept the high-water mark. A scavenge costs well under a
 * millisecond here (the young generation is 3 MiB), a full collection a few
 * (the worker's heap is ~12 MiB).
 */

export type GarbageKind = 'minor' | 'major';
type GcFunction = (options: { type: GarbageKind }) => void;

let gcFunction: GcFunction | undefined;

/**
 * V8's `gc` without starting Node with --expose-gc: a context created while
 * the flag is on has it. The flag is turned off again at once, so that no
 * later context (another worker's) finds a global `gc`.
 */
function collect(kind: GarbageKind): void {
  if (!gcFunction) {
    const exposed = (globalThis as { gc?: GcFunction }).gc;
    if (typeof exposed === 'function') gcFunction = exposed;
    else {
      setFlagsFromString('--expose-gc');
      try {
        gcFunction = runInNewContext('gc') as GcFunction;
      } finally {
        setFlagsFromString('--no-expose-gc');
      }
    }
  }
  gcFunction({ type: kind });
}

/**
 * Returns `count(bytes)`: a scavenge after every `minor` bytes counted, and a
 * full collection instead after every `major` bytes. `run` is for tests.
 */
export function collectGarbageEvery(
  every: { minor: number; major: number },
  run: (kind: GarbageKind) => void = collect,
): (bytes: number) => void {
  let sinceMinor = 0;
  let sinceMajor = 0;
  return (bytes) => {
    sinceMinor += bytes;
    sinceMajor += bytes;
    if (sinceMajor >= every.major) {
      sinceMajor = 0;
      sinceMinor = 0;
      run('major'); // collects the young generation too
    } else if (sinceMinor >= every.minor) {
      sinceMinor = 0;
      run('minor');
    }
  };
}
