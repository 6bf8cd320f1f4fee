import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { SFTPWrapper } from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '../../main/core/exporters/sftp/ssh2-client';
import { SFTP, assertServerUp } from '../support/servers';

/**
 * The SSH client the SFTP exporter loads (main/core/exporters/sftp/ssh2-client.ts)
 * against the real sshd, one cipher at a time: it gives ssh2 a stand-in for
 * its WebAssembly Poly1305, so chacha20-poly1305 must work through ssh2's
 * native binding. What is written is read back from the server's disk.
 */

const dir = `outbox-ciphers-${randomBytes(4).toString('hex')}`;

async function uploadWith(cipher: string, name: string, data: Buffer): Promise<string> {
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
    )(`${dir}/${name}`, data);
    return await negotiated;
  } finally {
    client.end();
  }
}

describe("the SFTP exporter's ssh2 client, per cipher (OpenSSH sshd)", () => {
  beforeAll(async () => {
    await assertServerUp('sftp');
    await fs.mkdir(join(SFTP.home, dir));
    await fs.chown(join(SFTP.home, dir), ...(await ownerOf(SFTP.home)));
  });
  afterAll(() => fs.rm(join(SFTP.home, dir), { recursive: true, force: true }));

  for (const cipher of ['aes128-gcm@openssh.com', 'chacha20-poly1305@openssh.com']) {
    it(`sends a file intact with ${cipher}`, async () => {
      const data = randomBytes(300 * 1024 + 7); // more than one SSH packet and one SFTP write
      const name = `${cipher.split('@')[0]}.bin`;
      expect(await uploadWith(cipher, name, data)).toBe(cipher);
      expect((await fs.readFile(join(SFTP.home, dir, name))).equals(data)).toBe(true);
    });
  }
});

async function ownerOf(path: string): Promise<[number, number]> {
  const { uid, gid } = await fs.stat(path);
  return [uid, gid];
}
