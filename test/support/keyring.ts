import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { KeychainSecretStore } from '../../main/core/profiles/secret-store';

const run = promisify(execFile);

/**
 * Profile tests talk to a real Secret Service: gnome-keyring in a private
 * D-Bus session that `scripts/test-env/with-keyring.sh` starts. Outside it
 * they must fail (never skip, never touch the developer's own keyring).
 */
export async function assertKeyringUp(): Promise<void> {
  const hint =
    'These tests need a private, unlocked Secret Service: run them as ' +
    '`bash scripts/test-env/with-keyring.sh npx vitest run test/...`';
  if (!process.env.DBUS_SESSION_BUS_ADDRESS) throw new Error(`${hint} (no D-Bus session).`);
  try {
    await new KeychainSecretStore().check();
  } catch (error) {
    throw new Error(`${hint} (${(error as Error).message})`);
  }
}

/** Keychain items of Outbox as Debian's `secret-tool` sees them: account → secret. */
export async function secretToolItems(service = 'Outbox'): Promise<Map<string, string>> {
  const items = new Map<string, string>();
  // `search --all` prints attributes on stderr and the secret on stdout; look each account up instead.
  const { stderr } = await run('secret-tool', ['search', '--all', 'service', service]);
  const accounts = [...stderr.matchAll(/^attribute\.username = (.*)$/gm)].map((m) => m[1] ?? '');
  for (const account of accounts) {
    const found = await run('secret-tool', [
      'lookup',
      'service',
      service,
      'username',
      account,
    ]).then(
      ({ stdout }) => stdout,
      // exit 1, nothing printed: the item went between search and lookup (another test file
      // in the same keyring removed its profile); an item that exists still fails loudly
      (error: { code?: number; stdout?: string; stderr?: string }) => {
        if (error.code === 1 && !error.stdout && !error.stderr) return undefined;
        throw error;
      },
    );
    if (found !== undefined) items.set(account, found);
  }
  return items;
}

/** Stores an item with `secret-tool` (as another program would), e.g. to plant an orphan. */
export async function secretToolStore(account: string, secret: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const child = spawn(
      'secret-tool',
      ['store', '--label', account, 'service', 'Outbox', 'username', account],
      { stdio: ['pipe', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`secret-tool store: ${stderr}`)),
    );
    child.stdin.end(secret);
  });
}
