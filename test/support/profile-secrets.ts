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
import { afterAll, beforeAll, expect } from 'vitest';
import { tempDir } from './engine';
import { assertKeyringUp, secretToolItems } from './keyring';
import { outboxCommand } from './profile-cli';
import { secretsOnDisk } from './secret-scan';
import { assertServerUp, servers } from './servers';

/**
 * Saved-profile tests against a real Secret Service (gnome-keyring in the private
 * D-Bus session of scripts/test-env/with-keyring.sh) and azurite: the secret values
 * a test file hands to Outbox, what it printed, the data directories it used, and
 * the check that ends each such file: none of those secrets on disk or in output.
 */

export const azurite = servers.azurite;
export const unique = () => randomBytes(6).toString('hex');

/**
 * Call inside the file's describe: checks the keychain and azurite are up, makes a
 * scratch directory for files and an azurite container with SAS tokens, and removes
 * them and every directory in `homes` afterwards.
 */
export function useProfileSecrets() {
  /** Every secret value the profile tests hand to Outbox; none may show up on disk or in output. */
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
  /** Everything printed (or otherwise shown) by the file's tests. */
  const captured: string[] = [];
  /** The data directories of the file's tests, scanned by expectNoSecretLeft. */
  const homes: string[] = [];
  const containerName = `outbox-profiles-${unique()}`;
  let files = '';
  let container: ContainerClient | undefined;
  let urlSas = '';

  beforeAll(async () => {
    await assertKeyringUp();
    await assertServerUp('azurite');
    files = await tempDir('outbox-profile-files-');
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
    if (files) await fs.rm(files, { recursive: true, force: true });
    for (const dir of homes) await fs.rm(dir, { recursive: true, force: true });
  });

  return {
    secrets,
    captured,
    homes,
    containerName,
    /** The `outbox` CLI (see outboxCommand), its output captured. */
    outbox: outboxCommand(captured),
    /** A scratch directory for source and downloaded files. */
    get files(): string {
      return files;
    },
    get container(): ContainerClient {
      if (!container) throw new Error('the azurite container is made in beforeAll');
      return container;
    },
    /** A SAS token for export/upload URLs into the container. */
    get urlSas(): string {
      return urlSas;
    },
  };
}

export type ProfileSecrets = ReturnType<typeof useProfileSecrets>;

export async function recordOf(home: string, name: string): Promise<{ id: string; text: string }> {
  const dir = join(home, 'profiles');
  for (const file of await fs.readdir(dir)) {
    const text = await fs.readFile(join(dir, file), 'utf8');
    const record = JSON.parse(text) as { id: string; name: string };
    if (record.name === name) return { id: record.id, text };
  }
  throw new Error(`no record for ${name}`);
}

/** Keychain items of one profile (by id), as secret-tool sees them: key → secret. */
export async function itemsOf(id: string): Promise<Record<string, string>> {
  const prefix = `profile:${id}:`;
  const items: Record<string, string> = {};
  for (const [account, secret] of await secretToolItems()) {
    if (account.startsWith(prefix)) items[account.slice(prefix.length)] = secret;
  }
  return items;
}

/**
 * The last test of each profile test file: no secret value in the data directories
 * (`homes`) or in anything captured. `outputsOver` is how many captured outputs the
 * file's tests make at least (exclusive), so an empty capture cannot pass unnoticed.
 */
export async function expectNoSecretLeft(
  { secrets, homes, captured }: Pick<ProfileSecrets, 'secrets' | 'homes' | 'captured'>,
  outputsOver: number,
): Promise<void> {
  const values = Object.values(secrets).filter((v) => v.length > 0);
  expect(values.length).toBeGreaterThan(5);
  const leaks: string[] = [];
  for (const dir of homes) {
    const { files, leaks: found } = await secretsOnDisk(dir, values);
    expect(files).toBeGreaterThan(0);
    leaks.push(...found);
  }
  for (const output of captured) {
    for (const value of values) if (output.includes(value)) leaks.push(`output: ${value}`);
  }
  expect(leaks).toEqual([]);
  expect(captured.length).toBeGreaterThan(outputsOver);
}
