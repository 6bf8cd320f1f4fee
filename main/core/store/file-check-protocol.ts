import type { Checked } from './many-files';

/**
 * Messages between the main thread and the file-check thread
 * (file-check-thread.ts): paths or a folder out, and back the checks as
 * columns, whose buffers are moved, not copied, and need no object per file
 * on the way.
 */

/** Check these paths; or list this folder (names sorted) and check its entries. */
export type CheckWork = { paths: string[] } | { folder: string };
export type CheckRequest = CheckWork & { id: number };

type ErrorFacts = {
  message: string;
  code?: string;
  errno?: number;
  syscall?: string;
  path?: string;
};

export type CheckReply = {
  id: number;
  /** Per path: an index of KINDS, or ERROR (its error is in `errors`). */
  kinds: Uint8Array;
  sizes: Float64Array;
  mtimes: Float64Array;
  errors: (ErrorFacts & { index: number })[];
  /** A folder's names, sorted; or why it could not be listed. */
  names?: string[];
  listError?: ErrorFacts;
};

/** A folder's names, sorted, and the check of each entry; or why it could not be listed. */
export type FolderRead = { names: string[]; checked: Checked[] } | { error: NodeJS.ErrnoException };

const KINDS = ['file', 'folder', 'other'] as const;
const ERROR = KINDS.length;

function factsOf({ message, code, errno, syscall, path }: NodeJS.ErrnoException): ErrorFacts {
  return { message, code, errno, syscall, path };
}

function errorOf({ message, ...facts }: ErrorFacts): NodeJS.ErrnoException {
  return Object.assign(new Error(message), facts);
}

export function encodeChecks(id: number, checks: readonly Checked[]): CheckReply {
  const reply: CheckReply = {
    id,
    kinds: new Uint8Array(checks.length),
    sizes: new Float64Array(checks.length),
    mtimes: new Float64Array(checks.length),
    errors: [],
  };
  checks.forEach((check, index) => {
    if ('error' in check) {
      reply.kinds[index] = ERROR;
      reply.errors.push({ index, ...factsOf(check.error) });
    } else {
      reply.kinds[index] = KINDS.indexOf(check.kind);
      reply.sizes[index] = check.size;
      reply.mtimes[index] = check.mtimeMs;
    }
  });
  return reply;
}

export function encodeRead(id: number, read: FolderRead): CheckReply {
  if ('error' in read) return { ...encodeChecks(id, []), listError: factsOf(read.error) };
  return { ...encodeChecks(id, read.checked), names: read.names };
}

/** The buffers of a reply, moved to the receiving thread. */
export function transferOf(reply: CheckReply): ArrayBuffer[] {
  return [reply.kinds.buffer, reply.sizes.buffer, reply.mtimes.buffer] as ArrayBuffer[];
}

export function decodeChecks(reply: CheckReply): Checked[] {
  const errors = new Map(reply.errors.map(({ index, ...facts }) => [index, facts]));
  return Array.from(reply.kinds, (kind, index): Checked => {
    const error = errors.get(index);
    if (error) return { error: errorOf(error) };
    const size = reply.sizes[index] as number;
    return { kind: KINDS[kind] ?? 'other', size, mtimeMs: reply.mtimes[index] as number };
  });
}

export function decodeRead(reply: CheckReply): FolderRead {
  if (reply.listError) return { error: errorOf(reply.listError) };
  return { names: reply.names ?? [], checked: decodeChecks(reply) };
}
