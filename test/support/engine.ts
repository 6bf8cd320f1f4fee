import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  DEFAULT_IDLE_TIMEOUT_SECONDS,
  DEFAULT_LOG_RETENTION_DAYS,
  type OutboxConfig,
} from '../../main/core/config';
import { Engine } from '../../main/core/engine/engine';
import type { ProfileResolver } from '../../main/core/profiles/profile-params';
import type { JobRecord, TaskRecord } from '../../main/core/transfer/records';

/** A fresh private data directory under the OS temp dir. */
export async function tempDir(prefix = 'outbox-test-'): Promise<string> {
  return fs.mkdtemp(join(tmpdir(), prefix));
}

export function testConfig(home: string, overrides: Partial<OutboxConfig> = {}): OutboxConfig {
  return {
    home,
    host: '127.0.0.1',
    port: 9797,
    retentionSeconds: 86400,
    workers: 2,
    transfersPerWorker: undefined, // each destination's own, as without OUTBOX_TRANSFERS
    idleTimeoutSeconds: DEFAULT_IDLE_TIMEOUT_SECONDS,
    logRetentionDays: DEFAULT_LOG_RETENTION_DAYS,
    ...overrides,
  };
}

/** An engine on a temp data directory; `close()` stops its workers. */
export async function openTestEngine(
  options: { config?: Partial<OutboxConfig>; resolveProfile?: ProfileResolver } = {},
): Promise<{ engine: Engine; home: string; close: () => Promise<void> }> {
  const home = await tempDir();
  const engine = await Engine.open(testConfig(home, options.config), {
    ...(options.resolveProfile ? { resolveProfile: options.resolveProfile } : {}),
  });
  return { engine, home, close: () => engine.close() };
}

/** Writes a file of `content` (a string, or a byte count of random data) and returns its path. */
export async function makeFile(
  dir: string,
  name: string,
  content: string | number,
): Promise<string> {
  const path = join(dir, name);
  await fs.mkdir(dirname(path), { recursive: true });
  if (typeof content === 'string') {
    await fs.writeFile(path, content);
  } else {
    const handle = await fs.open(path, 'w');
    const chunk = 1024 * 1024;
    for (let written = 0; written < content; written += chunk) {
      await handle.write(randomBytes(Math.min(chunk, content - written)));
    }
    await handle.close();
  }
  return path;
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export function sha256(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Runs one export task (without `input`) on local files, the way `outbox export` does. */
export function exportFiles(
  engine: Engine,
  task: Record<string, unknown>,
  paths: string[],
): Promise<JobRecord> {
  return engine.run({
    tasks: {
      'import-files': { operation: 'import/file', path: paths },
      export: { ...task, input: 'import-files' },
    },
  });
}

export function exportTaskOf(record: JobRecord): TaskRecord {
  const task = record.tasks.find((t) => t.name === 'export');
  if (!task) throw new Error('no export task in job');
  return task;
}
