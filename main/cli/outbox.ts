import '../core/young-generation';
import '../core/compile-cache';
import './early-exporter-thread';
import { parseArgs } from 'node:util';
import { UsageError, type Command } from './command';
import { exportCommand, runCommand, testCommand } from './export-command';
import { commandHelp, packageVersion, topHelp, usageFor } from './help';
import { jobsCommand } from './jobs-command';
import { linksCommand } from './links-command';
import { logCommand } from './log-command';
import { profileCommand } from './profile-command';
import { serveCommand } from './serve-command';
import { settingsCommand } from './settings-command';
import { watchCommand } from './watch-command';

/**
 * `outbox`: the command-line host. It calls the same core as the app; every
 * command has --help, errors go to stderr as one actionable line.
 */

const commands: Record<string, Command> = {
  run: runCommand,
  export: exportCommand,
  test: testCommand,
  serve: serveCommand,
  links: linksCommand,
  settings: settingsCommand,
  profile: profileCommand,
  jobs: jobsCommand,
  log: logCommand,
  watch: watchCommand,
};

/** Runs one `outbox` command line; resolves to its exit code. */
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
