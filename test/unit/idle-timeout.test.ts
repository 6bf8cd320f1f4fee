import { promises as fs } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkerSessions } from '../../main/core/engine/session-cache';
import { OutboxError } from '../../main/core/errors';
import type { Exporter, TransferContext } from '../../main/core/exporters/exporter';
import { sendRequest } from '../../main/core/exporters/openstack/http';
import { s3Exporter } from '../../main/core/exporters/s3/s3-exporter';
import { sourceReads } from '../../main/core/exporters/source-stream';
import { uploadExporter } from '../../main/core/exporters/upload/upload-exporter';
import { exportS3Schema } from '../../main/core/exporters/s3/destination';
import { exportUploadSchema } from '../../main/core/exporters/upload/destination';
import type { TaskOf } from '../../main/core/tasks/operations';
import { transferPolicyOf, type TransferPolicy } from '../../main/core/transfer/retry';
import type { SourceFile } from '../../main/core/transfer/sources';

/**
 * One idle timeout: the exporters' sockets fail after the transfer policy's
 * idle timeout (OUTBOX_IDLE_TIMEOUT), not a constant of their own. The server
 * is a tiny loopback TCP server that reads every request and never answers
 * (no test server can be told to stall on demand); one try of each exporter,
 * without the worker's watchdog or retries, must end in TIMEOUT. Set to one
 * second here, where the exporters' old constants were 60 and 120 s, so an
 * exporter that ignored the policy would outlast the test's time limit.
 */

const policy: TransferPolicy = transferPolicyOf({ idleTimeoutSeconds: 1 });
let server: Server;
let origin: string;
const sockets = new Set<Socket>();
let dir: string;
let source: SourceFile;

beforeAll(async () => {
  server = createServer((socket) => {
    sockets.add(socket);
    socket.on('data', () => {}); // read, never answer
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (typeof address !== 'object' || !address) throw new Error('no port');
  origin = `http://127.0.0.1:${address.port}`;
  dir = await fs.mkdtemp(join(tmpdir(), 'outbox-idle-'));
  const path = join(dir, 'small.txt');
  await fs.writeFile(path, 'a small file\n');
  const stat = await fs.stat(path);
  source = { path, name: 'small.txt', size: stat.size, mtimeMs: stat.mtimeMs };
});
afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => server.close(resolve));
  await fs.rm(dir, { recursive: true, force: true });
});

/** One try of `exporter` with the test's policy: its error. */
async function oneTry<O extends 'export/s3' | 'export/upload'>(
  exporter: Exporter<O>,
  params: TaskOf<O>,
  name: string,
): Promise<unknown> {
  const signal = new AbortController().signal;
  const sessions = new WorkerSessions();
  const context: TransferContext = {
    signal,
    progress: { add() {} },
    sessions,
    policy,
    resume: { save: async () => {} },
    ...sourceReads(source, signal),
  };
  try {
    await exporter.upload({ params, source, name }, context as never);
    return undefined;
  } catch (error) {
    return error;
  } finally {
    await sessions.clear();
  }
}

function expectTimeout(error: unknown): void {
  expect(error).toBeInstanceOf(OutboxError);
  expect((error as OutboxError).code).toBe('TIMEOUT');
}

const s3Params = () =>
  exportS3Schema().parse({
    operation: 'export/s3',
    input: 'files',
    bucket: 'stalled',
    region: 'us-east-1',
    endpoint: origin,
    access_key_id: 'AKIDSTALLED',
    secret_access_key: 'stalled-secret',
    key: 'small.txt',
  });

describe(
  'one idle timeout, from the transfer policy, on every exporter socket',
  { timeout: 30_000 },
  () => {
    it('export/upload: the PUT fails as TIMEOUT', async () => {
      const url = `${origin}/small.txt`;
      const params = exportUploadSchema().parse({
        operation: 'export/upload',
        input: 'files',
        url,
      });
      expectTimeout(await oneTry(uploadExporter, params, url));
    });

    it('export/s3, one PUT (the direct request): fails as TIMEOUT', async () => {
      expectTimeout(await oneTry(s3Exporter, s3Params(), 'small.txt'));
    });

    it('export/s3, the SDK client (the connection test): fails as TIMEOUT', async () => {
      const sessions = new WorkerSessions();
      const error = await s3Exporter
        .probe(s3Params(), { signal: new AbortController().signal, sessions, policy }, 'probe')
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      await sessions.clear();
      expectTimeout(error);
    });

    it('export/openstack (Keystone and Swift requests): fails with ETIMEDOUT', async () => {
      const error = await sendRequest(new URL(`${origin}/v3/auth/tokens`), {
        method: 'POST',
        body: '{}',
        signal: new AbortController().signal,
        idleTimeoutMs: policy.idleTimeoutMs,
      }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect((error as NodeJS.ErrnoException).code).toBe('ETIMEDOUT');
    });
  },
);
