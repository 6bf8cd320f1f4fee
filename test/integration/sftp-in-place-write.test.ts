import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SFTPWrapper, Stats } from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSource } from '../../main/core/exporters/source-stream';
import { SFTP_CHUNK, writePipelined } from '../../main/core/exporters/sftp/pipelined-write';
import { sftpRequest } from '../../main/core/exporters/sftp/sftp-session';
import { SFTP, assertServerUp } from '../support/servers';
import { withSftp } from '../support/ssh2-upload';

/**
 * The SFTP exporter's writes against the real sshd through ssh2: each chunk is
 * read into a buffer laid out as its WRITE request and lent to ssh2
 * (main/core/exporters/sftp/in-place-write.ts), so ssh2 allocates no request
 * buffer of its own and copies nothing. Buffer.allocUnsafe, which ssh2 calls
 * for each request, is watched; the file on the server's disk is compared.
 */

const suffix = randomBytes(4).toString('hex');
const REMOTE = `outbox-in-place-${suffix}.bin`;
const CONTROL = `outbox-in-place-${suffix}-control.bin`;
const open = (sftp: SFTPWrapper, path: string) =>
  sftpRequest<Buffer>(sftp, (done) => sftp.open(path, 'w', done));
const close = (sftp: SFTPWrapper, handle: Buffer) =>
  sftpRequest<void>(sftp, (done) => sftp.close(handle, (error) => done(error, undefined)));

/** Runs `work` with Buffer.allocUnsafe counting the allocations of a whole write request or more. */
async function countingRequestAllocations<T>(work: () => Promise<T>): Promise<[T, number]> {
  const allocUnsafe = Buffer.allocUnsafe;
  let requests = 0;
  Buffer.allocUnsafe = (size: number) => {
    if (size >= SFTP_CHUNK) requests++;
    return allocUnsafe(size);
  };
  try {
    return [await work(), requests];
  } finally {
    Buffer.allocUnsafe = allocUnsafe;
  }
}

describe('SFTP writes from request-shaped read buffers (OpenSSH sshd)', () => {
  const dir = join(tmpdir(), `outbox-in-place-${suffix}`);
  const path = join(dir, 'source.bin');
  // more than readSource reads at once, and not a whole number of writes
  const data = randomBytes(3 * 1024 * 1024 + 123);

  beforeAll(async () => {
    await assertServerUp('sftp');
    await fs.mkdir(dir, { recursive: true });
    await fs.writeFile(path, data);
  });
  afterAll(async () => {
    await fs.rm(dir, { recursive: true, force: true });
    for (const name of [REMOTE, CONTROL]) await fs.rm(join(SFTP.home, name), { force: true });
  });

  it('sends every byte without ssh2 allocating a request buffer per write', async () => {
    const { mtimeMs, size } = await fs.stat(path);
    const source = { path, name: 'source.bin', size, mtimeMs };
    const [stats, allocations] = await countingRequestAllocations(() =>
      withSftp(async (sftp) => {
        const handle = await open(sftp, REMOTE);
        return writePipelined(
          sftp,
          handle,
          (into) => readSource(source, undefined, { into }),
          { add: () => undefined },
          async () => {
            const written = await sftpRequest<Stats>(sftp, (done) => sftp.fstat(handle, done));
            await close(sftp, handle);
            return written;
          },
          { bytes: size },
        );
      }),
    );
    expect(stats.result.size).toBe(data.length);
    const stored = await fs.readFile(join(SFTP.home, REMOTE));
    expect(createHash('sha256').update(stored).digest('hex')).toBe(
      createHash('sha256').update(data).digest('hex'),
    );
    expect(allocations).toBe(0);
  });

  it("counts ssh2's own request buffers (the control: one per plain write)", async () => {
    const [, allocations] = await countingRequestAllocations(() =>
      withSftp(async (sftp) => {
        const handle = await open(sftp, CONTROL);
        await sftpRequest<void>(sftp, (done) =>
          sftp.write(handle, data, 0, SFTP_CHUNK, 0, (error) => done(error, undefined)),
        );
        await close(sftp, handle);
      }),
    );
    expect(allocations).toBe(1);
  });
});
