import type { SFTPWrapper } from 'ssh2';
import { describe, expect, it } from 'vitest';
import type { ReadInto } from '../../main/core/exporters/exporter';
import { writePipelined } from '../../main/core/exporters/sftp/pipelined-write';
import { closerOf, sftpRequest } from '../../main/core/exporters/sftp/sftp-session';

// ssh2 fails the requests in flight when an SFTP channel ends, but never answers one made
// after that: these channels answer nothing, as a dead one does, and the session's close
// must end every wait (a job once hung for ever when sshd restarted mid-upload).
function deadChannel(): SFTPWrapper {
  const ignore = () => undefined;
  return { write: ignore, stat: ignore } as unknown as SFTPWrapper;
}

async function* endless(into: ReadInto): AsyncIterable<Buffer> {
  for (;;) {
    const buffer = typeof into === 'function' ? into() : into;
    await new Promise((resolve) => setImmediate(resolve));
    yield buffer;
  }
}

const noProgress = { add: () => undefined };

describe('an SFTP session that closes', () => {
  it('ends a pipelined write waiting on writes that will never be answered', async () => {
    const sftp = deadChannel();
    const closer = closerOf(sftp);
    const writing = writePipelined(sftp, Buffer.alloc(4), endless, noProgress, async () => 1, {
      bytes: Infinity,
    });
    await new Promise((resolve) => setTimeout(resolve, 20)); // the writes fill the window
    closer.abort(new Error('the SFTP connection closed'));
    await expect(writing).rejects.toThrow('the SFTP connection closed');
  });

  it('fails a request made before or after the close', async () => {
    const sftp = deadChannel();
    const closer = closerOf(sftp);
    const before = sftpRequest<unknown>(sftp, (done) => sftp.stat('a', done));
    closer.abort(new Error('the SFTP connection closed'));
    await expect(before).rejects.toThrow('the SFTP connection closed');
    await expect(sftpRequest<unknown>(sftp, (done) => sftp.stat('b', done))).rejects.toThrow(
      'the SFTP connection closed',
    );
  });

  it('answers as the channel does while it is open', async () => {
    const sftp = {
      stat: (path: string, done: (e: Error | undefined, size: number) => void) =>
        setImmediate(() => done(undefined, path.length)),
    } as unknown as SFTPWrapper & {
      stat(path: string, done: (e: Error | undefined, size: number) => void): void;
    };
    closerOf(sftp);
    await expect(sftpRequest<number>(sftp, (done) => sftp.stat('abc', done))).resolves.toBe(3);
  });
});
