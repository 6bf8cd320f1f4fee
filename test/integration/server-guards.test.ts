import { promises as fs } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_CONNECTIONS_PER_ADDRESS } from '../../main/core/server/connection-guard';
import { makeFile, tempDir } from '../support/engine';
import { assertBuilt, outbox, spawnOutbox, until } from '../support/cli';
import { freePort } from '../support/net';

/**
 * `outbox serve` as users run it: one server per data directory, a private
 * data directory, bounded connections per client address and bounded time
 * for a request to arrive, revocations by another process at once.
 * (The same limits on the LAN listener: lan-sharing.test.ts.)
 */

let dir: string;
let env: Record<string, string>;
let port: number;
let serve: ReturnType<typeof spawnOutbox>;
let output = '';
let cookie = '';

/** `outbox ARGS` that must exit within `ms` (a server that starts anyway is stopped, and fails). */
async function exitsWithin(args: string[], ms: number) {
  const child = spawnOutbox(args, env);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const code = await Promise.race([
    exited,
    new Promise<'running'>((r) => setTimeout(() => r('running'), ms)),
  ]);
  if (code === 'running') {
    child.kill('SIGTERM');
    await exited;
  }
  return { code, stdout, stderr };
}

/** Resolves with whether `closed` settled within `ms`. */
function within(closed: Promise<void>, ms: number): Promise<boolean> {
  return Promise.race([
    closed.then(() => true),
    new Promise<boolean>((r) => setTimeout(() => r(false), ms)),
  ]);
}

beforeAll(async () => {
  assertBuilt();
  dir = await tempDir('outbox-guards-');
  port = await freePort();
  env = { OUTBOX_HOME: join(dir, 'home'), OUTBOX_PORT: String(port) };
  // An existing data directory with a loose mode, as an older Outbox or a user made it.
  await fs.mkdir(env.OUTBOX_HOME!, { mode: 0o755 });
  await fs.chmod(env.OUTBOX_HOME!, 0o755);
  serve = spawnOutbox(['serve'], env);
  serve.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  await until(() => output.includes('Press Ctrl-C'));
  const uiUrl = /http:\/\/\S+\?key=\S+/.exec(output)?.[0] ?? '';
  const signIn = await fetch(uiUrl, { redirect: 'manual' });
  cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  expect(cookie).toMatch(/^outbox_session_/);
});

afterAll(async () => {
  const exited = new Promise((resolve) => serve?.once('exit', resolve));
  serve?.kill('SIGTERM');
  await exited;
  await fs.rm(dir, { recursive: true, force: true });
});

async function exportLink(
  name: string,
  content: string,
  options: Record<string, unknown> = {},
): Promise<{ url: string; link_id: string }> {
  const task = join(dir, `${name}.json`);
  await fs.writeFile(task, JSON.stringify({ operation: 'export/url', ...options }));
  const file = await makeFile(dir, name, content);
  const result = await outbox(['export', '--task', task, file, '--json'], env);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout).tasks[1].result.files[0];
}

/** Opens a raw connection and resolves once it is connected. */
function open(
  localAddress = '127.0.0.1',
): Promise<{ socket: Socket; received: () => string; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, localAddress });
    let data = '';
    socket.on('data', (d: Buffer) => (data += d.toString()));
    const closed = new Promise<void>((done) => socket.once('close', () => done()));
    socket.once('error', () => undefined);
    socket.once('connect', () => resolve({ socket, received: () => data, closed }));
    socket.once('error', reject);
  });
}

