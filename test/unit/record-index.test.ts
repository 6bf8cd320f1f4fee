import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { JobStore } from '../../main/core/engine/job-store';
import { LinkStore } from '../../main/core/links/link-store';
import { RecordDir } from '../../main/core/store/record-dir';
import type { JobRecord } from '../../main/core/transfer/records';
import { tempDir, testConfig } from '../support/engine';
import { damageTree, indexRows } from '../support/record-index';
import { fileLink } from '../support/link-record';

// Opening a data directory reads the jobs and links it must (open, failed,
// paused, past their time), found through an index beside the records, not
// every record kept; whatever a kill leaves, it reads and corrects.

const HOUR = 3600_000;
/** An owner that is not alive: a process of another boot. */
const DEAD = { pid: 1, boot: 'another-boot/engine' };

function job(id: string, status: JobRecord['status'], expiresIn = 24 * HOUR): JobRecord {
  const now = new Date().toISOString();
  const taskStatus = status === 'paused' ? 'waiting' : status;
  return {
    id,
    status,
    created_at: now,
    expires_at: new Date(Date.now() + expiresIn).toISOString(),
    owner: DEAD,
    tasks: [
      {
        id: `${id}-export`,
        name: 'export',
        operation: 'export/upload',
        status: taskStatus,
        input: [],
        params: {},
        resumable: true,
        created_at: now,
      },
    ],
  };
}

let home: string;
const jobPath = (id: string) => join(home, 'jobs', `${id}.json`);
const writeJob = (record: JobRecord) => fs.writeFile(jobPath(record.id), JSON.stringify(record));
const readJob = async (id: string) => JSON.parse(await fs.readFile(jobPath(id), 'utf8'));
const rows = (kind: 'jobs' | 'links') => indexRows(home, kind);
/** Ids of the records `work` reads. */
async function readsOf(work: () => Promise<unknown>): Promise<string[]> {
  const get = vi.spyOn(RecordDir.prototype, 'get');
  try {
    await work();
    return get.mock.calls.map(([id]) => id).sort();
  } finally {
    get.mockRestore();
  }
}
/** Opens the store as the engine does: marks the interrupted, then sweeps. */
async function openStore(now = Date.now()): Promise<JobStore> {
  const store = new JobStore(testConfig(home));
  await store.recoverInterrupted();
  await store.sweep(new Set(), now);
  return store;
}

beforeEach(async () => {
  home = await tempDir('outbox-index-');
  await fs.mkdir(join(home, 'jobs'), { recursive: true });
});
afterEach(async () => {
  await fs.rm(home, { recursive: true, force: true });
});

