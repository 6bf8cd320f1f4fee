import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exporterHint } from '../../main/cli/operation-hint';
import { ProfileStore } from '../../main/core/profiles/profile-store';
import { newRecordId } from '../../main/core/store/record-id';
import { tempDir } from '../support/engine';

/** The early exporter thread's guess from the command line (main/cli/operation-hint.ts). */

async function writeJson(dir: string, name: string, value: unknown): Promise<string> {
  const path = join(dir, name);
  await fs.writeFile(path, typeof value === 'string' ? value : JSON.stringify(value));
  return path;
}

describe('exporterHint', () => {
  it('starts no thread for other commands or help', () => {
    expect(exporterHint([])).toBeUndefined();
    expect(exporterHint(['links', 'list'])).toBeUndefined();
    expect(exporterHint(['export', '--help'])).toBeUndefined();
    expect(exporterHint(['test', '--task', 'x.json', '-h'])).toBeUndefined();
  });

  it('reads the operation of each --task file, in either spelling, once each', async () => {
    const dir = await tempDir();
    const s3 = await writeJson(dir, 's3.json', { operation: 'export/s3', bucket: 'b' });
    const sftp = await writeJson(dir, 'sftp.json', '\uFEFF{"operation": "export/sftp"}');
    const again = await writeJson(dir, 'again.json', { operation: 'export/s3' });
    const hint = exporterHint(['export', '--task', s3, `--task=${sftp}`, '--task', again, 'f']);
    expect(hint).toEqual({ operations: ['export/s3', 'export/sftp'] });
    expect(exporterHint(['test', '--json', '--task', s3])).toEqual({ operations: ['export/s3'] });
  });

  it("reads the operations of run's job file, skipping option values", async () => {
    const dir = await tempDir();
    const job = await writeJson(dir, 'job.json', {
      tasks: {
        files: { operation: 'import/file', path: 'a' },
        out: { operation: 'export/azure/blob', input: 'files' },
      },
    });
    expect(exporterHint(['run', '--bwlimit', '1M', job, '--json'])).toEqual({
      operations: ['import/file', 'export/azure/blob'],
    });
  });

  it('starts no thread for tasks that only make links (export/url runs in the main thread)', async () => {
    const dir = await tempDir();
    const url = await writeJson(dir, 'url.json', { operation: 'export/url' });
    const s3 = await writeJson(dir, 's3.json', { operation: 'export/s3', bucket: 'b' });
    const job = await writeJson(dir, 'job.json', {
      tasks: {
        files: { operation: 'import/file', path: 'a' },
        links: { operation: 'export/url', input: 'files' },
      },
    });
    expect(exporterHint(['export', '--task', url, 'f'])).toBeUndefined();
    expect(exporterHint(['run', job])).toBeUndefined();
    expect(exporterHint(['export', '--task', url, '--task', s3, 'f'])).toEqual({
      operations: ['export/url', 'export/s3'],
    });
  });

  it('guesses nothing, but still starts the thread, for a missing, broken or odd file', async () => {
    const dir = await tempDir();
    const broken = await writeJson(dir, 'broken.json', '{"operation": "export/s3"');
    const list = await writeJson(dir, 'list.json', [{ operation: 'export/s3' }]);
    const number = await writeJson(dir, 'number.json', { operation: 7 });
    for (const file of [join(dir, 'missing.json'), broken, list, number, dir, '-'])
      expect(exporterHint(['export', '--task', file, 'f'])).toEqual({ operations: [] });
    expect(exporterHint(['export', '--task'])).toEqual({ operations: [] });
    expect(exporterHint(['run', '-'])).toEqual({ operations: [] });
  });

  it("reads a --profile's operation from its stored record", async () => {
    const home = await tempDir();
    const store = new ProfileStore(home);
    const now = new Date().toISOString();
    const record = { params: {}, secrets: [], created_at: now, updated_at: now };
    await store.put({
      ...record,
      id: newRecordId(),
      name: 'backup',
      operation: 'export/sftp',
    });
    await store.put({ ...record, id: newRecordId(), name: 'web', operation: 'export/s3' });
    await fs.writeFile(join(home, 'profiles', 'junk.json'), 'not json');
    const env = { OUTBOX_HOME: home };
    expect(exporterHint(['export', '--profile', 'backup', '--profile=web', 'f'], env)).toEqual({
      operations: ['export/sftp', 'export/s3'],
    });
    expect(exporterHint(['export', '--profile', 'unknown', 'f'], env)).toEqual({ operations: [] });
    const empty = { OUTBOX_HOME: join(home, 'nowhere') };
    expect(exporterHint(['test', '--profile', 'backup'], empty)).toEqual({ operations: [] });
  });
});
