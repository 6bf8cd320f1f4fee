import { createHash, randomBytes } from 'node:crypto';
import { posix } from 'node:path';
import type { SFTPWrapper, Stats } from 'ssh2';
import { OutboxError } from '../../errors';
import type { Exporter, TransferContext, UploadRequest } from '../exporter';
import { verify } from '../integrity';
import { DEFAULT_PART_SIZE } from '../parts';
import { pausedBy } from '../pause';
import type { ResumeStateOf } from '../resume-states';
import type { ResultFile } from '../../transfer/records';
import { storedFile } from '../stored-file';
import { stalledBy } from '../upload-with-retry';
import { writePipelined } from './pipelined-write';
import {
  destinationOf,
  locationOf,
  sftpError,
  sftpRequest,
  sftpSession,
  type SftpSession,
} from './sftp-session';

const stat = (sftp: SFTPWrapper, path: string) =>
  sftpRequest<Stats>(sftp, (done) => sftp.stat(path, done));
const unlink = (sftp: SFTPWrapper, path: string) =>
  sftpRequest<void>(sftp, (done) => sftp.unlink(path, (error) => done(error, undefined)));
const close = (sftp: SFTPWrapper, handle: Buffer) =>
  sftpRequest<void>(sftp, (done) => sftp.close(handle, (error) => done(error, undefined)));

const NO_SUCH_FILE = 2;
const isMissing = (error: unknown) => (error as { code?: unknown }).code === NO_SUCH_FILE;

/**
 * The hidden name a file is written under until it is complete, in the same
 * directory so that the final rename never crosses file systems. `tag` makes
 * it stable for one source file: a retry after a cut connection (which could
 * not clean up) overwrites the same temporary file instead of leaving it.
 */
export function temporaryNameFor(path: string, tag = randomBytes(4).toString('hex')): string {
  const dir = posix.dirname(path);
  const suffix = createHash('sha256').update(tag).digest('hex').slice(0, 8);
  return posix.join(dir, `.${posix.basename(path)}.outbox-${suffix}.part`);
}

/** `mkdir -p`, remembering what exists so a folder of files walks the tree once. */
async function ensureDirectory(session: SftpSession, dir: string): Promise<void> {
  if (dir === '.' || dir === '/' || dir === '' || session.knownDirs.has(dir)) return;
  const { sftp } = session;
  try {
    const stats = await stat(sftp, dir);
    if (!stats.isDirectory()) {
      throw new OutboxError('REMOTE_ERROR', `${dir} exists on the server but is not a directory.`);
    }
  } catch (error) {
    if (!isMissing(error)) throw sftpError(error, 'Cannot use directory', dir);
    await ensureDirectory(session, posix.dirname(dir));
    try {
      await sftpRequest<void>(sftp, (done) => sftp.mkdir(dir, (e) => done(e, undefined)));
    } catch (mkdirError) {
      // Another upload of this job may have created it meanwhile.
      const exists = await stat(sftp, dir).then(
        (s) => s.isDirectory(),
        () => false,
      );
      if (!exists) throw sftpError(mkdirError, 'Cannot create directory', dir);
    }
  }
  session.knownDirs.add(dir);
}

/** Atomic replace where the server offers posix-rename; otherwise delete, then rename. */
async function moveIntoPlace(sftp: SFTPWrapper, from: string, to: string): Promise<void> {
  try {
    await sftpRequest<void>(sftp, (done) =>
      sftp.ext_openssh_rename(from, to, (e) => done(e, undefined)),
    );
    return;
  } catch (error) {
    // Without the extension ssh2 throws before sending anything (no SFTP status code).
    if (typeof (error as { code?: unknown }).code === 'number') throw error;
  }
  // Plain SFTP rename refuses to overwrite: remove an older file of that name first.
  await unlink(sftp, to).catch((error: unknown) => {
    if (!isMissing(error)) throw error;
  });
  await sftpRequest<void>(sftp, (done) => sftp.rename(from, to, (e) => done(e, undefined)));
}

