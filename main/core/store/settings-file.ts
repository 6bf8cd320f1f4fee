import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { OutboxError } from '../errors';
import { writeFileAtomic } from './atomic-file';

/**
 * `<home>/settings.json`: one JSON object, a key per setting (LAN sharing,
 * bandwidth limits). Each setting's module checks its own key; a write keeps
 * the other keys as they are.
 */

export function settingsPath(home: string): string {
  return join(home, 'settings.json');
}

/** The file's keys; none when it is missing or unreadable (every setting then has its default). */
export async function readSettingsFile(home: string): Promise<Record<string, unknown>> {
  return (await readKeys(home).catch(() => undefined)) ?? {};
}

/**
 * Writes one key (undefined: removes it), atomically, keeping the others. A
 * file that is there but is not a JSON object is refused, not replaced: its
 * other settings would be lost.
 */
export async function writeSetting(home: string, key: string, value: unknown): Promise<void> {
  const keys = await readKeys(home);
  if (keys === undefined)
    throw new OutboxError(
      'INVALID_DATA',
      `${settingsPath(home)} is not a JSON object: correct it or move it away, then set ${key} again (nothing was written)`,
    );
  const { [key]: _old, ...others } = keys;
  await fs.mkdir(home, { recursive: true, mode: 0o700 });
  const next = value === undefined ? others : { ...others, [key]: value };
  await writeFileAtomic(settingsPath(home), JSON.stringify(next, null, 2) + '\n');
}

/** The file's keys: {} when there is no file, undefined when it is not a JSON object. */
async function readKeys(home: string): Promise<Record<string, unknown> | undefined> {
  let text: string;
  try {
    text = await fs.readFile(settingsPath(home), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw error;
  }
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
