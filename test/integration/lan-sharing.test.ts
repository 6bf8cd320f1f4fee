import { promises as fs } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCoreApi } from '../../main/core/api/core-api';
import { hostContext } from '../../main/core/api/host-context';
import type { LinkView, OutboxApi } from '../../main/core/api/outbox-api';
import { type Engine } from '../../main/core/engine/engine';
import {
  exportFiles,
  exportTaskOf,
  makeFile,
  sha256File,
  tempDir,
  testConfig,
} from '../support/engine';
import { startTestHost, type RunningHost } from '../support/browser-host';
import { freePort, run } from '../support/net';
import { createPeerHost, removeStalePeers, type PeerHost } from '../support/netns';

/**
 * LAN sharing seen from a second host: a network namespace joined by a veth
 * pair (test/support/netns.ts). Outbox's LAN listener binds the host side's
 * address; the peer uses curl inside the namespace, like a phone on the same
 * Wi-Fi would use a browser. Traffic stays between this machine and the
 * namespace this test made.
 */

let peer: PeerHost;
let home: string;
let files: string;
let port: number;
let engine: Engine;
let api: OutboxApi;
let host: RunningHost;
let lanBase: string;

/** curl on the peer: status code (0 when no connection), headers and the body saved to a file. */
async function peerCurl(url: string, args: string[] = []) {
  const out = join(files, `peer-${Math.random().toString(36).slice(2)}`);
  const result = await peer.exec('curl', [
    '-s',
    '--max-time',
    '10',
    '-o',
    out,
    '-D',
    '-',
    '-w',
    '\n%{http_code}',
    ...args,
    url,
  ]);
  const lines = result.stdout.trimEnd().split('\n');
  const status = Number(lines.pop());
  const body = await fs.readFile(out, 'utf8').catch(() => '');
  return { exit: result.code, status, headers: lines.join('\n'), out, body };
}

async function exportLinks(task: Record<string, unknown>, paths: string[]): Promise<LinkView[]> {
  const job = await exportFiles(engine, { operation: 'export/url', ...task }, paths);
  const result = exportTaskOf(job);
  expect(result.status, JSON.stringify(result)).toBe('finished');
  // In the order of the task's result files (the list is by creation time, often the same ms).
  const links = await api.listLinks();
  return (result.result?.files ?? []).map((file) => {
    const link = links.find((l) => l.id === file.link_id);
    if (!link) throw new Error(`no link for ${file.filename}`);
    return link;
  });
}

function onPeer(link: LinkView, base = lanBase): string {
  return base + new URL(link.url).pathname;
}

beforeAll(async () => {
  await removeStalePeers();
  peer = await createPeerHost();
  home = await tempDir('outbox-lan-');
  files = join(home, 'files');
  await fs.mkdir(files);
  port = await freePort();
  const config = testConfig(home, { port });
  const testHost = await startTestHost(config, join(home, 'renderer'));
  ({ engine, host } = testHost);
  const { profiles } = testHost;
  await makeFile(join(home, 'renderer'), 'index.html', '<!doctype html><title>Outbox UI</title>');
  api = createCoreApi(hostContext(engine, profiles), undefined, {
    host: 'browser',
    version: 'test',
    allowPaths: true,
  });
  lanBase = `http://${peer.hostAddress}:${port}`;
}, 60_000);

afterAll(async () => {
  await host?.close();
  await engine?.close();
  await peer?.remove();
  if (home) await fs.rm(home, { recursive: true, force: true });
}, 60_000);

