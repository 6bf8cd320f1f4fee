import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { dropIdleBuffers, giveBackBuffer } from '../../main/core/exporters/part-buffers';
import { preparePart } from '../../main/core/exporters/parts';
import { sourceReads } from '../../main/core/exporters/source-stream';
import type { ReadLimit } from '../../main/core/transfer/byte-buckets';
import type { SourceFile } from '../../main/core/transfer/sources';

/**
 * A part read into one buffer as long as the part (S3 parts, Azure blocks)
 * under a bandwidth limit: the limit cuts the read into small chunks, and
 * each must land at its own place in the buffer. They all landed at its
 * start, so the part sent was not the part hashed and Azure refused every
 * block (400, Content-MD5 mismatch) while a speed limit was set. The limit
 * here hands out 64 KiB chunks and never waits (no timing involved).
 */

const PART = 3 * 1024 * 1024;
const bytes = randomBytes(PART + 1000);
const smallChunks: ReadLimit = { chunk: () => 64 * 1024, take: () => undefined };
let dir: string;
let source: SourceFile;

beforeAll(async () => {
  dir = await fs.mkdtemp(join(tmpdir(), 'outbox-paced-part-'));
  const path = join(dir, 'part.bin');
  await fs.writeFile(path, bytes);
  const stat = await fs.stat(path);
  source = { path, name: 'part.bin', size: stat.size, mtimeMs: stat.mtimeMs };
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

it('a paced part read holds the part, in order, and hashes the same bytes', async () => {
  const range = { start: 1000, end: 1000 + PART };
  // an idle buffer longer than the part, as one left by a larger part of another file
  const longer = Buffer.alloc(PART + 1024 * 1024);
  dropIdleBuffers();
  giveBackBuffer(longer);
  const part = await preparePart(
    sourceReads(source, new AbortController().signal, smallChunks),
    range,
  );
  expect(part.data?.buffer === longer.buffer).toBe(true); // (a boolean: a failure would print MiBs)
  const expected = bytes.subarray(range.start, range.end);
  expect(part.length).toBe(PART);
  expect(part.md5.equals(createHash('md5').update(expected).digest())).toBe(true);
  expect(part.data?.equals(expected)).toBe(true);
  const sent: Buffer[] = [];
  for await (const chunk of part.body({ add: () => {} })) sent.push(chunk as Buffer);
  expect(Buffer.concat(sent).equals(expected)).toBe(true);
});
