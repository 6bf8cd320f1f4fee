import { join } from 'node:path';
import { nanoid } from 'nanoid';
import type { FileContent } from '../store/atomic-file';
import { RecordDir } from '../store/record-dir';
import { newRecordId } from '../store/record-id';
import { RecordIndex, type IndexRow } from '../store/record-index';
import { jsonArrayInSlices } from '../store/json-in-slices';
import { DownloadLedger, removeLedger } from './download-ledger';
import { hashPassword } from './link-password';
import { linkRecordSchema, linkState, type LinkRecord, type LinkState } from './link-record';

export type LinkSummary = LinkRecord & { url: string; state: LinkState; downloads: number };

/** A link as its maker describes it; the store gives it its id, token and time. */
export type NewLink = Omit<LinkRecord, 'id' | 'token' | 'created_at'>;

/**
 * A change to a link's options: `lan` shares it on the network (or stops),
 * `max_downloads` / `password` set or (null) remove the limit / the password,
 * `expires_in` gives it that many seconds from now.
 */
export type LinkChange = {
  lan?: boolean;
  max_downloads?: number | null;
  password?: string | null;
  expires_in?: number;
};

/**
 * What one download of a link is, in bytes: its file, or all the files of its
 * ZIP (the archive's own headers do not count: downloading every file of a
 * ZIP link one by one is a download too).
 */
export function downloadSize(link: LinkRecord): number {
  return link.files.reduce((sum, file) => sum + file.size, 0);
}

/**
 * 258-bit token, URL-safe: nanoid's 6 random bits a character, cut from a pool
 * of the system's CSPRNG bytes (a `randomBytes` call each cost ~6 µs here, 120 ms
 * of 10,000 separate links; ids come from store/record-id.ts the same way).
 */
export function newToken(): string {
  return nanoid(43);
}

/** When a link stops working: it expires, or is revoked. */
function endOf(link: LinkRecord): number {
  const expires = Date.parse(link.expires_at);
  return link.revoked_at ? Math.min(expires, Date.parse(link.revoked_at)) : expires;
}

/** A link's row in the index: due when it ends (store/record-index.ts). */
function rowOf(link: LinkRecord): IndexRow {
  return { state: null, due: endOf(link) };
}

/** Links of this many files (ZIP links) are serialized in time slices. */
const SLICED_FROM = 1000;

/**
 * Links on disk (`<home>/links`). The CLI and the app write them; the link
 * server notices every change at once, whichever process made it
 * (link-cache.ts), so a link works, and a revocation takes effect, as soon as
 * it is written. The server counts downloads in a file beside each link
 * (download-ledger.ts).
 */
export class LinkStore {
  private readonly records: RecordDir<LinkRecord>;
  private readonly listeners = new Set<(id: string) => void>();
  private indexReady: Promise<RecordIndex<LinkRecord>> | undefined;
  /** Bytes sent per link: counted by the server of this process, read from disk by others. */
  readonly ledger: DownloadLedger;

  constructor(
    private readonly home: string,
    private readonly baseUrl: string,
  ) {
    this.records = new RecordDir(join(home, 'links'), linkRecordSchema);
    this.ledger = new DownloadLedger(this.records.dir);
  }

  urlOf(link: Pick<LinkRecord, 'id' | 'token' | 'filename'>, base = this.baseUrl): string {
    return `${base}/d/${link.id}/${link.token}/${encodeURIComponent(link.filename)}`;
  }

  /** The download page for people who receive the link (names, sizes, time left, password). */
  pageUrlOf(link: Pick<LinkRecord, 'id' | 'token'>, base = this.baseUrl): string {
    return `${base}/d/${link.id}/${link.token}/`;
  }

  async create(link: NewLink): Promise<LinkRecord> {
    const [record] = await this.createMany([link]);
    return record as LinkRecord;
  }

  /**
   * Links written together, durable together: one fsync of the links folder for
   * all of them (writeFilesAtomic), where each link alone costs two.
   */
  async createMany(links: readonly NewLink[]): Promise<LinkRecord[]> {
    const records = links.map((link): LinkRecord => ({
      ...link,
      id: newRecordId(),
      token: newToken(),
      created_at: new Date().toISOString(),
    }));
    await this.write(records);
    return records;
  }

  get(id: string): Promise<LinkRecord | undefined> {
    return this.records.get(id);
  }

