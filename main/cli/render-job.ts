import type { JobRecord } from '../core/transfer/records';
import { formatBytes } from '../core/format';

/** Human output: one line per task, then one per delivered file (its link or location). */
export function renderJob(record: JobRecord): string {
  const lines: string[] = [];
  for (const task of record.tasks) {
    if (task.operation === 'import/file') continue;
    lines.push(
      `${task.name} (${task.operation}): ${task.status}${task.message ? ` - ${task.message}` : ''}`,
    );
    for (const file of task.result?.files ?? []) {
      const where = file.url ?? file.location ?? '';
      lines.push(
        `  ${file.filename} (${formatBytes(file.size)})${where ? `  ${String(where)}` : ''}`,
      );
    }
  }
  return lines.join('\n');
}
