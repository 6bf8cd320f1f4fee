import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiResult } from '../../main/core/api/api-transport';
import type { ApiEvent, LinkView } from '../../main/core/api/outbox-api';
import { type Engine } from '../../main/core/engine/engine';
import type { JobRecord } from '../../main/core/transfer/records';
import type { RunningHost } from '../support/browser-host';
import { apiClientOf, peakOf, signIn, startFixtureHost } from '../support/browser-host-client';
import { makeFile, sha256, sha256File } from '../support/engine';
import { run } from '../support/net';

/**
 * The browser host over real HTTP on 127.0.0.1, signed in
 * (test/support/browser-host-client.ts): uploads streamed to staging, exports
 * of them, the event stream, profiles. Signing in and requests from elsewhere
 * are in browser-host.test.ts.
 */

let home: string;
let base: string;
let uiUrl: string;
let cookie: string;
let engine: Engine;
let host: RunningHost;
let close: (() => Promise<void>) | undefined;
const { api, value, collectEvents } = apiClientOf(() => ({ base, cookie }));

beforeAll(async () => {
  ({ home, base, uiUrl, engine, host, close } = await startFixtureHost(
    'outbox-browser-host-uploads-',
  ));
  cookie = await signIn(uiUrl);
  expect(cookie).toMatch(/^outbox_session_\d+=/);
});

afterAll(async () => {
  await close?.();
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
