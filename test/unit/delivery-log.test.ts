import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseLogDate } from '../../main/cli/log-command';
import { deliveriesCsv } from '../../main/core/api/delivery-csv';
import {
  deliveryQuerySchema,
  type NewDeliveryEntry,
} from '../../main/core/delivery-log/delivery-entry';
import { DeliveryLog, PartlyWritten } from '../../main/core/delivery-log/delivery-log';
import { recordLinks } from '../../main/core/delivery-log/record-deliveries';
import type { JobRecord, TaskRecord } from '../../main/core/transfer/records';
import type { SourceFile } from '../../main/core/transfer/sources';
import { tempDir } from '../support/engine';
import { turnsDuring } from '../support/event-loop-turns';

const DAY = 86400 * 1000;

function entry(n: number, at: number, extra: Partial<NewDeliveryEntry> = {}): NewDeliveryEntry {
  return {
    delivered_at: new Date(at).toISOString(),
    job_id: `job-${n % 3}`,
    task: 'export',
    source_path: `/data/in/file-${n}.bin`,
    filename: `file-${n}.bin`,
    size: n,
    checksum: `md5:${n.toString(16).padStart(32, '0')}`,
    destination: n % 2 ? 'odd-bucket' : 'export/s3',
    operation: 'export/s3',
    location: `http://127.0.0.1:7480/b/file-${n}.bin`,
    verified_by: 'md5',
    ...extra,
  };
}

let home: string;
let log: DeliveryLog;
const now = Date.now();

/** FTS5 compares its name index with the table: each name indexed once, none missing. */
function expectNamesIndexed(file: string): void {
  const check = new DatabaseSync(file);
  try {
    expect(() =>
      check.exec("INSERT INTO delivery_names (delivery_names) VALUES ('integrity-check')"),
    ).not.toThrow();
  } finally {
    check.close();
  }
}

beforeEach(async () => {
  home = await tempDir('outbox-log-');
  log = await DeliveryLog.open(home, 90);
});
afterEach(async () => {
  log.close();
  await fs.rm(home, { recursive: true, force: true });
});

