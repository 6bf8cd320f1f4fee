import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeFile } from '../support/engine';
import { run } from '../support/net';
import { useSecurityTarget } from '../support/security-target';

/**
 * Hostile payloads to the local HTTP server (download links + browser host),
 * over real sockets: oversized headers and bodies, and script in exported
 * HTML/SVG opened from their links in Chromium. (Token guessing, traversal,
 * forged Host, CSRF and slowloris clients are in security-links.test.ts.)
 */

const target = useSecurityTarget('outbox-security-payloads');
let dir: string;
let port: number;
let base: string;
let cookie: string;
const linksFor = target.linksFor;
beforeAll(() => {
  ({ dir, port, base, cookie } = target);
});

/** curl's output also when it exits non-zero because the server closed the connection. */
async function curlEvenIfCut(args: string[]): Promise<{ stdout: string }> {
  return run('curl', args, { maxBuffer: 1024 * 1024 }).catch((error: { stdout?: string }) => ({
    stdout: error.stdout ?? '',
  }));
}

/** POSTs 200 MiB of JSON-ish bytes to /api/listJobs; resolves with the answer as soon as it comes. */
function postLarge(headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/api/listJobs',
        method: 'POST',
        headers: { Cookie: cookie, 'Content-Type': 'application/json', ...headers },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', (error) => (req.destroyed ? undefined : reject(error)));
    const chunk = Buffer.alloc(1024 * 1024, 0x20);
    let sent = 0;
    const pump = () => {
      while (sent < 200 && !req.destroyed) {
        sent++;
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
      if (!req.destroyed) req.end();
    };
    pump();
  });
}

describe('oversized requests', () => {
  it('a 64 KB header gets 431, quickly', async () => {
    const started = Date.now();
    const { stdout } = await curlEvenIfCut([
      '-s',
      '-o',
      '/dev/null',
      '-w',
      '%{http_code}',
      '-H',
      `X-Big: ${'a'.repeat(64 * 1024)}`,
      `${base}/healthz`,
    ]);
    expect(stdout).toBe('431');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('a JSON body over 16 MiB to /api gets 413 without being read, also when streamed (chunked)', async () => {
    // Declared length: refused before the body is read (the client sees the answer mid-upload).
    const declared = await postLarge({ 'Content-Length': String(200 * 1024 * 1024) });
    expect(declared.status).toBe(413);
    expect(declared.body).toMatch(/larger than 16 MiB/);

    // Chunked, no length: cut off once past the limit, never buffered whole.
    const started = Date.now();
    const rss = process.memoryUsage().rss;
    const status2 = (await postLarge({})).status;
    expect(status2).toBe(413);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(process.memoryUsage().rss - rss).toBeLessThan(150 * 1024 * 1024);
  });
});

describe('script in exported files', () => {
  let browser: Browser;
  let plain: Server;

  beforeAll(async () => {
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
    });
  });

  afterAll(async () => {
    await browser?.close();
    plain?.close();
  });

  const html =
    '<!doctype html><title>original</title><script>document.title = "pwned"</script>' +
    '<img src="x" onerror="document.title = \'pwned-onerror\'">';
  const svg =
    '<svg xmlns="http://www.w3.org/2000/svg" onload="document.title = \'pwned-onload\'">' +
    '<title>original</title><script>document.title = "pwned"</script></svg>';

  async function titleAfterLoad(url: string): Promise<string> {
    const page = await browser.newPage();
    try {
      await page.goto(url);
      await page.waitForTimeout(300);
      return await page.evaluate(() => document.title);
    } finally {
      await page.close();
    }
  }

  it('the same HTML and SVG run their script when served plainly (control)', async () => {
    plain = createServer((req, res) => {
      const isSvg = req.url?.endsWith('.svg');
      res.writeHead(200, { 'Content-Type': isSvg ? 'image/svg+xml' : 'text/html' });
      res.end(isSvg ? svg : html);
    });
    await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
    const plainBase = `http://127.0.0.1:${(plain.address() as AddressInfo).port}`;
    expect(await titleAfterLoad(`${plainBase}/page.html`)).toMatch(/^pwned/);
    expect(await titleAfterLoad(`${plainBase}/image.svg`)).toMatch(/^pwned/);
  });

  it('an exported HTML or SVG opened from its link (inline) runs no script in Chromium', async () => {
    const page = await makeFile(dir, 'page.html', html);
    const image = await makeFile(dir, 'image.svg', svg);
    const links = await linksFor({ inline: true }, [page, image]);
    expect(links).toHaveLength(2);
    for (const link of links) {
      const title = await titleAfterLoad(link.url!);
      expect(title, link.filename).not.toMatch(/pwned/);
    }
  });
});
