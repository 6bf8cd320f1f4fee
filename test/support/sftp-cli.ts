import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { sha256File, tempDir } from './engine';
import { run } from './net';
import { SFTP } from './servers';

/** OpenSSH `sftp` in batch mode with the ed25519 key: an independent client. */
export async function sftpBatch(commands: string[]): Promise<string> {
  const batch = join(await tempDir('outbox-sftp-batch-'), 'commands');
  await fs.writeFile(batch, commands.join('\n') + '\n');
  const { stdout } = await run('sftp', [
    '-P',
    String(SFTP.port),
    '-i',
    SFTP.keys.ed25519,
    '-o',
    'StrictHostKeyChecking=no',
    '-o',
    'UserKnownHostsFile=/dev/null',
    '-o',
    'BatchMode=yes',
    '-b',
    batch,
    `${SFTP.username}@${SFTP.host}`,
  ]);
  return stdout;
}

/** The sha256 of a file on the server, downloaded with `sftp get`. */
export async function fetchedSha256(remote: string): Promise<string> {
  const local = join(await tempDir('outbox-sftp-get-'), 'file');
  await sftpBatch([`get "${remote}" "${local}"`]);
  return sha256File(local);
}
