import { describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { printJson, prettyJsonPieces } from '../../main/cli/print-json';

const pieces = (value: unknown) => [...prettyJsonPieces(value)].join('');

describe('prettyJsonPieces', () => {
  it('writes the text of JSON.stringify(value, null, 2)', () => {
    const values: unknown[] = [
      null,
      0,
      -1.5,
      'a "quoted"\nline ✓',
      true,
      [],
      {},
      [[], {}, [1, [2, { a: [] }]]],
      { a: undefined, b: () => 1, c: Symbol('s'), d: null, e: [undefined, () => 1, 3] },
      { when: new Date(Date.UTC(2026, 11, 3)), nested: { list: [{ x: 1 }, { y: 'z' }] } },
      {
        id: 'job',
        status: 'finished',
        tasks: [
          {
            name: 'export',
            result: {
              files: Array.from({ length: 50 }, (_, i) => ({
                filename: `f${i}.bin`,
                size: 16384,
                checksum: { algorithm: 'md5', value: 'x'.repeat(32) },
              })),
            },
          },
        ],
      },
    ];
    for (const value of values) expect(pieces(value)).toBe(JSON.stringify(value, null, 2));
  });

  it('hands out a large array in runs of 256 items, never as one string', () => {
    const files = Array.from({ length: 2000 }, (_, i) => ({ filename: `f${i}.bin`, size: i }));
    const lengths = [...prettyJsonPieces({ files })].map((p) => p.length);
    expect(Math.max(...lengths)).toBeLessThan(256 * 80); // 256 files' entries (~63 characters each)
    expect(lengths.filter((length) => length > 1000)).toHaveLength(8); // ⌈2,000 / 256⌉
  });

  it('writes runs of a large array alike whatever they hold', () => {
    const big = Object.fromEntries(Array.from({ length: 70 }, (_, i) => [`k${i}`, [i, { i }]]));
    const items = Array.from(
      { length: 700 },
      (_, i) =>
        [
          { filename: `f${i}.bin`, nested: { list: [i, 'x\ny'] } },
          undefined,
          () => i,
          new Date(Date.UTC(2026, 11, 3, 0, 0, i)),
          i === 300 ? big : 'text',
          [],
          null,
        ][i % 7],
    );
    for (const value of [items, { files: items, more: [items.slice(0, 257)] }])
      expect(pieces(value)).toBe(JSON.stringify(value, null, 2));
  });

  it('writes a value of 64 members or fewer in one piece, and larger ones in several', () => {
    const members = (n: number) =>
      Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i]));
    expect([...prettyJsonPieces({ a: members(63) })]).toHaveLength(1);
    expect([...prettyJsonPieces({ a: members(64) })].length).toBeGreaterThan(1);
    const deep = { a: { b: [{ c: 'x' }, [1, 2]] }, d: members(10) };
    expect([...prettyJsonPieces({ deep, big: members(70) })].join('')).toBe(
      JSON.stringify({ deep, big: members(70) }, null, 2),
    );
  });
});

describe('printJson', () => {
  it('writes at the pace of a slow reader, never holding much of the text', async () => {
    const files = Array.from({ length: 20_000 }, (_, i) => ({ filename: `f-${i}.bin`, size: i }));
    const value = { id: 'job', files };
    let text = '';
    let mostQueued = 0;
    const slow = new Writable({
      highWaterMark: 16 * 1024,
      write(chunk: Buffer, _encoding, done) {
        text += chunk.toString();
        setImmediate(done); // a pipe whose reader takes its time
      },
    });
    const write = slow.write.bind(slow);
    slow.write = ((chunk: string) => {
      const more = write(chunk);
      mostQueued = Math.max(mostQueued, slow.writableLength);
      return more;
    }) as typeof slow.write;
    await printJson(value, slow);
    await new Promise<void>((resolve) => slow.end(resolve));
    expect(text).toBe(JSON.stringify(value, null, 2) + '\n');
    // ~1.3 MB in all; one piece of ~64 K characters waits at a time, not the whole text
    expect(text.length).toBeGreaterThan(1_000_000);
    expect(mostQueued).toBeLessThan(200 * 1024);
  });
});
