import { promises as fs } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../main/core/engine/engine';
import { exportFiles, exportTaskOf, makeFile, openTestEngine, tempDir } from '../support/engine';
import { freePort } from '../support/net';
import { AZURITE, GCS_EMULATOR, KEYSTONE, RGW, SFTP, assertServerUp } from '../support/servers';
import { gcsTestKey } from '../support/gcs-key';

/**
 * Destinations that are not there or not what they claim, for the exporters
 * whose own suites do not cover the case yet (S3, Azure and GCS refused/TLS/
 * credentials are in their suites): unknown hosts, closed ports, a port that
 * speaks another protocol, https to a plain-http server. Each fails its task
 * in bounded time (retries included) with a code and a message naming the
 * destination.
 */

let engine: Engine;
let close: () => Promise<void>;
let dir: string;
let file: string;
let closedPort: number;

beforeAll(async () => {
  await Promise.all((['rgw', 'swift', 'sftp'] as const).map((name) => assertServerUp(name)));
  ({ engine, close } = await openTestEngine());
  dir = await tempDir('outbox-destinations-');
  file = await makeFile(dir, 'payload.bin', 4096);
  closedPort = await freePort(); // nothing listens there
});

afterAll(async () => {
  await close?.();
  await fs.rm(dir, { recursive: true, force: true });
});

const BOUND_MS = 30_000;

async function failure(task: Record<string, unknown>) {
  const started = Date.now();
  const record = exportTaskOf(await exportFiles(engine, task, [file]));
  const elapsed = Date.now() - started;
  expect(record.status).toBe('error');
  expect(elapsed).toBeLessThan(BOUND_MS);
  return { code: record.code, message: record.message ?? '', elapsed };
}

const openstack = (auth_url: string) => ({
  operation: 'export/openstack',
  auth_url,
  region: KEYSTONE.region,
  container: 'outbox-never',
  username: KEYSTONE.username,
  password: KEYSTONE.password,
  file: 'x.bin',
});

const sftp = (host: string, port: number) => ({
  operation: 'export/sftp',
  host,
  port,
  username: SFTP.username,
  password: SFTP.password,
  file: 'x.bin',
});

describe('unreachable or wrong destinations: bounded, clear errors', () => {
  it('OpenStack: unknown host, closed port, https to a plain-http port', async () => {
    const unknown = await failure(openstack('http://keystone.outbox-test.invalid:5000'));
    expect(unknown.code).toBe('UNREACHABLE');
    expect(unknown.message).toMatch(/keystone\.outbox-test\.invalid.*host name not found/);

    const refused = await failure(openstack(`http://127.0.0.1:${closedPort}`));
    expect(refused.code).toBe('UNREACHABLE');
    expect(refused.message).toMatch(
      new RegExp(`127\\.0\\.0\\.1:${closedPort}.*connection refused`),
    );

    // A plain-http server that answers the TLS hello with an HTTP error (RGW). Keystone's own
    // uwsgi port resets the connection instead: retried as UNREACHABLE (see the report).
    const tls = await failure(openstack(`https://127.0.0.1:${RGW.port}`));
    expect(tls.code).toBe('TLS_ERROR');
    expect(tls.message).toMatch(/http:\/\/ vs https:\/\//);
  });

  it('SFTP: unknown host, closed port, and a port that speaks HTTP', async () => {
    const unknown = await failure(sftp('sftp.outbox-test.invalid', 22));
    expect(unknown.code).toBe('UNREACHABLE');
    expect(unknown.message).toMatch(/sftp\.outbox-test\.invalid.*host name not found/);

    const refused = await failure(sftp('127.0.0.1', closedPort));
    expect(refused.code).toBe('UNREACHABLE');
    expect(refused.message).toMatch(/connection refused/);

    // RGW's HTTP port answers the SSH greeting with an HTTP error and closes.
    const http = await failure(sftp(RGW.host, RGW.port));
    expect(['UNREACHABLE', 'REMOTE_ERROR', 'TIMEOUT']).toContain(http.code);
    expect(http.message).toMatch(new RegExp(`${RGW.host}:${RGW.port}`));
  });

  it('export/upload: unknown host, closed port, https to a plain-http server', async () => {
    const unknown = await failure({
      operation: 'export/upload',
      url: 'http://put.outbox-test.invalid/x.bin?X-Amz-Signature=secret-signature',
    });
    expect(unknown.code).toBe('UNREACHABLE');
    expect(unknown.message).toMatch(/put\.outbox-test\.invalid/);
    // The signature in the URL's query is a credential: never in the message.
    expect(unknown.message).not.toContain('secret-signature');

    const refused = await failure({
      operation: 'export/upload',
      url: `http://127.0.0.1:${closedPort}/x.bin`,
    });
    expect(refused.code).toBe('UNREACHABLE');

    const tls = await failure({
      operation: 'export/upload',
      url: `https://127.0.0.1:${RGW.port}/bucket/x.bin`,
    });
    expect(tls.code).toBe('TLS_ERROR');
  });

  it('Azure and GCS: an unknown host is UNREACHABLE, not a hang or a raw error', async () => {
    const azure = await failure({
      operation: 'export/azure/blob',
      storage_account: AZURITE.account,
      storage_access_key: AZURITE.key,
      container: 'x',
      endpoint: `http://azure.outbox-test.invalid/${AZURITE.account}`,
      blob: 'x.bin',
    });
    expect(azure.code).toBe('UNREACHABLE');
    expect(azure.message).toMatch(/azure\.outbox-test\.invalid/);

    const gcs = await failure({
      operation: 'export/google-cloud-storage',
      project_id: GCS_EMULATOR.projectId,
      bucket: 'x',
      client_email: 'outbox-test@demo-outbox.iam.gserviceaccount.com',
      private_key: gcsTestKey,
      endpoint: 'http://gcs.outbox-test.invalid:9199',
      file: 'x.bin',
    });
    expect(gcs.code).toBe('UNREACHABLE');
    expect(gcs.message).toMatch(/gcs\.outbox-test\.invalid/);
  });
});
