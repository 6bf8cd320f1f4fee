import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import {
  ContainerSASPermissions,
  StorageSharedKeyCredential,
  generateBlobSASQueryParameters,
} from '@azure/storage-blob';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../main/core/engine/engine';
import type { JobRecord } from '../../main/core/transfer/records';
import type { ProfileService } from '../../main/core/profiles/profile-service';
import { exportTaskOf, makeFile } from '../support/engine';
import { gcsV4Signature } from '../support/gcs-signed-url';
import { AZURITE, GCS_EMULATOR, RGW } from '../support/servers';
import { download, expectExpiry, expectWorksThenExpires } from '../support/share-link-checks';
import {
  SHORT_EXPIRY,
  bucket,
  container,
  gcsBucket,
  gcsEmail,
  gcsKeys,
  profileName,
  profileTasks,
  s3,
  sharedFile,
  swiftContainer,
  useShareLater,
} from '../support/share-later';

/**
 * "Create share link" after the fact (engine.createShareLink), against the
 * real servers: files are exported with saved profiles (secrets in the
 * private gnome-keyring), then another engine on the same data directory (as
 * after a restart: no credentials in memory) signs links with the profile's
 * credentials. Each link downloads the same bytes with a plain fetch, without
 * credentials, and stops working when it says. GCS's emulator checks no
 * signatures: its URL is checked offline. Refusals and `outbox jobs share`
 * are in share-after-export-cli.test.ts; the fixture is test/support/share-later.ts.
 */

const fixture = useShareLater();
let home: string;
let dir: string;
let profiles: ProfileService;
let exporting: Engine;
let later: Engine;
let source: string;
let sourceSha256: string;
const exported = fixture.exported;
beforeAll(() => {
  ({ home, dir, profiles, exporting, later, source, sourceSha256 } = fixture);
});

describe('createShareLink on S3 (Ceph RGW), from a profile', () => {
  it('signs a 24-hour presigned GET into the result, saves it and announces the job', async () => {
    const record = await exported({ profile: profileName('s3') });
    const plain = sharedFile(record);
    expect(plain.expires_at).toBeUndefined();
    expect(plain.url).toBeUndefined();
    expect(plain.location).toBe(`${RGW.endpoint}/${bucket}/later/quarterly%20report.bin`);
    // Without a signature the object is private: its location downloads nothing.
    expect((await download(String(plain.location))).status).toBe(403);

    const events: JobRecord[] = [];
    const stop = later.on('job', (job) => events.push(job));
    const before = Date.now();
    const updated = await later.createShareLink(record.id, 'export');
    stop();
    const file = sharedFile(updated);
    expectExpiry(file, 86400, before);
    const url = new URL(String(file.url));
    expect(`${url.origin}${url.pathname}`).toBe(String(plain.location));
    expect(url.searchParams.get('X-Amz-Algorithm')).toBe('AWS4-HMAC-SHA256');
    expect(url.searchParams.get('X-Amz-Expires')).toBe('86400');
    expect(String(file.url)).not.toContain(RGW.secretAccessKey);
    expect(file).toMatchObject({
      filename: 'quarterly report.bin',
      key: plain.key,
      verified: true,
    });
    expect(await download(String(file.url))).toEqual({ status: 200, sha256: sourceSha256 });

    expect(events.map((job) => sharedFile(job).url)).toEqual([file.url]);
    // On disk, for every host (and without any secret).
    expect(sharedFile((await exporting.get(record.id)) as JobRecord)).toEqual(file);
    const stored = await fs.readFile(join(home, 'jobs', `${record.id}.json`), 'utf8');
    expect(stored).toContain(String(file.expires_at));
    expect(stored).not.toContain(RGW.secretAccessKey);
  });

  it(`a link for ${SHORT_EXPIRY} s stops working then`, async () => {
    const record = await exported({ profile: profileName('s3') });
    const before = Date.now();
    const file = sharedFile(await later.createShareLink(record.id, 'export', 0, SHORT_EXPIRY));
    expectExpiry(file, SHORT_EXPIRY, before);
    await expectWorksThenExpires(file, sourceSha256, [403]);
  });

  it('one file of several, by index; the others keep their plain URL', async () => {
    const second = await makeFile(dir, 'second.bin', 'the second file');
    const record = await exported({ profile: profileName('s3') }, [source, second]);
    const updated = await later.createShareLink(record.id, 'export', 1, 600);
    expect(sharedFile(updated, 0)).toEqual(sharedFile(record, 0));
    const file = sharedFile(updated, 1);
    expect(file.filename).toBe('second.bin');
    const response = await fetch(String(file.url));
    expect(await response.text()).toBe('the second file');
    // All files when no index is given.
    const all = await later.createShareLink(record.id, 'export', undefined, 600);
    expect(exportTaskOf(all).result?.files.every((f) => typeof f.expires_at === 'string')).toBe(
      true,
    );
    expect(await download(String(sharedFile(all, 0).url))).toEqual({
      status: 200,
      sha256: sourceSha256,
    });
  });

  it('refuses to hand out a link to an object deleted since the export', async () => {
    const lonely = await makeFile(dir, 'deleted-later.bin', 'soon gone');
    const record = await exported({ profile: profileName('s3') }, [lonely]);
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'later/deleted-later.bin' }));
    await expect(later.createShareLink(record.id, 'export')).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: expect.stringMatching(
        /^deleted-later\.bin \(127\.0\.0\.1:7480\) is no longer at the destination/,
      ),
    });
    expect(sharedFile((await later.get(record.id)) as JobRecord).expires_at).toBeUndefined();
  });
});

