import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const repoRoot = join(__dirname, '..', '..');
export const outboxBin = join(repoRoot, 'bin', 'outbox.js');

/** Tests run the built CLI, exactly as users do; `npm test` builds first. */
export function assertBuilt(): void {
  if (!existsSync(join(repoRoot, 'out', 'main', 'cli.js'))) {
    throw new Error(
      'the CLI is not built: run "npm run build" (npm test does it) before these tests',
    );
  }
}

export type CliResult = { code: number | null; stdout: string; stderr: string };

/** Runs `outbox ARGS` with OUTBOX_HOME (and other env) set; resolves when it exits. */
export function outbox(
  args: string[],
  env: Record<string, string>,
  input?: string,
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawnOutbox(args, env);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin?.end(input ?? '');
  });
}

export function spawnOutbox(args: string[], env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, [outboxBin, ...args], {
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

/** Waits until `predicate` holds, polling. */
export async function until(
  predicate: () => Promise<boolean> | boolean,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
