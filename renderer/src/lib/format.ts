/** Numbers as people read them (sizes and durations: main/core/format.ts, shared with the CLI). */
import { formatBytes, formatDuration } from '../../../main/core/format';

export { formatBytes, formatDuration };

export function formatRate(bytesPerSecond: number): string {
  return `${formatBytes(bytesPerSecond)}/s`;
}

/** "3 min ago", "yesterday 14:05", for history rows. */
export function formatWhen(iso: string, now = Date.now()): string {
  const at = Date.parse(iso);
  const ago = (now - at) / 1000;
  if (ago < 45) return 'just now';
  if (ago < 3600) return `${Math.round(ago / 60)} min ago`;
  const date = new Date(at);
  const time = date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  const today = new Date(now).toDateString() === date.toDateString();
  return today ? time : `yesterday ${time}`;
}

/** Time until an ISO instant, or "expired". */
export function formatTimeLeft(iso: string, now = Date.now()): string {
  const left = (Date.parse(iso) - now) / 1000;
  return left <= 0 ? 'expired' : `${formatDuration(left)} left`;
}

export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count.toLocaleString()} ${count === 1 ? one : many}`;
}
