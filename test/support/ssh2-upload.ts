import { promisify } from 'node:util';
import type { SFTPWrapper } from 'ssh2';
import { Client } from '../../main/core/exporters/sftp/ssh2-client';
import { SFTP } from './servers';

/**
 * Through the SFTP exporter's ssh2 client, connects to the test sshd (with
 * `cipher` only, if given) and runs `work` on an SFTP session; resolves to its
 * result and the cipher negotiated. Free of vitest: a fresh process may import it.
 */
export async function withSftp<T>(
  work: (sftp: SFTPWrapper) => Promise<T>,
  cipher?: string,
): Promise<{ result: T; cipher: string }> {
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
      ...(cipher ? { algorithms: { cipher: [cipher] as never } } : {}),
    });
  });
  try {
    const sftp = await promisify<SFTPWrapper>((done) => client.sftp(done))();
    const result = await work(sftp);
    return { result, cipher: await negotiated };
  } finally {
    client.end();
  }
}

/** Writes `data` to `name` (in the user's home) with `cipher` only; resolves to the cipher negotiated. */
export async function uploadWith(cipher: string, name: string, data: Buffer): Promise<string> {
  const written = await withSftp(
    (sftp) =>
      promisify<string, Buffer, void>((path, buffer, done) => sftp.writeFile(path, buffer, done))(
        name,
        data,
      ),
    cipher,
  );
  return written.cipher;
}