describe('the delivery log', () => {
  it('pages newest first with keyset cursors, every entry once', () => {
    log.append(Array.from({ length: 250 }, (_, n) => entry(n, now - 250_000 + n * 1000)));
    const seen: number[] = [];
    let after: string | undefined;
    let pages = 0;
    do {
      const page = log.search({ limit: 100, ...(after ? { after } : {}) });
      seen.push(...page.entries.map((e) => e.size));
      after = page.next;
      pages++;
    } while (after);
    expect(pages).toBe(3);
    expect(seen).toEqual(Array.from({ length: 250 }, (_, n) => 249 - n));
  });

  it('keeps entries delivered in the same millisecond apart', () => {
    log.append(Array.from({ length: 5 }, (_, n) => entry(n, now)));
    const first = log.search({ limit: 2 });
    const rest = log.search({ limit: 10, after: first.next as string });
    expect([...first.entries, ...rest.entries].map((e) => e.size).sort()).toEqual([0, 1, 2, 3, 4]);
  });

  it('filters by file name (any part, any case), destination and date range', () => {
    log.append([
      entry(1, now - 3 * DAY, { filename: 'Report-2024.PDF' }),
      entry(2, now - 2 * DAY, { filename: 'photo_1.jpg' }),
      entry(3, now - DAY, { filename: '100%_done.txt' }),
      entry(4, now, { filename: 'report-final.pdf' }),
    ]);
    const names = (q: object) => log.search(q).entries.map((e) => e.filename);
    expect(names({ name: 'report' })).toEqual(['report-final.pdf', 'Report-2024.PDF']);
    expect(names({ name: 'pdf' })).toEqual(['report-final.pdf', 'Report-2024.PDF']);
    // Under three characters: no trigram, still found, wildcards taken literally.
    expect(names({ name: '%_' })).toEqual(['100%_done.txt']);
    expect(names({ name: '_1' })).toEqual(['photo_1.jpg']);
    expect(names({ name: 'o"t' })).toEqual([]);
    expect(names({ destination: 'odd-bucket' })).toEqual(['100%_done.txt', 'Report-2024.PDF']);
    expect(
      names({
        since: new Date(now - 2.5 * DAY).toISOString(),
        until: new Date(now - 0.5 * DAY).toISOString(),
      }),
    ).toEqual(['100%_done.txt', 'photo_1.jpg']);
  });

  it('indexes the names of every batch once, and moves a version-1 log off its insert trigger', async () => {
    // A log as version 1 made it: names indexed by a trigger per inserted row.
    log.close();
    await fs.rm(join(home, 'delivery-log'), { recursive: true });
    log = await DeliveryLog.open(home, 90);
    log.close();
    const file = join(home, 'delivery-log', 'deliveries.sqlite');
    const v1 = new DatabaseSync(file);
    v1.exec(`CREATE TRIGGER deliveries_named AFTER INSERT ON deliveries BEGIN
      INSERT INTO delivery_names (rowid, filename) VALUES (new.id, new.filename); END;
      PRAGMA user_version = 1;`);
    v1.prepare(
      `INSERT INTO deliveries (delivered_at, job_id, task, source_path, filename, size, destination, operation, verified_by)
       VALUES (?, 'j', 't', '/old.txt', 'old-report.txt', 1, 'export/s3', 'export/s3', 'md5')`,
    ).run(now - DAY);
    v1.close();

    log = await DeliveryLog.open(home, 90);
    log.append([entry(1, now, { filename: 'report-a.txt' })]);
    log.append([2, 3].map((n) => entry(n, now, { filename: `report-${n}.txt` })));
    const names = log.search({ name: 'report' }).entries.map((e) => e.filename);
    expect(names.sort()).toEqual([
      'old-report.txt',
      'report-2.txt',
      'report-3.txt',
      'report-a.txt',
    ]);
    log.close();
    const check = new DatabaseSync(file);
    try {
      const triggers = check
        .prepare("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        .all()
        .map((row) => row.name);
      expect(triggers).toEqual(['deliveries_unnamed']);
    } finally {
      check.close();
    }
    expectNamesIndexed(file);
    log = await DeliveryLog.open(home, 90);
  });

  it('writes a long list in several transactions, the event loop turning between them', async () => {
    const count = 20_000; // far more than one slice's time of inserts
    function* entries() {
      for (let n = 0; n < count; n++) yield entry(n, now, { filename: `zip-part-${n}.txt` });
    }
    const turns = await turnsDuring(() => log.appendSliced(entries()));
    expect(turns).toBeGreaterThan(1);
    expect(log.search({ name: 'zip-part-19999' }).entries.map((e) => e.filename)).toEqual([
      'zip-part-19999.txt',
    ]);
    let total = 0;
    for (const page of log.all()) total += page.length;
    expect(total).toBe(count);
    log.close();
    // each name indexed once, none missing, whatever slice it was written in
    expectNamesIndexed(join(home, 'delivery-log', 'deliveries.sqlite'));
    log = await DeliveryLog.open(home, 90);
  });

  it('syncs the last commit of a long list, and every commit of a short one made meanwhile', async () => {
    // What is on disk cannot be seen from here; what each COMMIT ran under can: slices
    // commit with synchronous=NORMAL (no fsync), the list's last commit and any other
    // append's with FULL (an fsync, which writes the WAL's earlier frames too). A
    // commit that changed no row writes nothing and syncs nothing: the last must change one.
    const db = (log as unknown as { db: DatabaseSync }).db;
    const mode = () =>
      (db.prepare('PRAGMA synchronous').get() as { synchronous: number }).synchronous;
    const totalChanges = () => (db.prepare('SELECT total_changes() AS n').get() as { n: number }).n;
    const commits: string[] = [];
    let changedByLast = 0;
    let atBegin = 0;
    const exec = db.exec.bind(db);
    const spy = vi.spyOn(db, 'exec').mockImplementation((sql: string) => {
      if (sql.startsWith('BEGIN')) atBegin = totalChanges();
      if (sql === 'COMMIT') {
        commits.push(mode() === 2 ? 'FULL' : 'NORMAL');
        changedByLast = totalChanges() - atBegin;
      }
      return exec(sql);
    });
    try {
      function* entries() {
        for (let n = 0; n < 20_000; n++) yield entry(n, now, { filename: `long-${n}.txt` });
      }
      const long = log.appendSliced(entries());
      await new Promise((resolve) => setImmediate(resolve)); // a slice or two in
      const before = commits.length;
      log.append([entry(1, now, { filename: 'short.txt' })]);
      const shortCommit = commits.slice(before);
      await long;
      expect(shortCommit).toEqual(['FULL']);
      expect(commits.at(-1)).toBe('FULL');
      expect(changedByLast).toBeGreaterThan(0);
      expect(commits.filter((c) => c === 'NORMAL').length).toBeGreaterThan(2);
      expect(mode()).toBe(2); // FULL again once no long list is written
      expect(log.search({ name: 'short.txt' }).entries).toHaveLength(1);
      expect(log.search({ name: 'long-19999' }).entries).toHaveLength(1);
    } finally {
      spy.mockRestore();
    }
  });

  it('says how many entries of a long list are on disk when it fails part-way', async () => {
    function* entries() {
      for (let n = 0; n < 20_000; n++) {
        if (n === 12_000) throw new Error('the list broke');
        yield entry(n, now, { filename: `part-${n}.txt` });
      }
    }
    const failed = await log.appendSliced(entries()).catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(PartlyWritten);
    const { written, message } = failed as PartlyWritten;
    expect(message).toBe('the list broke');
    let total = 0;
    for (const page of log.all()) total += page.length;
    // the slices before the failure are on disk, and only those are counted as written
    expect(written).toBe(total);
    expect(written).toBeGreaterThan(0);
    expect(written).toBeLessThan(12_000);
  });

  it("tells on stderr how many of a ZIP link's entries it could not write", async () => {
    const files = Array.from({ length: 20_000 }, (_, n) =>
      n === 12_000
        ? Object.defineProperty({ name: 'broken', size: 1, mtimeMs: 0 }, 'path', {
            get: () => {
              throw new Error('the list broke');
            },
          })
        : { path: `/data/in/${n}.txt`, name: `in/${n}.txt`, size: 1, mtimeMs: 0 },
    ) as SourceFile[];
    const zip = { filename: 'in.zip', size: 1, url: 'http://127.0.0.1/x', link_id: 'abc' };
    const job = { id: 'job-1' } as JobRecord;
    const task = { name: 'export-1', operation: 'export/url' } as TaskRecord;
    const said = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      await recordLinks(log, job, task, files, [zip]);
      let total = 0;
      for (const page of log.all()) total += page.length;
      expect(said.mock.calls).toEqual([
        [
          `Outbox could not write ${20_000 - total} of 20000 entries to the delivery log: the list broke`,
        ],
      ]);
    } finally {
      said.mockRestore();
    }
  });

  it('indexes names a process left unindexed when the log next opens; deleting one keeps the index whole', async () => {
    log.append([entry(1, now, { filename: 'indexed-report.txt' })]);
    log.close();
    // A process stopped between a slice's commit and its batch of names: rows past the mark.
    const file = join(home, 'delivery-log', 'deliveries.sqlite');
    const stopped = new DatabaseSync(file);
    const insert = stopped.prepare(
      `INSERT INTO deliveries (delivered_at, job_id, task, source_path, filename, size, destination, operation, verified_by)
       VALUES (?, 'j', 't', ?, ?, 1, 'export/url', 'export/url', 'read')`,
    );
    insert.run(now, '/a', 'waiting-report.txt');
    insert.run(now - 100 * DAY, '/b', 'expired-report.txt');
    stopped.close();

    log = await DeliveryLog.open(home, 90); // indexes the waiting names, then drops the expired entry
    expect(
      log
        .search({ name: 'report' })
        .entries.map((e) => e.filename)
        .sort(),
    ).toEqual(['indexed-report.txt', 'waiting-report.txt']);
    log.close();
    expectNamesIndexed(file);
    log = await DeliveryLog.open(home, 90);
  });

  it('drops entries past the retention period, and only those', async () => {
    log.append([entry(1, now - 91 * DAY), entry(2, now - 89 * DAY)]);
    log.sweep(now);
    expect(log.search().entries.map((e) => e.size)).toEqual([2]);
    // Retention is checked when the log opens too (another process, a shorter setting).
    log.close();
    log = await DeliveryLog.open(home, 30);
    expect(log.search().entries).toEqual([]);
  });

  it('is private to the user', async () => {
    const stat = await fs.stat(join(home, 'delivery-log'));
    expect(stat.mode & 0o777).toBe(0o700);
  });

  it('refuses a query that is not one, naming the field', () => {
    expect(deliveryQuerySchema.safeParse({ since: '2024-13-01' }).success).toBe(false);
    expect(deliveryQuerySchema.safeParse({ after: '1;DROP TABLE' }).success).toBe(false);
    expect(deliveryQuerySchema.safeParse({ limit: 5000 }).success).toBe(false);
    expect(deliveryQuerySchema.safeParse({ since: '2024-01-01T00:00:00+02:00' }).success).toBe(
      true,
    );
  });
});

