import { basename, extname } from 'node:path';
import { loadConfig } from '../core/config';
import { fieldKind, type ProfilePatch, type SecretState } from '../core/profiles/profile-params';
import { ProfileService, type ProfileView } from '../core/profiles/profile-service';
import { destinationOf } from '../core/tasks/destinations';
import { isExportOperation, type ExportOperation } from '../core/tasks/operations';
import { secretFieldsOf } from '../core/tasks/secrets';
import { UsageError, strings, type Command, type OptionValues } from './command';
import { readTaskObject } from './input';

/** `outbox profile …`: saved destinations; their secrets live in the OS keychain. */

type Subcommand = {
  usage: string;
  summary: string;
  /** Options this subcommand accepts (of the profile command's option set). */
  accepts: string[];
  run: (values: OptionValues, args: string[], profiles: ProfileService) => Promise<number>;
};

const flagsHelp =
  '  --set FIELD=VALUE     a parameter (repeatable); FIELD.KEY=VALUE for an entry of metadata, tagging or headers\n' +
  '  --secret-stdin FIELD  read FIELD (e.g. secret_access_key, headers.Authorization) from standard input\n' +
  '                        instead of the command line, where it would stay in your shell history';

const subcommands: Record<string, Subcommand> = {
  add: {
    usage:
      'outbox profile add NAME (--task TASK.json | --operation OPERATION) [--set FIELD=VALUE]... [--secret-stdin FIELD]',
    summary:
      'Save a destination. TASK.json is a CloudConvert export task (its "input" is ignored); secrets go to the OS keychain.\n' +
      '  --operation  e.g. export/s3, export/sftp, export/upload (parameters then come from --set)\n' +
      flagsHelp,
    accepts: ['task', 'operation', 'set', 'secret-stdin'],
    async run(values, args, profiles) {
      const name = onlyArg(args, 'NAME');
      const task = await taskFromFlags(values);
      const view = await profiles.add(name, task);
      console.log(`Saved profile "${view.name}" (${view.operation}).${keychainNote(view)}`);
      return 0;
    },
  },
  list: {
    usage: 'outbox profile list [--json]',
    summary: 'The saved profiles. --json prints them with every secret as {"set": true|false}.',
    accepts: ['json'],
    async run(values, args, profiles) {
      if (args.length) throw new UsageError('profile list takes no arguments');
      const list = await profiles.list();
      if (values.json) console.log(JSON.stringify(list, null, 2));
      else if (list.length === 0)
        console.log('No profiles yet. Save one with: outbox profile add NAME --task TASK.json');
      else
        for (const p of list)
          console.log(
            `${p.name}  ${p.operation}  ${destinationOf(p.operation).address(p.params)}`.trimEnd(),
          );
      return 0;
    },
  },
  show: {
    usage: 'outbox profile show NAME [--json]',
    summary: 'A profile’s parameters; secrets are shown only as set or not set.',
    accepts: ['json'],
    async run(values, args, profiles) {
      const view = await profiles.get(onlyArg(args, 'NAME'));
      console.log(values.json ? JSON.stringify(view, null, 2) : renderProfile(view));
      return 0;
    },
  },
  edit: {
    usage:
      'outbox profile edit NAME [--task TASK.json] [--set FIELD=VALUE]... [--unset FIELD]... [--secret-stdin FIELD]',
    summary:
      'Change a profile. Parameters in TASK.json and --set replace the saved ones; the others stay.\n' +
      '  --unset FIELD  remove a parameter or secret (FIELD.KEY: one entry of metadata, tagging or headers)\n' +
      flagsHelp,
    accepts: ['task', 'set', 'unset', 'secret-stdin'],
    async run(values, args, profiles) {
      const name = onlyArg(args, 'NAME');
      const current = await profiles.get(name);
      const patch: ProfilePatch = values.task ? await readTaskObject(String(values.task)) : {};
      mergePatch(patch, await patchFromFlags(current.operation, values));
      for (const field of strings(values.unset)) mergePatch(patch, unsetPatch(field));
      if (Object.keys(patch).length === 0)
        throw new UsageError('nothing to change: give --task, --set, --unset or --secret-stdin');
      const view = await profiles.edit(name, patch);
      console.log(`Updated profile "${view.name}".${keychainNote(view)}`);
      return 0;
    },
  },
  rename: {
    usage: 'outbox profile rename OLD NEW',
    summary: 'Rename a profile; its secrets stay in the keychain.',
    accepts: [],
    async run(_values, args, profiles) {
      const [oldName, newName, ...extra] = args;
      if (oldName === undefined || newName === undefined || extra.length)
        throw new UsageError('give the old and the new name');
      const view = await profiles.rename(oldName, newName);
      console.log(`Renamed "${oldName}" to "${view.name}".`);
      return 0;
    },
  },
  rm: {
    usage: 'outbox profile rm NAME',
    summary: 'Delete a profile and its secrets in the keychain.',
    accepts: [],
    async run(_values, args, profiles) {
      const name = onlyArg(args, 'NAME');
      await profiles.remove(name);
      console.log(`Deleted profile "${name}".`);
      return 0;
    },
  },
  export: {
    usage: 'outbox profile export NAME [--include-secrets]',
    summary:
      'Print the profile as a CloudConvert export task (JSON, without "input").\n' +
      '  --include-secrets  include the secrets from the keychain, in plain text (keep the output safe)',
    accepts: ['include-secrets'],
    async run(values, args, profiles) {
      const includeSecrets = values['include-secrets'] === true;
      const task = await profiles.export(onlyArg(args, 'NAME'), { includeSecrets });
      console.log(JSON.stringify(task, null, 2));
      if (includeSecrets)
        console.error('outbox profile export: the output contains secrets in plain text.');
      return 0;
    },
  },
  import: {
    usage: 'outbox profile import FILE [--name NAME] [--set FIELD=VALUE]... [--secret-stdin FIELD]',
    summary:
      'Save a CloudConvert export task (e.g. from "outbox profile export") as a profile named NAME\n' +
      '(default: the file name without .json). Secrets the file leaves out can be given here.\n' +
      flagsHelp,
    accepts: ['name', 'set', 'secret-stdin'],
    async run(values, args, profiles) {
      const file = onlyArg(args, 'FILE');
      const name = typeof values.name === 'string' ? values.name : basename(file, extname(file));
      const task = await readTaskObject(file);
      const operation = isExportOperation(task.operation) ? task.operation : undefined;
      if (operation) mergePatch(task, await patchFromFlags(operation, values));
      const view = await profiles.import(task, name);
      console.log(`Imported profile "${view.name}" (${view.operation}).${keychainNote(view)}`);
      return 0;
    },
  },
};

