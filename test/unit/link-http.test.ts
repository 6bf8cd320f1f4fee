import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addSent,
  byteCap,
  DownloadLedger,
  emptyTally,
  readTally,
} from '../../main/core/links/download-ledger';
import { ifRangeHolds, notModified, noneMatchHits } from '../../main/core/http/http-headers';
import { PasswordAttempts } from '../../main/core/links/link-password';
import {
  dataPosition,
  zipLayout,
  ZipSizeCount,
  type ZipEntry,
} from '../../main/core/links/zip-layout';
import { ZipCrcs, zipBytes } from '../../main/core/links/zip-stream';

let dir: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(join(tmpdir(), 'outbox-link-http-'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('If-None-Match (RFC 9110 §13.1.2)', () => {
  const etag = '"1a-5f"';
  it('compares weakly, takes * and lists', () => {
    expect(noneMatchHits('"1a-5f"', etag)).toBe(true);
    expect(noneMatchHits('W/"1a-5f"', etag)).toBe(true);
    expect(noneMatchHits('*', etag)).toBe(true);
    expect(noneMatchHits('"x", W/"1a-5f" , "y"', etag)).toBe(true);
    expect(noneMatchHits('"x","y"', etag)).toBe(false);
    expect(noneMatchHits('"1a-5"', etag)).toBe(false);
    expect(noneMatchHits(undefined, etag)).toBe(false);
  });

  it('wins over If-Modified-Since, which counts only without it', () => {
    const mtime = Date.parse('2026-01-02T03:04:05.678Z');
    const later = new Date(mtime + 60_000).toUTCString();
    const earlier = new Date(mtime - 60_000).toUTCString();
    expect(notModified({ 'if-modified-since': later }, etag, mtime)).toBe(true);
    expect(notModified({ 'if-modified-since': earlier }, etag, mtime)).toBe(false);
    expect(notModified({ 'if-none-match': '"x"', 'if-modified-since': later }, etag, mtime)).toBe(
      false,
    );
  });

  it('If-Range needs the same strong validator', () => {
    const date = new Date(0).toUTCString();
    expect(ifRangeHolds(undefined, etag, date)).toBe(true);
    expect(ifRangeHolds(etag, etag, date)).toBe(true);
    expect(ifRangeHolds(`W/${etag}`, etag, date)).toBe(false);
    expect(ifRangeHolds('"other"', etag, date)).toBe(false);
    expect(ifRangeHolds(date, etag, date)).toBe(true);
  });
});

describe('password tries', () => {
  it('are limited per address and per link, and a lockout ends after a minute', () => {
    const attempts = new PasswordAttempts();
    const t0 = 1_000_000;
    // Five a minute from one address…
    for (let i = 0; i < 5; i++) expect(attempts.begin('L', '127.0.0.1', t0).allowed).toBe(true);
    expect(attempts.begin('L', '127.0.0.1', t0)).toMatchObject({ allowed: false });
    // …and twenty a minute for the link from all addresses together.
    for (let i = 2; i <= 4; i++) {
      for (let k = 0; k < 5; k++)
        expect(attempts.begin('L', `127.0.0.${i}`, t0).allowed).toBe(true);
    }
    const locked = attempts.begin('L', '127.0.0.99', t0 + 1000);
    expect(locked).toEqual({ allowed: false, retryAfter: 59 });
    // Another link is not affected; the lockout lasts until the window passes, no longer.
    expect(attempts.begin('M', '127.0.0.99', t0).allowed).toBe(true);
    expect(attempts.begin('L', '127.0.0.99', t0 + 59_999).allowed).toBe(false);
    expect(attempts.begin('L', '127.0.0.99', t0 + 60_001).allowed).toBe(true);
  });

  it('a right password takes its try back', () => {
    const attempts = new PasswordAttempts();
    for (let i = 0; i < 10; i++) {
      const attempt = attempts.begin('L', 'a', 5000);
      if (!attempt.allowed) throw new Error('refused');
      attempt.succeeded();
    }
    expect(attempts.begin('L', 'a', 5000).allowed).toBe(true);
  });
});

describe('download counting, by the bytes sent', () => {
  const size = 1000;
  const sentAll = (ranges: [number, number][]) => {
    const tally = emptyTally();
    for (const [start, end] of ranges) addSent(tally, start, end, size);
    return tally;
  };

  it('counts a download when every byte was sent, however split, and overlaps once', () => {
    expect(sentAll([[0, 1000]]).downloads).toBe(1);
    expect(sentAll([[0, 1]]).downloads).toBe(0); // a probe
    expect(sentAll([[1, 1000]]).downloads).toBe(0);
    expect(
      sentAll([
        [1, 1000],
        [0, 1],
      ]).downloads,
    ).toBe(1);
    // A cut download (more sent than received) and its resume: one.
    expect(
      sentAll([
        [0, 700],
        [400, 1000],
      ]),
    ).toEqual({ downloads: 1, sent: 1300, covered: [] });
    // Eight ranges in any order, the first one cut late: one.
    const ranges: [number, number][] = [
      [0, 900],
      ...[7, 3, 5, 1, 2, 6, 4].map((k): [number, number] => [k * 125, k * 125 + 125]),
    ];
    expect(sentAll(ranges).downloads).toBe(1);
    expect(
      sentAll([
        [0, 1000],
        [0, 1000],
        [0, 10],
      ]),
    ).toEqual({ downloads: 2, sent: 2010, covered: [[0, 10]] });
    // An empty file: every GET is one.
    const empty = emptyTally();
    addSent(empty, 0, 0, 0);
    addSent(empty, 0, 0, 0);
    expect(empty.downloads).toBe(2);
  });

  it('keeps few pieces: many scattered probes join into bigger ones (counting sooner, never later)', () => {
    const tally = emptyTally();
    for (let i = 0; i < 500; i++) addSent(tally, i * 2, i * 2 + 1, size);
    expect(tally.covered.length).toBeLessThanOrEqual(64);
    expect(tally.downloads).toBe(0);
    expect(byteCap(1, size)).toBe(2000);
  });

  it('refuses past the limit or the byte cap, and keeps the count on disk', async () => {
    const ledger = new DownloadLedger(dir);
    const begin = (start: number, end: number) =>
      ledger.begin('a', size, 1, { start, end }, (sent) => ({ start, end: start + sent }));
    (await begin(0, 1))?.end(1); // probe
    const first = await begin(0, 1000);
    expect(first).toBeDefined();
    first?.end(400); // cut after 400 bytes
    (await begin(350, 1000))?.end(650); // resumed
    expect(await ledger.downloads('a', size)).toBe(1);
    expect(await begin(0, 1000)).toBeUndefined();
    await ledger.close();
    // Another process (or a restart) reads the same count.
    expect(await readTally(dir, 'a', size)).toMatchObject({ downloads: 1, sent: 1051 });
    // A torn last line (a crash during an append) is skipped.
    await fs.appendFile(join(dir, 'a.sent'), '{"downloads":9,');
    expect((await readTally(dir, 'a', size)).downloads).toBe(1);

    // Sending the same 999 bytes over and over never completes a download: the cap stops it.
    const again = (start: number) =>
      ledger.begin('b', size, 1, { start, end: 1000 }, (sent) => ({ start, end: start + sent }));
    (await again(1))?.end(999);
    (await again(1))?.end(999);
    expect(await again(1)).toBeUndefined();
    expect(await ledger.downloads('b', size)).toBe(0);
  });

  it('writes the counts of a link without a limit in groups, and a failed write blocks no response', async () => {
    const ledger = new DownloadLedger(dir);
    const whole = () =>
      ledger.begin('c', size, undefined, { start: 0, end: size }, (sent) => ({
        start: 0,
        end: sent,
      }));
    for (let i = 0; i < 100; i++) (await whole())?.end(size);
    await ledger.close();
    const lines = (await fs.readFile(join(dir, 'c.sent'), 'utf8')).trimEnd().split('\n');
    expect(lines.length).toBeLessThan(100);
    expect(await readTally(dir, 'c', size)).toMatchObject({ downloads: 100, sent: 100 * size });

    // A folder that cannot be written: responses without a limit go on (the write fails
    // unseen, with no unhandled rejection); one with a limit waits for its write, and fails.
    const gone = new DownloadLedger(join(dir, 'no-such-folder'));
    const unlimited = await gone.begin('d', size, undefined, { start: 0, end: size }, (sent) => ({
      start: 0,
      end: sent,
    }));
    unlimited?.end(size);
    expect(await gone.downloads('d', size)).toBe(1);
    // Its grouped write fails 50 ms later, awaited by no one: a rejection left unhandled fails the run.
    await new Promise((resolve) => setTimeout(resolve, 300));
    await expect(
      gone.begin('e', size, 1, { start: 0, end: size }, (sent) => ({ start: 0, end: sent })),
    ).rejects.toThrow(/ENOENT/);
    await gone.close();
  });

  it('reads the counts of links made before (one dot per download)', async () => {
    await fs.writeFile(join(dir, 'old.downloads'), '...');
    expect(await readTally(dir, 'old', 50)).toEqual({ downloads: 3, sent: 150, covered: [] });
  });
});

describe('ZIP ranges', () => {
  let entries: ZipEntry[];
  let whole: Buffer;

  beforeAll(async () => {
    const sizes = [0, 1, 70_000, 3, 2 * 1024 * 1024 + 5, 17];
    entries = await Promise.all(
      sizes.map(async (size, i) => {
        const path = join(dir, `z${i}.bin`);
        await fs.writeFile(path, randomBytes(size));
        const stat = await fs.stat(path);
        return { name: `folder/ünï ${i}.bin`, path, size, mtimeMs: stat.mtimeMs };
      }),
    );
    const layout = zipLayout(entries);
    whole = await collect(zipBytes(layout, new ZipCrcs(layout), 0, layout.size));
    expect(whole.length).toBe(layout.size);
  });

  async function collect(chunks: AsyncIterable<Buffer>): Promise<Buffer> {
    const parts: Buffer[] = [];
    for await (const chunk of chunks) parts.push(chunk);
    return Buffer.concat(parts);
  }

  it('any range, with no CRC known yet, is the same bytes as that part of the whole', async () => {
    const layout = zipLayout(entries);
    const size = layout.size;
    const cuts = [0, 1, 29, 30, 31, size - 1, size - 22, layout.cdOffset, layout.cdOffset + 1];
    for (const item of layout.items) {
      cuts.push(item.offset, item.dataOffset, item.descriptorOffset, item.end - 1, item.end);
    }
    for (let i = 0; i < 40; i++) cuts.push(Math.floor(Math.random() * size));
    const points = [...new Set(cuts.filter((c) => c >= 0 && c <= size))].sort((a, b) => a - b);
    for (let i = 0; i < points.length; i++) {
      const start = points[i]!;
      const end = points[(i * 7 + 3) % points.length]!;
      if (end <= start) continue;
      // A fresh ZipCrcs: this range must find every CRC it needs by itself.
      const part = await collect(zipBytes(layout, new ZipCrcs(layout), start, end));
      expect(part.equals(whole.subarray(start, end)), `${start}-${end}`).toBe(true);
    }
  });

  it('maps archive offsets to the files’ own bytes (download counts)', () => {
    const layout = zipLayout(entries);
    const total = entries.reduce((sum, e) => sum + e.size, 0);
    expect(dataPosition(layout, 0)).toBe(0);
    expect(dataPosition(layout, layout.size)).toBe(total);
    expect(dataPosition(layout, layout.cdOffset)).toBe(total);
    const third = layout.items[2]!;
    expect(dataPosition(layout, third.dataOffset + 10)).toBe(
      entries[0]!.size + entries[1]!.size + 10,
    );
    expect(dataPosition(layout, third.offset)).toBe(third.dataBefore);
  });

  it('knows its size without making it (Zip64 past 65,535 entries)', () => {
    const zipSize = (list: ZipEntry[]) => {
      const count = new ZipSizeCount();
      for (const entry of list) count.add(entry);
      return count.total;
    };
    expect(zipSize(entries)).toBe(whole.length);
    const many = Array.from({ length: 70_000 }, (_, i) => ({ ...entries[1]!, name: `f${i}` }));
    expect(zipSize(many)).toBe(zipLayout(many).size);
  });

  it('has a strong ETag that changes when a file does', () => {
    const a = zipLayout(entries).etag;
    expect(a).toMatch(/^"zip-[A-Za-z0-9_-]+"$/);
    expect(zipLayout(entries).etag).toBe(a);
    const changed = entries.map((e, i) => (i === 2 ? { ...e, mtimeMs: e.mtimeMs + 1 } : e));
    expect(zipLayout(changed).etag).not.toBe(a);
  });
});
