import { promisify } from 'node:util';
import type { SFTPWrapper } from 'ssh2';
import { Client } from '../../main/core/exporters/sftp/ssh2-client';
import { SFTP } from './servers';

/**
 * Through the SFTP exporter's ssh2 client, connects to the test sshd with
 * `cipher` only and writes `data` to `name` (in the user's home); resolves to
 * the cipher negotiated. Free of vitest: a fresh process may import it.
 */
export async function uploadWith(cipher: string, name: string, data: Buffer): Promise<string> {
  const client = new Client();
  const negotiated = new Promise<string>((resolve) =>
    client.once('handshake', (algorithms) => resolve(algorithms.cs.cipher)),
  );
  await new Promise<void>((resolve, reject) => {
    client.once('ready', resolve).once('error', reject);
    client.connect({
      host: SFTP.host,
      port: SFTP.port,
      username: SFTP.username,
      password: SFTP.password,
      algorithms: { cipher: [cipher] as never },
    });
  });
  try {
    const sftp = await promisify<SFTPWrapper>((done) => client.sftp(done))();
    await promisify<string, Buffer, void>((path, buffer, done) =>
      sftp.writeFile(path, buffer, done),
    )(name, data);
    return await negotiated;
  } finally {
    client.end();
  }
}
