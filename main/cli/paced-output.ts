import { once } from 'node:events';
import type { Writable } from 'node:stream';

/**
 * Writes `text` to `out` (stdout) and, when `out` holds more than it wants,
 * waits until it has passed it on: stdout to a pipe (`outbox … | jq`) is
 * asynchronous, and long output written without waiting (a 100,000-file job,
 * a delivery log of 100,000 entries) was all held in memory at once.
 */
export async function writePaced(text: string, out: Writable = process.stdout): Promise<void> {
  if (!out.write(text)) await once(out, 'drain');
}
