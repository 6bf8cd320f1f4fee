import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../core/config';
import { Engine } from '../core/engine/engine';
import { OutboxError, ValidationError } from '../core/errors';
import { findRunningServer } from '../core/http/server-info';
import type { RunningServer } from '../core/server/outbox-server';
import { startBrowserHost } from '../browser/browser-host';
import {
  lanListenProblem,
  lanSharingSchema,
  loadLanSharing,
  saveLanSharing,
} from '../core/server/lan-settings';
import type { LinkChange } from '../core/links/link-store';
import { jsonOption, UsageError, wholeNumber, type Command } from './command';
import { jobsCommand } from './jobs-command';
import { linkBaseUrl, runJob, untilSignal, withEngine } from './run-job';
import { formatBytes } from '../core/format';
import { commandHelp, packageVersion, topHelp, usageFor } from './help';
import { readJson, readTaskObject } from './input';
import { openProfiles, profileCommand } from './profile-command';

/**
 * `outbox`: the command-line host. It calls the same core as the app; every
 * command has --help, errors go to stderr as one actionable line.
 */

const serveOption = { serve: { type: 'boolean' } } as const;

const commands: Record<string, Command> = {
  run: {
    usage: 'outbox run JOB.json|- [--json] [--serve]',
    summary:
      'Validate and run a job (CloudConvert job JSON: {"tasks": {...}, "tag"?}; "-" reads it from standard input).\n' +
      'Exit code 0 only when every task finished.\n' +
      '  --json   print {"id", "tag"?, "status", "tasks": [{id, name, operation, status, result?, code?, message?}]};\n' +
      '           a job that does not start prints {"status": "error", "code", "message", "errors": [{task, field, code, message}]}\n' +
      '  --serve  keep serving the job’s temporary links in the foreground afterwards (Ctrl-C stops)',
    options: { ...jsonOption, ...serveOption },
    async run({ values, positionals }) {
      const [file, ...extra] = positionals;
      if (!file || extra.length)
        throw new UsageError('give exactly one job file (or - for standard input)');
      const job = await readJson(file);
      return runJob({ job }, { json: values.json === true, serve: values.serve === true });
    },
  },
  export: {
    usage: 'outbox export (--task TASK.json | --profile NAME) FILE... [--json] [--serve]',
    summary:
      'Export files with one export task (a CloudConvert task object without "input"), e.g.\n' +
      '  {"operation": "export/url", "inline": true}\n' +
      '  --profile NAME  to a saved destination ("outbox profile list"); with --task too, the task’s parameters override the profile’s',
    options: {
      task: { type: 'string' },
      profile: { type: 'string' },
      ...jsonOption,
      ...serveOption,
    },
    async run({ values, positionals }) {
      if (typeof values.task !== 'string' && typeof values.profile !== 'string')
        throw new UsageError('--task TASK.json or --profile NAME is required');
      if (positionals.length === 0) throw new UsageError('name at least one FILE to export');
      const task = typeof values.task === 'string' ? await readTaskObject(values.task) : {};
      if ('input' in task)
        throw new UsageError(
          `${values.task}: leave out "input"; the files come from the command line`,
        );
      const profile = typeof values.profile === 'string' ? { profile: values.profile } : {};
      const job = {
        tasks: {
          'import-files': { operation: 'import/file', path: positionals },
          export: { ...task, ...profile, input: 'import-files' },
        },
      };
      return runJob({ job }, { json: values.json === true, serve: values.serve === true });
    },
  },
  test: {
    usage: 'outbox test (--task TASK.json | --profile NAME)',
    summary:
      'Test a destination ("Test connection"): credentials and write access, leaving nothing behind.',
    options: { task: { type: 'string' }, profile: { type: 'string' } },
    async run({ values }) {
      if (typeof values.task !== 'string' && typeof values.profile !== 'string')
        throw new UsageError('--task TASK.json or --profile NAME is required');
      const task = typeof values.task === 'string' ? await readTaskObject(values.task) : {};
      const profile = typeof values.profile === 'string' ? { profile: values.profile } : {};
      return withEngine(async (engine) => {
        const result = await engine.probe({ input: 'probe', ...task, ...profile });
        console.log(result.message);
        return 0;
      });
    },
  },
  serve: {
    usage: 'outbox serve [--port PORT]',
    summary:
      'Run the local server in the foreground (temporary links, and the Outbox UI in a browser) until Ctrl-C.\n' +
      '  --port  port to listen on (default: OUTBOX_PORT or 9797)',
    options: { port: { type: 'string' } },
    async run({ values }) {
      const config = loadConfig(
        typeof values.port === 'string'
          ? { ...process.env, OUTBOX_PORT: values.port }
          : process.env,
      );
      return withEngine(
        async (engine, cfg) => {
          const host = await startBrowserHost({
            config: cfg,
            engine,
            profiles: openProfiles(cfg),
            version: packageVersion(),
            rendererDir: join(__dirname, '../renderer'),
          });
          console.log(`Outbox is serving on ${host.server.url}`);
          console.log(
            `Open the Outbox UI (this address is your key; keep it private):\n  ${host.uiUrl}`,
          );
          printLanStatus(host.server);
          console.log(`Data directory: ${cfg.home}. Press Ctrl-C to stop.`);
          await untilSignal();
          await host.close();
          console.log('Outbox stopped.');
          return 0;
        },
        config,
        { resumeInterrupted: true },
      );
    },
  },
  links: {
    usage:
      'outbox links [--json]\n       outbox links revoke ID\n' +
      '       outbox links share ID [--max-downloads N] [--expires-in SECONDS] [--password-stdin]\n' +
      '       outbox links unshare ID',
    summary:
      'List temporary links (state, expiry, downloads), revoke one at once, or share one on the local network.\n' +
      '  share ID            serve the link on the LAN too (needs "outbox settings lan on"); prints its LAN URLs\n' +
      '  unshare ID          serve it on this machine only again\n' +
      '  --max-downloads N   (share) full downloads allowed, then 410\n' +
      '  --expires-in S      (share) the link works S more seconds from now\n' +
      '  --password-stdin    (share) read a password for the link from standard input (its first line)',
    options: {
      ...jsonOption,
      'max-downloads': { type: 'string' },
      'expires-in': { type: 'string' },
      'password-stdin': { type: 'boolean' },
    },
    async run({ values, positionals }) {
      const [action, id, ...extra] = positionals;
      const config = loadConfig();
      const engine = await Engine.open(config, { linkBaseUrl: await linkBaseUrl(config) });
      try {
        if (action === 'share' || action === 'unshare') {
          if (!id || extra.length) throw new UsageError(`give the ID of the link to ${action}`);
          const change: LinkChange = { lan: action === 'share' };
          if (action === 'share') {
            if (typeof values['max-downloads'] === 'string')
              change.max_downloads = wholeNumber('--max-downloads', values['max-downloads']);
            if (typeof values['expires-in'] === 'string')
              change.expires_in = wholeNumber('--expires-in', values['expires-in']);
            if (values['password-stdin'] === true) change.password = await passwordFromStdin();
          }
          const link = await engine.links.update(id, change);
          if (!link)
            throw new OutboxError('NOT_FOUND', `no link with ID ${id} (see "outbox links")`);
          if (action === 'unshare') {
            console.log(`${id} (${link.filename}) is served on this machine only.`);
            return 0;
          }
          const server = await findRunningServer(config.home);
          const lanUrls = (server?.lan_urls ?? []).map((base) =>
            engine.links.pageUrlOf(link, base),
          );
          const lan = await loadLanSharing(config.home);
          console.log(`${id} (${link.filename}) is shared on the local network.`);
          if (lanUrls.length > 0) for (const url of lanUrls) console.log(`  ${url}`);
          else if (!lan.enabled)
            console.log(
              'LAN sharing is off: turn it on with "outbox settings lan on", then run "outbox serve".',
            );
          else console.log('It is served once "outbox serve" runs (it prints the LAN addresses).');
          return 0;
        }
        if (action === 'revoke') {
          if (!id || extra.length) throw new UsageError('give the ID of the link to revoke');
          const link = await engine.links.revoke(id);
          if (!link)
            throw new OutboxError('NOT_FOUND', `no link with ID ${id} (see "outbox links")`);
          console.log(`Revoked ${id} (${link.filename}).`);
          return 0;
        }
        if (action !== undefined) throw new UsageError(`unknown action "${action}"`);
        const links = await engine.links.list();
        if (values.json) {
          console.log(
            JSON.stringify(
              links.map(({ token: _token, password_hash, files, ...link }) => ({
                has_password: password_hash !== undefined,
                ...link,
                files: files.map((f) => ({ name: f.name, size: f.size })),
              })),
              null,
              2,
            ),
          );
        } else if (links.length === 0) {
          console.log('No links yet. Create some with: outbox export --task url.json FILE...');
        } else {
          for (const link of links) {
            const size = link.files.reduce((sum, f) => sum + f.size, 0);
            console.log(
              `${link.id}  ${link.state.padEnd(7)}  ${link.filename} (${formatBytes(size)})  ` +
                `expires ${link.expires_at}  downloads ${link.downloads}${link.lan ? '  shared on LAN' : ''}\n    ${link.url}`,
            );
          }
        }
        return 0;
      } finally {
        await engine.close();
      }
    },
  },
  settings: {
    usage:
      'outbox settings [--json]\n       outbox settings lan on [--interface ADDRESS]...\n       outbox settings lan off',
    summary:
      'Show settings, or turn LAN sharing on or off. With LAN sharing on, a running Outbox also listens on\n' +
      "this machine's network addresses (all non-internal IPv4 ones, or each --interface) and serves there\n" +
      'the links shared with "outbox links share ID" (only those: never the UI or the API). Off by default.',
    options: { ...jsonOption, interface: { type: 'string', multiple: true } },
    async run({ values, positionals }) {
      const config = loadConfig();
      const [section, state, ...extra] = positionals;
      if (section !== undefined) {
        if (section !== 'lan' || (state !== 'on' && state !== 'off') || extra.length)
          throw new UsageError('say "outbox settings lan on" or "outbox settings lan off"');
        const interfaces = (values.interface as string[] | undefined) ?? [];
        const parsed = lanSharingSchema.safeParse({
          enabled: state === 'on',
          ...(state === 'on' && interfaces.length ? { interfaces } : {}),
        });
        if (!parsed.success)
          throw new UsageError('--interface takes an IPv4 address of this machine');
        for (const address of state === 'on' ? interfaces : []) {
          const problem = lanListenProblem(address);
          if (problem) throw new UsageError(`--interface ${address}: ${problem}`);
        }
        await saveLanSharing(config.home, parsed.data);
        console.log(
          `LAN sharing is ${state} (a running "outbox serve" applies it within seconds).`,
        );
      }
      const lan = await loadLanSharing(config.home);
      const server = await findRunningServer(config.home);
      if (values.json) {
        console.log(
          JSON.stringify({ lan_sharing: lan, lan_urls: server?.lan_urls ?? [] }, null, 2),
        );
      } else {
        const where = lan.interfaces?.join(', ') ?? 'all non-internal IPv4 addresses';
        console.log(`LAN sharing: ${lan.enabled ? `ON (${where})` : 'off'}`);
        for (const url of server?.lan_urls ?? []) console.log(`  served at ${url}`);
      }
      return 0;
    },
  },
  profile: profileCommand,
  jobs: jobsCommand,
};

