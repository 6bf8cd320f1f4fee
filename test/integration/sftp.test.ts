import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../main/core/engine/engine';
import {
  exportFiles,
  exportTaskOf,
  makeFile,
  openTestEngine,
  sha256File,
  tempDir,
} from '../support/engine';
import { run } from '../support/net';
import { SFTP, assertServerUp } from '../support/servers';
import { fetchedSha256 } from '../support/sftp-cli';

/**
 * export/sftp against a real OpenSSH sshd (internal-sftp) on loopback. What
 * landed is read back with OpenSSH's own `sftp` client and compared by
 * sha256; the server's home is also inspected directly for temporary files.
 */

const MiB = 1024 * 1024;
const root = `outbox-sftp-${randomBytes(4).toString('hex')}`;

/** `ssh-keygen -lf` of the server's host key: what a user would compare. */
async function serverFingerprint(): Promise<string> {
  const { stdout } = await run('ssh-keygen', ['-lf', SFTP.hostKeyPub]);
  return stdout.split(' ')[1] ?? '';
}

const passwordTask = {
  operation: 'export/sftp',
  host: SFTP.host,
  port: String(SFTP.port), // some SDKs send the port as a string
  username: SFTP.username,
  password: SFTP.password,
};

describe('export/sftp (OpenSSH sshd)', () => {
  let engine: Engine;
  let close: () => Promise<void>;
  let dir: string;

  beforeAll(async () => {
    await assertServerUp('sftp');
    ({ engine, close } = await openTestEngine());
    dir = await tempDir();
  });

  afterAll(async () => {
    await close?.();
    await fs.rm(join(SFTP.home, root), { recursive: true, force: true });
  });

  it('uploads with a password into a missing directory (created) and records the host key', async () => {
    const path = await makeFile(dir, 'report.bin', 3 * MiB + 7);
    const record = await exportFiles(
      engine,
      { ...passwordTask, file: `${root}/password/deep/er/report.bin` },
      [path],
    );
    const task = exportTaskOf(record);
    expect(task.status, task.message).toBe('finished');
    const [file] = task.result?.files ?? [];
    expect(file).toMatchObject({
      filename: 'report.bin',
      size: 3 * MiB + 7,
      file: `${root}/password/deep/er/report.bin`,
      host_key_fingerprint: await serverFingerprint(),
      checksum: { algorithm: 'sha256', value: await sha256File(path) },
      verified: true,
      verified_by: 'size',
    });
    expect(await fetchedSha256(`${root}/password/deep/er/report.bin`)).toBe(await sha256File(path));
  });

  it('uploads several files into `path`, keeping names and sub-folders of a dropped folder', async () => {
    const drop = await tempDir();
    const paths = [
      await makeFile(drop, 'photos/a.jpg', 100_000),
      await makeFile(drop, 'photos/2024/b c.jpg', 200_000),
      await makeFile(drop, 'photos/2024/deeper/c.txt', 'c\n'),
    ];
    const task = exportTaskOf(
      await exportFiles(engine, { ...passwordTask, path: `${root}/many/` }, [join(drop, 'photos')]),
    );
    expect(task.status, task.message).toBe('finished');
    expect(task.result?.files.map((f) => f.file).sort()).toEqual([
      `${root}/many/photos/2024/b c.jpg`,
      `${root}/many/photos/2024/deeper/c.txt`,
      `${root}/many/photos/a.jpg`,
    ]);
    expect(await fetchedSha256(`${root}/many/photos/2024/b c.jpg`)).toBe(
      await sha256File(paths[1]!),
    );
    expect(await fetchedSha256(`${root}/many/photos/2024/deeper/c.txt`)).toBe(
      await sha256File(paths[2]!),
    );
  });

  it('numbers several files with a %d placeholder in `file`', async () => {
    const paths = [await makeFile(dir, 'n1.bin', 10), await makeFile(dir, 'n2.bin', 20)];
    const task = exportTaskOf(
      await exportFiles(engine, { ...passwordTask, file: `${root}/numbered/out-%d.bin` }, paths),
    );
    expect(task.status, task.message).toBe('finished');
    expect((await fs.readdir(join(SFTP.home, root, 'numbered'))).sort()).toEqual([
      'out-1.bin',
      'out-2.bin',
    ]);
    expect(await fetchedSha256(`${root}/numbered/out-2.bin`)).toBe(await sha256File(paths[1]!));
  });

  const keyCases: [string, string, Record<string, string>][] = [
    ['an ed25519 key (OpenSSH format)', SFTP.keys.ed25519, {}],
    ['an RSA key (PEM format)', SFTP.keys.rsaPem, {}],
    [
      'an encrypted key with its passphrase',
      SFTP.keys.ed25519Encrypted,
      { passphrase: SFTP.keys.passphrase },
    ],
  ];
  for (const [label, keyFile, extra] of keyCases) {
    it(`authenticates with ${label}`, async () => {
      const path = await makeFile(dir, 'keyed.bin', 500_000);
      const { password: _password, ...withoutPassword } = passwordTask;
      const name = `${root}/keys/${label.replace(/\W+/g, '-')}.bin`;
      const task = exportTaskOf(
        await exportFiles(
          engine,
          {
            ...withoutPassword,
            private_key: await fs.readFile(keyFile, 'utf8'),
            ...extra,
            file: name,
          },
          [path],
        ),
      );
      expect(task.status, task.message).toBe('finished');
      expect(await fetchedSha256(name)).toBe(await sha256File(path));
    });
  }

  it('refuses an encrypted key without its passphrase, naming the field', async () => {
    const path = await makeFile(dir, 'x.txt', 'x');
    const { password: _password, ...withoutPassword } = passwordTask;
    const task = exportTaskOf(
      await exportFiles(
        engine,
        {
          ...withoutPassword,
          private_key: await fs.readFile(SFTP.keys.ed25519Encrypted, 'utf8'),
          file: `${root}/never.txt`,
        },
        [path],
      ),
    );
    expect(task.status).toBe('error');
    expect(task.code).toBe('INVALID_DATA');
    expect(task.message).toMatch(/passphrase/);
  });

  it('accepts the recorded host key and refuses a different one with HOST_KEY_MISMATCH', async () => {
    const path = await makeFile(dir, 'hk.txt', 'host key\n');
    const recorded = await serverFingerprint();
    const ok = exportTaskOf(
      await exportFiles(
        engine,
        { ...passwordTask, host_key_fingerprint: recorded, file: `${root}/hostkey/ok.txt` },
        [path],
      ),
    );
    expect(ok.status, ok.message).toBe('finished');
    expect(ok.result?.files[0]?.host_key_fingerprint).toBe(recorded);

    const wrong = `SHA256:${Buffer.alloc(32, 7).toString('base64').replace(/=+$/, '')}`;
    const refused = exportTaskOf(
      await exportFiles(
        engine,
        { ...passwordTask, host_key_fingerprint: wrong, file: `${root}/hostkey/refused.txt` },
        [path],
      ),
    );
    expect(refused.status).toBe('error');
    expect(refused.code).toBe('HOST_KEY_MISMATCH');
    expect(refused.message).toContain(wrong);
    expect(refused.message).toContain(recorded);
    await expect(fs.stat(join(SFTP.home, root, 'hostkey', 'refused.txt'))).rejects.toThrow();
  });

  it('refuses a wrong password with AUTH_FAILED', async () => {
    const path = await makeFile(dir, 'x.txt', 'x');
    const task = exportTaskOf(
      await exportFiles(
        engine,
        { ...passwordTask, password: 'wrong-password', file: `${root}/never.txt` },
        [path],
      ),
    );
    expect(task.status).toBe('error');
    expect(task.code).toBe('AUTH_FAILED');
    expect(task.message).not.toContain('wrong-password');
  });

  it('names the directory it may not write to with ACCESS_DENIED', async () => {
    const path = await makeFile(dir, 'x.txt', 'x');
    const task = exportTaskOf(
      await exportFiles(engine, { ...passwordTask, path: SFTP.readonlyDir }, [path]),
    );
    expect(task.status).toBe('error');
    expect(task.code).toBe('ACCESS_DENIED');
    expect(task.message).toContain(SFTP.readonlyDir);
    expect(await fs.readdir(join(SFTP.home, SFTP.readonlyDir))).toEqual(['README.txt']);
  });

  it('reports an unreachable server as UNREACHABLE', async () => {
    const path = await makeFile(dir, 'x.txt', 'x');
    const task = exportTaskOf(
      await exportFiles(engine, { ...passwordTask, port: 1, file: 'never.txt' }, [path]),
    );
    expect(task.status).toBe('error');
    expect(task.code).toBe('UNREACHABLE');
  });

  it('never shows a partial file under its final name and removes the temporary file on cancel', async () => {
    const path = await makeFile(dir, 'big.bin', 256 * MiB);
    const remoteDir = join(SFTP.home, root, 'cancel');
    const job = await engine.submit({
      tasks: {
        'import-files': { operation: 'import/file', path: [path] },
        export: { ...passwordTask, input: 'import-files', file: `${root}/cancel/big.bin` },
      },
    });
    // Watch the directory while it uploads: only a hidden .part file may appear.
    const seen = new Set<string>();
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        for (const name of await fs.readdir(remoteDir).catch(() => [])) seen.add(name);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    await new Promise<void>((resolve) => {
      const off = engine.on('progress', (p) => {
        if (p.job_id === job.id && p.bytes >= 16 * MiB) {
          off();
          resolve();
        }
      });
    });
    const during = await fs.readdir(remoteDir);
    engine.cancel(job.id);
    const task = exportTaskOf(await engine.wait(job.id));
    watching = false;
    await watcher;
    expect(task.code).toBe('CANCELLED');
    expect(during).toHaveLength(1);
    expect(during[0]).toMatch(/^\.big\.bin\.outbox-[0-9a-f]+\.part$/);
    expect([...seen].every((name) => name.endsWith('.part'))).toBe(true);
    expect(await fs.readdir(remoteDir)).toEqual([]);
  });

  it('probe checks write access and leaves nothing behind', async () => {
    await fs.mkdir(join(SFTP.home, root), { recursive: true });
    const before = await fs.readdir(join(SFTP.home, root));
    const result = await engine.probe({ ...passwordTask, input: 'probe', path: `${root}/not/yet` });
    expect(result.ok).toBe(true);
    expect(result.message).toContain(await serverFingerprint());
    expect(result.message).toContain('will be created');
    expect(await fs.readdir(join(SFTP.home, root))).toEqual(before);
  });
});
