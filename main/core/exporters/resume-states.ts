import { z } from 'zod';
import type { ExportOperation } from '../tasks/operations';
import type { ResumeState } from './exporter';

/**
 * What each exporter saves to continue an interrupted upload after a crash
 * (see ResumeContext). The engine checks a saved state against its
 * exporter's schema when it reads it from disk, on the main thread, and
 * hands the worker only a state of the right shape: the exporter workers
 * then load no zod (~12 MiB and ~80 ms of every export's fixed cost).
 */
export const resumeStateSchemas = {
  /** The multipart upload and its part size. */
  'export/s3': z.object({ uploadId: z.string(), partSize: z.number() }),
  /** The block-id nonce of the staged blocks and their size. */
  'export/azure/blob': z.object({ nonce: z.string(), partSize: z.number() }),
  /** The segment prefix of a large object and the segment size. */
  'export/openstack': z.object({ prefix: z.string(), partSize: z.number() }),
  /** The temporary file, removed if the source changes before a resume. */
  'export/sftp': z.object({ temporary: z.string() }),
} satisfies Partial<Record<ExportOperation, z.ZodType<ResumeState>>>;

type Resumable = keyof typeof resumeStateSchemas;

/** The state an exporter of `O` saves (never for exporters that resume nothing). */
export type ResumeStateOf<O extends ExportOperation> = O extends Resumable
  ? z.output<(typeof resumeStateSchemas)[O]>
  : never;

/** A saved state if it has the shape `operation`'s exporter saves, else undefined (start afresh). */
export function resumeStateOf(operation: string, state: unknown): ResumeState | undefined {
  const schema = (resumeStateSchemas as Partial<Record<string, z.ZodType<ResumeState>>>)[operation];
  const parsed = schema?.safeParse(state);
  return parsed?.success ? parsed.data : undefined;
}
