import { spawn } from 'node:child_process';
import { join } from 'node:path';

const REPO = join(__dirname, '..', '..');

export type CliResult = { code: number; stdout: string; stderr: string };

/**
 * The `outbox` command: built (`node bin/outbox.js`) when OUTBOX_TEST_BUILT_CLI=1
 * (after `npx electron-vite build`), otherwise the same sources through tsx.
 * Everything it prints (stdout, then stderr) is also pushed onto `captured`.
 */
export function outboxCommand(
  captured: string[],
): (args: string[], options: { home: string; stdin?: string }) => Promise<CliResult> {
  return (args, options) => {
    const argv =
      process.env.OUTBOX_TEST_BUILT_CLI === '1'
        ? [join(REPO, 'bin', 'outbox.js'), ...args]
        : ['--import', 'tsx', join(REPO, 'main', 'cli', 'outbox.ts'), ...args];
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, argv, {
        cwd: REPO,
        env: { ...process.env, OUTBOX_HOME: options.home },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('error', reject);
      child.on('close', (code) => {
        captured.push(stdout, stderr);
        resolve({ code: code ?? -1, stdout, stderr });
      });
      child.stdin.end(options.stdin ?? '');
    });
  };
}
