import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { JobLists, LIST_BESIDE_AT } from '../../main/core/engine/job-lists';
import { JobStore } from '../../main/core/engine/job-store';
import { applySharedFiles } from '../../main/core/engine/share-after-export';
import type { JobRecord } from '../../main/core/transfer/records';
import { tempDir, testConfig } from '../support/engine';

const FILES = LIST_BESIDE_AT + 500;
const HOUR = 3600 * 1000;

/** A job whose import task lists `FILES` files and whose export made one ZIP link. */
function bigJob(): JobRecord {
  const now = new Date().toISOString();
  const task = (name: string, operation: string) => ({
    id: `${name}-id`,
    name,
    operation,
    status: 'finished' as const,
    input: [],
    params: {},
    created_at: now,
  });
  return {
    id: 'job-1',
    status: 'processing',
    created_at: now,
    expires_at: new Date(Date.now() + 86400_000).toISOString(),
    owner: { pid: process.pid, boot: 'test' },
    tasks: [
      {
        ...task('import-files', 'import/file'),
        result: {
          files: Array.from({ length: FILES }, (_, i) => ({ filename: `f/${i}.txt`, size: i })),
        },
      },
      { ...task('export', 'export/url'), status: 'processing' },
    ],
  };
}

let home: string;
let store: JobStore;
const recordPath = () => join(home, 'jobs', 'job-1.json');
const listFiles = async () =>
  (await fs.readdir(join(home, 'job-lists')).catch(() => [] as string[])).sort();

beforeEach(async () => {
  home = await tempDir('outbox-lists-');
  store = new JobStore(testConfig(home));
});
afterEach(async () => {
  await store.close();
  await fs.rm(home, { recursive: true, force: true });
});

describe('long result lists of a job', () => {
  it('are written once beside the record, and read back whole', async () => {
    const record = bigJob();
    await store.save(record);
    const [list] = await listFiles();
    const stored = JSON.parse(await fs.readFile(recordPath(), 'utf8')) as {
      tasks: { result?: unknown; result_list?: unknown }[];
    };
    expect(stored.tasks[0]).not.toHaveProperty('result');
    expect(stored.tasks[0]?.result_list).toEqual({ file: list, count: FILES });
    const listed = await fs.stat(join(home, 'job-lists', list as string));

    // Status changes rewrite the (small) record only.
    const exportTask = record.tasks[1] as JobRecord['tasks'][number];
    exportTask.status = 'finished';
    exportTask.result = { files: [{ filename: 'archive.zip', size: 123, url: 'http://x/y' }] };
    record.status = 'finished';
    await store.save(record);
    await store.save(record);
    expect(await listFiles()).toEqual([list]);
    expect((await fs.stat(join(home, 'job-lists', list as string))).mtimeMs).toBe(listed.mtimeMs);
    expect((await fs.stat(recordPath())).size).toBeLessThan(4096);

    const reopened = new JobStore(testConfig(home));
    expect(await reopened.get('job-1')).toEqual(record);
    expect(await reopened.list()).toEqual([record]);
    await reopened.close();
  });

  it('refuse a change in place: a changed list is a new one, and the old one goes', async () => {
    const record = bigJob();
    await store.save(record);
    const [first] = await listFiles();
    const files = record.tasks[0]?.result?.files ?? [];
    expect(() => files.push({ filename: 'late.txt', size: 1 })).toThrow(TypeError);

    applySharedFiles(
      record,
      'import-files',
      new Map([[7, { filename: 'f/7.txt', size: 7, url: 'u' }]]),
    );
    await store.save(record);
    const [second] = await listFiles();
    expect(second).not.toBe(first);
    expect((await store.get('job-1'))?.tasks[0]?.result?.files[7]?.url).toBe('u');
  });

  it('leave a readable job when a crash falls between a list and its record', async () => {
    const record = bigJob();
    await store.save(record);
    const [named] = await listFiles();

    // The next save got as far as its new list: the record on disk still names the old one.
    const changed = structuredClone(record);
    changed.tasks[0]!.result!.files[0] = { filename: 'f/0-new.txt', size: 1 };
    const lists = new JobLists(join(home, 'job-lists'));
    await lists.write(lists.split(changed).writes);
    expect(await listFiles()).toHaveLength(2);

    const afterCrash = new JobStore(testConfig(home));
    expect(await afterCrash.get('job-1')).toEqual(record);
    // The list no record names goes once it is an hour old; the named one stays.
    await afterCrash.sweep(new Set(), Date.now() + 0.5 * HOUR);
    expect(await listFiles()).toHaveLength(2);
    await afterCrash.sweep(new Set(), Date.now() + 2 * HOUR);
    expect(await listFiles()).toEqual([named]);
    expect(await afterCrash.get('job-1')).toEqual(record);

    // A record whose list is gone is not a job that can be read (and says nothing false).
    await fs.rm(join(home, 'job-lists', named as string));
    expect(await afterCrash.get('job-1')).toBeUndefined();
    await afterCrash.close();
  });

  it('go with their job', async () => {
    await store.save(bigJob());
    await store.remove('job-1');
    expect(await listFiles()).toEqual([]);
    await store.save({ ...bigJob(), expires_at: new Date(Date.now() - 1000).toISOString() });
    expect(await store.sweep(new Set())).toEqual(['job-1']);
    expect(await listFiles()).toEqual([]);
  });

  it('stay in the record while short', async () => {
    const record = bigJob();
    record.tasks[0]!.result!.files.length = LIST_BESIDE_AT - 1;
    await store.save(record);
    expect(await listFiles()).toEqual([]);
    expect(await store.get('job-1')).toEqual(record);
  });
});
