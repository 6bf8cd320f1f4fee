import { promises as fs } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../main/core/engine/engine';
import { makeFile, sha256File } from '../support/engine';
import { run } from '../support/net';
import { aria2, linksOf, openLinkServer, type LinkServer } from '../support/link-server';

/**
 * The limits of download links, over real sockets: password tries (counted
 * before the check, per address and per link), what a password link says
 * before its password, max_downloads counted in bytes, conditional requests.
 */

let links: LinkServer;
let engine: Engine;
let dir: string;

beforeAll(async () => {
  links = await openLinkServer('outbox-link-limits-');
  ({ engine, dir } = links);
});

afterAll(async () => {
  await links.close();
});

const linksFor = (task: Record<string, unknown>, paths: string[]) => linksOf(engine, task, paths);

function pageOf(url: string): string {
  return url.replace(/\/[^/]*$/, '/');
}

type Answer = {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
};

/** One request from a chosen loopback source address (127.0.0.x), on a fresh connection. */
function from(
  localAddress: string,
  url: string,
  options: { method?: string; body?: string; headers?: Record<string, string> } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const req = request(
      {
        host: '127.0.0.1',
        port: target.port,
        path: target.pathname + target.search,
        method: options.method ?? 'GET',
        localAddress,
        agent: false,
        headers: {
          ...(options.body !== undefined
            ? { 'Content-Type': 'application/x-www-form-urlencoded' }
            : {}),
          ...options.headers,
        },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

const tryPassword = (url: string, password: string, address = '127.0.0.1') =>
  from(address, `${pageOf(url)}?page`, {
    method: 'POST',
    body: new URLSearchParams({ password }).toString(),
  });

describe('link passwords', () => {
  it('count a try before checking it: 40 parallel wrong passwords get 5 answers of 401', async () => {
    const [link] = await linksFor({ password: 'the right one' }, [
      await makeFile(dir, 'race.txt', 'race'),
    ]);
    const answers = await Promise.all(
      Array.from({ length: 40 }, () => tryPassword(link!.url!, 'wrong')),
    );
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s === 401)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(35);
  });

  it('are limited per link too: new source addresses get no fresh tries past 20 a minute', async () => {
    const [link] = await linksFor({ password: 'the right one' }, [
      await makeFile(dir, 'many-addresses.txt', 'x'),
    ]);
    const statuses: number[] = [];
    let retryAfter = 0;
    // Every 127/8 address is this machine: one attacker, nine "clients" of five tries each.
    for (let host = 2; host <= 10; host++) {
      for (let i = 0; i < 5; i++) {
        const answer = await tryPassword(link!.url!, `guess ${host}.${i}`, `127.0.0.${host}`);
        statuses.push(answer.status);
        if (answer.status === 429) retryAfter = Number(answer.headers['retry-after']);
      }
    }
    expect(statuses.filter((s) => s === 401)).toHaveLength(20);
    expect(statuses.filter((s) => s === 429)).toHaveLength(25);
    // The lockout is bounded: a minute at most after the tries that caused it.
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    // Another link keeps its own tries.
    const [other] = await linksFor({ password: 'p' }, [await makeFile(dir, 'other.txt', 'o')]);
    expect((await tryPassword(other!.url!, 'p', '127.0.0.2')).status).toBe(303);
  });

  it('tell nothing before the password when the link is revoked, expired, changed or deleted', async () => {
    const names = ['Q3 layoffs list.txt', 'revoked plan.txt', 'expired plan.txt', 'gone plan.txt'];
    const files = await Promise.all(names.map((name) => makeFile(dir, name, `secret ${name}`)));
    const links = await linksFor({ password: 'pw', expires_in: 3600 }, files);
    const [changed, revoked, expired, deleted] = links;
    await fs.writeFile(files[0]!, 'changed, and longer than before');
    await engine.links.revoke(String(revoked!.link_id));
    await engine.links.update(String(expired!.link_id), { expires_in: 0 });
    await fs.rm(files[3]!);
    for (const link of [changed, revoked, expired, deleted]) {
      for (const [method, url] of [
        ['GET', link!.url!],
        ['HEAD', link!.url!],
        ['GET', pageOf(link!.url!)],
        ['GET', `${link!.url!}?page`],
      ] as const) {
        const answer = await from('127.0.0.1', url, { method });
        expect(answer.status, `${method} ${url}`).toBe(401);
        expect(answer.body).not.toMatch(/plan|layoffs|revoked|expired|changed|deleted/i);
        expect(JSON.stringify(answer.headers)).not.toMatch(/plan|layoffs|etag|last-modified/i);
      }
      // A wrong password says only that.
      const wrong = await tryPassword(link!.url!, 'nope', '127.0.0.3');
      expect(wrong.status).toBe(401);
      expect(wrong.body).not.toMatch(/plan|layoffs|revoked|expired|changed|deleted/i);
    }
    // After the right password, the state is told.
    const unlocked = await tryPassword(revoked!.url!, 'pw', '127.0.0.4');
    expect(unlocked.status).toBe(303);
    const cookie = String(unlocked.headers['set-cookie']).split(';')[0]!;
    const page = await from('127.0.0.4', pageOf(revoked!.url!), { headers: { Cookie: cookie } });
    expect([page.status, page.body]).toEqual([410, expect.stringMatching(/revoked/)]);
  });
});

describe('max_downloads, counted in bytes', () => {
  const size = 100_000;
  const downloadsOf = async (id: unknown) =>
    (await engine.links.list()).find((l) => l.id === id)?.downloads;

  it('a download without its first byte counts once that byte is sent (Range: bytes=1-)', async () => {
    const [link] = await linksFor({ max_downloads: 1 }, [await makeFile(dir, 'r1.bin', size)]);
    const rest = await fetch(link!.url!, { headers: { Range: 'bytes=1-' } });
    expect(rest.status).toBe(206);
    expect((await rest.arrayBuffer()).byteLength).toBe(size - 1);
    expect(await downloadsOf(link!.link_id)).toBe(0);
    const first = await fetch(link!.url!, { headers: { Range: 'bytes=0-0' } });
    expect([first.status, (await first.arrayBuffer()).byteLength]).toEqual([206, 1]);
    expect(await downloadsOf(link!.link_id)).toBe(1);
    const again = await fetch(link!.url!);
    expect(again.status).toBe(410);
    expect(await again.text()).toMatch(/downloaded 1 times/);
  });

  it('the same bytes fetched again and again without the first one stop at the byte cap', async () => {
    const [link] = await linksFor({ max_downloads: 1 }, [await makeFile(dir, 'r2.bin', size)]);
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      const response = await fetch(link!.url!, { headers: { Range: 'bytes=1-' } });
      statuses.push(response.status);
      await response.arrayBuffer();
    }
    // max_downloads + 1 times the size in all: two of these fit, not a third.
    expect(statuses).toEqual([206, 206, 410]);
  });

  it('a probe of a few bytes counts as no download', async () => {
    const file = await makeFile(dir, 'probe.bin', size);
    const [link] = await linksFor({ max_downloads: 1 }, [file]);
    const probe = await fetch(link!.url!, { headers: { Range: 'bytes=0-0' } });
    expect(probe.status).toBe(206);
    await probe.arrayBuffer();
    expect(await downloadsOf(link!.link_id)).toBe(0);
    const page = await fetch(pageOf(link!.url!));
    expect(await page.text()).toContain('1 of 1 downloads left');
    const out = join(dir, 'probe-out.bin');
    await run('curl', ['-fsS', '-o', out, link!.url!]);
    expect(await sha256File(out)).toBe(await sha256File(file));
    expect(await downloadsOf(link!.link_id)).toBe(1);
    expect((await fetch(link!.url!)).status).toBe(410);
  });

  it('a download in 8 parallel ranges (aria2c -x 8) counts once', async () => {
    const file = await makeFile(dir, 'split.bin', 8 * 1024 * 1024);
    const [link] = await linksFor({ max_downloads: 2 }, [file]);
    await aria2(link!.url!, join(dir, 'split-out.bin'));
    expect(await sha256File(join(dir, 'split-out.bin'))).toBe(await sha256File(file));
    expect(await downloadsOf(link!.link_id)).toBe(1);
    const second = await fetch(link!.url!);
    expect([second.status, (await second.arrayBuffer()).byteLength]).toEqual([
      200,
      8 * 1024 * 1024,
    ]);
    expect(await downloadsOf(link!.link_id)).toBe(2);
  });

  it('a download cut and resumed (curl -C -) counts once', async () => {
    const total = 64 * 1024 * 1024;
    const file = await makeFile(dir, 'resume.bin', total);
    const [link] = await linksFor({ max_downloads: 1 }, [file]);
    const out = join(dir, 'resume-out.bin');
    // Cut after 5,000,000 bytes (head exits: curl stops on a broken pipe). The server had
    // sent more than that into the connection's buffers: the margin covers it.
    await run('bash', ['-c', 'curl -sS "$1" | head -c 5000000 > "$2"', '_', link!.url!, out]);
    expect((await fs.stat(out)).size).toBe(5_000_000);
    await run('curl', ['-fsS', '-C', '-', '-o', out, link!.url!]);
    expect(await sha256File(out)).toBe(await sha256File(file));
    expect(await downloadsOf(link!.link_id)).toBe(1);
    expect((await fetch(link!.url!)).status).toBe(410);
  });
});

describe('conditional requests (RFC 9110)', () => {
  it('If-None-Match with W/, * and lists answers 304', async () => {
    const [link] = await linksFor({}, [await makeFile(dir, 'etag.txt', 'tagged')]);
    const etag = (await fetch(link!.url!, { method: 'HEAD' })).headers.get('etag')!;
    for (const header of [etag, `W/${etag}`, '*', `"nope", ${etag}`, `"a","b", W/${etag}`]) {
      expect(
        (await fetch(link!.url!, { headers: { 'If-None-Match': header } })).status,
        header,
      ).toBe(304);
    }
    const miss = await fetch(link!.url!, {
      headers: {
        'If-None-Match': '"nope", W/"other"',
        'If-Modified-Since': new Date().toUTCString(),
      },
    });
    expect([miss.status, await miss.text()]).toEqual([200, 'tagged']);
  });
});
