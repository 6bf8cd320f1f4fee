import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../main/core/engine/engine';
import { ValidationError } from '../../main/core/errors';
import { exportFiles, makeFile, sha256, sha256File } from '../support/engine';
import { run } from '../support/net';
import { aria2, linksOf, openLinkServer, type LinkServer } from '../support/link-server';

let links: LinkServer;
let engine: Engine;
let dir: string;
let port: number;

beforeAll(async () => {
  links = await openLinkServer('outbox-links-');
  ({ engine, dir, port } = links);
});

afterAll(async () => {
  await links.close();
});

const linksFor = (task: Record<string, unknown>, paths: string[]) => linksOf(engine, task, paths);

describe('export/url links', () => {
  it('serve the exact bytes with the right headers, one URL per file', async () => {
    const a = await makeFile(dir, 'résumé 2024.pdf', 300_000);
    const b = await makeFile(dir, 'notes.txt', 'hello\n');
    const [linkA, linkB] = await linksFor({}, [a, b]);
    expect(linkA?.url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${port}/d/`));
    expect(linkA).toMatchObject({ filename: 'résumé 2024.pdf', size: 300_000 });

    const response = await fetch(linkA!.url!);
    expect(response.status).toBe(200);
    expect(sha256(new Uint8Array(await response.arrayBuffer()))).toBe(await sha256File(a));
    expect(response.headers.get('content-type')).toBe('application/pdf');
    expect(response.headers.get('content-length')).toBe('300000');
    expect(response.headers.get('content-disposition')).toBe(
      `attachment; filename="r_sum_ 2024.pdf"; filename*=UTF-8''r%C3%A9sum%C3%A9%202024.pdf`,
    );
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('accept-ranges')).toBe('bytes');
    expect(response.headers.get('etag')).toMatch(/^"[0-9a-f]+-[0-9a-f]+"$/);
    expect(response.headers.get('last-modified')).toBeTruthy();

    const text = await fetch(linkB!.url!);
    expect(text.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(await text.text()).toBe('hello\n');
  });

  it('keep a file’s place in a dropped folder in the result (holiday/1.jpg), and its own name in the download', async () => {
    const holiday = join(dir, 'holiday');
    await makeFile(holiday, '1.jpg', 'one');
    await makeFile(holiday, 'sub/1.jpg', 'sub one');
    const links = await linksFor({}, [holiday]);
    expect(links.map((l) => l.filename).sort()).toEqual(['holiday/1.jpg', 'holiday/sub/1.jpg']);
    for (const link of links) {
      expect(link.url).toMatch(/\/1\.jpg$/);
      const response = await fetch(link.url!);
      expect(response.headers.get('content-disposition')).toMatch(/^attachment; filename="1\.jpg"/);
    }
  });

  it('inline: true answers Content-Disposition inline', async () => {
    const file = await makeFile(dir, 'inline.txt', 'x');
    const [link] = await linksFor({ inline: true }, [file]);
    const response = await fetch(link!.url!);
    expect(response.headers.get('content-disposition')).toMatch(/^inline; /);
  });

  it('HEAD, Range, conditional requests and unsatisfiable ranges', async () => {
    const file = await makeFile(dir, 'range.bin', 'abcdefghijklmnopqrstuvwxyz');
    const [link] = await linksFor({}, [file]);
    const url = link!.url!;

    const head = await fetch(url, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe('26');
    expect(await head.text()).toBe('');

    const partial = await fetch(url, { headers: { Range: 'bytes=2-4' } });
    expect(partial.status).toBe(206);
    expect(partial.headers.get('content-range')).toBe('bytes 2-4/26');
    expect(await partial.text()).toBe('cde');

    const suffix = await fetch(url, { headers: { Range: 'bytes=-3' } });
    expect(await suffix.text()).toBe('xyz');

    const etag = head.headers.get('etag') ?? '';
    const notModified = await fetch(url, { headers: { 'If-None-Match': etag } });
    expect(notModified.status).toBe(304);
    // A 304 carries the validators and the security headers of the 200 it stands for.
    expect(notModified.headers.get('etag')).toBe(etag);
    expect(notModified.headers.get('last-modified')).toBe(head.headers.get('last-modified'));
    expect(notModified.headers.get('x-content-type-options')).toBe('nosniff');
    const since = { 'If-Modified-Since': head.headers.get('last-modified') ?? '' };
    expect((await fetch(url, { headers: since })).status).toBe(304);
    for (const answer of [head, partial, notModified]) {
      expect(answer.headers.get('content-security-policy')).toMatch(/^sandbox;/);
      expect(answer.headers.get('cache-control')).toBe('private, no-cache');
    }
    const stale = await fetch(url, { headers: { Range: 'bytes=0-1', 'If-Range': '"other"' } });
    expect(stale.status).toBe(200);
    expect(await stale.text()).toHaveLength(26);

    const outside = await fetch(url, { headers: { Range: 'bytes=100-' } });
    expect(outside.status).toBe(416);
    expect(outside.headers.get('content-range')).toBe('bytes */26');
    expect(outside.headers.get('etag')).toBe(etag);
    expect(outside.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('downloads correctly with curl, whole and resumed', async () => {
    const file = await makeFile(dir, 'curl me.bin', 5_000_000);
    const [link] = await linksFor({}, [file]);
    const out = join(dir, 'curl-out.bin');
    await run('curl', ['-fsS', '-o', out, link!.url!]);
    expect(await sha256File(out)).toBe(await sha256File(file));
    // Resume from the middle, as a download manager does.
    await fs.truncate(out, 2_000_000);
    await run('curl', ['-fsS', '-C', '-', '-o', out, link!.url!]);
    expect(await sha256File(out)).toBe(await sha256File(file));
    const { stdout } = await run('curl', [
      '-sS',
      '-o',
      '/dev/null',
      '-w',
      '%{http_code} %{content_type}',
      '-I',
      link!.url!,
    ]);
    expect(stdout).toBe('200 application/octet-stream');
  });

  it('expire: after expires_in the server answers 410, not the file', async () => {
    const file = await makeFile(dir, 'short.txt', 'soon gone');
    const [link] = await linksFor({ expires_in: 1 }, [file]);
    expect((await fetch(link!.url!)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const response = await fetch(link!.url!);
    expect(response.status).toBe(410);
    expect(await response.text()).toMatch(/expired/);
  });

  it('can be revoked at once, and are listed with download counts', async () => {
    const file = await makeFile(dir, 'revoke.txt', 'secret plans');
    const [link] = await linksFor({}, [file]);
    await fetch(link!.url!).then((r) => r.arrayBuffer());
    await fetch(link!.url!).then((r) => r.arrayBuffer());
    const listed = (await engine.links.list()).find((l) => l.id === link!.link_id);
    expect(listed).toMatchObject({ state: 'active', downloads: 2, url: link!.url });

    await engine.links.revoke(String(link!.link_id));
    const response = await fetch(link!.url!);
    expect(response.status).toBe(410);
    expect(await response.text()).toMatch(/revoked/);
    expect((await engine.links.list()).find((l) => l.id === link!.link_id)?.state).toBe('revoked');
  });

  it('never serve a file that changed or vanished after export', async () => {
    const changed = await makeFile(dir, 'changed.txt', 'version 1');
    const deleted = await makeFile(dir, 'deleted.txt', 'here');
    const [linkChanged, linkDeleted] = await linksFor({}, [changed, deleted]);
    await fs.writeFile(changed, 'version 2, longer');
    await fs.rm(deleted);
    for (const link of [linkChanged, linkDeleted]) {
      const response = await fetch(link!.url!);
      expect(response.status).toBe(410);
      expect(await response.text()).toMatch(/changed or deleted after this link was created/);
    }
  });

  it('a file changed in place after it was served: its old bytes or 410, never the new ones; 410 within a second', async () => {
    const file = await makeFile(dir, 'kept.txt', 'version 1 of the report');
    const [link] = await linksFor({}, [file]);
    expect(await (await fetch(link!.url!)).text()).toBe('version 1 of the report'); // now kept in memory
    const before = Date.now();
    await fs.writeFile(file, 'VERSION 2 OF THE REPORT'); // same size, bytes changed in place
    const soon = await fetch(link!.url!);
    expect(soon.status === 200 ? await soon.text() : soon.status).toMatch(
      /^(version 1 of the report|410)$/,
    );
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, before + 1100 - Date.now())));
    const later = await fetch(link!.url!);
    expect(later.status).toBe(410);
    expect(await later.text()).toMatch(/changed or deleted after this link was created/);
  });

  it('refuse unknown tokens and traversal attempts without revealing files', async () => {
    const file = await makeFile(dir, 'guarded.txt', 'GUARDED CONTENT');
    const [link] = await linksFor({}, [file]);
    const url = new URL(link!.url!);
    const [, , id, token] = url.pathname.split('/');
    const wrongToken = token!.slice(0, -2) + (token!.endsWith('AA') ? 'BB' : 'AA');
    const attempts = [
      `/d/${id}/${wrongToken}/guarded.txt`,
      `/d/${id}/`,
      `/d/nope/${token}/x`,
      `/d/../../etc/passwd`,
      `/d/%2e%2e/%2e%2e/etc/passwd`,
      `/d/${id}/${token}/..%2f..%2f..%2fetc%2fpasswd/extra`,
      `/d/..%2F${id}/${token}`,
      `/${id}/${token}`,
    ];
    for (const path of attempts) {
      const { stdout } = await run('curl', [
        '-sS',
        '--path-as-is',
        '-w',
        '\n%{http_code}',
        `http://127.0.0.1:${port}${path}`,
      ]);
      const [body = '', status] = [
        stdout.slice(0, stdout.lastIndexOf('\n')),
        stdout.slice(stdout.lastIndexOf('\n') + 1),
      ];
      expect(['404', '421'], path).toContain(status);
      expect(body, path).not.toContain('GUARDED');
      expect(body, path).not.toContain('root:');
    }
    // Only GET and HEAD.
    expect((await fetch(link!.url!, { method: 'PUT', body: 'x' })).status).toBe(405);
  });

  it('HTML and SVG are served so that they cannot run script on this origin', async () => {
    const html = await makeFile(dir, 'page.html', '<script>alert(1)</script>');
    const svg = await makeFile(
      dir,
      'image.svg',
      '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    );
    for (const link of await linksFor({ inline: true }, [html, svg])) {
      const response = await fetch(link.url!);
      expect(response.headers.get('content-security-policy')).toMatch(
        /^sandbox; default-src 'none'/,
      );
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    }
  });
});

