import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiResult } from '../../main/core/api/api-transport';
import type { HostInfo } from '../../main/core/api/outbox-api';
import type { JobRecord } from '../../main/core/transfer/records';
import { apiClientOf, curlHeaders, startFixtureHost } from '../support/browser-host-client';

/**
 * The browser host over real HTTP on 127.0.0.1 (test/support/browser-host-client.ts):
 * signing in, requests from elsewhere, the UI files. Uploads, exports and the
 * event stream are in browser-host-uploads.test.ts.
 */

let base: string;
let uiUrl: string;
let cookie: string;
let close: (() => Promise<void>) | undefined;
const { api, value } = apiClientOf(() => ({ base, cookie }));

beforeAll(async () => {
  ({ base, uiUrl, close } = await startFixtureHost('outbox-browser-host-'));
});

afterAll(async () => {
  await close?.();
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
