import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../main/core/engine/engine';
import { ValidationError } from '../../main/core/errors';
import { ProfileService } from '../../main/core/profiles/profile-service';
import { makeFile, sha256File, tempDir, testConfig } from '../support/engine';
import { secretToolItems, secretToolStore } from '../support/keyring';
import {
  azurite,
  expectNoSecretLeft,
  itemsOf,
  recordOf,
  unique,
  useProfileSecrets,
} from '../support/profile-secrets';

/**
 * Saved profiles through ProfileService against a real Secret Service
 * (gnome-keyring in the private D-Bus session of scripts/test-env/with-keyring.sh),
 * checked with Debian's `secret-tool`: add, validation, edit, rename, remove,
 * export and import, and a real export to azurite through the engine (a task
 * with "profile"). The `outbox` CLI is in profiles-cli.test.ts. The last test
 * scans everything written and shown for the secrets used.
 */

describe('saved profiles with secrets in the Secret Service', () => {
  const env = useProfileSecrets();
  const { secrets, captured, homes, containerName } = env;
  let home: string;
  let profiles: ProfileService;

  const s3Task = {
    operation: 'export/s3',
    bucket: 'reports',
    region: 'us-east-1',
    endpoint: 'http://127.0.0.1:7480',
    access_key_id: 'AKIDPROFILE',
    secret_access_key: secrets.s3Secret,
    session_token: secrets.s3Session,
    metadata: { team: 'ops' },
  };

  beforeAll(async () => {
    home = await tempDir('outbox-profiles-');
    homes.push(home);
    profiles = new ProfileService(home);
  });

  it('add keeps every secret in the keychain (secret-tool sees them) and none on disk', async () => {
    const name = `S3 reports / “quarterly” ${unique()}`;
    const view = await profiles.add(name, { ...s3Task, input: 'ignored-input' });
    expect(view.params).toEqual({
      bucket: 'reports',
      region: 'us-east-1',
      endpoint: 'http://127.0.0.1:7480',
      access_key_id: 'AKIDPROFILE',
      metadata: { team: 'ops' },
      secret_access_key: { set: true },
      session_token: { set: true },
    });
    const { id, text } = await recordOf(home, name);
    expect(id).toMatch(/^[A-Za-z0-9_-]+$/); // the name is user text; the file id is not
    expect(text).not.toContain(secrets.s3Secret);
    expect(text).not.toContain(secrets.s3Session);
    expect(text).not.toContain('ignored-input');
    expect(await itemsOf(id)).toEqual({
      secret_access_key: secrets.s3Secret,
      session_token: secrets.s3Session,
    });
    expect(await profiles.get(name)).toEqual(view);
    expect((await profiles.list()).map((p) => p.name)).toContain(name);
    expect(await profiles.resolve(name)).toEqual(s3Task);
    await profiles.remove(name);
  });

  it('refuses invalid profiles naming the field, and writes nothing to the keychain', async () => {
    // Other test files share this keyring and add and remove their own items meanwhile:
    // "nothing written" is checked by value, not by counting every item.
    const refused = ['zz-x', 'p1-x', 'k1-x'];
    const missing = await profiles
      .add(`bad-${unique()}`, { operation: 'export/s3', bucket: 'b', secret_access_key: 'zz-x' })
      .catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(ValidationError);
    expect((missing as ValidationError).fields).toMatchObject({
      region: ['is required'],
      access_key_id: ['is required'],
    });
    const both = await profiles
      .add(`bad-${unique()}`, {
        operation: 'export/sftp',
        host: 'h',
        username: 'u',
        password: 'p1-x',
        private_key: 'k1-x',
      })
      .catch((e: unknown) => e);
    expect((both as ValidationError).fields.private_key?.[0]).toMatch(/either "password"/);
    const op = await profiles
      .add(`bad-${unique()}`, { operation: 'import/file', path: '/tmp' })
      .catch((e: unknown) => e);
    expect((op as ValidationError).fields.operation?.[0]).toMatch(/not a destination/);
    await expect(profiles.add('  ', s3Task)).rejects.toThrow(/name: give the profile a name/);
    const held = [...(await secretToolItems()).values()];
    expect(held.filter((secret) => refused.includes(secret))).toEqual([]);
    await expect(profiles.get(`nope-${unique()}`)).rejects.toMatchObject({
      code: 'PROFILE_NOT_FOUND',
    });
  });

  it('edit replaces and clears secrets, validates, and never returns them', async () => {
    const name = `edit-${unique()}`;
    await profiles.add(name, s3Task);
    const { id } = await recordOf(home, name);
    const view = await profiles.edit(name, {
      secret_access_key: secrets.s3Replaced,
      session_token: null,
      metadata: { team: null, owner: 'me' },
      force_path_style: true,
    });
    expect(JSON.stringify(view)).not.toContain(secrets.s3Replaced);
    expect(view.params).toMatchObject({
      secret_access_key: { set: true },
      session_token: { set: false },
      metadata: { owner: 'me' },
      force_path_style: true,
    });
    expect(await itemsOf(id)).toEqual({ secret_access_key: secrets.s3Replaced });
    // What the UI sends back ({ set: true }) keeps the secret as it is.
    await profiles.edit(name, { secret_access_key: { set: true }, bucket: 'other' });
    expect(await itemsOf(id)).toEqual({ secret_access_key: secrets.s3Replaced });
    // A change that breaks the schema is refused as a whole.
    const bad = await profiles.edit(name, { secret_access_key: null }).catch((e: unknown) => e);
    expect((bad as ValidationError).fields).toEqual({ secret_access_key: ['is required'] });
    await expect(profiles.edit(name, { operation: 'export/sftp' })).rejects.toThrow(
      /export\/s3 destination/,
    );
    expect(await itemsOf(id)).toEqual({ secret_access_key: secrets.s3Replaced });
    expect(await profiles.resolve(name)).toMatchObject({
      bucket: 'other',
      secret_access_key: secrets.s3Replaced,
    });
    await profiles.remove(name);
  });

  it('rename keeps the secrets; remove leaves no keychain item, not even an orphan', async () => {
    const name = `sftp-${unique()}`;
    await profiles.add(name, {
      operation: 'export/sftp',
      host: '127.0.0.1',
      port: '2222',
      username: 'outbox',
      password: secrets.sftpPassword,
    });
    const { id } = await recordOf(home, name);
    const renamed = `renamed ${name}`;
    await profiles.rename(name, renamed);
    await expect(profiles.get(name)).rejects.toMatchObject({ code: 'PROFILE_NOT_FOUND' });
    expect(await itemsOf(id)).toEqual({ password: secrets.sftpPassword });
    expect(await profiles.resolve(renamed)).toMatchObject({ password: secrets.sftpPassword });
    await expect(profiles.rename(renamed, renamed)).resolves.toMatchObject({ name: renamed });

    // An item of this profile the record does not know of (say, left by a crash).
    await secretToolStore(`profile:${id}:passphrase`, secrets.orphan);
    expect(Object.keys(await itemsOf(id)).sort()).toEqual(['passphrase', 'password']);
    await profiles.remove(renamed);
    expect(await itemsOf(id)).toEqual({});
    await expect(profiles.get(renamed)).rejects.toMatchObject({ code: 'PROFILE_NOT_FOUND' });
    await expect(fs.readdir(join(home, 'profiles'))).resolves.not.toContain(`${id}.json`);
  });

  it('export gives a CloudConvert task, secrets only when asked; import saves one', async () => {
    const name = `export-${unique()}`;
    await profiles.add(name, s3Task);
    const { secret_access_key: _s, session_token: _t, ...plain } = s3Task;
    expect(await profiles.export(name)).toEqual(plain);
    const full = await profiles.export(name, { includeSecrets: true });
    expect(full).toEqual(s3Task);

    const copy = `imported-${unique()}`;
    await profiles.import(JSON.stringify({ ...full, input: 'x' }), copy);
    const { id } = await recordOf(home, copy);
    expect(await itemsOf(id)).toEqual({
      secret_access_key: secrets.s3Secret,
      session_token: secrets.s3Session,
    });
    await expect(profiles.import('{nope', `x-${unique()}`)).rejects.toThrow(/not valid JSON/);
    await profiles.remove(name);
    await profiles.remove(copy);
  });

  it('a job task with "profile" exports to azurite; the secret reaches the worker, not the job store', async () => {
    const name = `azure-${unique()}`;
    await profiles.add(name, {
      operation: 'export/azure/blob',
      storage_account: azurite.account,
      sas_token: secrets.azureSas,
      container: containerName,
      endpoint: azurite.endpoint,
      blob_prefix: 'engine/',
    });
    const source = await makeFile(env.files, 'engine.bin', 300_000);
    const engine = await Engine.open(testConfig(home), { resolveProfile: profiles.resolver });
    try {
      const record = await engine.run({
        tasks: {
          files: { operation: 'import/file', path: source },
          out: { profile: name, input: 'files' },
        },
      });
      expect(record.tasks.map((t) => [t.name, t.status, t.message])).toEqual([
        ['files', 'finished', undefined],
        ['out', 'finished', undefined],
      ]);
      const out = record.tasks.find((t) => t.name === 'out');
      expect(out?.profile).toBe(name);
      expect(out?.params).not.toHaveProperty('sas_token');
      captured.push(JSON.stringify(record));
      const downloaded = join(env.files, 'engine.down');
      await env.container.getBlobClient('engine/engine.bin').downloadToFile(downloaded);
      expect(await sha256File(downloaded)).toBe(await sha256File(source));
    } finally {
      await engine.close();
    }
    await profiles.remove(name);
  });

  it('leaves no secret value in the data directories or in anything printed', async () => {
    // Shown here: the job record of the engine export (ProfileService itself prints nothing).
    await expectNoSecretLeft(env, 0);
  });
});
