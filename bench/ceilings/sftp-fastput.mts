/**
 * Ceiling: ssh2's own `fastPut` (32 writes of 255 KiB in flight, as Outbox
 * and `sftp -B 261120` use) over one connection; a folder's files go FILES_IN_FLIGHT
 * at a time on that connection, into one `mkdir`ed folder.
 *
 * With `"sha256": true` it also does the one thing per byte that Outbox adds
 * on SFTP: the SHA-256 of every byte sent (Outbox's `checksum` output),
 * hashed in file order from the very buffers fastPut reads into.
 *
 * With `"checked": true` it also makes the requests per file that Outbox
 * makes on top of fastPut's open, writes and close: the file is written under
 * a temporary name, its size asked of the server and compared, and it is
 * renamed into place (`posix-rename@openssh.com`). The same requests, not
 * the same order: Outbox asks the size of its open handle (fstat) with the
 * last write, this asks it of the path (stat) after fastPut's close.
 *
 *   CEILING='{"host":…,"port":…,"username":…,"privateKeyPath":…,"dir":…,"sha256":false,"checked":false}' \
 *     node bench/ceilings/sftp-fastput.mts SOURCE
 */
import { createHash, type Hash } from 'node:crypto';
import fs, { readFileSync } from 'node:fs';
import { posix } from 'node:path';
import ssh2, { type SFTPWrapper, type Stats } from 'ssh2';
import { eachLimited, filesOf, nameOf, run, type SourceFile } from './lib.mts';

type Settings = {
  host: string;
  port: number;
  username: string;
  privateKeyPath: string;
  dir: string;
  sha256?: boolean;
  checked?: boolean;
};

type FileHash = { hash: Hash; next: number; early: Map<number, Buffer> };

/**
 * fastPut takes no hook for the bytes it reads, so the hash sits in node:fs,
 * which ssh2 calls for the local file (open, read, close): each chunk is
 * hashed as its read completes when it is the next in the file; a chunk read
 * ahead of its turn (reads complete out of order) is copied and hashed in turn.
 * Returns the digests by path, filled as files close.
 */
function hashLocalReads(): Map<string, string> {
  const digests = new Map<string, string>();
  const open = new Map<number, FileHash & { path: string }>();
  const { open: fsOpen, read: fsRead, close: fsClose } = fs;
  const feed = (file: FileHash, position: number, data: Buffer) => {
    if (position !== file.next) return void file.early.set(position, Buffer.from(data));
    file.hash.update(data);
    file.next += data.length;
    for (let ahead; (ahead = file.early.get(file.next));) {
      file.early.delete(file.next);
      file.hash.update(ahead);
      file.next += ahead.length;
    }
  };
  Object.assign(fs, {
    open: (path: string, flags: string, done: (error: Error | null, fd: number) => void) =>
      fsOpen(path, flags, (error, fd) => {
        if (!error) open.set(fd, { path, hash: createHash('sha256'), next: 0, early: new Map() });
        done(error, fd);
      }),
    read: (
      fd: number,
      buffer: Buffer,
      offset: number,
      length: number,
      position: number,
      done: (error: Error | null, bytes: number, buffer: Buffer) => void,
    ) =>
      fsRead(fd, buffer, offset, length, position, (error, bytes) => {
        const file = open.get(fd);
        if (!error && file) feed(file, position, buffer.subarray(offset, offset + bytes));
        done(error, bytes, buffer);
      }),
    close: (fd: number, done: (error: Error | null) => void) => {
      const file = open.get(fd);
      open.delete(fd);
      if (file && file.early.size > 0)
        return fsClose(fd, () => done(new Error(`${file.path}: a read was never hashed`)));
      if (file) digests.set(file.path, file.hash.digest('hex'));
      fsClose(fd, done);
    },
  });
  return digests;
}

const CHUNK = 261_120;
const IN_FLIGHT = 32;
/** Outbox's files in flight to an SFTP server (its destination's `filesInFlight`). */
const FILES_IN_FLIGHT = 32;

function connect(s: Settings): Promise<{ client: ssh2.Client; sftp: SFTPWrapper }> {
  return new Promise((resolve, reject) => {
    const client = new ssh2.Client();
    client.once('error', reject);
    client.once('ready', () =>
      client.sftp((error, sftp) => (error ? reject(error) : resolve({ client, sftp }))),
    );
    client.connect({
      host: s.host,
      port: s.port,
      username: s.username,
      privateKey: readFileSync(s.privateKeyPath),
    });
  });
}

const callback = (resolve: () => void, reject: (error: Error) => void) => (error?: Error | null) =>
  error ? reject(error) : resolve();

/** fastPut to `to`, or (checked) to a temporary name beside it, size-checked and renamed into place. */
async function put(sftp: SFTPWrapper, file: SourceFile, to: string, checked: boolean) {
  const written = checked ? `${posix.dirname(to)}/.${posix.basename(to)}.part` : to;
  await new Promise<void>((ok, fail) =>
    sftp.fastPut(
      file.path,
      written,
      { concurrency: IN_FLIGHT, chunkSize: CHUNK },
      callback(ok, fail),
    ),
  );
  if (!checked) return;
  const { size } = await new Promise<Stats>((ok, fail) =>
    sftp.stat(written, (error, stats) => (error ? fail(error) : ok(stats))),
  );
  if (size !== file.size) throw new Error(`${to}: the server holds ${size} of ${file.size} bytes`);
  await new Promise<void>((ok, fail) => sftp.ext_openssh_rename(written, to, callback(ok, fail)));
}

run<Settings>(async (s, source) => {
  const { folder, files } = await filesOf(source);
  const digests = s.sha256 ? hashLocalReads() : undefined;
  const { client, sftp } = await connect(s);
  if (folder)
    await new Promise<void>((ok, fail) => sftp.mkdir(`${s.dir}/small`, callback(ok, fail)));
  await eachLimited(files, folder ? FILES_IN_FLIGHT : 1, (file) =>
    put(sftp, file, nameOf(`${s.dir}/`, folder, file), s.checked === true),
  );
  client.end();
  if (digests && digests.size !== files.length)
    throw new Error(`hashed ${digests.size} of ${files.length} files`);
});