async function openForWrite(sftp: SFTPWrapper, path: string): Promise<Buffer> {
  return sftpRequest<Buffer>(sftp, (done) => sftp.open(path, 'w', { mode: 0o644 }, done));
}

/** Files from this size on are continued after a crash (the part size of the other exporters). */
const RESUMABLE_SIZE = DEFAULT_PART_SIZE;
/** Bytes of the remote file compared with the local one before continuing after them. */
const RESUME_CHECK_BYTES = 1024 * 1024;

async function readRemote(
  sftp: SFTPWrapper,
  handle: Buffer,
  start: number,
  length: number,
): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  let filled = 0;
  while (filled < length) {
    const read = await sftpRequest<number>(sftp, (done) =>
      sftp.read(handle, buffer, filled, length - filled, start + filled, (error, bytes) =>
        done(error, bytes),
      ),
    );
    if (read === 0) break;
    filled += read;
  }
  return buffer.subarray(0, filled);
}

async function readLocal(context: TransferContext, start: number, end: number) {
  const buffer = Buffer.allocUnsafe(end - start);
  for await (const _chunk of context.read({ start, end }, buffer)); // one chunk: the whole range
  return buffer;
}

/**
 * An earlier try's temporary file (same source, same destination: same name),
 * open for writing after the bytes it already holds, or undefined. SFTP
 * servers handle one channel's writes in order, so a cut-off upload leaves a
 * prefix of the file; its last MiB is compared with the source to be sure.
 */
async function continueTemporary(
  sftp: SFTPWrapper,
  temporary: string,
  context: TransferContext,
  size: number,
): Promise<{ handle: Buffer; offset: number } | undefined> {
  const handle = await sftpRequest<Buffer>(sftp, (done) => sftp.open(temporary, 'r+', done)).catch(
    () => undefined,
  );
  if (!handle) return undefined;
  try {
    const held = (await sftpRequest<Stats>(sftp, (done) => sftp.fstat(handle, done))).size ?? 0;
    if (held > 0 && held <= size) {
      const start = Math.max(0, held - RESUME_CHECK_BYTES);
      const [remote, local] = await Promise.all([
        readRemote(sftp, handle, start, held - start),
        readLocal(context, start, held),
      ]);
      if (remote.equals(local)) return { handle, offset: held };
    }
  } catch {
    // unreadable: write it afresh
  }
  await close(sftp, handle).catch(() => undefined);
  return undefined;
}

/**
 * export/sftp: each file is written under a hidden temporary name next to its
 * destination, checked (size: SFTP has no checksum request that OpenSSH's
 * internal-sftp answers) and renamed into place, so a half-written file never
 * appears under its final name. The host key is checked on every connection.
 */
export const sftpExporter: Exporter<'export/sftp'> = {
  operation: 'export/sftp',

  async upload(request, context) {
    const session = await sftpSession(request.params, context.sessions, context.signal);
    // ssh2 fails the requests in flight only when the connection closes, and a stalled one
    // never does by itself: the idle watchdog's abort cuts it, so this try ends and the next
    // one reconnects.
    const cutIfStalled = () => stalledBy(context.signal) && session.destroy();
    context.signal.addEventListener('abort', cutIfStalled, { once: true });
    try {
      return await writeFile(session, request, context);
    } finally {
      context.signal.removeEventListener('abort', cutIfStalled);
    }
  },

  async probe(params, context, path) {
    const session = await sftpSession(params, context.sessions, context.signal);
    const target = posix.dirname(path);
    // The nearest existing folder: missing ones would be created there.
    let dir = target.replace(/\/+$/, '') || '/';
    for (;;) {
      const exists = await stat(session.sftp, dir).then(
        () => true,
        (error: unknown) => {
          if (isMissing(error)) return false;
          throw sftpError(error, 'Cannot use directory', dir);
        },
      );
      if (exists || dir === '.' || dir === '/') break;
      dir = posix.dirname(dir);
    }
    const probe = temporaryNameFor(posix.join(dir, 'outbox-probe'));
    const handle = await openForWrite(session.sftp, probe).catch((error: unknown) => {
      throw sftpError(error, 'Cannot write to', dir);
    });
    await close(session.sftp, handle);
    await unlink(session.sftp, probe);
    const where = dir === target ? target : `${dir} (${target} will be created)`;
    return {
      ok: true,
      message: `Connected to ${destinationOf(params)} (host key ${session.hostKeyFingerprint}); ${where} is writable.`,
    };
  },
};

