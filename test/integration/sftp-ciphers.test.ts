import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inFreshProcess } from '../support/fresh-process';
import { SFTP, assertServerUp } from '../support/servers';
import { uploadWith } from '../support/ssh2-upload';

/**
 * The SSH client the SFTP exporter loads (main/core/exporters/sftp/ssh2-client.ts)
 * against the real sshd, one cipher at a time: it gives ssh2 a stand-in for
 * its WebAssembly Poly1305, so chacha20-poly1305 must work through ssh2's
 * native binding, and pads packets from a pool of random bytes. What is
 * written is read back from the server's disk.
 */

const CIPHERS = ['aes128-gcm@openssh.com', 'chacha20-poly1305@openssh.com'];
const suffix = randomBytes(4).toString('hex');
/** Each test's file, in the user's home (where the session starts). */
const fileFor = (test: string) => `outbox-cipher-${suffix}-${test.split('@')[0]}.bin`;
const PADDING_FILE = fileFor('padding');

describe("the SFTP exporter's ssh2 client, per cipher (OpenSSH sshd)", () => {
  beforeAll(() => assertServerUp('sftp'));
  afterAll(() =>
    Promise.all(
      [...CIPHERS.map(fileFor), PADDING_FILE].map((name) =>
        fs.rm(join(SFTP.home, name), { force: true }),
      ),
    ),
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
    const upload = fileURLToPath(new URL('../support/ssh2-upload.ts', import.meta.url));
    const seen = inFreshProcess<{ calls: number; sha: string }>(`
      import { createRequire } from 'node:module';
      const crypto = createRequire(import.meta.url)('node:crypto');
      const original = crypto.randomFillSync;
      let calls = 0;
      crypto.randomFillSync = (...args) => (calls++, original(...args));
      const { uploadWith } = await import(${JSON.stringify(upload)});
      const data = crypto.randomBytes(1024 * 1024);
      await uploadWith(${JSON.stringify(CIPHERS[0])}, ${JSON.stringify(PADDING_FILE)}, data);
      console.log(JSON.stringify({ calls, sha: crypto.createHash('sha256').update(data).digest('hex') }));
    `);
    const written = await fs.readFile(join(SFTP.home, PADDING_FILE));
    expect(createHash('sha256').update(written).digest('hex')).toBe(seen.sha);
    // 1 MiB is 32+ packets of 32 KiB: one call each without the pool; with it, one
    // to fill the pool and the key exchange's own (ssh2's kex.js, not pooled).
    expect(seen.calls).toBeGreaterThan(0);
    expect(seen.calls).toBeLessThan(5);
  });
});
