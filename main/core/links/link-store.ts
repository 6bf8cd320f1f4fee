import { randomBytes, timingSafeEqual, createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { RecordDir } from '../store/record-dir';
import { hashPassword } from './link-password';
import { linkRecordSchema, linkState, type LinkRecord, type LinkState } from './link-record';

export type LinkSummary = LinkRecord & { url: string; state: LinkState; downloads: number };

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

/** 256-bit token, URL-safe. */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/** 72-bit id, URL-safe; never starts with "-", which a command line takes for an option. */
export function newId(): string {
  for (;;) {
    const id = randomBytes(9).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

/** Constant-time comparison that does not leak the expected token's length either. */
export function tokensMatch(expected: string, given: string): boolean {
  const a = createHash('sha256').update(expected).digest();
  const b = createHash('sha256').update(given).digest();
  return timingSafeEqual(a, b);
}

/**
 * Links on disk (`<home>/links`). The CLI and the app write them, the link
 * server reads them per request, so a link works the moment it is written,
 * whichever process serves it. Downloads are counted in an append-only file
 * beside each link (safe with several writer processes).
 */
export class LinkStore {
  private readonly records: RecordDir<LinkRecord>;

  constructor(
    home: string,
    private readonly baseUrl: string,
  ) {
    this.records = new RecordDir(join(home, 'links'), linkRecordSchema);
  }

  urlOf(link: Pick<LinkRecord, 'id' | 'token' | 'filename'>, base = this.baseUrl): string {
    return `${base}/d/${link.id}/${link.token}/${encodeURIComponent(link.filename)}`;
  }

  /** The download page for people who receive the link (names, sizes, time left, password). */
  pageUrlOf(link: Pick<LinkRecord, 'id' | 'token'>, base = this.baseUrl): string {
    return `${base}/d/${link.id}/${link.token}/`;
  }

  async create(link: Omit<LinkRecord, 'id' | 'token' | 'created_at'>): Promise<LinkRecord> {
    const record: LinkRecord = {
      ...link,
      id: newId(),
      token: newToken(),
      created_at: new Date().toISOString(),
    };
    await this.records.put(record.id, record);
    return record;
  }

  get(id: string): Promise<LinkRecord | undefined> {
    return this.records.get(id);
  }

  /** The link if `token` is its token (checked in constant time), else undefined. */
  async authorize(id: string, token: string): Promise<LinkRecord | undefined> {
    const link = await this.records.get(id);
    if (!link) {
      tokensMatch(token, token); // same work as a real check
      return undefined;
    }
    return tokensMatch(link.token, token) ? link : undefined;
  }

  private downloadsPath(id: string): string {
    return join(this.records.dir, `${id}.downloads`);
  }

  async countDownload(id: string): Promise<void> {
    await fs.appendFile(this.downloadsPath(id), '.', { mode: 0o600 });
  }

  private claims = Promise.resolve(true);

  /**
   * Counts a download before it starts, unless `max` were reached: false means
   * refuse it. Claims run one at a time, so two requests cannot both take the last one.
   */
  claimDownload(id: string, max: number | undefined): Promise<boolean> {
    const claim = this.claims.then(async () => {
      if (max !== undefined && (await this.downloads(id)) >= max) return false;
      await this.countDownload(id);
      return true;
    });
    this.claims = claim.catch(() => true);
    return claim;
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
    await this.records.put(id, updated);
    return updated;
  }

  async downloads(id: string): Promise<number> {
    try {
      return (await fs.stat(this.downloadsPath(id))).size;
    } catch {
      return 0;
    }
  }

  async summarize(link: LinkRecord, now = Date.now()): Promise<LinkSummary> {
    const downloads = await this.downloads(link.id);
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

  /** Revokes at once: the server checks every request against the stored record. */
  async revoke(id: string): Promise<LinkRecord | undefined> {
    const link = await this.records.get(id);
    if (!link) return undefined;
    if (!link.revoked_at) {
      link.revoked_at = new Date().toISOString();
      await this.records.put(id, link);
    }
    return link;
  }

  async remove(id: string): Promise<void> {
    await this.records.remove(id);
    await fs.rm(this.downloadsPath(id), { force: true });
  }

  /** Deletes links that expired (or were revoked) more than `graceMs` ago. */
  async sweep(now = Date.now(), graceMs = 0): Promise<number> {
    let removed = 0;
    for (const link of await this.records.list()) {
      const end = Math.min(
        Date.parse(link.expires_at),
        link.revoked_at ? Date.parse(link.revoked_at) : Infinity,
      );
      if (end + graceMs <= now) {
        await this.remove(link.id);
        removed++;
      }
    }
    return removed;
  }
}