describe('LAN sharing, seen from another host', { timeout: 60_000 }, () => {
  it('is off by default: nothing of Outbox is reachable from the peer', async () => {
    // The peer does reach this machine's address (a plain server on another port answers)…
    const probePort = await freePort();
    const probe: Server = createServer((_req, res) => res.end('probe'));
    await new Promise<void>((resolve) => probe.listen(probePort, peer.hostAddress, resolve));
    const reached = await peerCurl(`http://${peer.hostAddress}:${probePort}/`);
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    expect(reached.status).toBe(200);
    expect(reached.body).toBe('probe');

    // …but Outbox does not listen there.
    const [link] = await exportLinks({ lan: true }, [await makeFile(files, 'off.txt', 'off')]);
    const settings = await api.getSettings();
    expect(settings.lan_sharing.enabled).toBe(false);
    expect(settings.lan.urls).toEqual([]);
    for (const path of ['/healthz', '/', new URL(link!.url).pathname]) {
      const result = await peerCurl(lanBase + path);
      expect(result.exit, path).toBe(7); // curl: failed to connect
      expect(result.status).toBe(0);
    }
    expect(link!.lan_urls).toEqual([]);
    // Loopback serves the link as always.
    const local = await run('curl', ['-s', link!.url]);
    expect(local.stdout).toBe('off');
  });

  it('when on, serves shared links only, and never the API, the UI or /healthz', async () => {
    const view = await api.saveSettings({
      lan_sharing: { enabled: true, interfaces: [peer.hostAddress] },
    });
    expect(view.lan.urls).toEqual([lanBase]);
    expect(view.lan.errors).toEqual([]);
    const stored = JSON.parse(await fs.readFile(join(home, 'settings.json'), 'utf8'));
    expect(stored).toEqual({ lan_sharing: { enabled: true, interfaces: [peer.hostAddress] } });

    const big = await makeFile(files, 'big.bin', 3 * 1024 * 1024 + 17);
    const [shared] = await exportLinks({ lan: true }, [big]);
    const [local] = await exportLinks({}, [await makeFile(files, 'local-only.txt', 'local')]);
    expect(shared!.lan_urls).toEqual([`${lanBase}${new URL(shared!.page_url).pathname}`]);
    expect(local!.lan_urls).toEqual([]);

    const download = await peerCurl(onPeer(shared!));
    expect(download.status).toBe(200);
    expect(await sha256File(download.out)).toBe(await sha256File(big));

    // A link not shared on the network does not exist there (same answer as a wrong token).
    expect((await peerCurl(onPeer(local!))).status).toBe(404);
    // Sharing it later: works at once.
    const updated = await api.updateLink(local!.id, { lan: true });
    expect(updated.lan_urls).toHaveLength(1);
    const now = await peerCurl(onPeer(local!));
    expect([now.status, now.body]).toEqual([200, 'local']);

    // The app's routes stay on loopback, whatever Host the peer sends.
    const loopbackHost = `Host: 127.0.0.1:${port}`;
    for (const [path, args] of [
      ['/healthz', []],
      ['/healthz', ['-H', loopbackHost]],
      ['/', ['-H', loopbackHost]],
      ['/index.html', []],
      ['/api/info', ['-X', 'POST', '-H', loopbackHost, '--data', '[]']],
      ['/api/events', ['-H', loopbackHost]],
      ['/?key=x', ['-H', loopbackHost]],
    ] as const) {
      const result = await peerCurl(lanBase + path, [...args]);
      expect(result.status, path).toBe(404);
      expect(result.body).not.toMatch(/Outbox UI|"app":"outbox"|"ok"/);
    }
    const health = await run('curl', ['-s', `http://127.0.0.1:${port}/healthz`]);
    expect(health.stdout).toContain('"app":"outbox"');
  });

  it('shows a download page with the link’s own files, and a ZIP of all', async () => {
    const a = await makeFile(files, 'set/alpha.txt', 'alpha '.repeat(1000));
    const b = await makeFile(files, 'set/beta.bin', 70_000);
    const [zip] = await exportLinks({ lan: true, archive_multiple_files: true }, [a, b]);
    const [other] = await exportLinks({ lan: true }, [
      await makeFile(files, 'secret-name.txt', 's'),
    ]);
    expect(zip!.kind).toBe('zip');

    const page = await peerCurl(`${lanBase}${new URL(zip!.page_url).pathname}`);
    expect(page.status).toBe(200);
    expect(page.headers).toMatch(/content-type: text\/html/i);
    expect(page.headers).toMatch(/content-security-policy: default-src 'none'/i);
    expect(page.body).toContain('alpha.txt');
    expect(page.body).toContain('beta.bin');
    expect(page.body).toContain('Download all as ZIP');
    expect(page.body).toMatch(/stops working in 23 h 5\d min/);
    expect(page.body).not.toContain(other!.filename);
    expect(page.body).not.toMatch(/<script|src=|https?:\/\//i);

    // Each file on its own, then everything as one ZIP.
    const second = await peerCurl(`${onPeer(zip!).replace(/\/[^/]*$/, '/beta.bin')}?file=1`);
    expect(second.status).toBe(200);
    expect(await sha256File(second.out)).toBe(await sha256File(b));
    const all = await peerCurl(onPeer(zip!));
    expect(all.status).toBe(200);
    const listed = await run('unzip', ['-l', all.out]);
    expect(listed.stdout).toContain('alpha.txt');
    expect(listed.stdout).toContain('beta.bin');
    const unpacked = await run('unzip', ['-p', all.out, 'beta.bin'], {
      encoding: 'buffer',
      maxBuffer: 1 << 20,
    });
    expect(unpacked.stdout.length).toBe(70_000);
  });

  it('stops after the maximum number of downloads (410)', async () => {
    const file = await makeFile(files, 'twice.txt', 'twice');
    const [link] = await exportLinks({ lan: true, max_downloads: 2 }, [file]);
    expect(link!.max_downloads).toBe(2);
    // HEAD and the page do not count; full downloads do.
    expect((await peerCurl(onPeer(link!), ['-I'])).status).toBe(200);
    expect((await peerCurl(`${lanBase}${new URL(link!.page_url).pathname}`)).body).toContain(
      '2 of 2 downloads left',
    );
    expect((await peerCurl(onPeer(link!))).status).toBe(200);
    expect((await peerCurl(onPeer(link!))).body).toBe('twice');
    const third = await peerCurl(onPeer(link!));
    expect(third.status).toBe(410);
    expect(third.body).toMatch(/downloaded 2 times/);
    const [after] = (await api.listLinks()).filter((l) => l.id === link!.id);
    expect([after!.state, after!.downloads]).toEqual(['used_up', 2]);
  });

  it('asks for the password, remembers it per link, and rate-limits wrong tries', async () => {
    const password = 'correct horse battery';
    const file = await makeFile(files, 'locked.bin', 100_000);
    const [link, sibling] = await exportLinks({ lan: true, password }, [
      file,
      await makeFile(files, 'sibling.txt', 'sib'),
    ]);
    expect(link!.has_password).toBe(true);
    // Only a scrypt hash on disk: not in the link record, not in the job history.
    const record = await fs.readFile(join(home, 'links', `${link!.id}.json`), 'utf8');
    expect(record).toMatch(/"password_hash": "scrypt\$/);
    const everything = await run('grep', ['-rl', password, home]).catch(() => ({ stdout: '' }));
    expect(everything.stdout).toBe('');

    const pagePath = new URL(link!.page_url).pathname;
    const locked = await peerCurl(onPeer(link!));
    expect(locked.status).toBe(401);
    expect(locked.body).toContain('<form method="post"');

    const jar = join(files, 'jar.txt');
    const unlocked = await peerCurl(`${lanBase}${pagePath}?page`, [
      '-c',
      jar,
      '--data-urlencode',
      `password=${password}`,
    ]);
    expect(unlocked.status).toBe(303);
    expect(unlocked.headers).toMatch(
      /set-cookie: outbox_unlock_[^;]+; Path=\/d\/[^;]+; Max-Age=900; HttpOnly/i,
    );
    const got = await peerCurl(onPeer(link!), ['-b', jar]);
    expect(got.status).toBe(200);
    expect(await sha256File(got.out)).toBe(await sha256File(file));
    // The cookie belongs to that link only.
    expect((await peerCurl(onPeer(sibling!), ['-b', jar])).status).toBe(401);

    // Five wrong tries a minute from one address, then 429 (even for the right password).
    for (let i = 0; i < 5; i++) {
      const wrong = await peerCurl(`${lanBase}${pagePath}?page`, ['--data', 'password=nope']);
      expect(wrong.status).toBe(401);
      expect(wrong.body).toContain('Wrong password');
    }
    const blocked = await peerCurl(`${lanBase}${pagePath}?page`, [
      '--data-urlencode',
      `password=${password}`,
    ]);
    expect(blocked.status).toBe(429);
    expect(blocked.headers).toMatch(/retry-after: \d+/i);
    // Another client (loopback) is not blocked by the peer's tries.
    const other = await run('curl', [
      '-s',
      '-o',
      '/dev/null',
      '-w',
      '%{http_code}',
      '--data-urlencode',
      `password=${password}`,
      `http://127.0.0.1:${port}${pagePath}?page`,
    ]);
    expect(other.stdout).toBe('303');
  });

  it('expires and revokes at once', async () => {
    const [expiring, revoked] = await exportLinks({ lan: true }, [
      await makeFile(files, 'expiring.txt', 'e'),
      await makeFile(files, 'revoked.txt', 'r'),
    ]);
    expect((await peerCurl(onPeer(expiring!))).status).toBe(200);
    await api.updateLink(expiring!.id, { expires_in: 1 });
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const expired = await peerCurl(onPeer(expiring!));
    expect([expired.status, expired.body]).toEqual([410, expect.stringMatching(/expired/)]);

    expect((await peerCurl(onPeer(revoked!))).status).toBe(200);
    await api.revokeLink(revoked!.id);
    const gone = await peerCurl(onPeer(revoked!));
    expect([gone.status, gone.body]).toEqual([410, expect.stringMatching(/revoked/)]);
  });

  it('accepts only this machine’s own network addresses, never a wildcard or loopback', async () => {
    for (const address of ['0.0.0.0', '127.0.0.1', '255.255.255.255', '8.8.8.8']) {
      await expect(
        api.saveSettings({ lan_sharing: { enabled: true, interfaces: [address] } }),
        address,
      ).rejects.toMatchObject({
        code: 'INVALID_DATA',
        message: expect.stringMatching(/^lan_sharing\.interfaces\[0\]: /),
      });
    }
    const stored = JSON.parse(await fs.readFile(join(home, 'settings.json'), 'utf8'));
    expect(stored.lan_sharing.interfaces).toEqual([peer.hostAddress]);
  });

  it('bounds connections per address and the time a request takes, on the LAN listener too', async () => {
    const [link] = await exportLinks({ lan: true, password: 'pw' }, [
      await makeFile(files, 'guarded-lan.txt', 'g'),
    ]);
    const [host, portText] = [peer.hostAddress, String(port)];
    // On the peer: 64 connections held open, then a 65th; and a password form trickled a byte a second.
    const script = `
      const net = require('node:net');
      const open = () => new Promise((resolve) => {
        const s = net.connect(${portText}, '${host}');
        let data = '';
        s.on('data', (d) => (data += d));
        s.on('error', () => {});
        s.on('connect', () => resolve({ s, data: () => data, closed: new Promise((r) => s.on('close', r)) }));
      });
      (async () => {
        const held = [];
        for (let i = 0; i < 64; i++) held.push(await open());
        const extra = await open();
        await Promise.race([extra.closed, new Promise((r) => setTimeout(r, 5000))]);
        const refused = extra.data();
        held.forEach((h) => h.s.destroy());
        extra.s.destroy();
        await new Promise((r) => setTimeout(r, 1000)); // the server sees them close
        const slow = await open();
        slow.s.write('POST ${new URL(link!.page_url).pathname}?page HTTP/1.1\\r\\nHost: x\\r\\n' +
          'Content-Type: application/x-www-form-urlencoded\\r\\nContent-Length: 1000\\r\\n\\r\\n');
        const started = Date.now();
        const timer = setInterval(() => slow.s.write('a'), 1000);
        await Promise.race([slow.closed, new Promise((r) => setTimeout(r, 25000))]);
        clearInterval(timer);
        console.log(JSON.stringify({ refused, slow: slow.data(), seconds: (Date.now() - started) / 1000 }));
        slow.s.destroy();
      })();
    `;
    const result = await peer.exec(process.execPath, ['-e', script]);
    expect(result.code, result.stderr).toBe(0);
    const seen = JSON.parse(result.stdout) as { refused: string; slow: string; seconds: number };
    expect(seen.refused).toMatch(/^HTTP\/1\.1 503 .*Too many connections/s);
    expect(seen.slow).toMatch(/^HTTP\/1\.1 408 /);
    expect(seen.seconds).toBeLessThan(20);
  });

  it('turned off again: the LAN listener closes at once, loopback keeps serving', async () => {
    const [link] = await exportLinks({ lan: true }, [await makeFile(files, 'last.txt', 'last')]);
    expect((await peerCurl(onPeer(link!))).status).toBe(200);
    const view = await api.saveSettings({ lan_sharing: { enabled: false } });
    expect(view.lan.urls).toEqual([]);
    const refused = await peerCurl(onPeer(link!));
    expect([refused.exit, refused.status]).toEqual([7, 0]);
    expect((await run('curl', ['-s', link!.url])).stdout).toBe('last');
  });
});
