import type { ParseArgsConfig } from 'node:util';

/** A mistake in how a command was called: printed with the command's usage, exit code 2. */
export class UsageError extends Error {}

export type OptionValues = Record<string, string | boolean | (string | boolean)[] | undefined>;

/** One `outbox` command: its usage, options and what it does. */
export type Command = {
  usage: string;
  summary: string;
  options: NonNullable<ParseArgsConfig['options']>;
  /** Help for `outbox COMMAND ARGS --help`, when it depends on ARGS (subcommands). */
  help?: (args: string[]) => string;
  run: (args: { values: OptionValues; positionals: string[] }) => Promise<number>;
};
