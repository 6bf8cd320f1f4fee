import { readFileSync } from 'node:fs';
import { environmentVariables } from '../core/config';
import { packageJsonPath } from './build-dirs';
import type { Command } from './command';

/** What `outbox --help`, `outbox help COMMAND` and `outbox --version` print. */

/** The version in package.json. */
export function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(packageJsonPath(), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

export function topHelp(commands: Command[]): string {
  const width = Math.max(...environmentVariables.map((v) => v.name.length));
  return [
    'Outbox: managed exports to S3, Azure Blob, Google Cloud Storage, OpenStack, SFTP, HTTP PUT and temporary links.',
    '',
    'Usage:',
    ...commands.map((c) => `  ${c.usage.split('\n')[0]}`),
    '  outbox help COMMAND [SUBCOMMAND]',
    '  outbox --version',
    '',
    'Run "outbox help COMMAND" (or "outbox COMMAND --help") for details.',
    '',
    'Environment:',
    ...environmentVariables.map((v) => `  ${v.name.padEnd(width)}  ${v.meaning}`),
  ].join('\n');
}

/** Help of a command, or of its subcommand when `args` name one. */
export function commandHelp(command: Command, args: string[]): string {
  return command.help ? command.help(args) : `Usage: ${command.usage}\n\n${command.summary}`;
}

/**
 * The usage line to show after a mistake: of the subcommand the words given
 * name (`outbox links lan` → the `links lan` line), else the command's first.
 */
export function usageFor(command: Command, name: string, args: string[]): string {
  const words = args.filter((arg) => !arg.startsWith('-'));
  const lines = command.usage.split('\n').map((line) => line.trim());
  let best = lines[0] ?? '';
  let bestScore = 0;
  for (const line of lines) {
    const rest = line.replace(`outbox ${name}`, '').trim().split(/\s+/);
    let score = 0;
    while (score < words.length && rest[score] === words[score]) score++;
    if (score > bestScore) [best, bestScore] = [line, score];
  }
  return best;
}
