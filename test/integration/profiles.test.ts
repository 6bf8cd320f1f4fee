import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import {
  BlobServiceClient,
  ContainerSASPermissions,
  StorageSharedKeyCredential,
  generateBlobSASQueryParameters,
  type ContainerClient,
} from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../main/core/engine/engine';
import { ValidationError } from '../../main/core/errors';
import { ProfileService } from '../../main/core/profiles/profile-service';
import { makeFile, sha256File, tempDir, testConfig } from '../support/engine';
import { assertKeyringUp, secretToolItems, secretToolStore } from '../support/keyring';
import { assertServerUp, servers } from '../support/servers';

/**
 * Saved profiles against a real Secret Service (gnome-keyring in the private
 * D-Bus session of scripts/test-env/with-keyring.sh), checked with Debian's
 * `secret-tool`, and used for real exports to azurite: through the engine
 * (a task with "profile") and through the `outbox` CLI (`export --profile`).
 * The last test scans everything written and printed for the secrets used.
 */

const azurite = servers.azurite;
const REPO = join(__dirname, '..', '..');
const unique = () => randomBytes(6).toString('hex');

/** Every secret value this file hands to Outbox; none may show up on disk or in output. */
const secrets = {
  s3Secret: `s3secret-${unique()}`,
  s3Session: `s3session-${unique()}`,
  s3Replaced: `s3replaced-${unique()}`,
  sftpPassword: `sftppw-${unique()}`,
  orphan: `orphan-${unique()}`,
  uploadAuth: `Bearer uploadtoken-${unique()}`,
  headerToken: `headertoken-${unique()}`,
  azureSas: '', // filled in beforeAll
};
const captured: string[] = [];
const homes: string[] = [];

type CliResult = { code: number; stdout: string; stderr: string };

/**
 * The `outbox` command: built (`node bin/outbox.js`) when OUTBOX_TEST_BUILT_CLI=1
 * (after `npx electron-vite build`), otherwise the same sources through tsx.
 */
function outbox(args: string[], options: { home: string; stdin?: string }): Promise<CliResult> {
  const argv =
    process.env.OUTBOX_TEST_BUILT_CLI === '1'
      ? [join(REPO, 'bin', 'outbox.js'), ...args]
      : ['--import', 'tsx', join(REPO, 'main', 'cli', 'outbox.ts'), ...args];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, argv, {
      cwd: REPO,
      env: { ...process.env, OUTBOX_HOME: options.home },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      captured.push(stdout, stderr);
      resolve({ code: code ?? -1, stdout, stderr });
    });
    child.stdin.end(options.stdin ?? '');
  });
}

async function recordOf(home: string, name: string): Promise<{ id: string; text: string }> {
  const dir = join(home, 'profiles');
  for (const file of await fs.readdir(dir)) {
    const text = await fs.readFile(join(dir, file), 'utf8');
    const record = JSON.parse(text) as { id: string; name: string };
    if (record.name === name) return { id: record.id, text };
  }
  throw new Error(`no record for ${name}`);
}