describe('CSV export', () => {
  it('quotes as RFC 4180 says, with a header', () => {
    const csv = deliveriesCsv(
      [{ id: 7, ...entry(1, Date.UTC(2024, 0, 2), { filename: 'a,"b"\nc.txt' }) }],
      true,
    );
    const [header, row] = csv.split('\r\n');
    expect(header).toBe(
      'delivered_at,filename,size,destination,operation,location,verified_by,checksum,source_path,job_id,task,id',
    );
    expect(row).toBe(
      '2024-01-02T00:00:00.000Z,"a,""b""\nc.txt",1,odd-bucket,export/s3,http://127.0.0.1:7480/b/file-1.bin,md5,md5:00000000000000000000000000000001,/data/in/file-1.bin,job-1,export,7',
    );
    expect(csv.endsWith(',job-1,export,7\r\n')).toBe(true);
  });

  it.each([
    ['=HYPERLINK("http://x")', `"'=HYPERLINK(""http://x"")"`],
    ['+1.pdf', "'+1.pdf"],
    ['-rw.txt', "'-rw.txt"],
    ['@SUM(A1).csv', "'@SUM(A1).csv"],
    ['\tcmd', "'\tcmd"],
    ['\r=1', `"'\r=1"`],
    ['a=b.txt', 'a=b.txt'],
  ])('writes the name %j as %j, never as a formula a spreadsheet runs', (filename, cell) => {
    const csv = deliveriesCsv([{ id: 1, ...entry(1, Date.UTC(2024, 0, 2), { filename }) }], false);
    expect(csv).toBe(
      `2024-01-02T00:00:00.000Z,${cell},1,odd-bucket,export/s3,http://127.0.0.1:7480/b/file-1.bin,md5,md5:00000000000000000000000000000001,/data/in/file-1.bin,job-1,export,1\r\n`,
    );
  });
});

describe('outbox log dates', () => {
  it('takes a day (local) or a moment with an offset', () => {
    expect(parseLogDate('--since', '2024-02-29', false).getTime()).toBe(
      new Date(2024, 1, 29).getTime(),
    );
    expect(parseLogDate('--until', '2024-02-29', true).getTime()).toBe(
      new Date(2024, 2, 1).getTime(),
    );
    expect(parseLogDate('--since', '2024-02-29T10:30:00+02:00', false).toISOString()).toBe(
      '2024-02-29T08:30:00.000Z',
    );
    expect(parseLogDate('--since', '2024-02-29T10:30Z', false).toISOString()).toBe(
      '2024-02-29T10:30:00.000Z',
    );
  });

  it.each([
    '2023-02-29',
    '2024-1-5',
    '05/01/2024',
    '2024-01-01T10:00',
    '2024-01-01T25:00Z',
    'yesterday',
    '',
  ])('refuses %j, naming the option and the format', (text) => {
    expect(() => parseLogDate('--since', text, false)).toThrow(
      /^--since ".*": give a date as YYYY-MM-DD \(local time\) or YYYY-MM-DDTHH:MM\[:SS\] with Z or an offset/,
    );
  });
});
