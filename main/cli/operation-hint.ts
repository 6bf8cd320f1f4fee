import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { homeFromEnv } from '../core/default-home';
import { hasExporter } from '../core/exporters/registry';
import type { ExportOperation } from '../core/tasks/operations';

/**
 * A guess, made before the CLI loads, at which exporters a command line will run, so its
 * exporter thread loads them (their SDKs) while the main thread still loads and plans
 * (early-exporter-thread.ts). It reads the task, job and profile files the command names,
 * synchronously and without validating anything: any doubt means no guess, and the
 * command's own parsing reports every mistake later, as before. This module stays light
 * (node:fs, node:path, and the exporter registry, which imports nothing at load): it runs
 * before everything else.
 */

/** The commands that export, and the options among theirs that take a value (parseArgs). */
const EXPORTING = new Set(['export', 'run', 'test']);
const VALUE_OPTIONS = {
  task: { type: 'string', multiple: true },
  profile: { type: 'string', multiple: true },
  bwlimit: { type: 'string' },
} as const;

/** Standard input (`run -`, `--task -`): not read here, the command reads it. */
const STDIN = '-';

/**
 * What `argv` (the arguments after `outbox`) means for the early exporter thread:
 * undefined for none (not an exporting command, or its help, or tasks that all run without
 * an exporter thread: export/url's links are made in the main thread), otherwise the distinct
 * `operation`s of the tasks it names (unchecked strings, possibly none).
 */
export function exporterHint(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): { operations: string[] } | undefined {
  const [name, ...rest] = argv;
  if (!name || !EXPORTING.has(name) || rest.includes('--help') || rest.includes('-h'))
    return undefined;
  const operations = new Set<string>();
  const profiles = new ProfileNames(env);
  const addTask = (task: unknown) => {
    if (!isObject(task)) return;
    const operation = typeof task.operation === 'string' ? task.operation : undefined;
    const profile =
      typeof task.profile === 'string' ? profiles.operationOf(task.profile) : undefined;
    for (const found of [operation, profile]) if (found) operations.add(found);
  };
  // Not strict: the command's own parsing reports mistakes later.
  const { values, positionals } = parseArgs({
    args: [...rest],
    options: VALUE_OPTIONS,
    strict: false,
    allowPositionals: true,
  });
  // A value-less `--task` parses as true. (Not command.ts's strings(): that module is in the
  // CLI's large chunk, which this one must not load.)
  for (const file of [values.task ?? []].flat())
    if (typeof file === 'string') addTask(readJson(file));
  for (const profile of [values.profile ?? []].flat())
    if (typeof profile === 'string') addTask({ profile });
  if (name === 'run' && positionals[0] !== undefined) {
    // run's job file: {"tasks": {"name": task, ...}}
    const job = readJson(positionals[0]);
    if (isObject(job) && isObject(job.tasks)) Object.values(job.tasks).forEach(addTask);
  }
  const found = [...operations];
  if (found.length > 0 && !found.some(runsInThread)) return undefined;
  return { operations: found };
}

/** Whether an (unchecked) operation is an export that an exporter thread runs. */
function runsInThread(operation: string): boolean {
  return operation.startsWith('export/') && hasExporter(operation as ExportOperation);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The JSON in `path`, or undefined for anything that is not (standard input is not read). */
function readJson(path: string): unknown {
  if (path === STDIN) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8').replace(/^\uFEFF/, ''));
  } catch {
    return undefined;
  }
}

/**
 * Saved profiles' operations by name, from their plain records
 * (`<home>/profiles/<id>.json`, main/core/profiles/profile-store.ts): no keychain, no
 * schema. The folder is read once, when a profile is first named.
 */
class ProfileNames {
  private byName: Map<string, string> | undefined;

  constructor(private readonly env: NodeJS.ProcessEnv) {}

  operationOf(name: string): string | undefined {
    this.byName ??= this.read();
    return this.byName.get(name);
  }

  private read(): Map<string, string> {
    const byName = new Map<string, string>();
    const dir = join(homeFromEnv(this.env), 'profiles');
    let files: string[];
    try {
      files = readdirSync(dir).filter((file) => file.endsWith('.json'));
    } catch {
      return byName;
    }
    for (const file of files) {
      const record = readJson(join(dir, file));
      if (
        isObject(record) &&
        typeof record.name === 'string' &&
        typeof record.operation === 'string'
      )
        byName.set(record.name, record.operation);
    }
    return byName;
  }
}
