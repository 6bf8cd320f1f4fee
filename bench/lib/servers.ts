import { join } from 'node:path';
import type { BenchContext } from './context';
import { lastLine, runCommand } from './proc';

/** Restarts one of the test servers (scripts/test-env/servers.sh); throws with its last words. */
export async function restartServer(ctx: BenchContext, name: string): Promise<void> {
  const result = await runCommand(
    ['bash', join(ctx.repo, 'scripts/test-env/servers.sh'), 'restart', name],
    { timeoutMs: 180_000 },
  );
  if (!result.ok) throw new Error(`restart ${name}: ${lastLine(result.stderr || result.stdout)}`);
}
