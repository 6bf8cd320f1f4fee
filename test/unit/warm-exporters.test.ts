import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { WorkReply, WorkRequest } from '../../main/core/engine/worker-protocol';
import { newExporterThread, startExporterThread } from '../../main/core/engine/worker-thread';
import { warmExporters, type UploadOperation } from '../../main/core/exporters/registry';
import { createBuckets } from '../../main/core/transfer/byte-buckets';

/** Loading exporters from a guess (the CLI's early hint): known names load, others are ignored. */

describe('warmExporters', () => {
  it('loads the exporter a known operation names', async () => {
    const loaded = await warmExporters(['export/sftp']);
    expect(loaded.map((exporter) => exporter.operation)).toEqual(['export/sftp']);
  });

  it('ignores names with no exporter, without failing', async () => {
    const names = ['export/nope', 'export/url', 'import/file', '../../x', 'export/../x', 7, null];
    await expect(warmExporters(names)).resolves.toEqual([]);
  });
});

describe('the early exporter thread', () => {
  it('takes a guess with unknown names and still answers its work', async () => {
    startExporterThread(['export/nope', 'export/../../x', 'export/url']);
    const worker = newExporterThread({
      buckets: createBuckets(),
      policy: { retry: { attempts: 1, baseDelayMs: 0, maxDelayMs: 0 }, idleTimeoutMs: 10_000 },
    });
    try {
      const probe = {
        type: 'probe',
        id: 1,
        operation: 'export/nope' as UploadOperation,
        params: {},
        hidden: [],
        path: 'x',
      } satisfies WorkRequest;
      worker.postMessage([probe]);
      const [replies] = (await once(worker, 'message')) as [WorkReply[]];
      expect(replies).toMatchObject([{ type: 'failed', id: 1 }]);
    } finally {
      await worker.terminate();
    }
  });
});
