import type { Readable } from 'node:stream';
import type { ResultFile } from '../transfer/records';
import type { TransferPolicy } from '../transfer/retry';
import type { SourceFile } from '../transfer/sources';
import type { ExportOperation, TaskOf } from '../tasks/operations';
import type { ResumeState } from '../tasks/destination';
import type { ResumeStateOf } from './resume-states';

export type { ResumeState };

/**
 * The one interface every destination implements (one folder per backend,
 * like rclone's). Exporters run inside worker threads; the engine gives them
 * a validated task, one source file and its planned destination name, and
 * shares naming, progress, retry, cancel and change detection between them.
 */

/** When a link starts and stops working; whole seconds, as every signature counts them. */
export type ShareLinkExpiry = {
  /** The signing time (S3's X-Amz-Date, GCS's X-Goog-Date). */
  signedAt: Date;
  /** Seconds from `signedAt` to `expiresAt`. */
  seconds: number;
  expiresAt: Date;
};

/** Where `readSource` reads each chunk: one reused buffer, or a buffer per chunk from the caller. */
export type ReadInto = Buffer | (() => Buffer);

export type ByteRange = { start: number; end: number }; // end exclusive

export type ProgressSink = {
  /** Bytes actually sent since the last call (may be negative when a part restarts). */
  add(bytes: number): void;
};

export type SessionCache = {
  /**
   * A connection/client reused across files of the same destination within a
   * worker (SFTP connections, Keystone tokens, SDK clients).
   */
  get<T>(
    key: string,
    create: () => Promise<T>,
    dispose?: (value: T) => Promise<void> | void,
  ): Promise<T>;
  /** Drops a broken session so the next `get` makes a new one. */
  drop(key: string): Promise<void>;
};

/**
 * Continuing an upload that an earlier run left unfinished (Outbox killed,
 * machine switched off). Before sending the bytes a state describes, the
 * exporter saves it (an S3 upload id, a block-id nonce, a temporary file);
 * the next upload of the same file to the same name gets it back.
 */
export type ResumeContext<S extends ResumeState = ResumeState> = {
  /**
   * Saved by an unfinished upload to this name, of the shape this exporter
   * saves (the engine checked it: resume-states.ts). `sameSource`: the file
   * is unchanged since (same path, size and mtime), so its bytes may be
   * reused; otherwise the partial upload is only to be removed.
   */
  previous?: { state: S; sameSource: boolean };
  /** Persists `state` (resolves once it is on disk). */
  save(state: S): Promise<void>;
};

/** `S`: the resume state of the exporter it is given to (ResumeStateOf). */
export type TransferContext<S extends ResumeState = ResumeState> = {
  signal: AbortSignal;
  resume: ResumeContext<S>;
  progress: ProgressSink;
  sessions: SessionCache;
  /** Retries and the idle timeout of every request, the same for all exporters (transfer/retry.ts). */
  policy: TransferPolicy;
  /**
   * Reads the source (or a range of it) and fails with FILE_CHANGED if the
   * file changed since the job started. Bytes read are not progress: call
   * `progress.add` for bytes sent (or use `countSent`).
   */
  open(range?: ByteRange): Readable;
  /**
   * The same bytes, checked the same way, as chunks read straight from the
   * file (see `readSource`): into `into` (one reused buffer, or one from the
   * caller per chunk), otherwise into new 1 MiB buffers.
   */
  read(range?: ByteRange, into?: ReadInto): AsyncIterable<Buffer>;
};

/** What a probe or a share link gets: no file, no progress. */
export type ClientContext = Pick<TransferContext, 'signal' | 'sessions' | 'policy'>;

export type UploadRequest<O extends ExportOperation> = {
  params: TaskOf<O>;
  source: SourceFile;
  /** Destination name from the shared naming rules (key, blob, file, path or URL). */
  name: string;
};

export type ProbeResult = { ok: true; message: string };

export interface Exporter<O extends ExportOperation> {
  readonly operation: O;
  upload(
    request: UploadRequest<O>,
    context: TransferContext<ResumeStateOf<O>>,
  ): Promise<ResultFile>;
  /**
   * "Test connection": checks credentials and write access, leaving nothing behind; `path` is
   * where it writes, as its descriptor's `probe` says (exporters/probe-path.ts).
   */
  probe(params: TaskOf<O>, context: ClientContext, path: string): Promise<ProbeResult>;
  /**
   * A download URL, signed now, for `file` as an earlier `upload` of these
   * parameters returned it; the same signature as the `share_link` parameter
   * (cloud storage only).
   */
  shareLink?(
    params: TaskOf<O>,
    file: ResultFile,
    expiry: ShareLinkExpiry,
    context: ClientContext,
  ): Promise<string>;
}

/**
 * An exporter that runs in the main thread and takes all the files of a task
 * at once: export/url, whose "destination" is Outbox's own link server (one
 * link per file, or one ZIP), so nothing is sent and no worker is needed.
 */
export interface TaskExporter<O extends ExportOperation> {
  readonly operation: O;
  exportFiles(
    params: TaskOf<O>,
    files: SourceFile[],
    origin: { job_id: string; task: string },
  ): Promise<ResultFile[]>;
  /** "Test connection": whether the destination can take files now. */
  probe(params: TaskOf<O>): Promise<ProbeResult>;
}
