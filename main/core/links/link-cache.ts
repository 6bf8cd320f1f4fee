import { statSync, watch, type FSWatcher } from 'node:fs';
import { checkFiles } from '../store/many-files';
import type { LinkRecord } from './link-record';
import { keyMatches, tokenKey, type TokenKey } from '../http/tokens';
import { downloadSize, type LinkStore } from './link-store';
import { ServedFiles } from './served-files';
import { zipLayout, type ZipLayout } from './zip-layout';
import { ZipCrcs } from './zip-stream';

/**
 * What the link server knows about the links it serves, so that a request
 * does not re-read what it already knew. A link's record is read and parsed
 * once, and used for as long as its file on disk is the same one. A change
 * (a revocation, a new limit…) is noticed at once: from this process through
 * the store, from any other through a watch on the links folder; and in any
 * case within a second, when a record last checked over a second ago is
 * checked again (one stat) before it is used. Files are checked as
 * served-files.ts says.
 */

const MAX_LINKS = 1000;
/** A record is checked against its file on disk again when its last check is older than this. */
const RECHECK_MS = 1000;
/** How long the check that every file of a ZIP link is unchanged holds. */
const ZIP_CHECK_MS = 1000;
/** What a token for an unknown link is compared with. */
const NO_LINK = tokenKey('');

export class ServedLink {
  readonly expiresMs: number;
  /** Bytes of one download (download-ledger.ts): the file, or all the files of a ZIP. */
  readonly downloadSize: number;
  /** The link's token, laid out for a constant-time comparison. */
  readonly tokenKey: TokenKey;
  /** The newest modification time of the link's files: its Last-Modified. */
  readonly lastModifiedMs: number;
  private zipState: { layout: ZipLayout; crcs: ZipCrcs } | undefined;
  private readonly memos = new Map<string, object>();
  private zipCheck: { at: number; result: Promise<true | string> } | undefined;

  constructor(readonly link: LinkRecord) {
    this.expiresMs = Date.parse(link.expires_at);
    this.downloadSize = downloadSize(link);
    this.tokenKey = tokenKey(link.token);
    this.lastModifiedMs = link.files.reduce((newest, file) => Math.max(newest, file.mtime_ms), 0);
  }

  /** What `make` gives, made once for this link (e.g. the headers of one of its files). */
  memo<T extends object>(key: string, make: () => T): T {
    const known = this.memos.get(key);
    if (known !== undefined) return known as T;
    const made = make();
    this.memos.set(key, made);
    return made;
  }

  /** The archive of a ZIP link: its layout (sizes, ETag) and the CRCs known so far. */
  get zip(): { layout: ZipLayout; crcs: ZipCrcs } {
    if (!this.zipState) {
      const layout = zipLayout(
        this.link.files.map((file) => ({ ...file, mtimeMs: file.mtime_ms })),
      );
      this.zipState = { layout, crcs: new ZipCrcs(layout) };
    }
    return this.zipState;
  }

  /** true, or the name of a file of a ZIP link that changed or vanished (checked at most once a second). */
  zipFilesUnchanged(now = Date.now()): Promise<true | string> {
    if (!this.zipCheck || now - this.zipCheck.at > ZIP_CHECK_MS) {
      this.zipCheck = { at: now, result: firstChanged(this.link.files) };
    }
    return this.zipCheck.result;
  }
}

async function firstChanged(files: LinkRecord['files']): Promise<true | string> {
  // Size and time only: each file is opened (and checked again) as the ZIP reaches it.
  const checked = await checkFiles(
    files.map((file) => file.path),
    false,
  );
  const at = checked.findIndex((outcome, i) => {
    const file = files[i] as LinkRecord['files'][number];
    if ('error' in outcome) return true;
    return (
      outcome.kind !== 'file' || outcome.size !== file.size || outcome.mtimeMs !== file.mtime_ms
    );
  });
  return at < 0 ? true : (files[at]?.name ?? true);
}

type Cached = { stamp: string; checkedAt: number; served: ServedLink };

export class LinkCache {
  /** Links by id with the identity of their record file; least recently used first. */
  private readonly links = new Map<string, Cached>();
  readonly files = new ServedFiles();
  private watcher: FSWatcher | undefined;
  private readonly stopListening: () => void;
  /** Counts changes noticed: a record read while one was noticed is checked again next time. */
  private changes = 0;

  constructor(private readonly store: LinkStore) {
    this.stopListening = store.onChange((id) => this.forget(id));
  }

  private forget(id: string): void {
    this.changes++;
    this.links.delete(id);
  }

  /** Other processes' changes: the folder's watch drops the record (a re-check within a second backs it up). */
  private watch(): void {
    if (this.watcher) return;
    try {
      this.watcher = watch(this.store.dir, { persistent: false }, (_event, name) => {
        if (typeof name === 'string' && name.endsWith('.json')) this.forget(name.slice(0, -5));
      });
      this.watcher.on('error', () => undefined);
    } catch {
      // No folder yet (no link), or no watches left: the re-check within a second still holds.
    }
  }

  private stampOf(id: string): string | undefined {
    const path = this.store.recordPath(id);
    const stat = path === undefined ? undefined : statSync(path, { throwIfNoEntry: false });
    return stat && `${stat.ino}:${stat.mtimeMs}:${stat.size}`;
  }

  /** The link if `token` is its token (compared in constant time), else undefined. */
  async authorize(id: string, token: string): Promise<ServedLink | undefined> {
    this.watch();
    const now = Date.now();
    let cached = this.links.get(id);
    if (!cached || now - cached.checkedAt > RECHECK_MS) {
      const stamp = this.stampOf(id);
      if (stamp === undefined) cached = undefined;
      else if (cached?.stamp === stamp) cached.checkedAt = now;
      else {
        const changes = this.changes;
        const link = await this.store.get(id);
        const checkedAt = changes === this.changes ? now : 0;
        cached = link ? { stamp, checkedAt, served: new ServedLink(link) } : undefined;
      }
    }
    this.links.delete(id); // re-inserted: most recently used last
    if (!cached) {
      keyMatches(NO_LINK, token); // the same work as a real check
      return undefined;
    }
    this.links.set(id, cached);
    if (this.links.size > MAX_LINKS) this.links.delete(this.links.keys().next().value as string);
    return keyMatches(cached.served.tokenKey, token) ? cached.served : undefined;
  }

  close(): void {
    this.stopListening();
    this.watcher?.close();
    this.files.close();
    this.links.clear();
  }
}
