import '../core/young-generation';
import '../core/compile-cache';
import './early-exporter-thread';
import { parseArgs } from 'node:util';
import { UsageError, type Command } from './command';
import { commandHelp, packageVersion, topHelp, usageFor } from './help';

/**
 * `outbox`: the command-line host. It calls the same core as the app; every
 * command has --help, errors go to stderr as one actionable line.
 */

/**
 * Each command's module is loaded when that command runs (help loads them
 * all): an export loads no link server, folder watcher or other command,
 * and its process stays that much smaller (BENCHMARKS.md, the 1 MiB export).
 */
const commands: Record<string, () => Promise<Command>> = {
  run: async () => (await import('./export-command')).runCommand,
  export: async () => (await import('./export-command')).exportCommand,
  test: async () => (await import('./export-command')).testCommand,
  serve: async () => (await import('./serve-command')).serveCommand,
  links: async () => (await import('./links-command')).linksCommand,
  settings: async () => (await import('./settings-command')).settingsCommand,
  profile: async () => (await import('./profile-command')).profileCommand,
  jobs: async () => (await import('./jobs-command')).jobsCommand,
  log: async () => (await import('./log-command')).logCommand,
  watch: async () => (await import('./watch-command')).watchCommand,
};

/** The command named `name`, loaded; undefined for a name that is none (`constructor` too). */
async function loadCommand(name: string): Promise<Command | undefined> {
  return Object.hasOwn(commands, name) ? commands[name]!() : undefined;
}

/** Every command, loaded, for the list `outbox --help` prints. */
async function allCommands(): Promise<Command[]> {
  return Promise.all(Object.values(commands).map((load) => load()));
}

/** Runs one `outbox` command line; resolves to its exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--version' || name === '-V') {
    console.log(`outbox ${packageVersion()}`);
    return 0;
  }
  if (!name || name === '--help' || name === '-h' || (name === 'help' && rest.length === 0)) {
    console.log(topHelp(await allCommands()));
    return name ? 0 : 2;
  }
  if (name === 'help') {
    const [topic = '', ...args] = rest;
    const command = await loadCommand(topic);
    if (!command) {
      console.error(`outbox help: unknown command "${topic}". Run "outbox --help" for the list.`);
      return 2;
    }
    console.log(commandHelp(command, args));
    return 0;
  }
  const command = await loadCommand(name);
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
    console.error(`outbox ${name}: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}

// A reader that stops reading (`outbox log | head`) ends the command quietly, with the
// status a shell gives a tool that SIGPIPE ended (128 + 13), not with an EPIPE error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(141);
  throw error;
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`outbox: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  },
);
