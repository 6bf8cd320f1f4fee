import { promises as fs } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PartialUploads } from '../../main/core/engine/partial-uploads';
import type { ResumeState } from '../../main/core/exporters/exporter';
import type { ExportTask } from '../../main/core/tasks/operations';
import type { SourceFile } from '../../main/core/transfer/sources';
import { tempDir } from '../support/engine';

/**
 * The exporter workers load no schema library: a saved resume state is
 * checked against its exporter's schema (exporters/resume-states.ts) when
 * the engine reads it, and an exporter is handed only a state of the shape
 * it saves. Anything else (a record of another version, edited by hand)
 * makes the upload start afresh.
 */

let home: string;
let partials: PartialUploads;
const source: SourceFile = { path: '/data/big.bin', name: 'big.bin', size: 10, mtimeMs: 1 };

beforeEach(async () => {
  home = await tempDir('outbox-partials-');
  partials = new PartialUploads(home);
});
afterEach(async () => {
  await fs.rm(home, { recursive: true, force: true });
});

/** A partial upload as an exporter of `operation` checkpointed it. */
async function saved(key: string, operation: string, state: ResumeState): Promise<void> {
  const task = { operation } as ExportTask;
  await partials.save(key, { task, name: 'big.bin', source, jobId: 'job' }, state);
}

describe('saved partial uploads', () => {
  it('give back a state of the shape its exporter saves, with whether the source is unchanged', async () => {
    await saved('s3', 'export/s3', { uploadId: 'u-1', partSize: 5 });
    await saved('sftp', 'export/sftp', { temporary: '.big.bin.outbox-1' });
    expect(await partials.previous('s3', source)).toEqual({
      state: { uploadId: 'u-1', partSize: 5 },
      sameSource: true,
    });
    expect(await partials.previous('sftp', { ...source, mtimeMs: 2 })).toEqual({
      state: { temporary: '.big.bin.outbox-1' },
      sameSource: false,
    });
  });

  it('give back nothing for a state of another shape: the upload starts afresh', async () => {
    await saved('missing', 'export/s3', { uploadId: 'u-1' });
    await saved('mistyped', 'export/azure/blob', { nonce: 'n', partSize: '5' });
    await saved('other-exporter', 'export/openstack', { uploadId: 'u-1', partSize: 5 });
    await saved('resumes-nothing', 'export/upload', { uploadId: 'u-1', partSize: 5 });
    for (const key of ['missing', 'mistyped', 'other-exporter', 'resumes-nothing', 'absent']) {
      expect(await partials.previous(key, source), key).toBeUndefined();
    }
    // The records are still there: the sweep, not the read, forgets them.
    expect((await partials.keys()).size).toBe(4);
  });
});

describe('keys of partial uploads', () => {
  const task = {
    operation: 'export/s3',
    bucket: 'scans',
    region: 'us-east-1',
    key_prefix: 'in/',
    access_key_id: 'AK',
    secret_access_key: 'SK',
    endpoint: 'http://127.0.0.1:7480',
    part_size: 8,
    acl: 'private',
  } as unknown as ExportTask;

  it('are those earlier versions saved, whatever the order of the fields, so their uploads continue', () => {
    const reordered = Object.fromEntries(Object.entries(task).reverse()) as unknown as ExportTask;
    for (const t of [task, reordered]) {
      expect(PartialUploads.keysOf(t)('big.bin', source)).toBe(
        'bdacb4fe1445f775ed36f486ea1c0ab049399324061142dcc80c864b61fbdc2d',
      );
    }
  });
});
