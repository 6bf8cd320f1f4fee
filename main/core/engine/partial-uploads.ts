import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { z } from 'zod';
import type { ResumeContext, ResumeState } from '../exporters/exporter';
import { resumeStateOf } from '../exporters/resume-states';
import { RecordDir } from '../store/record-dir';
import type { ExportTask } from '../tasks/operations';
import { withoutSecrets } from '../tasks/secrets';
import { sameSource, sourceFactsOf, sourceFactsSchema } from '../transfer/records';
import type { SourceFile } from '../transfer/sources';

/**
 * Uploads that were started and not finished, so that a run after a crash
 * continues them instead of starting over: one record per (destination,
 * name, source path), holding the exporter's resume state (an S3 upload id,
 * a block-id nonce, a temporary file name) and the source as it was. Written
 * before the bytes it describes are sent; removed when the upload ends, for
 * good or bad. Records hold no secret: states are ids, names and sizes.
 */

/** Partial uploads nobody continued are forgotten after a week (Azure drops uncommitted blocks then too). */
export const PARTIAL_UPLOAD_MAX_AGE_MS = 7 * 86400 * 1000;

// Parameters that change how, not where, a file is sent: a new value still continues the same upload.
const TUNING = new Set(['input', 'concurrency', 'part_size', 'segment_size', 'share_link']);

const partialUploadSchema = z.object({
  operation: z.string(),
  name: z.string(),
  source: sourceFactsSchema,
  state: z.record(z.string(), z.union([z.string(), z.number()])),
  job_id: z.string(),
  updated_at: z.string(),
});
type PartialUpload = z.output<typeof partialUploadSchema>;

export class PartialUploads {
  private readonly records: RecordDir<PartialUpload>;

  constructor(home: string) {
    this.records = new RecordDir(join(home, 'partials'), partialUploadSchema);
  }

  /**
   * The record ids of uploads with the destination parameters of `task`: of
   * `source` to `name`. The destination part is worked out once per task.
   */
  static keysOf(task: ExportTask): (name: string, source: SourceFile) => string {
    const destination = JSON.stringify(
      Object.entries(withoutSecrets(task))
        .filter(([field]) => !TUNING.has(field))
        // code-unit order: the same order as before for field names (a–z and _), without
        // localeCompare, whose ICU collator cost every export ~3 MiB of resident memory
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    );
    return (name, source) =>
      createHash('sha256')
        .update(`[${destination},${JSON.stringify(name)},${JSON.stringify(source.path)}]`)
        .digest('hex');
  }

  /** Keys of the partial uploads recorded now: looked up once per task, not per file. */
  keys(): Promise<Set<string>> {
    return this.records.ids();
  }

  /**
   * What an earlier unfinished upload saved, for the exporter to continue or
   * clean up: only a state of the shape its exporter saves (checked here, so
   * the workers need no schema library), else nothing (it starts afresh).
   */
  async previous(key: string, source: SourceFile): Promise<ResumeContext['previous']> {
    const record = await this.records.get(key);
    const state = record && resumeStateOf(record.operation, record.state);
    if (!record || !state) return undefined;
    return { state, sameSource: sameSource(record.source, source) };
  }

  async save(
    key: string,
    upload: { task: ExportTask; name: string; source: SourceFile; jobId: string },
    state: ResumeState,
  ): Promise<void> {
    await this.records.put(key, {
      operation: upload.task.operation,
      name: upload.name,
      source: sourceFactsOf(upload.source),
      state,
      job_id: upload.jobId,
      updated_at: new Date().toISOString(),
    });
  }

  remove(key: string): Promise<void> {
    return this.records.remove(key);
  }

  /** Forgets partial uploads older than `maxAgeMs` (their credentials never came back). */
  async sweep(now: number, maxAgeMs = PARTIAL_UPLOAD_MAX_AGE_MS): Promise<void> {
    for (const [key, record] of await this.records.entries()) {
      if (Date.parse(record.updated_at) + maxAgeMs <= now) await this.records.remove(key);
    }
  }
}