/** Keychain items of one profile (by id), as secret-tool sees them: key → secret. */
async function itemsOf(id: string): Promise<Record<string, string>> {
  const prefix = `profile:${id}:`;
  const items: Record<string, string> = {};
  for (const [account, secret] of await secretToolItems()) {
    if (account.startsWith(prefix)) items[account.slice(prefix.length)] = secret;
  }
  return items;
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

describe('saved profiles with secrets in the Secret Service', () => {
  let home: string;
  let files: string;
  let profiles: ProfileService;
  const containerName = `outbox-profiles-${unique()}`;
  let container: ContainerClient;
  let urlSas: string;

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
    await assertKeyringUp();
    await assertServerUp('azurite');
    home = await tempDir('outbox-profiles-');
    files = await tempDir('outbox-profile-files-');
    homes.push(home);
    profiles = new ProfileService(home);
    const credential = new StorageSharedKeyCredential(azurite.account, azurite.key);
    container = new BlobServiceClient(azurite.endpoint, credential).getContainerClient(
      containerName,
    );
    await container.create();
    const sas = (minutes: number) =>
      generateBlobSASQueryParameters(
        {
          containerName,
          permissions: ContainerSASPermissions.parse('rcw'),
          expiresOn: new Date(Date.now() + minutes * 60_000),
        },
        credential,
      ).toString();
    secrets.azureSas = sas(60);
    // export/upload's url is a plain parameter (the schema declares only header values secret).
    urlSas = sas(61);
  });

  afterAll(async () => {
    await container?.deleteIfExists();
    await fs.rm(files, { recursive: true, force: true });
    for (const dir of homes) await fs.rm(dir, { recursive: true, force: true });
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
    const before = (await secretToolItems()).size;
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
    expect((await secretToolItems()).size).toBe(before);
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
    const source = await makeFile(files, 'engine.bin', 300_000);
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
      const downloaded = join(files, 'engine.down');
      await container.getBlobClient('engine/engine.bin').downloadToFile(downloaded);
      expect(await sha256File(downloaded)).toBe(await sha256File(source));
    } finally {
      await engine.close();
    }
    await profiles.remove(name);
  });

  it('outbox profile … and outbox export --profile to azurite (export/upload with secret headers)', async () => {
    const cliHome = await tempDir('outbox-profiles-cli-');
    homes.push(cliHome);
    const name = `azure upload ${unique()}`;
    const url = `${azurite.endpoint}/${containerName}/cli/%d.bin?${urlSas}`;
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

    const a = await makeFile(files, 'a.bin', 200_000);
    const b = await makeFile(files, 'b.bin', 'second file');
    const exported = await outbox(['export', '--profile', name, a, b, '--json'], {
      home: cliHome,
    });
    expect(exported.stderr).toBe('');
    const summary = JSON.parse(exported.stdout) as { status: string };
    expect(summary.status).toBe('finished');
    expect(exported.code).toBe(0);
    for (const [i, path] of [a, b].entries()) {
      const blob = container.getBlobClient(`cli/${i + 1}.bin`);
      const properties = await blob.getProperties();
      expect(properties.blobType).toBe('BlockBlob');
      // The secret header reached the server: it went from the keychain to the worker.
      expect(properties.metadata).toEqual({ token: secrets.headerToken });
      const down = join(files, `cli-${i}.down`);
      await blob.downloadToFile(down);
      expect(await sha256File(down)).toBe(await sha256File(path));
    }

    // Renamed, it still exports (the secrets stay with the profile).
    const renamed = `${name} renamed`;
    expect((await outbox(['profile', 'rename', name, renamed], { home: cliHome })).code).toBe(0);
    expect(Object.keys(await itemsOf(id))).toHaveLength(3);
    const c = await makeFile(files, 'c.bin', 'third');
    const again = await outbox(['export', '--profile', renamed, c, a], { home: cliHome });
    expect(again.code).toBe(0);
    expect((await container.getBlobClient('cli/1.bin').getProperties()).contentLength).toBe(5);

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
    const exportFile = join(files, 'exported-task.json');
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
    const values = Object.values(secrets).filter((v) => v.length > 0);
    expect(values.length).toBeGreaterThan(5);
    const leaks: string[] = [];
    for (const dir of homes) {
      const found = await filesUnder(dir);
      expect(found.length).toBeGreaterThan(0);
      for (const file of found) {
        const text = await fs.readFile(file, 'latin1');
        for (const value of values) if (text.includes(value)) leaks.push(`${file}: ${value}`);
      }
    }
    for (const output of captured) {
      for (const value of values) if (output.includes(value)) leaks.push(`output: ${value}`);
    }
    expect(leaks).toEqual([]);
    expect(captured.length).toBeGreaterThan(10);
  });
});
