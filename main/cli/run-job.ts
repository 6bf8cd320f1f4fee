import { loadConfig, type OutboxConfig } from '../core/config';
import { Engine } from '../core/engine/engine';
import type { TaskProgress } from '../core/engine/progress';
import type { JobRecord } from '../core/transfer/records';
import { OutboxError } from '../core/errors';
import type { BwLimit } from '../core/transfer/bwlimit';
import { formatBytes, formatDuration } from '../core/format';
import { UsageError } from './command';
import { findRunningServer } from '../core/http/server-info';
import type { RunningServer } from '../core/server/outbox-server';
import { failureSummary, jobSummary } from '../core/api/job-views';
import { renderJob } from './render-job';
import { ProfileService } from '../core/profiles/profile-service';
import { printJson } from './print-json';

/** Running jobs from the CLI: an engine on the data directory, progress on stderr, the outcome on stdout. */

export async function linkBaseUrl(config: OutboxConfig): Promise<string> {
  return (await findRunningServer(config.home))?.url ?? `http://${config.host}:${config.port}`;
}

export async function withEngine(
  body: (engine: Engine, config: OutboxConfig) => Promise<number>,
  config = loadConfig(),
  options: { resumeInterrupted?: boolean; bwlimit?: BwLimit } = {},
): Promise<number> {
  const engine = await Engine.open(config, {
    linkBaseUrl: await linkBaseUrl(config),
    sweepEvery: true,
    resolveProfile: new ProfileService(config.home).resolver,
    ...options,
  });
  try {
    return await body(engine, config);
  } finally {
    await engine.close();
  }
}

export function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

/** Runs a new job, or resumes an interrupted one, and prints its outcome. */
export async function runJob(
  start: { job: unknown } | { resume: string },
  options: { json: boolean; serve: boolean; bwlimit?: BwLimit | undefined },
): Promise<number> {
  const config = loadConfig();
  return withEngine(
    (engine) => runOn(engine, config, start, options),
    config,
    options.bwlimit ? { bwlimit: options.bwlimit } : {},
  );
}

/** `runJob` on an open engine: runs the job (or resumes it) here, in the foreground. */
export async function runOn(
  engine: Engine,
  config: OutboxConfig,
  start: { job: unknown } | { resume: string },
  options: { json: boolean; serve: boolean },
): Promise<number> {
  const showProgress = !options.json && process.stderr.isTTY;
  const stopProgress = showProgress ? engine.on('progress', printProgress) : () => {};
  const submitted = await (
    'resume' in start ? engine.resume(start.resume) : engine.submit(start.job)
  ).catch((error: unknown) => {
    if (options.json && error instanceof OutboxError) printNotStarted(error, taskNamesOf(start));
    throw error;
  });
  const running = await findRunningServer(config.home);
  let server: RunningServer | undefined;
  if (options.serve && !running) {
    // loaded only here: the link server (http, zlib, the ZIP writer) is no part of a plain export
    const { startServer } = await import('../core/server/outbox-server');
    server = await startServer({ config, links: engine.links });
  }
  const onSignal = () => engine.cancel(submitted.id);
  process.once('SIGINT', onSignal);
  const record = await engine.wait(submitted.id);
  process.off('SIGINT', onSignal);
  stopProgress();
  if (showProgress) process.stderr.write('\r\x1b[K');

  if (options.json) await printJson(jobSummary(record));
  else console.log(renderJob(record));
  const hasLinks = record.tasks.some(
    (t) => t.operation === 'export/url' && t.status === 'finished',
  );
  if (hasLinks && !running && !server) {
    console.error(
      `outbox: no Outbox server is running on ${config.home}: the links work once "outbox serve" runs ` +
        `(they will be served at ${engine.linkBaseUrl}), or run again with --serve`,
    );
  }
  if (record.status === 'paused') {
    console.error(
      `outbox: job ${record.id} was paused: "outbox jobs resume ${record.id}" continues it`,
    );
  }
  if (server) {
    console.error(`Serving the links on ${server.url} until Ctrl-C.`);
    await untilSignal();
    await server.close();
  }
  return exitCode(record);
}

/** `--json`: scripts read stdout, so a job that did not start is a JSON document there too. */
export function printNotStarted(error: OutboxError, taskNames: string[] = []): void {
  console.log(JSON.stringify(failureSummary(error, taskNames), null, 2));
}

/**
 * The JSON of a job or task file for `--json` commands: a file that cannot be
 * read or is no JSON is a job that did not start (the usage mistake on stderr
 * and exit code 2 stay).
 */
export async function readJobFile<T>(read: Promise<T>, json: boolean): Promise<T> {
  return read.catch((error: unknown) => {
    if (json && error instanceof UsageError)
      printNotStarted(new OutboxError('INVALID_DATA', error.message));
    throw error;
  });
}

/** The task names of a job as given (to tell which task each validation error is about). */
function taskNamesOf(start: { job: unknown } | { resume: string }): string[] {
  if (!('job' in start)) return [];
  const tasks = (start.job as { tasks?: unknown } | null)?.tasks;
  return typeof tasks === 'object' && tasks !== null ? Object.keys(tasks) : [];
}

function exitCode(record: JobRecord): number {
  return record.status === 'finished' ? 0 : 1;
}

function printProgress(progress: TaskProgress): void {
  const eta = progress.eta_seconds === null ? '' : `, ${formatDuration(progress.eta_seconds)} left`;
  process.stderr.write(
    `\r\x1b[K${progress.task}: ${formatBytes(progress.bytes)} of ${formatBytes(progress.total)} ` +
      `(${progress.files_done}/${progress.files_total} files) at ${formatBytes(progress.rate)}/s${eta}`,
  );
}
