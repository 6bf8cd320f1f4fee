import type { JobRecord } from '../core/transfer/records';
import { ValidationError, type OutboxError } from '../core/errors';
import { formatBytes } from '../core/format';

/** One task in `--json` output. */
export type TaskSummary = {
  id: string;
  name: string;
  operation: string;
  status: string;
  result?: unknown;
  code?: string;
  message?: string;
};

/** The `--json` shape: `{ id, tag?, status, queue_position?, tasks: [{ id, name, operation, status, result?, code?, message? }] }`. */
export function jobSummary(record: JobRecord): {
  id: string;
  tag?: string;
  status: string;
  queue_position?: number;
  tasks: TaskSummary[];
} {
  return {
    id: record.id,
    ...(record.tag === undefined ? {} : { tag: record.tag }),
    status: record.status,
    ...(record.queue_position === undefined ? {} : { queue_position: record.queue_position }),
    tasks: record.tasks.map((task) => ({
      id: task.id,
      name: task.name,
      operation: task.operation,
      status: task.status,
      ...(task.result ? { result: task.result } : {}),
      ...(task.code ? { code: task.code } : {}),
      ...(task.message ? { message: task.message } : {}),
    })),
  };
}

/** One problem of a job that did not start, in `--json` output. */
export type ErrorSummary = { task: string | null; field: string; code: string; message: string };

/**
 * The `--json` shape of a job that did not start: `{ status: "error", code,
 * message, errors: [{ task, field, code, message }] }`, each field error with
 * the task it belongs to (`null`: the job itself).
 */
export function failureSummary(
  error: OutboxError,
  taskNames: string[],
): { status: 'error'; code: string; message: string; errors: ErrorSummary[] } {
  const fields = error instanceof ValidationError ? error.fields : { '': [error.message] };
  // Longest first: a task named "a.b" owns "tasks.a.b.key", not a task named "a".
  const names = [...taskNames].sort((a, b) => b.length - a.length);
  const errors = Object.entries(fields).flatMap(([path, messages]) => {
    const task = names.find(
      (name) => path === `tasks.${name}` || path.startsWith(`tasks.${name}.`),
    );
    const field = task === undefined ? path : path.slice(`tasks.${task}.`.length);
    return messages.map((message) => ({ task: task ?? null, field, code: error.code, message }));
  });
  return { status: 'error', code: error.code, message: error.message, errors };
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
