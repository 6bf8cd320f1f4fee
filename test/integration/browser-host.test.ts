import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiResult } from '../../main/core/api/api-transport';
import type { ApiEvent, HostInfo, LinkView } from '../../main/core/api/outbox-api';
import { type Engine } from '../../main/core/engine/engine';
import type { JobRecord } from '../../main/core/transfer/records';
import { startTestHost, type RunningHost } from '../support/browser-host';
import { makeFile, sha256, sha256File, tempDir, testConfig } from '../support/engine';
import { freePort } from '../support/net';

/**
 * The browser host over real HTTP on 127.0.0.1: Node's fetch and curl (an
 * independent client, for raw headers such as a forged Host). The UI files
 * are a small fixture (the real build is exercised by the Playwright suite).
 */

const run = promisify(execFile);

let home: string;
let base: string;
let uiUrl: string;
let cookie: string;
let engine: Engine;
let host: RunningHost;

async function api<T>(method: string, args: unknown[], headers: Record<string, string> = {}) {
  const response = await fetch(`${base}/api/${method}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Cookie: cookie, ...headers },
    body: JSON.stringify(args),
  });
  return { response, body: (await response.json()) as ApiResult<T> };
}

async function value<T>(method: string, args: unknown[] = []): Promise<T> {
  const { body } = await api<T>(method, args);
  if (!body.ok) throw new Error(`${method}: ${JSON.stringify(body.error)}`);
  return body.value;
}

/** curl's status line and headers for a request (curl sends exactly the Host we give it). */
async function curlHeaders(args: string[]): Promise<string> {
  const { stdout } = await run('curl', ['-s', '-o', '/dev/null', '-D', '-', ...args]);
  return stdout;
}

/** Peak of a memory figure while something runs (sampled every 5 ms). */
function peakOf(read: () => number): { stop: () => number } {
  let peak = read();
  const timer = setInterval(() => (peak = Math.max(peak, read())), 5);
  return {
    stop: () => {
      clearInterval(timer);
      return Math.max(peak, read());
    },
  };
}

/** Reads the event stream until `until` has seen what it waits for. */
async function collectEvents(
  until: (events: ApiEvent[]) => boolean,
  whileOpen: () => Promise<void>,
): Promise<ApiEvent[]> {
  const controller = new AbortController();
  const response = await fetch(`${base}/api/events`, {
    headers: { Cookie: cookie },
    signal: controller.signal,
  });
  expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
  const events: ApiEvent[] = [];
  const reading = (async () => {
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const message = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = message.split('\n').find((line) => line.startsWith('data: '));
        if (data) events.push(JSON.parse(data.slice('data: '.length)) as ApiEvent);
      }
      if (until(events)) return;
    }
  })();
  await whileOpen();
  await Promise.race([reading, new Promise((r) => setTimeout(r, 10_000))]);
  controller.abort();
  return events;
}

beforeAll(async () => {
  home = await tempDir('outbox-browser-host-');
  const renderer = join(home, 'renderer-fixture');
  await makeFile(
    renderer,
    'index.html',
    '<!doctype html><title>Outbox</title><script type="module" src="/assets/app.js"></script>',
  );
  await makeFile(renderer, 'assets/app.js', 'console.log("outbox");');
  await makeFile(home, 'outside.txt', 'not for the web');
  const config = testConfig(home, { port: await freePort() });
  const testHost = await startTestHost(config, renderer);
  ({ engine, host } = testHost);
  base = host.server.url;
  uiUrl = host.uiUrl;
});

afterAll(async () => {
  await host?.close();
  await engine?.close();
  if (home) await fs.rm(home, { recursive: true, force: true });
});

describe('browser host: signing in', () => {
  it('prints a URL with a long random key', () => {
    expect(uiUrl).toMatch(new RegExp(`^${base}/\\?key=[A-Za-z0-9_-]{43}$`));
  });

  it('refuses the UI and the API without the key or cookie', async () => {
    expect((await fetch(`${base}/`)).status).toBe(401);
    expect((await fetch(`${base}/assets/app.js`)).status).toBe(401);
    const call = await fetch(`${base}/api/listJobs`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '[]',
    });
    expect(call.status).toBe(401);
    expect(((await call.json()) as ApiResult<never>).ok).toBe(false);
    expect((await fetch(`${base}/api/events`)).status).toBe(401);
    const upload = await fetch(`${base}/api/uploads?name=a.txt`, { method: 'POST', body: 'x' });
    expect(upload.status).toBe(401);
    const wrongKey = await fetch(`${base}/?key=${'A'.repeat(43)}`, { redirect: 'manual' });
    expect(wrongKey.status).toBe(403);
    expect(wrongKey.headers.get('set-cookie')).toBeNull();
    const forgedCookie = await fetch(`${base}/`, {
      headers: { Cookie: `outbox_session_${new URL(base).port}=${'B'.repeat(43)}` },
    });
    expect(forgedCookie.status).toBe(401);
  });

  it('exchanges the key for an HttpOnly SameSite=Strict cookie and redirects to /', async () => {
    const response = await fetch(uiUrl, { redirect: 'manual' });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/');
    const setCookie = response.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    expect(setCookie).not.toContain(new URL(uiUrl).searchParams.get('key'));
    cookie = setCookie.split(';')[0] as string;
    const info = await value<HostInfo>('info');
    expect(info).toMatchObject({ host: 'browser', version: 'test', linkBaseUrl: base });
    expect(await value<JobRecord[]>('listJobs')).toEqual([]);
  });
});

describe('browser host: requests from elsewhere', () => {
  it('refuses a Host that is not this machine (DNS rebinding), even with the cookie', async () => {
    const port = new URL(base).port;
    const rebound = await curlHeaders([
      '-H',
      `Host: attacker.example:${port}`,
      '-H',
      `Cookie: ${cookie}`,
      `${base}/`,
    ]);
    expect(rebound).toMatch(/^HTTP\/1\.1 421/);
    const api = await curlHeaders([
      '-X',
      'POST',
      '-H',
      `Host: attacker.example:${port}`,
      '-H',
      `Cookie: ${cookie}`,
      '-H',
      'Content-Type: application/json',
      '--data',
      '[]',
      `${base}/api/listJobs`,
    ]);
    expect(api).toMatch(/^HTTP\/1\.1 421/);
    const localhost = await curlHeaders([
      '-H',
      `Host: localhost:${port}`,
      '-H',
      `Cookie: ${cookie}`,
      `${base}/`,
    ]);
    expect(localhost).toMatch(/^HTTP\/1\.1 200/);
  });

  it('refuses a cross-origin POST (CSRF) and answers no CORS headers', async () => {
    const evil = await api('listJobs', [], { Origin: 'http://attacker.example' });
    expect(evil.response.status).toBe(403);
    const otherPort = await api('listJobs', [], { Origin: 'http://127.0.0.1:1' });
    expect(otherPort.response.status).toBe(403);
    const crossSite = await api('listJobs', [], { 'Sec-Fetch-Site': 'cross-site' });
    expect(crossSite.response.status).toBe(403);
    const same = await api('listJobs', [], { Origin: base });
    expect(same.response.status).toBe(200);

    const preflight = await curlHeaders([
      '-X',
      'OPTIONS',
      '-H',
      'Origin: http://attacker.example',
      '-H',
      'Access-Control-Request-Method: POST',
      `${base}/api/listJobs`,
    ]);
    const all = [preflight, ...[evil, same].map((r) => [...r.response.headers.keys()].join('\n'))];
    for (const headers of all) expect(headers.toLowerCase()).not.toContain('access-control-');
  });

  it('takes API calls only as JSON, with arguments that match the method', async () => {
    const form = await fetch(`${base}/api/listJobs`, {
      method: 'POST',
      headers: { Cookie: cookie, 'Content-Type': 'text/plain' },
      body: '[]',
    });
    expect(form.status).toBe(415);
    const bad = await api('cancelJob', [42]);
    expect(bad.response.status).toBe(400);
    expect(bad.body).toMatchObject({ ok: false, error: { code: 'INVALID_DATA' } });
    expect(Object.keys((bad.body as { error: { fields: object } }).error.fields)).toEqual(['0']);
    expect((await api('noSuchMethod', [])).response.status).toBe(404);
    expect((await fetch(`${base}/api/listJobs`, { headers: { Cookie: cookie } })).status).toBe(405);
  });
});

describe('browser host: the UI files', () => {
  it('serves the UI with a strict CSP, no framing, no sniffing', async () => {
    const page = await fetch(`${base}/`, { headers: { Cookie: cookie } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/script-src[^;]*unsafe/);
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await page.text()).toContain('<title>Outbox</title>');
    const script = await fetch(`${base}/assets/app.js`, { headers: { Cookie: cookie } });
    expect(script.headers.get('content-type')).toMatch(/javascript/);
  });

  it('serves nothing outside the UI folder (plain and encoded traversal)', async () => {
    for (const path of [
      '/../outside.txt',
      '/%2e%2e/outside.txt',
      '/assets/..%2f..%2foutside.txt',
    ]) {
      const raw = await curlHeaders(['--path-as-is', '-H', `Cookie: ${cookie}`, `${base}${path}`]);
      expect(raw).toMatch(/^HTTP\/1\.1 404/);
    }
  });
});

describe('browser host: uploads, exports and events', () => {
  it('streams a 160 MB upload to staging with bounded memory; its link downloads the same bytes', async () => {
    // Large enough to tell streaming from holding the body: V8 collects freed chunks only once
    // ~64 MiB of them pile up, so a streamed upload peaks well below the file's size.
    const size = 160 * 1024 * 1024;
    const source = await makeFile(home, 'src/big file.bin', size);
    const expected = await sha256File(source);

    // curl streams the file from disk (-T) in its own process: the memory we watch is the host's.
    const rss = () => process.memoryUsage().rss;
    const buffers = () => process.memoryUsage().arrayBuffers;
    const [rssBefore, buffersBefore] = [rss(), buffers()];
    const [rssPeak, buffersPeak] = [peakOf(rss), peakOf(buffers)];
    const { stdout } = await run('curl', [
      '-s',
      '-X',
      'POST',
      '-T',
      source,
      '-H',
      `Cookie: ${cookie}`,
      '-H',
      'Content-Type: application/octet-stream',
      `${base}/api/uploads?name=${encodeURIComponent('photos/2024/big file.bin')}`,
    ]);
    const rssGrew = rssPeak.stop() - rssBefore;
    const buffersGrew = buffersPeak.stop() - buffersBefore;
    const mib = (n: number) => (n / 1048576).toFixed(1);
    console.log(
      `160 MiB upload: host RSS +${mib(rssGrew)} MiB, Buffers +${mib(buffersGrew)} MiB at peak`,
    );
    const uploaded = JSON.parse(stdout) as ApiResult<{ uploadId: string; size: number }>;
    if (!uploaded.ok) throw new Error(stdout);
    expect(uploaded.value.size).toBe(size);
    // Buffers (where a request body lives): a host that held the body grows by at least its size.
    // RSS alone cannot tell (the allocator reuses memory).
    expect(rssGrew).toBeLessThan(size);
    expect(buffersGrew).toBeLessThan(size * 0.7);
    const staged = join(home, 'staging', uploaded.value.uploadId, 'photos/2024/big file.bin');
    expect(await sha256File(staged)).toBe(expected);

    let job: JobRecord | undefined;
    const events = await collectEvents(
      (seen) =>
        seen.some((e) => e.type === 'job' && e.job.id === job?.id && e.job.status === 'finished') &&
        seen.some((e) => e.type === 'links'),
      async () => {
        job = await value<JobRecord>('startExport', [
          { task: { operation: 'export/url' } },
          [{ uploadId: uploaded.value.uploadId }],
        ]);
      },
    );
    expect(job?.tasks.map((t) => t.name)).toEqual(['import-files', 'export']);
    const finished = events.find(
      (e): e is Extract<ApiEvent, { type: 'job' }> =>
        e.type === 'job' && e.job.id === job?.id && e.job.status === 'finished',
    );
    expect(finished).toBeDefined();
    expect(events.some((e) => e.type === 'progress' && e.progress.job_id === job?.id)).toBe(true);
    expect(events.some((e) => e.type === 'links')).toBe(true);

    const links = await value<LinkView[]>('listLinks');
    const link = links.find((l) => l.job_id === job?.id);
    expect(link).toMatchObject({ filename: 'big file.bin', size, state: 'active', kind: 'file' });
    const download = await fetch(link?.url ?? '');
    expect(download.status).toBe(200);
    expect(sha256(new Uint8Array(await download.arrayBuffer()))).toBe(expected);
    // The export kept the relative path of the dropped folder (the download is named by the file).
    const exported = finished?.job.tasks.find((t) => t.name === 'export');
    expect(exported?.result?.files[0]?.filename).toBe('photos/2024/big file.bin');

    // The staged file stays while its job and link do, and goes after both are gone.
    const later = Date.now() + 2 * 3600 * 1000;
    expect(await host.staging.sweep(later)).toBe(0);
    await value('revokeLink', [link?.id]);
    expect(await host.staging.sweep(later)).toBe(0); // the job still refers to it
    await value('removeJob', [job?.id]);
    expect(await host.staging.sweep(later)).toBe(1);
    await expect(fs.stat(join(home, 'staging', uploaded.value.uploadId))).rejects.toThrow();
    expect((await value<LinkView[]>('listLinks')).find((l) => l.id === link?.id)?.state).toBe(
      'revoked',
    );
  });

  it('keeps the relative paths of a dropped folder', async () => {
    const ids: string[] = [];
    for (const name of ['album/a.txt', 'album/sub/b.txt']) {
      const response = await fetch(`${base}/api/uploads?name=${encodeURIComponent(name)}`, {
        method: 'POST',
        headers: { Cookie: cookie },
        body: `content of ${name}`,
      });
      const body = (await response.json()) as ApiResult<{ uploadId: string }>;
      if (!body.ok) throw new Error(JSON.stringify(body));
      ids.push(body.value.uploadId);
    }
    const job = await value<JobRecord>('startExport', [
      { task: { operation: 'export/url', archive_multiple_files: true } },
      ids.map((uploadId) => ({ uploadId })),
    ]);
    const done = await engine.wait(job.id);
    expect(done.status).toBe('finished');
    const link = (await value<LinkView[]>('listLinks')).find((l) => l.job_id === job.id);
    expect(link).toMatchObject({ filename: 'album.zip', kind: 'zip' });
  });

  it('refuses unsafe upload names and unknown upload ids', async () => {
    for (const name of ['../escape.txt', '/abs.txt', 'a/../../b', 'a\\b', '', 'x/./y']) {
      const response = await fetch(`${base}/api/uploads?name=${encodeURIComponent(name)}`, {
        method: 'POST',
        headers: { Cookie: cookie },
        body: 'x',
      });
      expect(response.status, name).toBe(400);
    }
    await expect(fs.stat(join(home, 'escape.txt'))).rejects.toThrow();
    const unknown = await api('startExport', [
      { task: { operation: 'export/url' } },
      [{ uploadId: 'AAAAAAAAAAAAAAAAAAAAAA' }],
    ]);
    expect(unknown.body).toMatchObject({ ok: false, error: { code: 'INVALID_DATA' } });
    expect(Object.keys((unknown.body as { error: { fields: object } }).error.fields)).toEqual([
      'files.0',
    ]);
  });

  it('refuses local paths from a browser', async () => {
    const local = await api('startExport', [
      { task: { operation: 'export/url' } },
      [{ path: join(home, 'outside.txt') }],
    ]);
    expect(local.response.status).toBe(400);
    expect(local.body).toMatchObject({ ok: false, error: { code: 'INVALID_DATA' } });
  });

  it('reports invalid destination parameters per field', async () => {
    const upload = await fetch(`${base}/api/uploads?name=v.txt`, {
      method: 'POST',
      headers: { Cookie: cookie },
      body: 'v',
    });
    const { value: staged } = (await upload.json()) as { value: { uploadId: string } };
    const invalid = await api('startExport', [
      { task: { operation: 'export/url', expires_in: -5 } },
      [{ uploadId: staged.uploadId }],
    ]);
    expect(invalid.response.status).toBe(400);
    const error = (invalid.body as { error: { code: string; fields: Record<string, string[]> } })
      .error;
    expect(error.code).toBe('INVALID_DATA');
    expect(Object.keys(error.fields)).toEqual(['expires_in']);
  });

  it('saves a profile and exports to it by name', async () => {
    const saved = await value<{ name: string }>('saveProfile', [
      { name: 'Quick links', operation: 'export/url', params: { inline: true } },
    ]);
    expect(saved.name).toBe('Quick links');
    const duplicate = await api('saveProfile', [
      { name: 'Quick links', operation: 'export/url', params: {} },
    ]);
    expect(duplicate.body).toMatchObject({
      ok: false,
      error: { code: 'INVALID_DATA', fields: { name: expect.any(Array) } },
    });
    const upload = await fetch(`${base}/api/uploads?name=p.txt`, {
      method: 'POST',
      headers: { Cookie: cookie },
      body: 'profile export',
    });
    const { value: staged } = (await upload.json()) as { value: { uploadId: string } };
    const job = await value<JobRecord>('startExport', [
      { profile: 'Quick links' },
      [{ uploadId: staged.uploadId }],
    ]);
    const done = await engine.wait(job.id);
    expect(done.status).toBe('finished');
    expect(done.tasks.find((t) => t.name === 'export')?.profile).toBe('Quick links');
    const renamed = await value<{ name: string }>('saveProfile', [
      {
        name: 'Links',
        originalName: 'Quick links',
        operation: 'export/url',
        params: { inline: false },
      },
    ]);
    expect(renamed.name).toBe('Links');
    await value('deleteProfile', ['Links']);
    expect(await value<unknown[]>('listProfiles')).toEqual([]);
  });
});