  /** Calls `listener` with the id of each link this store changes (other processes: see link-cache.ts). */
  onChange(listener: (id: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The index of the links by when they end (store/record-index.ts), opened when first asked. */
  private index(): Promise<RecordIndex<LinkRecord>> {
    this.indexReady ??= RecordIndex.over(this.home, 'links', this.records, rowOf);
    return this.indexReady;
  }

  /** Writes a link (`previous`: as it was); an earlier end is indexed before it, to be swept whatever happens. */
  private async put(record: LinkRecord, previous: LinkRecord): Promise<void> {
    if (endOf(record) < endOf(previous)) (await this.index()).note(record.id, rowOf(record));
    await this.write([record]);
  }

  /** Writes links, then notes their rows in the index and tells the listeners. */
  private async write(records: readonly LinkRecord[]): Promise<void> {
    const index = await this.index();
    const contents = records.map((record) => [record.id, this.contentOf(record)] as const);
    await this.records.putSerializedMany(contents);
    for (const record of records) {
      index.noteSoon(record.id, rowOf(record));
      for (const listener of this.listeners) listener(record.id);
    }
  }

  /**
   * A link's record as stored: as RecordDir stores any record; a link of many
   * files as JSON on one line (as RecordDir stores any record past 256 KiB),
   * its file list made in time slices as it is written: in one piece, the 10 MB
   * of a 100,000-file ZIP link held the main thread ~130 ms.
   */
  private contentOf(record: LinkRecord): FileContent {
    if (record.files.length < SLICED_FROM) return this.records.serialize(record);
    const { files, ...rest } = record;
    const head = JSON.stringify({ ...rest, files: [] });
    // `files` last: the head up to `"files":`, the list, the closing brace.
    return jsonArrayInSlices(files, { before: head.slice(0, -3), after: '}\n' });
  }

  /** Where a link's record is on disk (undefined for an id that cannot exist). */
  recordPath(id: string): string | undefined {
    return RecordDir.isValidId(id) ? this.records.pathOf(id) : undefined;
  }

  /** The folder of the link records and their download counts. */
  get dir(): string {
    return this.records.dir;
  }

  /** Changes a link's options; the server sees them on the next request. */
  async update(id: string, change: LinkChange): Promise<LinkRecord | undefined> {
    const link = await this.records.get(id);
    if (!link) return undefined;
    const next: LinkRecord = { ...link };
    if (change.lan !== undefined) next.lan = change.lan;
    if (change.max_downloads === null) delete next.max_downloads;
    else if (change.max_downloads !== undefined) next.max_downloads = change.max_downloads;
    if (change.password === null) delete next.password_hash;
    else if (change.password !== undefined)
      next.password_hash = await hashPassword(change.password);
    if (change.expires_in !== undefined) {
      next.expires_at = new Date(Date.now() + change.expires_in * 1000).toISOString();
    }
    const updated = linkRecordSchema.parse(next);
    await this.put(updated, link);
    return updated;
  }

  /** Downloads counted so far (see download-ledger.ts). */
  downloads(link: LinkRecord): Promise<number> {
    return this.ledger.downloads(link.id, downloadSize(link));
  }

  async summarize(link: LinkRecord, now = Date.now()): Promise<LinkSummary> {
    const downloads = await this.downloads(link);
    return {
      ...link,
      url: this.urlOf(link),
      state: linkState(link, now, downloads),
      downloads,
    };
  }

  async list(): Promise<LinkSummary[]> {
    const links = await this.records.list();
    const summaries = await Promise.all(links.map((link) => this.summarize(link)));
    return summaries.sort((a, b) => b.created_at.localeCompare(a.created_at));
  }

  /** Revokes at once: the server notices the stored record's change. */
  async revoke(id: string): Promise<LinkRecord | undefined> {
    const link = await this.records.get(id);
    if (!link) return undefined;
    if (!link.revoked_at) {
      const revoked = { ...link, revoked_at: new Date().toISOString() };
      await this.put(revoked, link);
      return revoked;
    }
    return link;
  }

  async remove(id: string): Promise<void> {
    (await this.index()).forget(id); // the row first: never a row without its record
    await this.records.remove(id);
    await removeLedger(this.records.dir, id);
    for (const listener of this.listeners) listener(id);
  }

  /** Deletes links that expired (or were revoked) more than `graceMs` ago. */
  async sweep(now = Date.now(), graceMs = 0): Promise<number> {
    const index = await this.index();
    let removed = 0;
    for (const id of await index.dueBy(now - graceMs)) {
      const link = await this.records.get(id);
      if (!link)
        index.forget(id); // gone, or not valid (the next open counts it and reads it once)
      else if (endOf(link) + graceMs <= now) {
        await this.remove(link.id);
        removed++;
      } else index.note(id, rowOf(link)); // a row a kill left behind
    }
    return removed;
  }

  /** Writes the index rows still held (a process that exits without it leaves them to the next open). */
  async close(): Promise<void> {
    (await this.indexReady?.catch(() => undefined))?.close();
  }
}