/** What `outbox serve` says about LAN sharing: on (and where) or off, impossible to miss. */
function printLanStatus(server: RunningServer): void {
  const urls = server.lanUrls();
  const errors = server.lanErrors();
  if (urls.length > 0) {
    console.log('LAN SHARING IS ON: links shared on the network are served to other devices at');
    for (const url of urls) console.log(`  ${url}/d/…`);
    for (const error of errors) console.log(`  could not listen on ${error}`);
  } else if (errors.length > 0) {
    console.log(
      `LAN sharing is on, but Outbox cannot listen on the network (${errors.join('; ')}): ` +
        'links are served on this machine only.',
    );
  } else {
    console.log('LAN sharing is off: links are served on this machine only.');
  }
}

async function passwordFromStdin(): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin) text += String(chunk);
  const password = text.split(/\r?\n/)[0] ?? '';
  if (!password) throw new UsageError('--password-stdin read no password');
  return password;
}

/** Links point at the server that runs on this data directory, or at the configured port. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--version' || name === '-V') {
    console.log(`outbox ${packageVersion()}`);
    return 0;
  }
  if (!name || name === '--help' || name === '-h' || (name === 'help' && rest.length === 0)) {
    console.log(topHelp(commands));
    return name ? 0 : 2;
  }
  if (name === 'help') {
    const [topic = '', ...args] = rest;
    const command = commands[topic];
    if (!command) {
      console.error(`outbox help: unknown command "${topic}". Run "outbox --help" for the list.`);
      return 2;
    }
    console.log(commandHelp(command, args));
    return 0;
  }
  const command = commands[name];
  if (!command) {
    console.error(`outbox: unknown command "${name}". Run "outbox --help" for the list.`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(commandHelp(command, rest));
    return 0;
  }
  try {
    const { values, positionals } = parseArgs({
      args: rest,
      options: command.options,
      allowPositionals: true,
      strict: true,
    });
    return await command.run({
      values,
      positionals,
    });
  } catch (error) {
    if (
      error instanceof UsageError ||
      (error as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')
    ) {
      console.error(
        `outbox ${name}: ${(error as Error).message}. Usage: ${usageFor(command, name, rest)}`,
      );
      return 2;
    }
    if (error instanceof ValidationError) {
      console.error(`outbox ${name}: ${error.message}`);
      return 1;
    }
    if (error instanceof OutboxError) {
      console.error(`outbox ${name}: ${error.message}`);
      return 1;
    }
    console.error(`outbox ${name}: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`outbox: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  },
);