describe('createShareLink on Azure Blob (azurite), from a profile', () => {
  it('signs a read-only SAS that downloads the bytes, then expires', async () => {
    const record = await exported({ profile: profileName('azure') });
    const before = Date.now();
    const file = sharedFile(await later.createShareLink(record.id, 'export', 0, SHORT_EXPIRY));
    expectExpiry(file, SHORT_EXPIRY, before);
    const url = new URL(String(file.url));
    expect(`${url.origin}${url.pathname}`).toBe(
      `${AZURITE.endpoint}/${container}/quarterly%20report.bin`,
    );
    expect(url.searchParams.get('sp')).toBe('r');
    expect(String(file.url)).not.toContain(AZURITE.key);
    await expectWorksThenExpires(file, sourceSha256, [403]);
  });

  it('explains that a profile with a SAS token cannot sign links', async () => {
    const name = profileName('azure sas');
    const { storage_access_key: _key, ...withoutKey } = profileTasks.azure;
    const sas = generateBlobSASQueryParameters(
      {
        containerName: container,
        permissions: ContainerSASPermissions.parse('rcw'),
        expiresOn: new Date(Date.now() + 3600_000),
      },
      new StorageSharedKeyCredential(AZURITE.account, AZURITE.key),
    ).toString();
    await profiles.add(name, { ...withoutKey, sas_token: sas });
    try {
      const record = await exported({ profile: name });
      await expect(later.createShareLink(record.id, 'export')).rejects.toMatchObject({
        code: 'INVALID_DATA',
        message: `Azure share links are signed with the storage account key, and profile "${name}" signs in with a SAS token, which cannot sign them. Add the storage access key to profile "${name}".`,
      });
    } finally {
      await profiles.remove(name);
    }
  });
});

describe('createShareLink on OpenStack Swift (TempURL, Keystone), from a profile', () => {
  it('signs a TempURL that downloads the bytes without credentials, then expires', async () => {
    const record = await exported({ profile: profileName('swift') });
    const before = Date.now();
    const file = sharedFile(await later.createShareLink(record.id, 'export', 0, SHORT_EXPIRY));
    expectExpiry(file, SHORT_EXPIRY, before);
    const url = new URL(String(file.url));
    expect(url.pathname).toMatch(
      new RegExp(`^/v1/AUTH_\\w+/${swiftContainer}/quarterly%20report\\.bin$`),
    );
    expect(url.searchParams.get('temp_url_expires')).toBe(
      String(Date.parse(String(file.expires_at)) / 1000),
    );
    await expectWorksThenExpires(file, sourceSha256, [401]);
  });
});

describe('createShareLink on Google Cloud Storage (emulator, checked offline)', () => {
  it('signs a V4 URL with a valid signature over GET of the object', async () => {
    const record = await exported({ profile: profileName('gcs') });
    const before = Date.now();
    const file = sharedFile(await later.createShareLink(record.id, 'export', 0, 7 * 86400));
    expectExpiry(file, 7 * 86400, before);
    const url = new URL(String(file.url));
    expect(`${url.origin}${url.pathname}`).toBe(
      `${GCS_EMULATOR.endpoint}/${gcsBucket}/quarterly%20report.bin`,
    );
    const { param, signedAt, scope, canonicalRequest, verifies } = gcsV4Signature(
      url,
      gcsKeys.publicKey,
    );
    expect(param('X-Goog-Algorithm')).toBe('GOOG4-RSA-SHA256');
    expect(param('X-Goog-Credential')).toBe(`${gcsEmail}/${scope}`);
    expect(signedAt + Number(param('X-Goog-Expires')) * 1000).toBe(
      Date.parse(String(file.expires_at)),
    );
    expect(verifies(canonicalRequest)).toBe(true);
    expect(verifies(canonicalRequest.replace('quarterly%20report', 'other'))).toBe(false);
  });
});
