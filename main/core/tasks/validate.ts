import type { z } from 'zod';
import { ValidationError, type FieldErrors } from '../errors';
import { unsupportedOperationMessage } from './cloudconvert';
import { checkKeys } from './key-checks';
import {
  isExportOperation,
  isOperation,
  operations,
  taskSchemas,
  type ExportTask,
  type ImportFileTask,
  type Operation,
  type Task,
} from './operations';

/** A job as CloudConvert writes it: named tasks, linked by `input`, and an optional `tag`. */
export type Job = { tasks: Record<string, Task>; tag?: string };

export function addFieldError(fields: FieldErrors, path: string, message: string): void {
  (fields[path] ??= []).push(message);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function valueAt(root: unknown, path: PropertyKey[]): unknown {
  let value = root;
  for (const key of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/** zod issues → messages keyed by dotted field path under `prefix`. */
export function collectIssues(
  issues: z.core.$ZodIssue[],
  prefix: string,
  into: FieldErrors,
  input?: unknown,
): void {
  for (const issue of issues) {
    const base = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys)
        addFieldError(into, `${base ? base + '.' : ''}${key}`, 'unknown parameter');
    } else if (
      issue.code !== 'custom' &&
      issue.path.length > 0 &&
      valueAt(input, issue.path) === undefined
    ) {
      addFieldError(into, base, 'is required');
    } else {
      addFieldError(into, base, issue.message);
    }
  }
}

/** Validates one task object; errors are keyed under `path` (e.g. `tasks.upload`). */
export function parseTask(raw: unknown, path: string, fields: FieldErrors = {}): Task | undefined {
  if (!isRecord(raw)) {
    addFieldError(fields, path, 'must be an object with an "operation"');
    return undefined;
  }
  const operation = raw.operation;
  if (!isOperation(operation)) {
    addFieldError(
      fields,
      `${path ? path + '.' : ''}operation`,
      operation === undefined
        ? 'is required'
        : (unsupportedOperationMessage(operation) ??
            `unknown operation ${JSON.stringify(operation)}; expected one of ${operations.join(', ')}`),
    );
    return undefined;
  }
  const schema: z.ZodType<Task> = taskSchemas[operation as Operation];
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    collectIssues(parsed.error.issues, path, fields, raw);
    return undefined;
  }
  const before = Object.keys(fields).length;
  checkKeys(parsed.data, path, fields);
  return Object.keys(fields).length === before ? parsed.data : undefined;
}

/** Like parseTask, but throws a ValidationError naming every bad field. */
export function validateTask(raw: unknown, path = ''): Task {
  const fields: FieldErrors = {};
  const task = parseTask(raw, path, fields);
  if (!task) throw new ValidationError(fields);
  return task;
}

export function inputsOf(task: Task): string[] {
  if (task.operation === 'import/file') return [];
  return typeof task.input === 'string' ? [task.input] : task.input;
}

export function isImportTask(task: Task): task is ImportFileTask {
  return task.operation === 'import/file';
}

export function isExportTask(task: Task): task is ExportTask {
  return task.operation !== 'import/file';
}

/**
 * Validates a whole job: every task's parameters, then the graph (unknown
 * inputs, cycles, exports fed by something other than an import). Throws one
 * ValidationError listing every problem; nothing may run until this passes.
 */
export function validateJob(raw: unknown): Job {
  const fields: FieldErrors = {};
  if (!isRecord(raw) || !isRecord(raw.tasks)) {
    throw ValidationError.of('tasks', 'a job needs a "tasks" object of named tasks');
  }
  for (const key of Object.keys(raw)) {
    if (key === 'tasks' || key === 'tag') continue;
    addFieldError(
      fields,
      key,
      key === 'webhook_url'
        ? 'Outbox calls no webhooks: leave it out (run with --json, or watch the job in the app)'
        : 'unknown parameter (a job has "tasks" and an optional "tag")',
    );
  }
  if (raw.tag !== undefined && typeof raw.tag !== 'string')
    addFieldError(fields, 'tag', 'must be a string');
  const names = Object.keys(raw.tasks);
  if (names.length === 0) throw ValidationError.of('tasks', 'must contain at least one task');

  const tasks: Record<string, Task> = {};
  for (const name of names) {
    if (name === '__proto__') {
      // Assigning it would set the prototype of `tasks`: the task would silently vanish.
      addFieldError(fields, `tasks.${name}`, 'is a reserved name: give the task another name');
      continue;
    }
    const task = parseTask(raw.tasks[name], `tasks.${name}`, fields);
    if (task) tasks[name] = task;
  }
  validateGraph(
    Object.fromEntries(
      names.map((name) => [name, nodeOf((raw.tasks as Record<string, unknown>)[name])]),
    ),
    fields,
  );
  if (Object.keys(fields).length > 0) throw new ValidationError(fields);

  if (!Object.values(tasks).some(isExportTask)) {
    throw ValidationError.of('tasks', 'the job has no export task: add one (e.g. export/url)');
  }
  return typeof raw.tag === 'string' ? { tasks, tag: raw.tag } : { tasks };
}

/** The graph as written, also for tasks whose parameters are invalid: every problem is reported at once. */
type Node = { operation: unknown; inputs: string[] };

function nodeOf(raw: unknown): Node {
  const task = isRecord(raw) ? raw : {};
  const input = task.input;
  const inputs =
    typeof input === 'string'
      ? [input]
      : Array.isArray(input)
        ? input.filter((i): i is string => typeof i === 'string')
        : [];
  return { operation: task.operation, inputs: task.operation === 'import/file' ? [] : inputs };
}

function validateGraph(graph: Record<string, Node>, fields: FieldErrors): void {
  for (const [name, node] of Object.entries(graph)) {
    for (const input of node.inputs) {
      if (input === name)
        addFieldError(fields, `tasks.${name}.input`, 'a task cannot be its own input');
      // Own names only: "toString" or "constructor" is no task of the job.
      else if (!Object.hasOwn(graph, input))
        addFieldError(fields, `tasks.${name}.input`, `unknown task "${input}"`);
    }
  }
  const cycle = findCycle(graph);
  if (cycle) {
    addFieldError(fields, `tasks.${cycle[0]}.input`, `cycle: ${cycle.join(' → ')}`);
    return;
  }
  // Only exports are checked against their inputs: any other task already has its own
  // message (an operation Outbox does not run), and its inputs say nothing more.
  for (const [name, node] of Object.entries(graph)) {
    if (!isExportOperation(node.operation)) continue;
    for (const input of node.inputs) {
      const source = Object.hasOwn(graph, input) ? graph[input] : undefined;
      if (source && input !== name && isExportOperation(source.operation)) {
        addFieldError(
          fields,
          `tasks.${name}.input`,
          `"${input}" is an ${String(source.operation)} task: an export takes its files from an import/file task`,
        );
      }
    }
  }
}

function findCycle(graph: Record<string, Node>): string[] | undefined {
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (name: string): string[] | undefined => {
    if (state.get(name) === 'done') return undefined;
    if (state.get(name) === 'visiting') return [...stack.slice(stack.indexOf(name)), name];
    state.set(name, 'visiting');
    stack.push(name);
    for (const input of graph[name]?.inputs ?? []) {
      if (input === name || !Object.hasOwn(graph, input)) continue;
      const cycle = visit(input);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(name, 'done');
    return undefined;
  };
  for (const name of Object.keys(graph)) {
    const cycle = visit(name);
    if (cycle) return cycle;
  }
  return undefined;
}