/** One file over `session`: under its temporary name, checked, then renamed into place. */
async function writeFile(
  session: SftpSession,
  { params, source, name }: UploadRequest<'export/sftp'>,
  context: TransferContext<ResumeStateOf<'export/sftp'>>,
): Promise<ResultFile> {
  const { sftp } = session;
  await ensureDirectory(session, posix.dirname(name));

  const temporary = temporaryNameFor(name, `${source.path}\n${source.size}\n${source.mtimeMs}`);
  const previous = context.resume.previous?.state.temporary;
  if (previous !== undefined && previous !== temporary) {
    await unlink(sftp, previous).catch(() => undefined); // of a changed source
  }
  let handle: Buffer | undefined;
  let stored = false;
  try {
    // Small files cost less to send again than to look for (a round trip and a checkpoint each).
    const resumable = source.size >= RESUMABLE_SIZE;
    const resumed = resumable
      ? await continueTemporary(sftp, temporary, context, source.size)
      : undefined;
    const offset = resumed?.offset ?? 0;
    handle =
      resumed?.handle ??
      (await openForWrite(sftp, temporary).catch((error: unknown) => {
        throw sftpError(error, 'Cannot write to', posix.dirname(name) || '.');
      }));
    if (resumable && !resumed) await context.resume.save({ temporary });
    context.progress.add(offset);
    // The result's sha256 covers the whole file: what the server held is hashed first.
    const hash = createHash('sha256');
    if (offset > 0)
      for await (const chunk of context.read({ start: 0, end: offset })) hash.update(chunk);
    const open = handle;
    // The size check and the close travel with the last write (one round trip).
    const [written, closed] = await writePipelined(
      sftp,
      open,
      (into) => context.read({ start: offset, end: source.size }, into),
      context.progress,
      () => {
        handle = undefined;
        return Promise.allSettled([
          sftpRequest<Stats>(sftp, (done) => sftp.fstat(open, done)),
          close(sftp, open),
        ]);
      },
      {
        start: offset,
        bytes: source.size - offset,
        signal: context.signal,
        onRead: (chunk) => hash.update(chunk),
      },
    );
    if (written.status === 'rejected') throw written.reason;
    if (closed.status === 'rejected') throw closed.reason;
    const sha256 = hash.digest().toString('hex');
    verify(locationOf(params, name), { size: source.size }, { size: written.value.size });
    await moveIntoPlace(sftp, temporary, name).catch((error: unknown) => {
      throw sftpError(error, 'Cannot rename the finished upload to', name);
    });
    stored = true;
    return storedFile({
      name,
      size: source.size,
      location: locationOf(params, name),
      place: { host: params.host, file: name },
      checksum: { algorithm: 'sha256', value: sha256 },
      // The remote size was checked before the rename; SFTP offers no remote checksum.
      verifiedBy: 'size',
      resumedBytes: offset,
      details: { host_key_fingerprint: session.hostKeyFingerprint },
    });
  } catch (error) {
    throw sftpError(error, 'Upload failed for', name);
  } finally {
    // A paused upload keeps its temporary file for Resume (only the handle is closed).
    if (pausedBy(context.signal)) await closeHandle(session, handle);
    else if (!stored) await removeTemporary(session, handle, temporary);
  }
}

/** A failed or cancelled upload leaves nothing behind (best effort: the connection may be gone). */
async function removeTemporary(
  session: SftpSession,
  handle: Buffer | undefined,
  temporary: string,
): Promise<void> {
  if (session.closed) return;
  await closeHandle(session, handle);
  await unlink(session.sftp, temporary).catch(() => undefined);
}

async function closeHandle(session: SftpSession, handle: Buffer | undefined): Promise<void> {
  if (handle && !session.closed) await close(session.sftp, handle).catch(() => undefined);
}
