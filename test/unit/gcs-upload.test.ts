import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PreparedPart } from '../../main/core/exporters/parts';
import {
  directUpload,
  GcsAnswerError,
} from '../../main/core/exporters/google-cloud-storage/multipart-upload';

/*
 * The request a small GCS upload makes, as a server receives it. The emulator
 * (test/integration/gcs.test.ts) stores these uploads and answers like GCS,
 * but it checks no credentials and ignores the md5Hash it is given, so the
 * access token and the metadata are asserted here on the outgoing request.
 */

type Received = { method?: string; url?: string; headers: IncomingHttpHeaders; body: Buffer };

let server: Server;
let root: string;
const received: Received[] = [];
/** The status the server answers the next request with. */
let answer = 200;

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({
        method: req.method,
        url: req.url,
        headers: req.headers,
        body: Buffer.concat(chunks),
      });
      res.writeHead(answer, { 'content-type': 'application/json; charset=UTF-8' });
      res.end(
        answer === 200
          ? JSON.stringify({ size: '3', md5Hash: 'stored' })
          : JSON.stringify({
              error: { code: answer, message: 'The specified bucket does not exist.' },
            }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  root = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => server.close());

/** A part of `data`, held whole in memory (≤ 1 MiB) or streamed in 64 KiB chunks. */
function partOf(data: Buffer, held: boolean): PreparedPart {
  return {
    length: data.length,
    md5: createHash('md5').update(data).digest(),
    ...(held ? { data } : {}),
    body: (progress) =>
      Readable.from(
        (function* chunks() {
          for (let at = 0; at < data.length; at += 65536) {
            const chunk = data.subarray(at, at + 65536);
            progress.add(chunk.length);
            yield chunk;
          }
        })(),
      ),
    release: () => undefined,
  };
}

/** The multipart body's two parts: metadata JSON and the bytes, with their content types. */
function partsOf(request: Received) {
  const boundary = /boundary=(\S+)/.exec(String(request.headers['content-type']))?.[1] ?? '';
  const text = request.body.toString('latin1');
  expect(text.endsWith(`\r\n--${boundary}--\r\n`)).toBe(true);
  const [, meta = '', media = ''] = text
    .slice(0, -`\r\n--${boundary}--\r\n`.length)
    .split(`--${boundary}\r\n`);
  const split = (part: string) => {
    const at = part.indexOf('\r\n\r\n');
    return { headers: part.slice(0, at), body: part.slice(at + 4) };
  };
  return { boundary, meta: split(meta), media: split(media) };
}

describe('a small GCS upload in one request', () => {
  const cases = [
    ['held in memory', randomBytes(3), true],
    ['streamed (over 1 MiB)', randomBytes(3 * 1024 * 1024 + 5), false],
  ] as const;
  for (const [label, data, held] of cases) {
    it(`sends the metadata (name, content type, MD5) and the bytes: ${label}`, async () => {
      received.length = 0;
      let sent = 0;
      const { upload, close } = directUpload({
        apiRoot: root,
        bucket: 'my bucket',
        token: async () => 'test-token',
        idleTimeoutMs: 10_000,
      });
      try {
        const stored = await upload(
          'photos/ä b.jpg',
          'image/jpeg',
          partOf(data, held),
          { add: (n) => (sent += n) },
          new AbortController().signal,
        );
        expect(stored).toEqual({ size: '3', md5Hash: 'stored' });
      } finally {
        close();
      }
      expect(sent).toBe(data.length);
      const [request] = received;
      expect(request?.method).toBe('POST');
      expect(request?.url).toBe('/upload/storage/v1/b/my%20bucket/o?uploadType=multipart');
      expect(request?.headers.authorization).toBe('Bearer test-token');
      expect(Number(request?.headers['content-length'])).toBe(request?.body.length);
      const { boundary, meta, media } = partsOf(request as Received);
      expect(data.includes(Buffer.from(boundary))).toBe(false);
      expect(meta.headers).toBe('content-type: application/json; charset=UTF-8');
      expect(JSON.parse(Buffer.from(meta.body, 'latin1').toString('utf8'))).toEqual({
        name: 'photos/ä b.jpg',
        contentType: 'image/jpeg',
        md5Hash: createHash('md5').update(data).digest('base64'),
      });
      expect(media.headers).toBe('content-type: image/jpeg');
      expect(Buffer.from(media.body, 'latin1').equals(data)).toBe(true);
    });
  }

  it('sends no token where there is none (an emulator), and fails with the answer GCS gave', async () => {
    received.length = 0;
    answer = 404;
    const { upload, close } = directUpload({
      apiRoot: root,
      bucket: 'b',
      token: undefined,
      idleTimeoutMs: 10_000,
    });
    try {
      const failed = await upload(
        'x.txt',
        'text/plain',
        partOf(Buffer.from('x'), true),
        { add: () => undefined },
        new AbortController().signal,
      ).catch((error: unknown) => error);
      expect(failed).toBeInstanceOf(GcsAnswerError);
      expect(failed).toMatchObject({ code: 404, message: 'The specified bucket does not exist.' });
    } finally {
      answer = 200;
      close();
    }
    expect(received[0]?.headers.authorization).toBeUndefined();
  });
});
