import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from '../support/net';
import { createPeerHost, removeStalePeers } from '../support/netns';
import { AZURITE } from './fixtures/env';

const root = resolve(__dirname, '../..');

async function azuriteUp(): Promise<boolean> {
  try {
    const response = await fetch(`${AZURITE.endpoint}?comp=list`);
    return (response.headers.get('server') ?? '').startsWith('Azurite-Blob');
  } catch {
    return false;
  }
}

/** Starts the project's azurite (scripts/test-env) unless one answers already. */
async function ensureAzurite(): Promise<void> {
  if (await azuriteUp()) return;
  const servers = join(root, 'scripts/test-env/servers.sh');
  const args = existsSync(servers)
    ? [servers, 'start', 'azurite']
    : [join(root, 'scripts/test-env/servers.d/azurite.sh'), 'start'];
  execFileSync('bash', args, { stdio: 'inherit', cwd: root });
  if (!(await azuriteUp())) throw new Error('azurite does not answer on 127.0.0.1:10000');
}

/** Runs `outbox serve` until it prints the UI address with its key. */
function startServe(home: string, port: number): Promise<{ child: ChildProcess; url: string }> {
  const serve = ['node', join(root, 'bin/outbox.js'), 'serve'];
  // Profiles keep secrets in the OS keychain: a private, unlocked gnome-keyring
  // unless this run is already inside one.
  const command = process.env.DBUS_SESSION_BUS_ADDRESS
    ? serve
    : ['bash', join(root, 'scripts/test-env/with-keyring.sh'), ...serve];
  const child = spawn(command[0] as string, command.slice(1), {
    cwd: root,
    env: { ...process.env, OUTBOX_HOME: home, OUTBOX_PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  return new Promise((resolvePromise, reject) => {
    let output = '';
    const timer = setTimeout(
      () => reject(new Error(`outbox serve printed no URL:\n${output}`)),
      30_000,
    );
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /(http:\/\/127\.0\.0\.1:\d+\/\?key=[\w-]+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolvePromise({ child, url: match[1] });
      }
    };
    child.stdout?.on('data', read);
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      process.stderr.write(chunk);
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`outbox serve exited (${code}):\n${output}`));
    });
  });
}

export default async function globalSetup(): Promise<() => Promise<void>> {
  if (!existsSync('/usr/bin/chromium')) {
    throw new Error('Debian chromium is missing: run `bash scripts/test-env/install.sh`.');
  }
  if (process.env.OUTBOX_E2E_NO_BUILD !== '1') {
    execFileSync('npx', ['electron-vite', 'build'], { cwd: root, stdio: 'ignore' });
  }
  await ensureAzurite();
  const home = mkdtempSync(join(tmpdir(), 'outbox-e2e-'));
  // LAN sharing (off until the UI turns it on) on the address of a veth pair this run makes
  // (test/support/netns.ts): a network address of this machine that no real network reaches.
  await removeStalePeers();
  const peer = await createPeerHost();
  writeFileSync(
    join(home, 'settings.json'),
    JSON.stringify({ lan_sharing: { enabled: false, interfaces: [peer.hostAddress] } }),
  );
  process.env.OUTBOX_E2E_LAN_ADDRESS = peer.hostAddress;
  const port = await freePort();
  const { child, url } = await startServe(home, port);
  child.removeAllListeners('exit');
  process.env.OUTBOX_UI_URL = url;
  process.env.OUTBOX_E2E_HOME = home;

  return async () => {
    // The whole process group: with-keyring's D-Bus session and gnome-keyring go too.
    if (child.pid) {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
    await new Promise((r) => setTimeout(r, 500));
    await peer.remove();
    rmSync(home, { recursive: true, force: true });
  };
}