describe('outbox serve', () => {
  it('makes an existing data directory private (0700)', async () => {
    expect((await fs.stat(env.OUTBOX_HOME!)).mode & 0o777).toBe(0o700);
  });

  it('refuses to start a second server on the same data directory, naming the running one', async () => {
    const other = await freePort();
    const second = await exitsWithin(['serve', '--port', String(other)], 10_000);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`http://127.0.0.1:${port}`);
    expect(second.stderr.trim().split('\n')).toHaveLength(1);
    // Nothing listens on the second port.
    await expect(fetch(`http://127.0.0.1:${other}/healthz`)).rejects.toThrow();
  });

  it('a revocation or an expiry set by another process takes effect within 2 s', async () => {
    const [revoked, expiring] = [
      await exportLink('hot.txt', 'hot'),
      await exportLink('hot2.txt', 'hot2'),
    ];
    // Served often enough to be known (cached) by the server.
    for (let i = 0; i < 20; i++) {
      expect((await fetch(revoked.url)).status).toBe(200);
      expect((await fetch(expiring.url)).status).toBe(200);
    }
    // Each change must show within 2 s of the command that made it (until() fails otherwise).
    const goneWithin2s = (url: string) =>
      until(async () => (await fetch(url)).status === 410, 2000);
    expect((await outbox(['links', 'revoke', revoked.link_id], env)).code).toBe(0);
    await goneWithin2s(revoked.url);
    const shared = await outbox(['links', 'share', expiring.link_id, '--expires-in', '1'], env);
    expect(shared.code, shared.stderr).toBe(0);
    await goneWithin2s(expiring.url);
    expect(await (await fetch(expiring.url)).text()).toMatch(/expired/);
  });

  it(`caps connections per client address at ${MAX_CONNECTIONS_PER_ADDRESS}`, async () => {
    const link = await exportLink('capped.txt', 'capped');
    const held = await Promise.all(
      Array.from({ length: MAX_CONNECTIONS_PER_ADDRESS }, () => open()),
    );
    try {
      const refused = await open();
      await refused.closed;
      expect(refused.received()).toMatch(/^HTTP\/1\.1 503 .*Too many connections/s);
      // Another address is served as usual.
      const other = await open('127.0.0.2');
      other.socket.write(
        `GET ${new URL(link.url).pathname} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
      );
      await other.closed;
      expect(other.received()).toMatch(/^HTTP\/1\.1 200 [^]*\r\n\r\ncapped$/);
    } finally {
      for (const { socket } of held) socket.destroy();
    }
    await until(async () => (await fetch(link.url)).status === 200, 5000);
  });

  it('cuts a request body trickled a byte a second (408), on a link password form and on /api/uploads', async () => {
    const link = await exportLink('trickle.txt', 'x', { password: 'pw' });
    const form = new URL(link.url).pathname.replace(/[^/]*$/, '?page');
    const clients = await Promise.all(
      [
        [form, ''],
        ['/api/uploads?name=slow.bin', `Cookie: ${cookie}\r\n`],
      ].map(async ([path, extra]) => {
        const client = await open();
        client.socket.write(
          `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n${extra}` +
            'Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\n',
        );
        const timer = setInterval(() => client.socket.write('a'), 1000);
        void client.closed.finally(() => clearInterval(timer));
        return client;
      }),
    );
    // The first 10 s of a body are free, then it must average 64 KiB/s (checked every second).
    const cut = await Promise.all(clients.map((c) => within(c.closed, 20_000)));
    for (const client of clients) client.socket.destroy();
    expect(cut).toEqual([true, true]);
    for (const client of clients) expect(client.received()).toMatch(/^HTTP\/1\.1 408 /);
  }, 40_000);
});

describe('outbox settings lan', () => {
  it('refuses a wildcard, loopback, broadcast or foreign --interface, naming it and why', async () => {
    for (const address of ['0.0.0.0', '127.0.0.1', '255.255.255.255', '8.8.8.8']) {
      const result = await outbox(['settings', 'lan', 'on', '--interface', address], env);
      expect(result.code, address).toBe(2);
      expect(result.stderr).toContain(`--interface ${address}: `);
      expect(result.stderr).toMatch(/wildcard|loopback|unicast|not an address of this machine/);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
    }
    const settings = JSON.parse((await outbox(['settings', '--json'], env)).stdout);
    expect(settings.lan_sharing.enabled).toBe(false);
  });

  it('serve with an address that is gone says one true sentence about LAN sharing', async () => {
    const home = join(dir, 'gone-home');
    await fs.mkdir(home, { recursive: true });
    await fs.writeFile(
      join(home, 'settings.json'),
      JSON.stringify({ lan_sharing: { enabled: true, interfaces: ['10.254.254.254'] } }),
    );
    const gonePort = await freePort();
    const child = spawnOutbox(['serve'], { OUTBOX_HOME: home, OUTBOX_PORT: String(gonePort) });
    let said = '';
    child.stdout?.on('data', (d: Buffer) => (said += d.toString()));
    try {
      await until(() => said.includes('Press Ctrl-C'));
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    const lanLines = said.split('\n').filter((line) => /LAN sharing|listen on/.test(line));
    expect(lanLines).toHaveLength(1);
    expect(lanLines[0]).toMatch(
      /^LAN sharing is on, but Outbox cannot listen on the network \(10\.254\.254\.254 is not an address of this machine/,
    );
    expect(said).not.toMatch(/LAN sharing is off/);
  });
});
