import { ProfileService } from '../core/profiles/profile-service';
import { loadConfig, type OutboxConfig } from '../core/config';
import { ValidationError } from '../core/errors';
import { startWatches } from '../core/api/host-context';
import { Watches, type WatchView } from '../core/watch/watch-service';
import { jsonOption, UsageError, type Command, type OptionValues } from './command';
import { untilSignal, withEngine } from './run-job';

/**
 * `outbox watch …`: folders whose files a saved destination delivers by
 * itself. add/list/rm only edit and read the saved watches; they run in
 * `outbox serve`, the app, or `outbox watch run` in the foreground.
 */

const subcommands = {
  add: 'outbox watch add PROFILE DIR [--after leave|move|delete] [--include GLOB]… [--exclude GLOB]… [--settle SECONDS]',
  list: 'outbox watch list [--json]',
  rm: 'outbox watch rm ID',
  run: 'outbox watch run',
};

function openWatches(config: OutboxConfig): Promise<Watches> {
  // Listing and editing need neither jobs nor a runner.
  const unused = () => Promise.reject(new Error('watches do not run here'));
  return Watches.open({
    home: config.home,
    runner: { submit: unused, wait: unused, get: unused },
    deliveryLog: { sourcesOfJob: () => new Set() },
    profiles: new ProfileService(config.home),
  });
}

function texts(value: OptionValues[string]): string[] {
  return (Array.isArray(value) ? value : value === undefined ? [] : [value]).map(String);
}

function describe(watch: WatchView): string {
  const lines = [
    `${watch.id}  ${watch.state}  ${watch.dir} → ${watch.profile}  after: ${watch.after}  settle: ${watch.settle_seconds} s`,
    `    pending: ${watch.pending}  last delivery: ${watch.last_delivery_at ?? 'none yet'}`,
  ];
  if (watch.include.length) lines.push(`    include: ${watch.include.join('  ')}`);
  if (watch.exclude.length) lines.push(`    exclude: ${watch.exclude.join('  ')}`);
  if (watch.last_error)
    lines.push(
      `    last error: ${watch.last_error}${watch.retry_at ? ` (next try ${watch.retry_at})` : ''}`,
    );
  return lines.join('\n');
}

/** A ValidationError as the CLI's flags name them (`settle` → `--settle`). */
function asFlags(error: ValidationError): ValidationError {
  const flag = (field: string) =>
    field === 'profile' ? 'PROFILE' : field === 'dir' ? 'DIR' : `--${field}`;
  return new ValidationError(
    Object.fromEntries(Object.entries(error.fields).map(([field, m]) => [flag(field), m])),
  );
}

async function add(config: OutboxConfig, values: OptionValues, args: string[]): Promise<number> {
  const [profile, dir, ...extra] = args;
  if (!profile || !dir || extra.length) throw new UsageError('give a PROFILE and a DIR to watch');
  const watches = await openWatches(config);
  try {
    const watch = await watches
      .add({
        profile,
        dir,
        ...(typeof values.after === 'string' ? { after: values.after } : {}),
        include: texts(values.include),
        exclude: texts(values.exclude),
        ...(typeof values.settle === 'string' ? { settle_seconds: values.settle } : {}),
      })
      .catch((error: unknown) => {
        throw error instanceof ValidationError ? asFlags(error) : error;
      });
    console.log(
      `Watching ${watch.dir} for "${watch.profile}" as ${watch.id} (runs in "outbox serve", the app, or "outbox watch run").`,
    );
    return 0;
  } finally {
    watches.close();
  }
}

export const watchCommand: Command = {
  usage: Object.values(subcommands).join('\n       '),
  summary:
    'Watch folders: files that appear in DIR (and its subfolders) are delivered to the saved destination PROFILE\n' +
    'once complete (size and modification time unchanged for the settle time, or moved in whole), once each.\n' +
    '  add PROFILE DIR     save a watch (checked first: the profile exists, DIR is a folder, globs and numbers are valid)\n' +
    '  --after ACTION      after a verified delivery: leave (default), move (to a sent/ folder beside the file), delete\n' +
    '  --include GLOB      only files matching GLOB (repeatable; without / it matches the file name at any depth)\n' +
    '  --exclude GLOB      never files or folders matching GLOB (repeatable); sent/ folders are always left out\n' +
    '  --settle SECONDS    how long a file must stay unchanged (decimal, default 5)\n' +
    '  list [--json]       watches: id, profile, dir, after, include, exclude, settle, state, pending, last delivery, last error\n' +
    '  rm ID               stop and forget a watch (the files stay)\n' +
    '  run                 run the watches in the foreground until Ctrl-C (as "outbox serve" does, without the UI)',
  options: {
    ...jsonOption,
    after: { type: 'string' },
    include: { type: 'string', multiple: true },
    exclude: { type: 'string', multiple: true },
    settle: { type: 'string' },
  },
  async run({ values, positionals }) {
    const [action, ...args] = positionals;
    const config = loadConfig();
    if (action === 'add') return add(config, values, args);
    if (action === 'list' || action === undefined) {
      if (args.length) throw new UsageError('list takes no arguments');
      const watches = await openWatches(config);
      const list = await watches.list().finally(() => watches.close());
      if (values.json === true) console.log(JSON.stringify(list, null, 2));
      else if (list.length === 0)
        console.log('No watches yet. Add one with: outbox watch add PROFILE DIR');
      else console.log(list.map(describe).join('\n'));
      return 0;
    }
    if (action === 'rm') {
      const [id, ...extra] = args;
      if (!id || extra.length) throw new UsageError('give the ID of the watch to remove');
      const watches = await openWatches(config);
      await watches.remove(id).finally(() => watches.close());
      console.log(`Removed watch ${id}.`);
      return 0;
    }
    if (action === 'run') {
      if (args.length) throw new UsageError('run takes no arguments');
      return withEngine(
        async (engine, cfg) => {
          const watches = await startWatches(engine, new ProfileService(cfg.home));
          const list = await watches.list();
          console.log(
            `Running ${list.length} watch${list.length === 1 ? '' : 'es'} on ${cfg.home}. Press Ctrl-C to stop.`,
          );
          for (const id of watches.elsewhere)
            console.log(
              `  ${id} is run by another Outbox process; it is taken over if that one stops.`,
            );
          await untilSignal();
          await watches.close();
          return 0;
        },
        config,
        { resumeInterrupted: true },
      );
    }
    throw new UsageError(`unknown action "${action}"`);
  },
};
