import { promises as fs } from 'node:fs';
import { join } from 'node:path';
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
  let text: string;
  try {
    text = await fs.readFile(settingsPath(home), 'utf8');
  } catch {
    return {};
  }
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}

/** Writes one key (undefined: removes it), atomically, keeping the others. */
export async function writeSetting(home: string, key: string, value: unknown): Promise<void> {
  const { [key]: _old, ...others } = await readSettingsFile(home);
  await fs.mkdir(home, { recursive: true, mode: 0o700 });
  const next = value === undefined ? others : { ...others, [key]: value };
  await writeFileAtomic(settingsPath(home), JSON.stringify(next, null, 2) + '\n');
}