const allOptions = {
  task: { type: 'string' },
  operation: { type: 'string' },
  set: { type: 'string', multiple: true },
  unset: { type: 'string', multiple: true },
  'secret-stdin': { type: 'string' },
  json: { type: 'boolean' },
  'include-secrets': { type: 'boolean' },
  name: { type: 'string' },
} as const;

export const profileCommand: Command = {
  usage: [
    'outbox profile add|list|show|edit|rename|rm|export|import ...',
    ...Object.values(subcommands).map((s) => `       ${s.usage}`),
  ].join('\n'),
  summary:
    'Saved destinations: a name, an export operation and its parameters. Secrets (keys, passwords,\n' +
    'tokens, header values) are kept in the OS keychain, never in files. Use one with\n' +
    '"outbox export --profile NAME FILE..." or "profile": "NAME" in a job’s task.\n' +
    'Run "outbox profile SUBCOMMAND --help" for details.',
  options: allOptions,
  help(args) {
    const sub = subcommands[args.find((a) => !a.startsWith('-')) ?? ''];
    return sub
      ? `Usage: ${sub.usage}\n\n${sub.summary}`
      : `Usage: ${profileCommand.usage}\n\n${profileCommand.summary}`;
  },
  async run({ values, positionals }) {
    const [action, ...args] = positionals;
    const sub = subcommands[action ?? ''];
    if (!sub) {
      throw new UsageError(
        action === undefined
          ? `give a subcommand: ${Object.keys(subcommands).join(', ')}`
          : `unknown subcommand "${action}"; expected one of ${Object.keys(subcommands).join(', ')}`,
      );
    }
    for (const [option, value] of Object.entries(values)) {
      if (value !== undefined && !sub.accepts.includes(option))
        throw new UsageError(`--${option} is not an option of "profile ${action}"`);
    }
    return sub.run(values, args, new ProfileService(loadConfig().home));
  },
};

function onlyArg(args: string[], what: string): string {
  const [arg, ...extra] = args;
  if (arg === undefined || extra.length) throw new UsageError(`give exactly one ${what}`);
  return arg;
}

function isTaskObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The task for `profile add`: from --task or --operation, then --set and --secret-stdin on top. */
async function taskFromFlags(values: OptionValues): Promise<Record<string, unknown>> {
  if (values.task !== undefined && values.operation !== undefined)
    throw new UsageError('give --task or --operation, not both');
  const task: Record<string, unknown> =
    typeof values.task === 'string'
      ? await readTaskObject(values.task)
      : typeof values.operation === 'string'
        ? { operation: values.operation }
        : {};
  if (task.operation === undefined)
    throw new UsageError('give --task TASK.json or --operation OPERATION');
  if (!isExportOperation(task.operation)) return task; // validation names the operation
  mergePatch(task, await patchFromFlags(task.operation, values));
  return task;
}

