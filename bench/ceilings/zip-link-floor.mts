/**
 * Ceiling of the 100,000-file ZIP link line: the work any tool must do to
 * offer a folder's files as one durable ZIP link with a searchable record of
 * them, and nothing else. No Outbox code:
 * - the walk: each folder listed (sorted), each entry `stat`ed and each file
 *   checked readable (`access`), synchronously, as Outbox does;
 * - the link: its list of files (path, name in the ZIP, size, mtime) written
 *   as one JSON file, fsynced and renamed into place;
 * - the record: one row per file in SQLite (WAL, synchronous=FULL), with
 *   what a delivery log shows of each (job, task, source, name, size,
 *   destination, operation, link, how it was checked), indexed by time, by
 *   destination and time, and by name (FTS5 trigram), in one transaction: one
 *   fsync. Outbox's log writes the same in slices of a few milliseconds, the
 *   event loop turning between them; this holds the thread throughout.
 * Everything is written under `dir` (removed afterwards by the board).
 *
 *   CEILING='{"dir":…}' node bench/ceilings/zip-link-floor.mts FOLDER
 */
import { randomUUID } from 'node:crypto';
import { accessSync, constants, readdirSync, statSync } from 'node:fs';
import { mkdir, open, rename } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { run } from './lib.mts';

type Entry = { path: string; name: string; size: number; mtime_ms: number };

function walk(path: string, name: string, into: Entry[]): void {
  for (const child of readdirSync(path).sort()) {
    const childPath = join(path, child);
    const childName = `${name}/${child}`;
    const stat = statSync(childPath);
    if (stat.isDirectory()) walk(childPath, childName, into);
    else {
      accessSync(childPath, constants.R_OK);
      into.push({ path: childPath, name: childName, size: stat.size, mtime_ms: stat.mtimeMs });
    }
  }
}

async function writeDurably(path: string, text: string): Promise<void> {
  const file = await open(`${path}.tmp`, 'w', 0o600);
  try {
    await file.writeFile(text);
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(`${path}.tmp`, path);
}

function record(dir: string, link: string, entries: Entry[]): void {
  const db = new DatabaseSync(join(dir, 'log.sqlite'));
  db.exec(`PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;
    CREATE TABLE deliveries (id INTEGER PRIMARY KEY, at INTEGER, job TEXT, task TEXT,
      source_path TEXT, name TEXT, size INTEGER, checksum TEXT, destination TEXT,
      operation TEXT, location TEXT, verified_by TEXT);
    CREATE INDEX by_time ON deliveries (at);
    CREATE INDEX by_destination ON deliveries (destination, at);
    CREATE VIRTUAL TABLE names USING fts5 (name, content = 'deliveries', content_rowid = 'id', tokenize = 'trigram');`);
  const insert = db.prepare(
    `INSERT INTO deliveries (at, job, task, source_path, name, size, checksum, destination, operation, location, verified_by)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const at = Date.now();
  const job = randomUUID();
  db.exec('BEGIN IMMEDIATE');
  for (const e of entries) {
    insert.run(
      at,
      job,
      'export',
      e.path,
      e.name,
      e.size,
      null,
      'export/url',
      'export/url',
      link,
      'none',
    );
  }
  db.exec('INSERT INTO names (rowid, name) SELECT id, name FROM deliveries');
  db.exec('COMMIT');
  db.close();
}

run<{ dir: string }>(async ({ dir }, folder) => {
  await mkdir(dir, { recursive: true });
  const entries: Entry[] = [];
  walk(folder, basename(folder), entries);
  const link = `link:${randomUUID()}`;
  await writeDurably(join(dir, `${link}.json`), JSON.stringify({ files: entries }));
  record(dir, link, entries);
  console.log(`${entries.length} files`);
});
