import type { z } from 'zod';

/** A task's or a profile's parameters as the descriptors read them (secrets may be `{ set }`). */
export type DescribedParams = Record<string, unknown>;

/** The pictures the UI has for destinations. */
export type DestinationIcon = 'link' | 'box' | 'cloud' | 'server' | 'upload';

/**
 * Where "Test connection" writes its test object (removed at once): `beside` the files, in the
 * folder or prefix they go to (so permissions scoped to it apply), at the `root` of the bucket
 * or container, or `nothing` (the test only reads or connects).
 */
export type ProbePlace = 'beside' | 'root' | 'nothing';

/** What an exporter saves to find its partial upload again: flat, secret-free values. */
export type ResumeState = Record<string, string | number>;

/**
 * How a destination names what it stores, for the shared naming rules:
 * `name` holds one fixed name, `prefix` a folder or prefix for many
 * (`directory`: a folder path joined with `/`, `prefix`: a string prefix);
 * `own`: the destination names nothing (a link, or a URL given whole).
 */
export type DestinationNaming =
  | { kind: 'own' }
  | {
      kind: 'fields';
      name: string;
      prefix: string;
      prefixKind: 'prefix' | 'directory';
      style: 'object' | 'path';
    };

/** Object storage: one fixed name (`key`) or a string prefix for many (`key_prefix`). */
export function objectNaming(name: string, prefix: string): DestinationNaming {
  return { kind: 'fields', name, prefix, prefixKind: 'prefix', style: 'object' };
}

/**
 * What Outbox knows about one destination, its parameters' schema first: read
 * by validation, the planner, the UI, the CLI and share links, so that a
 * destination is described in one place (exporters/<folder>/destination.ts, listed in
 * tasks/destinations.ts).
 */
export type DestinationDescriptor<O extends string = string> = {
  operation: O;
  /**
   * Its parameters: CloudConvert's, spelled as CloudConvert spells them, and marked
   * extensions. Built on first use (`onFirstUse`).
   */
  schema: () => z.ZodType;
  /** Its name for people, and a short one for badges. */
  label: string;
  short: string;
  icon: DestinationIcon;
  naming: DestinationNaming;
  probe: ProbePlace;
  /**
   * The shape of what its exporter saves to continue an interrupted upload (resumable
   * backends only). The engine checks a saved state against it on the main thread
   * (exporters/resume-states.ts), so the exporter workers load no zod.
   */
  resumeState?: z.ZodType<ResumeState>;
  /**
   * Files of this destination one exporter thread sends at once, when OUTBOX_TRANSFERS does
   * not say (DEFAULT_TRANSFERS_PER_WORKER otherwise): for a server that works less well with more.
   */
  filesInFlight?: number;
  /** One line for people saying where a profile delivers ("devstoreaccount1 / photos"). */
  where(params: DescribedParams): string;
  /** The address a profile list shows: server, account, bucket ("http://127.0.0.1:7480 photos"). */
  address(params: DescribedParams): string;
  /** Where a delivered file now lives, in the destination's words (`s3://bucket/key`). */
  location(file: DescribedParams): string | undefined;
  /**
   * What "Create share link" needs of the parameters (cloud storage only):
   * the reason it cannot sign with these, naming `who` ("the destination",
   * `profile "x"`), or undefined when it can.
   */
  cannotSign?(params: DescribedParams, who: string): string | undefined;
};

/**
 * A value built when first asked for, then kept. A destination's schema is a few
 * hundred zod objects: built on first use, a command builds only those of the
 * destinations it meets (a 1 MiB export's peak RSS, BENCHMARKS.md).
 */
export function onFirstUse<T>(build: () => T): () => T {
  let built: { value: T } | undefined;
  return () => (built ??= { value: build() }).value;
}

/** A parameter as text, when it is text or a number (not a secret's `{ set }`). */
export function textOf(params: DescribedParams, key: string): string | undefined {
  const value = params[key];
  return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
}

/** Parts joined with " / ", empty ones left out. */
export function joinWhere(...parts: (string | undefined)[]): string {
  return parts.filter((part) => part !== undefined && part !== '').join(' / ');
}

/** A bucket store's address for the profile list: its endpoint, if any, and the bucket. */
export function bucketAddress(params: DescribedParams): string {
  return [textOf(params, 'endpoint'), textOf(params, 'bucket')].filter(Boolean).join(' ');
}

/** A stored object as `scheme://bucket/name` (`s3://photos/a.jpg`), when the file has both. */
export function bucketLocation(
  scheme: string,
  file: DescribedParams,
  nameKey: string,
): string | undefined {
  const [bucket, name] = [textOf(file, 'bucket'), textOf(file, nameKey)];
  return bucket && name ? `${scheme}://${bucket}/${name}` : undefined;
}
