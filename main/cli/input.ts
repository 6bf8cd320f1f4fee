import { readFile } from 'node:fs/promises';
import { UsageError } from './command';

/**
 * JSON the user hands the CLI: a file, or standard input for `-`. A UTF-8
 * byte order mark (Windows editors write one) is not part of the JSON.
 */

/** `-`: standard input. */
export const STDIN = '-';

async function readText(path: string): Promise<string> {
  if (path === STDIN) {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new UsageError(
      `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
    );
  }
}

/** The parsed JSON of `path` (or of standard input). */
export async function readJson(path: string): Promise<unknown> {
  const text = (await readText(path)).replace(/^\uFEFF/, '');
  const what = path === STDIN ? 'standard input' : path;
  if (text.trim() === '') throw new UsageError(`${what} is empty: it should hold JSON`);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${what} is not valid JSON: ${(error as Error).message}`);
  }
}

/** One task object (`outbox export --task`, `profile add --task`, `profile import`). */
export async function readTaskObject(path: string): Promise<Record<string, unknown>> {
  const task = await readJson(path);
  if (typeof task !== 'object' || task === null || Array.isArray(task)) {
    throw new UsageError(
      `${path === STDIN ? 'standard input' : path} must contain one task object`,
    );
  }
  return task as Record<string, unknown>;
}
