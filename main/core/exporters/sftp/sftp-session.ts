import { createHash } from 'node:crypto';
import { connect as tcpConnect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { ConnectConfig, SFTPWrapper } from 'ssh2';
import { OutboxError, ValidationError } from '../../errors';
import type { ExportSftpTask } from '../../tasks/operations';
import { networkError } from '../classify';
import type { SessionCache } from '../exporter';
import { Client, parseKey } from './ssh2-client';

const CONNECT_TIMEOUT_MS = 20_000;

/** One SSH connection with its SFTP channel, shared by the uploads of a worker. */
export type SftpSession = {
  sftp: SFTPWrapper;
  /** The server's host key as `ssh-keygen -lf` prints it: `SHA256:<base64 without padding>`. */
  hostKeyFingerprint: string;
  /** Directories known to exist, so many files into one folder cost one mkdir walk. */
  knownDirs: Set<string>;
  /** True once the connection or its SFTP channel closed: the session must not be used again. */
  readonly closed: boolean;
  end(): void;
  /** Cuts the connection at once (a stalled one never finishes a polite end). */
  destroy(): void;
};

/**
 * Each SFTP channel's "closed" signal, aborted when its session is marked closed. ssh2 fails
 * the requests in flight when a channel ends, but a request made after that is never
 * answered: every request races this signal (sftpRequest), so none waits forever.
 */
const closedSignals = new WeakMap<SFTPWrapper, AbortSignal>();

/** What closes `sftp`'s requests: its session aborts it when it closes. */
export function closerOf(sftp: SFTPWrapper): AbortController {
  const closing = new AbortController();
  closedSignals.set(sftp, closing.signal);
  return closing;
}

/** The signal aborted when `sftp`'s session closes (never aborted for an unknown channel). */
export function closedSignalOf(sftp: SFTPWrapper): AbortSignal {
  return closedSignals.get(sftp) ?? new AbortController().signal;
}

/** Each SFTP channel's connection, for batchWrites. */
const connections = new WeakMap<SFTPWrapper, Duplex>();
const corked = new WeakSet<Duplex>();

/**
 * Has `sftp`'s writes batched per tick (batchWrites), and what ssh2 sends on
 * receiving (queued writes after a window adjust, answers) too.
 */
export function batchWritesOn(sftp: SFTPWrapper, connection: Duplex): void {
  connections.set(sftp, connection);
  connection.prependListener('data', () => corkForTick(connection));
}

/**
 * The writes `sftp`'s connection gets until the end of this tick go out in one
 * system call (a writev) instead of one per SSH packet: ssh2 writes each
 * 32 KiB packet by itself, and on loopback much of a write's kernel time is
 * per call (see BENCHMARKS.md, SFTP CPU). Node's HTTP server does the same
 * around a response.
 */
export function batchWrites(sftp: SFTPWrapper): void {
  const connection = connections.get(sftp);
  if (connection) corkForTick(connection);
}

function corkForTick(connection: Duplex): void {
  if (corked.has(connection)) return;
  corked.add(connection);
  connection.cork();
  process.nextTick(() => {
    corked.delete(connection);
    connection.uncork();
  });
}

/** `work`, or its stop's reason once `stop` aborts first; the listener goes with it. */
function untilStopped<T>(work: Promise<T>, stop: AbortSignal): Promise<T> {
  if (stop.aborted) {
    work.catch(() => undefined);
    return Promise.reject(stop.reason as Error);
  }
  return new Promise<T>((resolve, reject) => {
    const onStop = () => reject(stop.reason as Error);
    stop.addEventListener('abort', onStop, { once: true });
    work.then(resolve, reject).finally(() => stop.removeEventListener('abort', onStop));
  });
}

/**
 * One ssh2 request on `sftp` as a promise (the channel methods are overloaded, so no
 * util.promisify), failed at once if the session closes before its answer.
 */
export function sftpRequest<T>(
  sftp: SFTPWrapper,
  run: (done: (error: Error | undefined | null, value: T) => void) => void,
): Promise<T> {
  const answer = new Promise<T>((resolve, reject) =>
    run((error, value) => (error ? reject(error) : resolve(value))),
  );
  return untilStopped(answer, closedSignalOf(sftp));
}

/** The fingerprint OpenSSH shows for a public key blob. */
export function hostKeyFingerprint(keyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

export function destinationOf(params: ExportSftpTask): string {
  return `sftp://${params.username}@${params.host}:${params.port}`;
}

/**
 * A stored file as an sftp:// URL: absolute paths as they are, paths relative
 * to the login folder under `/~/` (the SFTP URI convention curl follows).
 */
export function locationOf(params: ExportSftpTask, path: string): string {
  const host = params.host.includes(':') ? `[${params.host}]` : params.host;
  const encoded = path.split('/').map(encodeURIComponent).join('/');
  const absolute = path.startsWith('/') ? encoded : `/~/${encoded}`;
  return `sftp://${encodeURIComponent(params.username)}@${host}:${params.port}${absolute}`;
}

/** Credentials are part of the key: a task with other credentials gets its own connection. */
function sessionKey(params: ExportSftpTask): string {
  const secret = createHash('sha256')
    .update(JSON.stringify([params.password, params.private_key, params.passphrase]))
    .digest('hex')
    .slice(0, 16);
  return `sftp:${destinationOf(params)}:${secret}:${params.host_key_fingerprint ?? ''}`;
}

/** The connection for these parameters, opened on first use and reused. */
export async function sftpSession(
  params: ExportSftpTask,
  sessions: SessionCache,
  signal: AbortSignal,
): Promise<SftpSession> {
  const key = sessionKey(params);
  const session = await sessions.get(
    key,
    () => openSession(params, signal, () => void sessions.drop(key)),
    (s) => s.end(),
  );
  if (!session.closed) return session;
  await sessions.drop(key);
  return sessions.get(
    key,
    () => openSession(params, signal, () => void sessions.drop(key)),
    (s) => s.end(),
  );
}

/** Refuses an unreadable key before any connection, naming the field to fix. */
function privateKeyOf(params: ExportSftpTask): Pick<ConnectConfig, 'privateKey' | 'passphrase'> {
  if (params.private_key === undefined) return {};
  const parsed = parseKey(params.private_key, params.passphrase);
  if (parsed instanceof Error) {
    const encrypted = /encrypted|passphrase|bad decrypt/i.test(parsed.message);
    throw ValidationError.of(
      encrypted ? 'passphrase' : 'private_key',
      encrypted
        ? params.passphrase === undefined
          ? 'the private key is encrypted: give its passphrase'
          : 'the passphrase does not decrypt the private key'
        : `the private key cannot be read (${parsed.message}); give an OpenSSH or PEM private key`,
    );
  }
  return {
    privateKey: params.private_key,
    ...(params.passphrase !== undefined ? { passphrase: params.passphrase } : {}),
  };
}

async function openSocket(params: ExportSftpTask, signal: AbortSignal): Promise<Socket> {
  const target = `${params.host}:${params.port}`;
  return new Promise<Socket>((resolve, reject) => {
    // No `signal` option: it would also destroy the shared connection after it opened.
    const socket = tcpConnect({ host: params.host, port: params.port });
    const onAbort = () => socket.destroy(new OutboxError('CANCELLED', 'Cancelled.'));
    signal.addEventListener('abort', onAbort, { once: true });
    socket.setTimeout(CONNECT_TIMEOUT_MS, () =>
      socket.destroy(Object.assign(new Error('connect timeout'), { code: 'ETIMEDOUT' })),
    );
    socket.once('connect', () => {
      signal.removeEventListener('abort', onAbort);
      socket.setTimeout(0);
      // Without it, pipelined SFTP writes wait on Nagle's algorithm and crawl.
      socket.setNoDelay(true);
      resolve(socket);
    });
    socket.once('error', (error) => {
      signal.removeEventListener('abort', onAbort);
      if (error instanceof OutboxError) return reject(error);
      reject(
        networkError(error, target) ??
          new OutboxError('UNREACHABLE', `${target}: ${error.message}`, { cause: error }),
      );
    });
  });
}

async function openSession(
  params: ExportSftpTask,
  signal: AbortSignal,
  onClose: () => void,
): Promise<SftpSession> {
  const keyConfig = privateKeyOf(params);
  const destination = destinationOf(params);
  const socket = await openSocket(params, signal);
  const client = new Client();
  // ssh2 emits 'error' a second time when a socket that never finished the handshake closes
  // (after readyTimeout): with no listener left, that would crash the export worker.
  client.on('error', () => undefined);
  let seen: string | undefined;

  const ready = new Promise<void>((resolve, reject) => {
    const onAbort = () => {
      client.end();
      reject(new OutboxError('CANCELLED', 'Cancelled.'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    client.once('ready', () => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    });
    client.once('error', (error: Error & { level?: string }) => {
      signal.removeEventListener('abort', onAbort);
      reject(connectError(error, params, seen));
    });
  });

  client.connect({
    sock: socket,
    username: params.username,
    ...(params.password !== undefined ? { password: params.password } : {}),
    ...keyConfig,
    // The methods the task has, in ssh2's order, without its first probe ('none', to learn the
    // server's methods): one round trip less per connection (~10 ms against OpenSSH here).
    authHandler: [
      ...(params.password !== undefined ? (['password'] as const) : []),
      ...(keyConfig.privateKey !== undefined ? (['publickey'] as const) : []),
    ],
    readyTimeout: CONNECT_TIMEOUT_MS,
    keepaliveInterval: 15_000,
    hostVerifier: (keyBlob: Buffer) => {
      seen = hostKeyFingerprint(keyBlob);
      // No silent trust of a changed key: only the recorded one (if any) is accepted.
      return params.host_key_fingerprint === undefined || seen === params.host_key_fingerprint;
    },
  });
  await ready;

  const sftp = await new Promise<SFTPWrapper>((resolve, reject) =>
    client.sftp((error, channel) =>
      error
        ? reject(
            new OutboxError(
              'REMOTE_ERROR',
              `${destination}: the server refused the SFTP subsystem (${error.message}). Is SFTP enabled for this account?`,
              { cause: error },
            ),
          )
        : resolve(channel),
    ),
  );

  const closing = closerOf(sftp);
  batchWritesOn(sftp, socket);
  const session: SftpSession = {
    sftp,
    hostKeyFingerprint: seen ?? '',
    knownDirs: new Set(),
    get closed() {
      return closing.signal.aborted;
    },
    end: () => client.end(),
    destroy: () => client.destroy(),
  };
  const markClosed = () => {
    if (closing.signal.aborted) return;
    closing.abort(new Error('the SFTP connection closed'));
    onClose();
  };
  client.on('close', markClosed);
  client.on('error', markClosed);
  // The server may close the SFTP channel and keep the connection (its sftp-server process
  // died): ssh2 fails the requests in flight and emits 'end' at once, 'close' only later, and a
  // request sent in between is never answered, so the session is closed from 'end' on.
  sftp.on('end', markClosed);
  sftp.on('close', markClosed);
  return session;
}

function connectError(
  error: Error & { level?: string },
  params: ExportSftpTask,
  seen: string | undefined,
): OutboxError {
  const destination = destinationOf(params);
  if (
    params.host_key_fingerprint !== undefined &&
    seen !== undefined &&
    seen !== params.host_key_fingerprint
  ) {
    return new OutboxError(
      'HOST_KEY_MISMATCH',
      `${destination}: the server's host key has changed. Expected ${params.host_key_fingerprint} but the server presented ${seen}. ` +
        'Someone may be intercepting the connection, or the server was reinstalled. Connect only after checking the new key with the server administrator, then update host_key_fingerprint.',
    );
  }
  if (error.level === 'client-authentication') {
    return new OutboxError(
      'AUTH_FAILED',
      `${destination}: authentication failed. Check the username and ${params.private_key !== undefined ? 'private key' : 'password'}.`,
      { cause: error },
    );
  }
  if (error.level === 'client-timeout') {
    return new OutboxError(
      'TIMEOUT',
      `${destination}: the SSH handshake did not complete in time.`,
      {
        retryable: true,
        cause: error,
      },
    );
  }
  return (
    networkError(error, destination) ??
    new OutboxError(
      'UNREACHABLE',
      `${destination}: the SSH connection failed (${error.message}).`,
      {
        retryable: true,
        cause: error,
      },
    )
  );
}

/** SFTP status codes (draft-ietf-secsh-filexfer-02) as errors that name the path. */
export function sftpError(error: unknown, what: string, path: string): OutboxError {
  if (error instanceof OutboxError) return error;
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  if (code === 2) {
    return new OutboxError('NOT_FOUND', `${what} ${path}: no such file or directory.`, {
      cause: error,
    });
  }
  if (code === 3) {
    return new OutboxError(
      'ACCESS_DENIED',
      `${what} ${path}: permission denied. The SFTP user may not write there; choose another path or ask for write access.`,
      { cause: error },
    );
  }
  if (code === 4 && /no space|quota/i.test(message)) {
    return new OutboxError(
      'REMOTE_ERROR',
      `${what} ${path}: the server is out of space or quota.`,
      {
        cause: error,
      },
    );
  }
  return (
    networkError(error, path) ??
    new OutboxError('REMOTE_ERROR', `${what} ${path}: ${message}`, {
      // A dropped connection (no SFTP status) may work on a new one.
      retryable: typeof code !== 'number',
      cause: error,
    })
  );
}
