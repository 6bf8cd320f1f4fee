import { z } from 'zod';
import { ValidationError, type OutboxError } from '../errors';
import { jobRecordSchema, taskRecordSchema, type JobRecord } from '../transfer/records';

/**
 * A job as scripts read it (`outbox run|export|jobs --json`): the job record
 * the API gives the UI, cut to what CloudConvert's job JSON has. Picked from
 * the record's own schema, so the two cannot drift apart.
 */
export const jobSummarySchema = jobRecordSchema
  .pick({ id: true, tag: true, status: true, queue_position: true })
  .extend({
    tasks: z.array(
      taskRecordSchema.pick({
        id: true,
        name: true,
        operation: true,
        status: true,
        result: true,
        code: true,
        message: true,
      }),
    ),
  });
export type JobSummary = z.infer<typeof jobSummarySchema>;

/** `{ id, tag?, status, queue_position?, tasks: [{ id, name, operation, status, result?, code?, message? }] }`. */
export function jobSummary(record: JobRecord): JobSummary {
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

/**
 * A job that did not start, as scripts read it: `{ status: "error", code,
 * message, errors: [{ task, field, code, message }] }`, each field error with
 * the task it belongs to (`null`: the job itself).
 */
export const failureSummarySchema = z.object({
  status: z.literal('error'),
  code: z.string(),
  message: z.string(),
  errors: z.array(
    z.object({
      task: z.string().nullable(),
      field: z.string(),
      code: z.string(),
      message: z.string(),
    }),
  ),
});
export type FailureSummary = z.infer<typeof failureSummarySchema>;

export function failureSummary(error: OutboxError, taskNames: string[]): FailureSummary {
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
