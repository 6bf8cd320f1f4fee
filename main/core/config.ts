import { availableParallelism } from 'node:os';
import { decimalNumber } from './decimal';
import { homeFromEnv } from './default-home';

/**
 * Where Outbox keeps its data and which port it serves links on. Both are
 * stable so that links survive a restart and the CLI, `outbox serve` and the
 * app all find the same jobs and links.
 */
export type OutboxConfig = {
  /** Data directory (jobs, links, profiles). */
  home: string;
  /** Host the link server binds to. */
  host: string;
  /** Port of the link server and browser host. */
  port: number;
  /** Seconds a job (and its history) is kept. */
  retentionSeconds: number;
  /** Exporter worker threads. */
  workers: number;
  /**
   * Files one worker sends at once to each type of destination (OUTBOX_TRANSFERS); when unset, each
   * destination's own number (engine/files-in-flight.ts).
   */
  transfersPerWorker: number | undefined;
  /** Seconds a transfer may move no byte before it is aborted as stalled (and retried). */
  idleTimeoutSeconds: number;
  /** Days the delivery log keeps an entry (independent of job retention). */
  logRetentionDays: number;
};

export const DEFAULT_PORT = 9797;
export const DEFAULT_RETENTION_SECONDS = 86400;
/**
 * Files in flight per worker where the destination does not say otherwise: enough to hide the
 * round trips of small files; large files are capped at 4.
 */
export const DEFAULT_TRANSFERS_PER_WORKER = 64;
/** Long enough for a slow CompleteMultipartUpload or manifest PUT, short enough to notice a dead server. */
export const DEFAULT_IDLE_TIMEOUT_SECONDS = 120;
export const DEFAULT_LOG_RETENTION_DAYS = 90;

/** Every environment variable Outbox reads: `outbox --help` prints this list, the README repeats it. */
export const environmentVariables: { name: string; meaning: string }[] = [
  {
    name: 'OUTBOX_HOME',
    meaning:
      'data directory (jobs, links, profiles); default: the per-user app data folder ($XDG_CONFIG_HOME/Outbox or ~/.config/Outbox on Linux)',
  },
  {
    name: 'OUTBOX_PORT',
    meaning: `port of the local server (temporary links, the UI in a browser), 1–65535; default ${DEFAULT_PORT}`,
  },
  {
    name: 'OUTBOX_WORKERS',
    meaning:
      'exporter threads, 1–64; default min(4, cores); small files share one, each large file gets its own while there are threads',
  },
  {
    name: 'OUTBOX_TRANSFERS',
    meaning: `files one exporter thread sends at once to each type of destination, 1–256, of which at most 4 large ones in all; unset: ${DEFAULT_TRANSFERS_PER_WORKER}, or fewer where a destination says so (SFTP: 32)`,
  },
  {
    name: 'OUTBOX_RETENTION',
    meaning: `seconds jobs are kept, 60–31536000; default ${DEFAULT_RETENTION_SECONDS}`,
  },
  {
    name: 'OUTBOX_IDLE_TIMEOUT',
    meaning: `seconds a transfer may move no byte before it is aborted as stalled and retried, 1–86400; default ${DEFAULT_IDLE_TIMEOUT_SECONDS}`,
  },
  {
    name: 'OUTBOX_LOG_RETENTION',
    meaning: `days the delivery log ("outbox log") keeps an entry, a whole number 1–3650; default ${DEFAULT_LOG_RETENTION_DAYS}`,
  },
];

function intFromEnv<Fallback extends number | undefined>(
  env: NodeJS.ProcessEnv,
  name: string,
  fallback: Fallback,
  min: number,
  max: number,
): number | Fallback {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = decimalNumber(raw);
  if (value === undefined || value < min || value > max) {
    throw new Error(
      `${name} must be a whole number from ${min} to ${max} in decimal digits, got "${raw}"`,
    );
  }
  return value;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): OutboxConfig {
  return {
    home: homeFromEnv(env),
    host: '127.0.0.1',
    port: intFromEnv(env, 'OUTBOX_PORT', DEFAULT_PORT, 1, 65535),
    retentionSeconds: intFromEnv(
      env,
      'OUTBOX_RETENTION',
      DEFAULT_RETENTION_SECONDS,
      60,
      365 * 86400,
    ),
    workers: intFromEnv(env, 'OUTBOX_WORKERS', Math.min(4, availableParallelism()), 1, 64),
    transfersPerWorker: intFromEnv(env, 'OUTBOX_TRANSFERS', undefined, 1, 256),
    idleTimeoutSeconds: intFromEnv(
      env,
      'OUTBOX_IDLE_TIMEOUT',
      DEFAULT_IDLE_TIMEOUT_SECONDS,
      1,
      86400,
    ),
    logRetentionDays: intFromEnv(env, 'OUTBOX_LOG_RETENTION', DEFAULT_LOG_RETENTION_DAYS, 1, 3650),
  };
}
