import type { JobRecord } from '../core/engine/records';
import { formatBytes } from '../core/format';

export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${Math.round(seconds)} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min`;
}

/** The `--json` shape: `{ status, tasks: [{ name, operation, status, result?, code?, message? }] }`. */
export function jobSummary(record: JobRecord): {
  status: string;
  tasks: {
    name: string;
    operation: string;
    status: string;
    result?: unknown;
    code?: string;
    message?: string;
  }[];
} {
  return {
    status: record.status,
    tasks: record.tasks.map((task) => ({
      name: task.name,
      operation: task.operation,
      status: task.status,
      ...(task.result ? { result: task.result } : {}),
      ...(task.code ? { code: task.code } : {}),
      ...(task.message ? { message: task.message } : {}),
    })),
  };
}

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
