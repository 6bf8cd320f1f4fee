import { randomBytes } from 'node:crypto';
import { request, Agent } from 'node:http';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Engine } from '../../main/core/engine/engine';
import { makeFile } from '../support/engine';
import { run } from '../support/net';
import { useSecurityTarget } from '../support/security-target';

/**
 * Attacks on the local HTTP server (download links + browser host), over real
 * sockets: token guessing and timing, revoked links, odd traversal encodings,
 * forged Host on control routes, simple-request CSRF and slowloris clients.
 * (Oversized requests and script in exported HTML/SVG are in
 * security-payloads.test.ts; key/cookie basics, plain traversal, expiry and
 * CORS in browser-host.test.ts and link-server.test.ts.)
 */

const target = useSecurityTarget('outbox-security');
let dir: string;
let port: number;
let base: string;
let cookie: string;
let engine: Engine;
const linksFor = target.linksFor;
beforeAll(() => {
  ({ dir, port, base, cookie, engine } = target);
});
/** Slowloris clients started first, checked last (so their wait overlaps the other tests). */
let slowClients: { socket: Socket; opened: number; closedAt?: number }[] = [];

/** One raw GET on a kept-alive connection: status and the time to the full answer (ms). */
const agent = new Agent({ keepAlive: true, maxSockets: 1 });
function timedGet(path: string): Promise<{ status: number; ms: number; body: string }> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const req = request({ host: '127.0.0.1', port, path, agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          ms: Number(process.hrtime.bigint() - started) / 1e6,
          body,
        }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

/** Opens a connection that sends a request header one byte per second, forever. */
function slowloris(): { socket: Socket; opened: number; closedAt?: number } {
  const client: { socket: Socket; opened: number; closedAt?: number } = {
    socket: connect({ host: '127.0.0.1', port }),
    opened: Date.now(),
  };
  const header = `GET /d/aaaa/bbbb/x HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nX-Slow: ${'a'.repeat(10_000)}`;
  let sent = 0;
  const timer = setInterval(() => {
    if (client.socket.destroyed) return;
    client.socket.write(header[sent % header.length] ?? 'a');
    sent++;
  }, 1000);
  client.socket.on('error', () => undefined);
  client.socket.on('close', () => {
    clearInterval(timer);
    client.closedAt = Date.now();
  });
  return client;
}

// 50 slowloris connections, opened before the rest of the tests run.
beforeAll(() => {
  slowClients = Array.from({ length: 50 }, () => slowloris());
});

afterAll(() => {
  for (const client of slowClients) client.socket.destroy();
  agent.destroy();
});

describe('link tokens', () => {
  it('400 guessed tokens for a real link id: all 404, identical bodies, no timing signal', async () => {
    const file = await makeFile(dir, 'secret.txt', 'SECRET CONTENT');
    const [link] = await linksFor({}, [file]);
    const url = new URL(link!.url!);
    const [, , id, token] = url.pathname.split('/') as [string, string, string, string];
    const name = 'secret.txt';
    const randomToken = () => randomBytes(32).toString('base64url');
    // Same length and all but the last character right: a prefix-comparing check would be slower here.
    const nearToken = () => token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A');
    const unknownId = () => randomBytes(9).toString('base64url');

    await timedGet(`/d/${id}/${randomToken()}/${name}`); // warm up the connection and caches
    const times = { random: [] as number[], near: [] as number[], unknownId: [] as number[] };
    const bodies = new Set<string>();
    for (let round = 0; round < 150; round++) {
      // Interleaved, so drift (GC, other tests) hits every kind alike.
      for (const [kind, path] of [
        ['random', `/d/${id}/${randomToken()}/${name}`],
        ['near', `/d/${id}/${nearToken()}/${name}`],
        ['unknownId', `/d/${unknownId()}/${token}/${name}`],
      ] as const) {
        const answer = await timedGet(path);
        expect(answer.status, path).toBe(404);
        expect(answer.body).not.toContain('SECRET');
        bodies.add(answer.body);
        times[kind].push(answer.ms);
      }
    }
    expect(bodies.size).toBe(1);
    const m = {
      random: median(times.random),
      near: median(times.near),
      unknown: median(times.unknownId),
    };
    // Loopback medians are ~0.3–2 ms; a byte-by-byte comparison or an early "unknown id"
    // return would show as a steady gap. Tolerance: 35% of the slower, at least 0.25 ms.
    const close = (a: number, b: number) =>
      Math.abs(a - b) <= Math.max(0.25, 0.35 * Math.max(a, b));
    expect(close(m.random, m.near), JSON.stringify(m)).toBe(true);
    // An unknown id skips reading and parsing the link file: measured ~1–2 ms faster here.
    // That tells whether a 72-bit random id exists, nothing about its 256-bit token (a
    // known, accepted signal); a per-byte or early-exit token check would show above.
    expect(Math.abs(m.random - m.unknown), JSON.stringify(m)).toBeLessThan(5);
    // The right token still works.
    expect((await timedGet(`/d/${id}/${token}/${name}`)).body).toBe('SECRET CONTENT');
  });

  it('a revoked link answers 410 only to its own token; a wrong token gets the same 404', async () => {
    const file = await makeFile(dir, 'revoked.txt', 'REVOKED');
    const [link] = await linksFor({}, [file]);
    const [, , id, token] = new URL(link!.url!).pathname.split('/') as string[];
    await engine.links.revoke(id!);
    expect((await timedGet(`/d/${id}/${token}/revoked.txt`)).status).toBe(410);
    const wrong = await timedGet(`/d/${id}/${randomBytes(32).toString('base64url')}/revoked.txt`);
    expect(wrong.status).toBe(404);
    expect(wrong.body).not.toMatch(/revoked/i);
  });

  it('odd traversal encodings reach neither files nor other routes', async () => {
    const file = await makeFile(dir, 'guarded.txt', 'GUARDED');
    const [link] = await linksFor({}, [file]);
    const [, , id, token] = new URL(link!.url!).pathname.split('/') as string[];
    // The name after id/token is only a label: whatever it says, the link's own file is served.
    for (const label of ['%2e%2e%2f%2e%2e%2fetc%2fpasswd', '..%5c..%5cetc%5cpasswd', '%00passwd']) {
      const { stdout } = await run('curl', [
        '-sS',
        '--path-as-is',
        `${base}/d/${id}/${token}/${label}`,
      ]);
      expect(stdout, label).toBe('GUARDED');
    }
    const attempts = [
      `/d/${id}/${token}/../../etc/passwd`,
      `/d/${id}/${token}/a/../../../etc/passwd`,
      `/d/%252e%252e/%252e%252e/etc/passwd`,
      `/d/${id}/${token}%00/guarded.txt`,
      `/d/${id}/${token}/%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd`,
      `/d/${id}/${token}/..;/..;/etc/passwd`,
      `//d/${id}/${token}/guarded.txt`,
      `/%2e%2e/%2e%2e/etc/passwd`,
      `/assets/%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd`,
      `/..%252f..%252f..%252fetc%252fpasswd`,
    ];
    for (const path of attempts) {
      const { stdout } = await run('curl', [
        '-sS',
        '--path-as-is',
        '-H',
        `Cookie: ${cookie}`,
        '-w',
        '\n%{http_code}',
        `${base}${path}`,
      ]);
      const status = stdout.slice(stdout.lastIndexOf('\n') + 1);
      const body = stdout.slice(0, stdout.lastIndexOf('\n'));
      expect(['400', '404', '421'], path).toContain(status);
      expect(body, path).not.toContain('root:');
      // The same link file is only ever served on its exact URL.
      expect(body, path).not.toContain('GUARDED');
    }
  });
});

describe('control routes', () => {
  it('refuse a forged or missing Host (DNS rebinding) on /healthz and /api, links still work', async () => {
    const file = await makeFile(dir, 'rebind.txt', 'REBIND');
    const [link] = await linksFor({}, [file]);
    const path = new URL(link!.url!).pathname;
    for (const forged of [
      `evil.example:${port}`,
      `127.0.0.1.evil.example:${port}`,
      `localhost.:${port}`,
      `127.0.0.1:${port + 1}`,
      `127.0.0.1`,
      `0.0.0.0:${port}`,
    ]) {
      for (const route of ['/healthz', '/api/listJobs', '/']) {
        const headers = await run('curl', [
          '-s',
          '-o',
          '/dev/null',
          '-w',
          '%{http_code}',
          '-H',
          `Host: ${forged}`,
          '-H',
          `Cookie: ${cookie}`,
          ...(route.startsWith('/api/')
            ? ['-X', 'POST', '-H', 'Content-Type: application/json', '-d', '[]']
            : []),
          `${base}${route}`,
        ]);
        expect(headers.stdout, `${forged} ${route}`).toBe('421');
      }
    }
    // HTTP/1.0 without any Host header.
    const { stdout } = await run('curl', [
      '-s',
      '-0',
      '-H',
      'Host:',
      '-o',
      '/dev/null',
      '-w',
      '%{http_code}',
      `${base}/healthz`,
    ]);
    expect(stdout).toBe('421');
    // A link is reachable by any name (it is meant to be shared), with its token.
    const shared = await run('curl', ['-s', '-H', `Host: files.example:${port}`, `${base}${path}`]);
    expect(shared.stdout).toBe('REBIND');
  });

  it('refuse simple-request CSRF (form or text/plain POST, cross-site fetch metadata)', async () => {
    await linksFor({}, [await makeFile(dir, 'history.txt', 'x')]);
    const before = (await engine.list()).length;
    expect(before).toBeGreaterThan(0);
    const job = '[]';
    const attempts: { headers: Record<string, string>; body: string; expect: number[] }[] = [
      // A form on another site can send these without a preflight; the cookie is SameSite=Strict,
      // but the server must not rely on that alone.
      { headers: { 'Content-Type': 'text/plain' }, body: job, expect: [415] },
      {
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: `a=${job}`,
        expect: [415],
      },
      {
        headers: { 'Content-Type': 'multipart/form-data; boundary=x' },
        body: '--x--',
        expect: [415],
      },
      {
        headers: { 'Content-Type': 'application/json', 'Sec-Fetch-Site': 'cross-site' },
        body: job,
        expect: [403],
      },
      { headers: { 'Content-Type': 'application/json', Origin: 'null' }, body: job, expect: [403] },
      {
        headers: { 'Content-Type': 'application/json', Origin: `http://localhost:${port}` },
        body: job,
        expect: [403],
      },
    ];
    for (const attempt of attempts) {
      const response = await fetch(`${base}/api/clearHistory`, {
        method: 'POST',
        headers: { Cookie: cookie, ...attempt.headers },
        body: attempt.body,
      });
      expect(attempt.expect, JSON.stringify(attempt.headers)).toContain(response.status);
      expect(response.headers.get('access-control-allow-origin')).toBeNull();
    }
    expect((await engine.list()).length).toBe(before);
  });
});

describe('slow clients', () => {
  it('50 slowloris connections do not stop downloads, and are cut within the header timeout', async () => {
    const file = await makeFile(dir, 'during-slowloris.bin', 8 * 1024 * 1024);
    const [link] = await linksFor({}, [file]);
    const started = Date.now();
    const downloads = await Promise.all(
      Array.from(
        { length: 4 },
        async () => (await (await fetch(link!.url!)).arrayBuffer()).byteLength,
      ),
    );
    expect(downloads).toEqual([8, 8, 8, 8].map((n) => n * 1024 * 1024));
    // 32 MiB on loopback: well under a second when idle; generous for a loaded CI box.
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(
      slowClients.every((c) => c.closedAt === undefined || c.closedAt - c.opened >= 14_000),
    ).toBe(true);

    // headersTimeout is 15 s; Node checks it every connectionsCheckingInterval (30 s by default).
    const limit = 15_000 + 30_000 + 3_000;
    const deadline = Math.min(...slowClients.map((c) => c.opened)) + limit;
    while (slowClients.some((c) => c.closedAt === undefined) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
    }
    const open = slowClients.filter((c) => c.closedAt === undefined).length;
    expect(open).toBe(0);
    const lifetimes = slowClients.map((c) => (c.closedAt ?? Infinity) - c.opened);
    expect(Math.max(...lifetimes)).toBeLessThan(limit);
  }, 70_000);
});
