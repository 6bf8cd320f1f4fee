/**
 * Runs a ceiling script in one worker thread: the shape Outbox's exporters
 * run in (a thread of their own, so that secrets stay in it). The memory
 * suite sets the protocol's library alone, in that shape, beside a 1 MiB
 * export: what the export's peak RSS could come down to with no Outbox code.
 *
 * With `--delivery-log`, the main thread also does what an export's must
 * beyond the upload, the way any client that keeps records would: it makes a
 * job id with node:crypto (Outbox also checks keys with it before a byte
 * moves), and keeps a durable log of deliveries searchable by name (SQLite
 * in WAL mode with synchronous=FULL and an FTS5 trigram index, in a folder of
 * its own, removed afterwards): opened, and swept of entries past their
 * retention, before the upload; the delivery written once the worker is done.
 *
 *   CEILING=… node bench/ceilings/in-worker.mts [--delivery-log] CEILING_SCRIPT SOURCE
 */
import { resolve } from 'node:path';
import { Worker } from 'node:worker_threads';

const args = process.argv.slice(2);
const withLog = args[0] === '--delivery-log';
const [script, source] = withLog ? args.slice(1) : args;
if (!script || !source) {
  console.error('usage: CEILING=JSON node in-worker.mts [--delivery-log] CEILING_SCRIPT SOURCE');
  process.exit(2);
}

/**
 * The log, opened before the upload starts; `record` writes one delivery.
 * Its modules are loaded here, not imported above: the library alone loads none of them.
 */
async function openDeliveryLog(): Promise<{ record: (name: string) => void; remove: () => void }> {
  const { randomUUID } = await import('node:crypto');
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { DatabaseSync } = await import('node:sqlite');
  const dir = mkdtempSync(join(tmpdir(), 'ceiling-log-'));
  const db = new DatabaseSync(join(dir, 'log.sqlite'));
  db.exec(`PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;
    CREATE TABLE deliveries (id INTEGER PRIMARY KEY, job TEXT, name TEXT, at INTEGER);
    CREATE VIRTUAL TABLE names USING fts5 (name, content = 'deliveries', content_rowid = 'id', tokenize = 'trigram');`);
  db.prepare('DELETE FROM deliveries WHERE at < ?').run(Date.now() - 90 * 86_400_000);
  const insert = db.prepare('INSERT INTO deliveries (job, name, at) VALUES (?, ?, ?)');
  const index = db.prepare('INSERT INTO names (rowid, name) VALUES (?, ?)');
  const job = randomUUID();
  return {
    record(name) {
      const { lastInsertRowid } = insert.run(job, name, Date.now());
      index.run(lastInsertRowid, name);
    },
    remove() {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const log = withLog ? await openDeliveryLog() : undefined;
// the script reads CEILING from its (copied) environment and SOURCE as its argv[2]
const worker = new Worker(resolve(script), { argv: [source] });
worker.on('error', (error) => {
  console.error(error.message);
  process.exitCode = 1;
});
worker.on('exit', (code) => {
  process.exitCode ||= code;
  if (!log) return;
  if (code === 0) log.record(source);
  log.remove();
});
