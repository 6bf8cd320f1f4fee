import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { BlobServiceClient } from '@azure/storage-blob';
import { Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../main/core/engine/engine';
import type { SourceFile } from '../../main/core/transfer/sources';
import { WorkerSessions } from '../../main/core/engine/session-cache';
import { OutboxError } from '../../main/core/errors';
import type { Exporter } from '../../main/core/exporters/exporter';
import { sftpExporter } from '../../main/core/exporters/sftp/sftp-exporter';
import { uploadExporter } from '../../main/core/exporters/upload/upload-exporter';
import { sourceReads } from '../../main/core/exporters/source-stream';
import { exportSftpSchema } from '../../main/core/exporters/sftp/destination';
import { exportUploadSchema } from '../../main/core/exporters/upload/destination';
import type { TaskOf } from '../../main/core/tasks/operations';
import { transferPolicyOf } from '../../main/core/transfer/retry';
import { exportFiles, exportTaskOf, makeFile, sha256, sha256File } from '../support/engine';
import { expectFinished, useFaultHarness } from '../support/fault-harness';
import type { FaultPolicy } from '../support/fault-proxy';
import { gcsTestKey } from '../support/gcs-key';
import { MiB } from '../support/mid-upload';
import { AZURITE, GCS_EMULATOR, RGW, SFTP, s3TaskOf } from '../support/servers';

/**
 * A server that stops answering, before its first answer or in the middle of
 * the body, through a fault proxy that stalls the connection: every exporter
 * gives up in bounded time with a clear error (TIMEOUT), or completes on the
 * next try when only the first connection stalled. The harness:
 * test/support/fault-harness.ts.
 */

const faults = useFaultHarness();
const { suffix, bucket, proxyTo } = faults;

/** One try of an exporter, without the worker's retries: how long until it gives up, and how. */
async function oneTry<O extends 'export/sftp' | 'export/upload'>(
  exporter: Exporter<O>,
  params: TaskOf<O>,
  name: string,
): Promise<{ error: unknown; elapsed: number }> {
  const path = await makeFile(faults.dir, `slow-${randomBytes(3).toString('hex')}.bin`, 1000);
  const stat = await fs.stat(path);
  const source: SourceFile = { path, name: 'slow.bin', size: stat.size, mtimeMs: stat.mtimeMs };
  const signal = new AbortController().signal;
  const sessions = new WorkerSessions();
  const started = Date.now();
  const error = await exporter
    .upload(
      { params, source, name },
      {
        signal,
        progress: { add() {} },
        sessions,
        // 60 s: OUTBOX_IDLE_TIMEOUT as a user might set it (each socket's idle timeout).
        policy: transferPolicyOf({ idleTimeoutSeconds: 60 }),
        resume: { save: async () => {} },
        ...sourceReads(source, signal),
      },
    )
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  const elapsed = Date.now() - started;
  await sessions.clear();
  return { error, elapsed };
}

describe('a server that stops answering: bounded time, a clear error', () => {
  it('SFTP (no SSH greeting) and export/upload (no HTTP answer) give up with TIMEOUT', async () => {
    // Both stall forever (longer than the test): the exporters' own timeouts must end it.
    const stall: FaultPolicy = { fault: { kind: 'stall', afterBytes: 0, ms: 600_000 } };
    const sshProxy = await proxyTo(SFTP.host, SFTP.port, stall);
    const httpProxy = await proxyTo(RGW.host, RGW.port, stall);
    const putUrl = `${httpProxy.url}/${bucket}/slow.bin`;
    const [sftp, put] = await Promise.all([
      oneTry(
        sftpExporter,
        exportSftpSchema().parse({
          operation: 'export/sftp',
          input: 'files',
          host: '127.0.0.1',
          port: sshProxy.port,
          username: SFTP.username,
          password: SFTP.password,
          file: `outbox-faults-${suffix}/slow.bin`,
        }),
        `outbox-faults-${suffix}/slow.bin`,
      ),
      oneTry(
        uploadExporter,
        exportUploadSchema().parse({ operation: 'export/upload', input: 'files', url: putUrl }),
        putUrl,
      ),
    ]);
    // SFTP: the SSH handshake timeout (20 s).
    expect(sftp.error).toBeInstanceOf(OutboxError);
    expect((sftp.error as OutboxError).code).toBe('TIMEOUT');
    expect((sftp.error as OutboxError).message).toMatch(/handshake did not complete in time/);
    expect(sftp.elapsed).toBeGreaterThan(15_000);
    expect(sftp.elapsed).toBeLessThan(30_000);
    // export/upload: the idle timeout (60 s without a byte either way).
    expect(put.error).toBeInstanceOf(OutboxError);
    expect((put.error as OutboxError).code).toBe('TIMEOUT');
    expect((put.error as OutboxError).message).toContain(`PUT ${putUrl}`);
    expect(put.elapsed).toBeGreaterThan(55_000);
    expect(put.elapsed).toBeLessThan(70_000);
  }, 90_000);
});

describe('a server that stalls mid-body: the idle watchdog of every exporter', () => {
  // 3 s instead of the default 120 s (OUTBOX_IDLE_TIMEOUT), so five tries fit in a test.
  let stalled: Engine;
  let closeStalled: () => Promise<void>;
  const container = BlobServiceClient.fromConnectionString(
    AZURITE.connectionString,
  ).getContainerClient(`outbox-idle-${suffix}`);
  beforeAll(async () => {
    ({ engine: stalled, close: closeStalled } = await faults.openEngine({
      config: { idleTimeoutSeconds: 3 },
    }));
    await container.createIfNotExists();
  });
  afterAll(async () => {
    await closeStalled();
    await container.deleteIfExists();
  });

  const gcsTask = (endpoint: string, file: string) => ({
    operation: 'export/google-cloud-storage',
    project_id: GCS_EMULATOR.projectId,
    bucket: `outbox-faults-${suffix}`,
    client_email: 'outbox-test@demo-outbox.iam.gserviceaccount.com',
    private_key: gcsTestKey,
    endpoint,
    file,
  });
  const azureTask = (endpoint: string, blob: string) => ({
    operation: 'export/azure/blob',
    storage_account: AZURITE.account,
    storage_access_key: AZURITE.key,
    container: container.containerName,
    blob,
    endpoint: `${endpoint}/${AZURITE.account}`,
  });
  const s3Task = (endpoint: string, key: string) => ({ ...s3TaskOf(RGW), bucket, endpoint, key });
  const sftpTask = (endpoint: string, file: string) => ({
    operation: 'export/sftp',
    host: '127.0.0.1',
    port: Number(new URL(endpoint).port),
    username: SFTP.username,
    password: SFTP.password,
    file: `outbox-faults-${suffix}/${file}`,
  });

  it('GCS, Azure and S3 give up with TIMEOUT when the server never answers again', async () => {
    const stallForever: FaultPolicy = {
      fault: { kind: 'stall', afterBytes: 256 * 1024, ms: 600_000 },
    };
    const file = await makeFile(faults.dir, 'stalled.bin', 2 * MiB);
    const cases = [
      [GCS_EMULATOR, gcsTask] as const,
      [AZURITE, azureTask] as const,
      [RGW, s3Task] as const,
    ];
    const started = Date.now();
    const tasks = await Promise.all(
      cases.map(async ([server, task]) => {
        const proxy = await proxyTo(server.host, server.port, stallForever);
        return exportTaskOf(await exportFiles(stalled, task(proxy.url, 'stalled.bin'), [file]));
      }),
    );
    // Five tries of 3 s each, and 7.5-15 s of backoff between them.
    expect(Date.now() - started).toBeLessThan(60_000);
    for (const task of tasks) {
      expect(task.status).toBe('error');
      expect(task.code).toBe('TIMEOUT');
      expect(task.message).toMatch(
        /nothing was sent or received for 3 s; the server or the network stalled/,
      );
    }
  }, 90_000);

  it('SFTP gives up with TIMEOUT when the server never answers again', async () => {
    // ssh2 ends no stalled connection by itself before its keepalives run out (45 s or more
    // a try): the idle watchdog cuts it.
    const stallForever: FaultPolicy = {
      fault: { kind: 'stall', afterBytes: 256 * 1024, ms: 600_000 },
    };
    const file = await makeFile(faults.dir, 'stalled-sftp.bin', 2 * MiB);
    const proxy = await proxyTo(SFTP.host, SFTP.port, stallForever);
    const started = Date.now();
    const task = exportTaskOf(
      await exportFiles(stalled, sftpTask(proxy.url, 'stalled-sftp.bin'), [file]),
    );
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(task.status).toBe('error');
    expect(task.code).toBe('TIMEOUT');
    expect(task.message).toMatch(
      /nothing was sent or received for 3 s; the server or the network stalled/,
    );
    expect(proxy.faulted).toBe(5);
  }, 90_000);

  it('a stall on the first connection only: the next try completes, byte-identical', async () => {
    const stallOnce: FaultPolicy = {
      fault: { kind: 'stall', afterBytes: 256 * 1024, ms: 600_000 },
      connections: 1,
    };
    const file = await makeFile(faults.dir, 'stalled-once.bin', 2 * MiB);
    const gcs = await proxyTo(GCS_EMULATOR.host, GCS_EMULATOR.port, stallOnce);
    const azure = await proxyTo(AZURITE.host, AZURITE.port, stallOnce);
    const [gcsJob, azureJob] = await Promise.all([
      exportFiles(stalled, gcsTask(gcs.url, 'stalled-once.bin'), [file]),
      exportFiles(stalled, azureTask(azure.url, 'stalled-once.bin'), [file]),
    ]);
    expectFinished(exportTaskOf(gcsJob));
    expectFinished(exportTaskOf(azureJob));
    expect(gcs.faulted).toBe(1);
    expect(azure.faulted).toBe(1);
    const [data] = await new Storage({ apiEndpoint: GCS_EMULATOR.endpoint, projectId: 'x' })
      .bucket(`outbox-faults-${suffix}`)
      .file('stalled-once.bin')
      .download();
    expect(sha256(data)).toBe(await sha256File(file));
    const blob = container.getBlockBlobClient('stalled-once.bin');
    expect(sha256(await blob.downloadToBuffer())).toBe(await sha256File(file));
  }, 90_000);
});

// No presigned URLs here: no signatures to collect.
faults.itLeavesNoSecrets({ signedUrls: false });
