import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OutboxError } from '../../main/core/errors';
import type { Exporter } from '../../main/core/exporters/exporter';
import { sendParts } from '../../main/core/exporters/parts';
import { uploadWithRetry } from '../../main/core/exporters/upload-with-retry';
import { WorkerSessions } from '../../main/core/engine/session-cache';
import {
  RETRY_ATTEMPTS,
  transferPolicyOf,
  type TransferPolicy,
} from '../../main/core/transfer/retry';
import type { SourceFile } from '../../main/core/transfer/sources';

/**
 * One retry policy for every layer: a part is retried on its own, and the
 * file around it does not send it again once its tries are spent (before,
 * five tries of the file times five of the part: 25). Counted, not timed:
 * the backoff is shrunk to milliseconds so the tries run at once.
 */

const policy: TransferPolicy = {
  ...transferPolicyOf({ idleTimeoutSeconds: 120 }),
  retry: { attempts: RETRY_ATTEMPTS, baseDelayMs: 1, maxDelayMs: 2 },
};
const PART = 1024;
let dir: string;
let source: SourceFile;

beforeAll(async () => {
  dir = await fs.mkdtemp(join(tmpdir(), 'outbox-retry-'));
  const path = join(dir, 'three-parts.bin');
  await fs.writeFile(path, Buffer.alloc(3 * PART, 7));
  const stat = await fs.stat(path);
  source = { path, name: 'three-parts.bin', size: stat.size, mtimeMs: stat.mtimeMs };
});
afterAll(() => fs.rm(dir, { recursive: true, force: true }));

const flaky = () => new OutboxError('UNREACHABLE', 'the connection was reset', { retryable: true });

/** An exporter whose upload is `body`, counting its calls. */
function exporterOf(body: Exporter<'export/s3'>['upload']) {
  let uploads = 0;
  const exporter = {
    operation: 'export/s3',
    upload: (request, context) => {
      uploads++;
      return body(request, context);
    },
    probe: () => Promise.reject(new Error('not used')),
  } satisfies Exporter<'export/s3'>;
  return { exporter, uploads: () => uploads };
}

function upload(exporter: Exporter<'export/s3'>, options: { idleTimeoutMs?: number } = {}) {
  let bytes = 0;
  const sessions = new WorkerSessions();
  const done = uploadWithRetry(
    exporter,
    { params: {} as never, source, name: 'three-parts.bin' },
    {
      signal: new AbortController().signal,
      progress: { add: (n) => (bytes += n) },
      sessions,
      policy: { ...policy, idleTimeoutMs: options.idleTimeoutMs ?? policy.idleTimeoutMs },
      resume: { save: async () => {} },
      target: 'export/s3 three-parts.bin',
    },
  );
  return done
    .finally(() => sessions.clear())
    .then(
      () => ({ error: undefined, bytes }),
      (error: unknown) => ({ error, bytes }),
    );
}

describe('one retry policy: parts retry, the file does not re-retry them', () => {
  it(`a part that always fails is sent ${RETRY_ATTEMPTS} times in all, and the file once`, async () => {
    const sends = [0, 0, 0];
    const { exporter, uploads } = exporterOf(async (_request, context) => {
      await sendParts(
        { partSize: PART, partCount: 3, concurrency: 1 },
        source.size,
        context,
        async (index, part, progress) => {
          sends[index]!++;
          progress.add(part.length);
          if (index === 1) throw flaky();
        },
      );
      throw new Error('unreachable: part 2 never succeeds');
    });
    const { error, bytes } = await upload(exporter);
    expect(error).toBeInstanceOf(OutboxError);
    expect((error as OutboxError).code).toBe('UNREACHABLE');
    // Given up on: no outer layer may try it again.
    expect((error as OutboxError).retryable).toBe(false);
    expect(sends[1]).toBe(RETRY_ATTEMPTS);
    expect(sends[0]).toBe(1);
    expect(sends[2]).toBe(0); // the first failure for good stops the rest
    expect(uploads()).toBe(1);
    expect(bytes).toBe(0); // the failed try's progress is taken back
  });

  it(`a file sent in one request is tried ${RETRY_ATTEMPTS} times in all`, async () => {
    const { exporter, uploads } = exporterOf(() => Promise.reject(flaky()));
    const { error } = await upload(exporter);
    expect((error as OutboxError).code).toBe('UNREACHABLE');
    expect(uploads()).toBe(RETRY_ATTEMPTS);
  });

  it('an error that is not retryable is not tried again', async () => {
    const denied = new OutboxError('ACCESS_DENIED', 'access denied (403)');
    const { exporter, uploads } = exporterOf(() => Promise.reject(denied));
    const { error } = await upload(exporter);
    expect(error).toBe(denied);
    expect(uploads()).toBe(1);
  });

  it('a try that moves no byte for the idle timeout is aborted as TIMEOUT and tried again', async () => {
    // Stalls until aborted: only the watchdog (the policy's idle timeout) can end it.
    const { exporter, uploads } = exporterOf(
      (_request, context) =>
        new Promise((_resolve, reject) => {
          context.signal.addEventListener('abort', () => reject(new Error('aborted')));
        }),
    );
    const { error } = await upload(exporter, { idleTimeoutMs: 20 });
    expect((error as OutboxError).code).toBe('TIMEOUT');
    expect((error as OutboxError).message).toMatch(/nothing was sent or received/);
    expect(uploads()).toBe(RETRY_ATTEMPTS);
  });
});