describe('archive_multiple_files', () => {
  it('streams one ZIP that unzip verifies, with folders kept', async () => {
    const folder = join(dir, 'album');
    const a = await makeFile(folder, 'one.jpg', 100_000);
    const b = await makeFile(folder, 'sub/two.txt', 'two');
    await makeFile(folder, 'sub/ünï cødé.txt', 'three');
    const [zipLink, ...rest] = await linksFor({ archive_multiple_files: true }, [folder]);
    expect(rest).toHaveLength(0);
    expect(zipLink).toMatchObject({ filename: 'album.zip', files: 3 });

    const out = join(dir, 'album.zip');
    await run('curl', ['-fsS', '-o', out, zipLink!.url!]);
    expect((await fs.stat(out)).size).toBe(zipLink!.size);
    const test = await run('unzip', ['-t', out]);
    expect(test.stdout).toMatch(/No errors detected/);
    const info = await run('zipinfo', ['-1', out]);
    expect(info.stdout.split('\n').filter(Boolean).sort()).toEqual(
      ['album/one.jpg', 'album/sub/two.txt', 'album/sub/ünï cødé.txt'].sort(),
    );
    const extracted = join(dir, 'extracted');
    await run('unzip', ['-q', out, '-d', extracted]);
    expect(await sha256File(join(extracted, 'album/one.jpg'))).toBe(await sha256File(a));
    expect(await fs.readFile(join(extracted, 'album/sub/two.txt'), 'utf8')).toBe(
      await fs.readFile(b, 'utf8'),
    );
  });

  it('refuses a ZIP of two files of one name before a link is made (entries are named as the files)', async () => {
    const a = await makeFile(join(dir, 'twin-a'), 'same.txt', 'a');
    const b = await makeFile(join(dir, 'twin-b'), 'same.txt', 'b');
    const linksBefore = (await engine.links.list()).length;
    const job = exportFiles(engine, { operation: 'export/url', archive_multiple_files: true }, [
      a,
      b,
    ]);
    await expect(job).rejects.toBeInstanceOf(ValidationError);
    await expect(job).rejects.toMatchObject({
      fields: { 'tasks.export.input': ['two files would both be stored as "same.txt"'] },
    });
    expect((await engine.links.list()).length).toBe(linksBefore);
  });

  it('serves ranges with a strong ETag: curl -C - after a cut, and aria2c -x 8', async () => {
    const folder = join(dir, 'ranges');
    for (let i = 0; i < 12; i++) await makeFile(folder, `part ${i}.bin`, 700_000 + i);
    await makeFile(folder, 'empty.txt', '');
    const [zipLink] = await linksFor({ archive_multiple_files: true }, [folder]);
    const url = zipLink!.url!;
    const head = await fetch(url, { method: 'HEAD' });
    expect(head.headers.get('accept-ranges')).toBe('bytes');
    const etag = head.headers.get('etag') ?? '';
    expect(etag).toMatch(/^"[^"]+"$/); // strong: no W/
    expect((await fetch(url, { headers: { 'If-None-Match': etag } })).status).toBe(304);

    const whole = join(dir, 'ranges-whole.zip');
    await run('curl', ['-fsS', '-o', whole, url]);
    expect((await fs.stat(whole)).size).toBe(zipLink!.size);
    expect((await run('unzip', ['-t', whole])).stdout).toMatch(/No errors detected/);

    const tail = await fetch(url, { headers: { Range: 'bytes=5000000-', 'If-Range': etag } });
    expect(tail.status).toBe(206);
    expect(tail.headers.get('content-range')).toBe(
      `bytes 5000000-${zipLink!.size! - 1}/${zipLink!.size}`,
    );
    const wholeBytes = await fs.readFile(whole);
    expect(Buffer.from(await tail.arrayBuffer()).equals(wholeBytes.subarray(5000000))).toBe(true);

    // Cut after 3,000,000 bytes (head exits: curl stops on a broken pipe), then resumed.
    const resumed = join(dir, 'ranges-resumed.zip');
    await run('bash', ['-c', 'curl -sS "$1" | head -c 3000000 > "$2"', '_', url, resumed]);
    expect((await fs.stat(resumed)).size).toBe(3_000_000);
    await run('curl', ['-fsS', '-C', '-', '-o', resumed, url]);
    expect(await sha256File(resumed)).toBe(await sha256File(whole));

    // Eight ranges at once, each needing the CRCs of files another range is reading.
    await aria2(url, join(dir, 'ranges-aria2.zip'));
    expect(await sha256File(join(dir, 'ranges-aria2.zip'))).toBe(await sha256File(whole));
  });

  it('uses Zip64 for an entry over 4 GiB (sparse file)', async () => {
    const big = join(dir, 'huge.bin');
    await fs.writeFile(big, '');
    await fs.truncate(big, 4 * 1024 ** 3 + 12345);
    const small = await makeFile(dir, 'small.txt', 'small');
    const [zipLink] = await linksFor({ archive_multiple_files: true }, [big, small]);
    const out = join(dir, 'huge.zip');
    try {
      // dd conv=sparse keeps the 4 GiB of zeros off the disk; unzip still reads every byte.
      await run('bash', [
        '-c',
        'set -o pipefail; curl -fsS "$1" | dd of="$2" bs=1M conv=sparse status=none',
        '_',
        zipLink!.url!,
        out,
      ]);
      expect((await fs.stat(out)).size).toBe(zipLink!.size);
      const info = await run('zipinfo', ['-l', out]);
      expect(info.stdout).toMatch(/4294979641/);
      const test = await run('unzip', ['-t', out], { maxBuffer: 10 * 1024 * 1024 });
      expect(test.stdout).toMatch(/No errors detected/);
    } finally {
      await fs.rm(out, { force: true });
      await fs.rm(big, { force: true });
    }
  }, 300_000);
});
