import type { ApiEvent } from '../../../main/core/api/outbox-api';

/**
 * Collects API events and hands them over in batches, at most every
 * `intervalMs`: with thousands of files in flight the store changes a few
 * times per second, not once per event.
 */
export function batchEvents(
  flush: (events: ApiEvent[]) => void,
  intervalMs = 200,
): (event: ApiEvent) => void {
  let pending: ApiEvent[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  return (event) => {
    pending.push(event);
    timer ??= setTimeout(() => {
      timer = undefined;
      const batch = pending;
      pending = [];
      flush(batch);
    }, intervalMs);
  };
}