/** --set and --secret-stdin as a patch, each value typed as its field expects. */
async function patchFromFlags(
  operation: ExportOperation,
  values: OptionValues,
): Promise<ProfilePatch> {
  const patch: ProfilePatch = {};
  const secrets = new Map(secretFieldsOf(operation).map((f) => [f.name, f.mode]));
  let secretOnCommandLine = false;
  for (const assignment of strings(values.set)) {
    const eq = assignment.indexOf('=');
    if (eq <= 0) throw new UsageError(`--set ${assignment}: write FIELD=VALUE`);
    const path = assignment.slice(0, eq);
    mergePatch(patch, fieldPatch(operation, path, assignment.slice(eq + 1)));
    if (secrets.has(path.split('.')[0] ?? '')) secretOnCommandLine = true;
  }
  if (typeof values['secret-stdin'] === 'string') {
    const path = values['secret-stdin'];
    if (!secrets.has(path.split('.')[0] ?? ''))
      throw new UsageError(
        `--secret-stdin ${path}: not a secret of ${operation} (its secrets: ${[...secrets.keys()].join(', ') || 'none'})`,
      );
    mergePatch(patch, fieldPatch(operation, path, await readSecretFromStdin(path)));
  }
  if (secretOnCommandLine) {
    console.error(
      'outbox profile: note: a secret given with --set can stay in your shell history; --secret-stdin FIELD reads it from standard input.',
    );
  }
  return patch;
}

/** `FIELD` or `FIELD.KEY` (an entry of a dictionary) set to a text value. */
function fieldPatch(operation: ExportOperation, path: string, text: string): ProfilePatch {
  const dot = path.indexOf('.');
  const field = dot < 0 ? path : path.slice(0, dot);
  const kind = fieldKind(operation, field);
  if (dot >= 0) {
    if (kind !== 'dictionary')
      throw new UsageError(`${field} has no entries: write --set ${field}=VALUE`);
    return { [field]: { [path.slice(dot + 1)]: text } };
  }
  if (kind === 'boolean') {
    if (text !== 'true' && text !== 'false')
      throw new UsageError(`--set ${field}: write true or false`);
    return { [field]: text === 'true' };
  }
  if (kind === 'dictionary') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (!isTaskObject(parsed))
      throw new UsageError(
        `--set ${field}: give a JSON object, or one entry with --set ${field}.KEY=VALUE`,
      );
    return { [field]: parsed };
  }
  return { [field]: text };
}

function unsetPatch(path: string): ProfilePatch {
  const dot = path.indexOf('.');
  return dot < 0 ? { [path]: null } : { [path.slice(0, dot)]: { [path.slice(dot + 1)]: null } };
}

/** Adds `patch` to `into`, merging dictionary entries. */
function mergePatch(into: Record<string, unknown>, patch: ProfilePatch): void {
  for (const [field, value] of Object.entries(patch)) {
    const existing = into[field];
    into[field] = isTaskObject(existing) && isTaskObject(value) ? { ...existing, ...value } : value;
  }
}

async function readSecretFromStdin(field: string): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write(`${field} (then Enter and Ctrl-D): `);
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const value = Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
  if (value === '') throw new UsageError(`--secret-stdin ${field}: standard input was empty`);
  return value;
}

function isSecretState(value: unknown): value is SecretState {
  return isTaskObject(value) && typeof value.set === 'boolean' && Object.keys(value).length === 1;
}

function keychainNote(view: ProfileView): string {
  const set: string[] = [];
  for (const [field, value] of Object.entries(view.params)) {
    if (isSecretState(value) && value.set) set.push(field);
    else if (isTaskObject(value))
      for (const [key, v] of Object.entries(value))
        if (isSecretState(v) && v.set) set.push(`${field}.${key}`);
  }
  return set.length ? ` Secrets in the keychain: ${set.join(', ')}.` : '';
}

function renderValue(value: unknown): string {
  if (isSecretState(value)) return value.set ? '(secret, set)' : '(secret, not set)';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function renderProfile(view: ProfileView): string {
  const lines = [
    `${view.name} (${view.operation})`,
    `  created ${view.created_at}, updated ${view.updated_at}`,
  ];
  for (const [field, value] of Object.entries(view.params).sort(([a], [b]) => a.localeCompare(b))) {
    if (isTaskObject(value) && !isSecretState(value)) {
      lines.push(`  ${field}:`);
      for (const [key, v] of Object.entries(value)) lines.push(`    ${key}: ${renderValue(v)}`);
    } else {
      lines.push(`  ${field}: ${renderValue(value)}`);
    }
  }
  return lines.join('\n');
}
