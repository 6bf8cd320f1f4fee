import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeFile, sha256File, tempDir } from '../support/engine';
import {
  azurite,
  expectNoSecretLeft,
  itemsOf,
  recordOf,
  unique,
  useProfileSecrets,
} from '../support/profile-secrets';

/**
 * Saved profiles through the `outbox` CLI (`outbox profile …`, `export --profile`)
 * against a real Secret Service (gnome-keyring in the private D-Bus session of
 * scripts/test-env/with-keyring.sh), checked with Debian's `secret-tool`, and used
 * for real exports to azurite. ProfileService itself is in profiles-keychain.test.ts.
 * The last test scans everything written and printed for the secrets used.
 */

describe('saved profiles with secrets in the Secret Service', () => {
  const env = useProfileSecrets();
  const { secrets, captured, homes, containerName, outbox } = env;

  it('outbox profile … and outbox export --profile to azurite (export/upload with secret headers)', async () => {
    const cliHome = await tempDir('outbox-profiles-cli-');
    homes.push(cliHome);
    const name = `azure upload ${unique()}`;
    const url = `${azurite.endpoint}/${containerName}/cli/%d.bin?${env.urlSas}`;
    const add = await outbox(
      [
        'profile',
        'add',
        name,
        '--operation',
        'export/upload',
        '--set',
        `url=${url}`,
        '--set',
        'headers.x-ms-blob-type=BlockBlob',
        '--secret-stdin',
        'headers.x-ms-meta-token',
      ],
      { home: cliHome, stdin: `${secrets.headerToken}\n` },
    );
    expect(add.stderr).toMatch(/shell history/); // x-ms-blob-type is a header value: secret
    expect(add.code).toBe(0);
    expect(add.stdout).toMatch(
      /Saved profile .*headers\.x-ms-blob-type, headers\.x-ms-meta-token, url\./,
    );
    const { id } = await recordOf(cliHome, name);
    // The SAS URL carries a signature: it is a secret too.
    expect(await itemsOf(id)).toEqual({
      url,
      'headers.x-ms-blob-type': 'BlockBlob',
      'headers.x-ms-meta-token': secrets.headerToken,
    });

    const show = await outbox(['profile', 'show', name], { home: cliHome });
    expect(show.stdout).toMatch(/x-ms-meta-token: \(secret, set\)/);
    const list = await outbox(['profile', 'list', '--json'], { home: cliHome });
    expect(JSON.parse(list.stdout)).toEqual([
      expect.objectContaining({
        name,
        params: {
          url: { set: true },
          headers: { 'x-ms-blob-type': { set: true }, 'x-ms-meta-token': { set: true } },
        },
      }),
    ]);

    const a = await makeFile(env.files, 'a.bin', 200_000);
    const b = await makeFile(env.files, 'b.bin', 'second file');
    const exported = await outbox(['export', '--profile', name, a, b, '--json'], {
      home: cliHome,
    });
    expect(exported.stderr).toBe('');
    const summary = JSON.parse(exported.stdout) as { status: string };
    expect(summary.status).toBe('finished');
    expect(exported.code).toBe(0);
    for (const [i, path] of [a, b].entries()) {
      const blob = env.container.getBlobClient(`cli/${i + 1}.bin`);
      const properties = await blob.getProperties();
      expect(properties.blobType).toBe('BlockBlob');
      // The secret header reached the server: it went from the keychain to the worker.
      expect(properties.metadata).toEqual({ token: secrets.headerToken });
      const down = join(env.files, `cli-${i}.down`);
      await blob.downloadToFile(down);
      expect(await sha256File(down)).toBe(await sha256File(path));
    }

    // Renamed, it still exports (the secrets stay with the profile).
    const renamed = `${name} renamed`;
    expect((await outbox(['profile', 'rename', name, renamed], { home: cliHome })).code).toBe(0);
    expect(Object.keys(await itemsOf(id))).toHaveLength(3);
    const c = await makeFile(env.files, 'c.bin', 'third');
    const again = await outbox(['export', '--profile', renamed, c, a], { home: cliHome });
    expect(again.code).toBe(0);
    expect((await env.container.getBlobClient('cli/1.bin').getProperties()).contentLength).toBe(5);

    // Errors are one line; an unknown profile is named.
    const unknown = await outbox(['export', '--profile', 'no such profile', c], { home: cliHome });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr.trim().split('\n')).toHaveLength(1);
    expect(unknown.stderr).toMatch(/tasks\.export\.profile: no profile named "no such profile"/);
    const bad = await outbox(['profile', 'add', 'x', '--operation', 'export/s3'], {
      home: cliHome,
    });
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/bucket: is required/);
    const help = await outbox(['profile', 'rm', '--help'], { home: cliHome });
    expect(help.stdout).toMatch(/^Usage: outbox profile rm NAME/);

    // Secrets are exported only on request; the export imports as a new profile.
    const plain = await outbox(['profile', 'export', renamed], { home: cliHome });
    expect(JSON.parse(plain.stdout)).toEqual({ operation: 'export/upload' });
    const full = await outbox(['profile', 'export', renamed, '--include-secrets'], {
      home: cliHome,
    });
    const exportFile = join(env.files, 'exported-task.json');
    await fs.writeFile(exportFile, full.stdout);
    expect(JSON.parse(full.stdout).headers).toEqual({
      'x-ms-blob-type': 'BlockBlob',
      'x-ms-meta-token': secrets.headerToken,
    });
    captured.pop(); // that output holds the secrets on purpose
    captured.pop();
    const imported = await outbox(['profile', 'import', exportFile, '--name', 'copy'], {
      home: cliHome,
    });
    expect(imported.code).toBe(0);
    await fs.rm(exportFile);
    const copyId = (await recordOf(cliHome, 'copy')).id;
    expect(Object.keys(await itemsOf(copyId)).sort()).toEqual([
      'headers.x-ms-blob-type',
      'headers.x-ms-meta-token',
      'url',
    ]);

    // edit from the command line: one header value replaced via stdin, one removed.
    const edit = await outbox(
      [
        'profile',
        'edit',
        'copy',
        '--secret-stdin',
        'headers.Authorization',
        '--unset',
        'headers.x-ms-meta-token',
      ],
      { home: cliHome, stdin: secrets.uploadAuth },
    );
    expect(edit.code).toBe(0);
    expect(await itemsOf(copyId)).toEqual({
      url,
      'headers.x-ms-blob-type': 'BlockBlob',
      'headers.Authorization': secrets.uploadAuth,
    });

    for (const profile of [renamed, 'copy']) {
      expect((await outbox(['profile', 'rm', profile], { home: cliHome })).code).toBe(0);
    }
    expect(await itemsOf(id)).toEqual({});
    expect(await itemsOf(copyId)).toEqual({});
    const empty = await outbox(['profile', 'list'], { home: cliHome });
    expect(empty.stdout).toMatch(/No profiles yet/);
  });

  it('leaves no secret value in the data directories or in anything printed', async () => {
    await expectNoSecretLeft(env, 10);
  });
});
