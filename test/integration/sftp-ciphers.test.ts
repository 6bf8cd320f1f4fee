import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
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

const CIPHERS = ['aes128-gcm@openssh.com', 'chacha20-poly1305@openssh.com'];
const suffix = randomBytes(4).toString('hex');
/** Each cipher's file, in the user's home (where the session starts). */
const fileFor = (cipher: string) => `outbox-cipher-${suffix}-${cipher.split('@')[0]}.bin`;

/** Connects with `cipher` only, writes `data` to `name`; resolves to the cipher negotiated. */
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
    )(name, data);
    return await negotiated;
  } finally {
    client.end();
  }
}

describe("the SFTP exporter's ssh2 client, per cipher (OpenSSH sshd)", () => {
  beforeAll(() => assertServerUp('sftp'));
  afterAll(() =>
    Promise.all(CIPHERS.map((cipher) => fs.rm(join(SFTP.home, fileFor(cipher)), { force: true }))),
  );

  for (const cipher of CIPHERS) {
    it(`sends a file intact with ${cipher}`, async () => {
      const data = randomBytes(300 * 1024 + 7); // more than one SSH packet and one SFTP write
      expect(await uploadWith(cipher, fileFor(cipher), data)).toBe(cipher);
      expect((await fs.readFile(join(SFTP.home, fileFor(cipher)))).equals(data)).toBe(true);
    });
  }

  it('pads packets from a pool: a 1 MiB upload makes a few randomFillSync calls, not one per packet', async () => {
    // In a fresh process, node:crypto's randomFillSync is counted before ssh2 loads.
    const client = fileURLToPath(
      new URL('../../main/core/exporters/sftp/ssh2-client.ts', import.meta.url),
    );
    const name = `outbox-padding-${suffix}.bin`;
    const script = `
      import { createRequire } from 'node:module';
      import { promisify } from 'node:util';
      const crypto = createRequire(import.meta.url)('node:crypto');
      const original = crypto.randomFillSync;
      let calls = 0;
      crypto.randomFillSync = (...args) => (calls++, original(...args));
      const { Client } = await import(${JSON.stringify(client)});
      const data = crypto.randomBytes(1024 * 1024);
      const ssh = new Client();
      await new Promise((resolve, reject) => {
        ssh.once('ready', resolve).once('error', reject);
        ssh.connect(${JSON.stringify({ host: SFTP.host, port: SFTP.port, username: SFTP.username, password: SFTP.password })});
      });
      const sftp = await promisify((done) => ssh.sftp(done))();
      await promisify((path, buffer, done) => sftp.writeFile(path, buffer, done))(${JSON.stringify(name)}, data);
      ssh.end();
      console.log(JSON.stringify({ calls, sha: crypto.createHash('sha256').update(data).digest('hex') }));
    `;
    const child = spawnSync(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '--eval', script],
      { encoding: 'utf8' },
    );
    expect(child.stderr).toBe('');
    const seen = JSON.parse(child.stdout) as { calls: number; sha: string };
    const written = await fs.readFile(join(SFTP.home, name));
    await fs.rm(join(SFTP.home, name));
    expect(createHash('sha256').update(written).digest('hex')).toBe(seen.sha);
    // 1 MiB is 32+ packets of 32 KiB: one call each without the pool; with it, one
    // to fill the pool and the key exchange's own (ssh2's kex.js, not pooled).
    expect(seen.calls).toBeGreaterThan(0);
    expect(seen.calls).toBeLessThan(5);
  });
});