describe('the job index', () => {
  it('is made from the records kept the first time, and then reads only the jobs it must', async () => {
    for (let i = 0; i < 50; i++) await writeJob(job(`done-${i}`, 'finished'));
    await writeJob(job('running', 'processing'));
    await writeJob(job('failed', 'error'));
    await writeJob(job('old', 'finished', -HOUR));

    // no index yet (records of an earlier version): every record is read once
    let store: JobStore | undefined;
    expect(new Set(await readsOf(async () => (store = await openStore()))).size).toBe(53);
    await store?.close();
    expect((await readJob('running')).tasks[0].code).toBe('INTERRUPTED');
    await expect(fs.access(jobPath('old'))).rejects.toThrow();
    expect(rows('jobs').get('running')).toBe('error');
    expect(rows('jobs').size).toBe(52);

    // then: the failed (their delivered logs are kept) are not even read, the finished never
    await writeJob(job('expired', 'finished', -HOUR)); // a record without a row: counted, read
    expect(new Set(await readsOf(async () => (store = await openStore())))).toEqual(
      new Set(['expired']),
    );
    await store?.close();
    await expect(fs.access(jobPath('expired'))).rejects.toThrow();
    // counted, not listed: the folder's names are not held when every record has its row
    const listed = vi.spyOn(RecordDir.prototype, 'ids');
    expect(await readsOf(async () => (store = await openStore()))).toEqual([]);
    expect(listed).not.toHaveBeenCalled();
    listed.mockRestore();
    await store?.close();
    // a day later every job has expired: each is read, to be removed
    expect(
      await readsOf(async () => (store = await openStore(Date.now() + 25 * HOUR))),
    ).toHaveLength(52);
    await store?.close();
    expect(await fs.readdir(join(home, 'jobs'))).toEqual([]);
    expect(rows('jobs').size).toBe(0);
  });

  it('finds the open job a kill left with a row that says otherwise, or none', async () => {
    const store = new JobStore(testConfig(home));
    const failed = job('again', 'error');
    await store.save(failed);
    await store.close();
    expect(rows('jobs').get('again')).toBe('error');

    // A retry: its process is killed once the record is on disk, before anything after it.
    const retry = new JobStore(testConfig(home));
    const write = RecordDir.prototype.putSerialized;
    const killed = vi
      .spyOn(RecordDir.prototype, 'putSerialized')
      .mockImplementationOnce(async function (this: RecordDir<unknown>, id, text) {
        await write.call(this, id, text);
        throw new Error('killed');
      });
    await expect(retry.save(job('again', 'waiting'))).rejects.toThrow('killed');
    killed.mockRestore();
    await retry.close();
    // The row was written before the record: recovery reads the job through it.
    expect(rows('jobs').get('again')).toBe('open');
    // Another job's record was written and its process killed before its row.
    await writeJob(job('new', 'processing'));
    const opened = await openStore();
    await opened.close();
    for (const id of ['again', 'new']) {
      expect((await readJob(id)).tasks[0].code).toBe('INTERRUPTED');
      expect(rows('jobs').get(id)).toBe('error');
    }
  });

  it('drops the rows of records removed by hand, and keeps a record that is not valid out', async () => {
    let store = await openStore();
    await store.save(job('a', 'finished'));
    await store.save(job('b', 'finished'));
    await store.close();
    await fs.rm(jobPath('a'));
    store = await openStore();
    await store.close();
    expect(rows('jobs')).toEqual(new Map([['b', 'finished']]));
    await fs.writeFile(jobPath('broken'), '{"id": "broken"}');
    store = await openStore();
    await store.close();
    expect(rows('jobs')).toEqual(
      new Map<string, string | null>([
        ['b', 'finished'],
        ['broken', null],
      ]),
    );
    expect(await readsOf(async () => (store = await openStore()))).toEqual([]);
    await store.close();
  });

  it('is made again from the records when its database is damaged', async () => {
    let store = await openStore();
    await store.save(job('kept', 'finished'));
    await store.close();
    await fs.writeFile(join(home, 'index', 'jobs.sqlite'), 'not a database '.repeat(500));
    await fs.rm(join(home, 'index', 'jobs.sqlite-wal'), { force: true });
    expect(await readsOf(async () => (store = await openStore()))).toEqual(['kept']);
    await store.close();
    expect(rows('jobs')).toEqual(new Map([['kept', 'finished']]));
  });

  it('is made again from the records when a query finds a page of it damaged', async () => {
    let store = await openStore();
    for (let i = 0; i < 300; i++) await store.save(job(`done-${i}`, 'finished'));
    await store.save(job('failed', 'error'));
    await store.close();
    await damageTree(home, 'jobs', 'records_by_state'); // it opens; its first count reads the tree
    const all = [...Array.from({ length: 300 }, (_, i) => `done-${i}`), 'failed'].sort();
    const reads = await readsOf(async () => (store = await openStore()));
    expect([...new Set(reads)]).toEqual(all); // every record, read to make it again
    expect(await store.get('failed')).toMatchObject({ status: 'error' });
    await store.close();
    const kept = rows('jobs');
    expect(kept.size).toBe(301);
    expect(kept.get('failed')).toBe('error');
    expect(await readsOf(async () => (store = await openStore()))).toEqual([]); // whole again
    await store.close();
  });

  it('is made again from the records at the next query when a write finds it damaged', async () => {
    let store = await openStore();
    for (let i = 0; i < 300; i++) await store.save(job(`done-${i}`, 'finished'));
    await store.close();
    await damageTree(home, 'jobs', 'records'); // the queries read only its indexes; a write reads it
    store = await openStore();
    await store.save(job('new', 'error'));
    await store.sweep(new Set()); // a query: the index is made again, the new job with it
    await store.close();
    const kept = rows('jobs');
    expect(kept.size).toBe(301);
    expect(kept.get('new')).toBe('error');
  });
});

describe('the link index', () => {
  it('sweeps reading only the links past their end, a revocation bringing it forward', async () => {
    const links = new LinkStore(home, 'http://127.0.0.1:1');
    const kept = [];
    for (let i = 0; i < 20; i++) kept.push(await links.create(fileLink(HOUR)));
    const expired = await links.create(fileLink(-2 * HOUR));
    const revoked = await links.revoke(kept[0]!.id);
    await links.close();

    const again = new LinkStore(home, 'http://127.0.0.1:1');
    const reads = await readsOf(() => again.sweep(Date.now(), HOUR / 2));
    expect(reads).toEqual([expired.id]);
    expect(await again.get(expired.id)).toBeUndefined();
    // the revoked link is gone once its grace has passed, the others stay
    expect(await again.sweep(Date.now() + HOUR / 2 + 1000, HOUR / 2)).toBe(1);
    expect(await again.get(revoked!.id)).toBeUndefined();
    expect((await again.list()).length).toBe(19);
    await again.close();
    expect(rows('links').size).toBe(19);
  });

  it('sweeps through an index made again when the sweep finds it damaged', async () => {
    const links = new LinkStore(home, 'http://127.0.0.1:1');
    for (let i = 0; i < 200; i++) await links.create(fileLink(HOUR));
    const expired = await links.create(fileLink(-2 * HOUR));
    await links.close();
    await damageTree(home, 'links', 'records_by_due'); // the sweep's query reads it

    const again = new LinkStore(home, 'http://127.0.0.1:1');
    expect(await again.sweep(Date.now(), HOUR / 2)).toBe(1);
    expect(await again.get(expired.id)).toBeUndefined();
    await again.close();
    expect(rows('links').size).toBe(200);
  });
});
