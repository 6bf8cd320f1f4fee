import type { ParseArgsConfig } from 'node:util';
import { decimalNumber } from '../core/decimal';

/** `--json`: machine-readable output. */
export const jsonOption = { json: { type: 'boolean' } } as const;

/** A mistake in how a command was called: printed with the command's usage, exit code 2. */
export class UsageError extends Error {}

export type OptionValues = Record<string, string | boolean | (string | boolean)[] | undefined>;

/** The values of a repeatable string option (`--set a --set b`), in order. */
export function strings(value: OptionValues[string]): string[] {
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  return typeof value === 'string' ? [value] : [];
}

/** One `outbox` command: its usage, options and what it does. */
export type Command = {
  usage: string;
  summary: string;
  options: NonNullable<ParseArgsConfig['options']>;
  /** Help for `outbox COMMAND ARGS --help`, when it depends on ARGS (subcommands). */
  help?: (args: string[]) => string;
  run: (args: { values: OptionValues; positionals: string[] }) => Promise<number>;
};

/** A count or a number of seconds, written in decimal digits: "0x16", "2e0" or " 22" are mistakes. */
export function wholeNumber(option: string, text: string): number {
  const value = decimalNumber(text);
  if (value === undefined || value === 0)
    throw new UsageError(`${option} takes a whole number > 0 (decimal digits)`);
  return value;
}

/** An index: a whole number, 0 or more. */
export function indexNumber(option: string, text: string): number {
  const value = decimalNumber(text);
  if (value === undefined) throw new UsageError(`${option} takes a whole number (0 is the first)`);
  return value;
}
