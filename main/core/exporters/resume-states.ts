import type { z } from 'zod';
import type { ResumeState } from '../tasks/destination';
import { destinationList } from '../tasks/destinations';
import type { ExportOperation } from '../tasks/operations';

/**
 * What each exporter saves to continue an interrupted upload after a crash
 * (see ResumeContext), read off the descriptors' `resumeState`. The engine
 * checks a saved state against it when it reads it from disk, on the main
 * thread, and hands the worker only a state of the right shape: the exporter
 * workers then load no zod (~12 MiB and ~80 ms of every export's fixed cost)
 * and import this module for its types only.
 */
type Listed = (typeof destinationList)[number];
type Resumable = Extract<Listed, { resumeState: z.ZodType }>;

/** The state an exporter of `O` saves (never for exporters that resume nothing). */
export type ResumeStateOf<O extends ExportOperation> = O extends Resumable['operation']
  ? z.output<Extract<Resumable, { operation: O }>['resumeState']>
  : never;

/** A saved state if it has the shape `operation`'s exporter saves, else undefined (start afresh). */
export function resumeStateOf(operation: string, state: unknown): ResumeState | undefined {
  const destination = destinationList.find((listed) => listed.operation === operation);
  const schema = destination && 'resumeState' in destination ? destination.resumeState : undefined;
  const parsed = schema?.safeParse(state);
  return parsed?.success ? parsed.data : undefined;
}
