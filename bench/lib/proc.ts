import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';

/** One command run: wall time (whole command, start-up included) and its peak RSS. */
export type Measured = {
  ok: boolean;
  seconds: number;
  /** Peak RSS of the measured process in MiB (GNU time's "Maximum resident set size"). */
  rssMiB: number | undefined;
  /** User + system CPU seconds of the command and the children it waited for. */
  cpuSeconds: number | undefined;
  code: number | null;
  stdout: string;
  stderr: string;
};

export type RunOptions = {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Killed (whole process group) after this long; the run then counts as failed. */
  timeoutMs: number;
  /** Where GNU time writes its report (one file per run). */
  scratch: string;
};

const TAIL = 4000;

/** Children in their own process groups: killed with the harness if it is interrupted. */
const live = new Set<ChildProcess>();

/** Registers a detached child so that an interrupted benchmark leaves no process behind. */
export function track<T extends ChildProcess>(child: T): T {
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    for (const child of live) killGroup(child);
    console.error(`bench: interrupted (${signal}); killed ${live.size} running command(s)`);
    process.exit(130);
  });
}

/** The environment peers run in: this machine sets AWS_CA_BUNDLE, which Debian's aws and rclone trip on. */
export function peerEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const { AWS_CA_BUNDLE: _unused, ...rest } = process.env;
  return { ...rest, ...extra };
}

/** Runs `argv` under GNU time (peak RSS, CPU time) and measures its wall-clock time. */
export async function measure(argv: string[], options: RunOptions): Promise<Measured> {
  await fs.mkdir(options.scratch, { recursive: true });
  const report = join(options.scratch, `time-${process.pid}-${Date.now()}-${Math.random()}.txt`);
  const started = process.hrtime.bigint();
  const result = await runCommand(
    ['/usr/bin/time', '-f', '%M %U %S', '-o', report, ...argv],
    options,
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const text = await fs.readFile(report, 'utf8').catch(() => '');
  await fs.rm(report, { force: true });
  // GNU time prefixes "Command exited with non-zero status N" when the command failed.
  const [kib, user, sys] = (text.trim().split('\n').pop() ?? '').split(' ').map(Number);
  const known = (n: number | undefined): n is number => n !== undefined && Number.isFinite(n);
  return {
    ...result,
    seconds,
    rssMiB: known(kib) && kib > 0 ? kib / 1024 : undefined,
    cpuSeconds: known(user) && known(sys) ? user + sys : undefined,
  };
}

export type CommandResult = { ok: boolean; code: number | null; stdout: string; stderr: string };

/** Runs a command to completion in its own process group, killing the group on timeout. */
export function runCommand(
  argv: string[],
  options: Pick<RunOptions, 'env' | 'cwd' | 'timeoutMs'>,
): Promise<CommandResult> {
  const [cmd, ...args] = argv;
  if (!cmd) throw new Error('empty command');
  return new Promise((resolve) => {
    const child = track(
      spawn(cmd, args, {
        env: options.env ?? process.env,
        cwd: options.cwd,
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      }),
    );
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (d: Buffer) => (stdout = (stdout + d.toString()).slice(-64_000_000)));
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-TAIL)));
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child);
    }, options.timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve({ ok: false, code: null, stdout, stderr: `${stderr}\n${error.message}` });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (timedOut) stderr += `\ntimed out after ${Math.round(options.timeoutMs / 1000)} s`;
      resolve({ ok: code === 0 && !timedOut, code, stdout, stderr });
    });
  });
}

/** SIGKILL to a child started with `detached: true` and everything it started. */
export function killGroup(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    child.kill(signal);
  }
}

/** Peak RSS so far (VmHWM) of a running process, in MiB. */
export async function peakRssOf(pid: number): Promise<number | undefined> {
  const status = await fs.readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const kib = /^VmHWM:\s+(\d+) kB/m.exec(status)?.[1];
  return kib ? Number(kib) / 1024 : undefined;
}

/** The last meaningful line of a tool's error output, for the table. */
export function lastLine(text: string): string {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/NodeVersionSupportWarning|node >=22|upgrade to node|a\.co\//.test(l));
  return (lines.pop() ?? '').slice(0, 160);
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
