import { promises as fs } from 'node:fs';
import { Readable } from 'node:stream';
import { crc32 } from 'node:zlib';

export type ZipEntry = { name: string; path: string; size: number; mtimeMs: number };

/**
 * A ZIP archive written while it is sent. Entries are stored (not
 * compressed: downloads of already-compressed files gain nothing and the
 * total size is known up front, so links send Content-Length), with CRCs
 * computed natively on the fly and given in data descriptors. Zip64 records
 * appear where an entry, an offset or the entry count needs them.
 */

const MAX32 = 0xffffffff;
const MAX16 = 0xffff;
const READ_CHUNK = 1024 * 1024;

type Layout = {
  entry: ZipEntry;
  name: Buffer;
  zip64: boolean;
  offset: number;
  dosTime: number;
  dosDate: number;
};

function dosDateTime(mtimeMs: number): { dosTime: number; dosDate: number } {
  const d = new Date(mtimeMs);
  const year = Math.min(Math.max(d.getFullYear(), 1980), 2107);
  return {
    dosTime: (d.getHours() << 11) | (d.getMinutes() << 5) | Math.floor(d.getSeconds() / 2),
    dosDate: ((year - 1980) << 9) | ((d.getMonth() + 1) << 5) | d.getDate(),
  };
}

const FLAGS = (1 << 3) | (1 << 11); // sizes and CRC in a data descriptor; UTF-8 names

function localHeader(item: Layout): Buffer {
  const extra = item.zip64 ? 20 : 0;
  const b = Buffer.alloc(30 + item.name.length + extra);
  b.writeUInt32LE(0x04034b50, 0);
  b.writeUInt16LE(item.zip64 ? 45 : 20, 4);
  b.writeUInt16LE(FLAGS, 6);
  b.writeUInt16LE(0, 8); // stored
  b.writeUInt16LE(item.dosTime, 10);
  b.writeUInt16LE(item.dosDate, 12);
  // CRC and sizes follow in the data descriptor (0 here, or 0xffffffff + Zip64 extra).
  b.writeUInt32LE(item.zip64 ? MAX32 : 0, 18);
  b.writeUInt32LE(item.zip64 ? MAX32 : 0, 22);
  b.writeUInt16LE(item.name.length, 26);
  b.writeUInt16LE(extra, 28);
  item.name.copy(b, 30);
  if (item.zip64) {
    const at = 30 + item.name.length;
    b.writeUInt16LE(0x0001, at);
    b.writeUInt16LE(16, at + 2); // sizes (zero) follow; the descriptor has the real ones
  }
  return b;
}

function dataDescriptor(item: Layout, crc: number): Buffer {
  const size = item.entry.size;
  const b = Buffer.alloc(item.zip64 ? 24 : 16);
  b.writeUInt32LE(0x08074b50, 0);
  b.writeUInt32LE(crc, 4);
  if (item.zip64) {
    b.writeBigUInt64LE(BigInt(size), 8);
    b.writeBigUInt64LE(BigInt(size), 16);
  } else {
    b.writeUInt32LE(size, 8);
    b.writeUInt32LE(size, 12);
  }
  return b;
}

function centralExtra(item: Layout): Buffer {
  const fields: number[] = [];
  if (item.entry.size >= MAX32) fields.push(item.entry.size, item.entry.size);
  if (item.offset >= MAX32) fields.push(item.offset);
  if (fields.length === 0) return Buffer.alloc(0);
  const b = Buffer.alloc(4 + fields.length * 8);
  b.writeUInt16LE(0x0001, 0);
  b.writeUInt16LE(fields.length * 8, 2);
  fields.forEach((value, i) => b.writeBigUInt64LE(BigInt(value), 4 + i * 8));
  return b;
}

function centralHeader(item: Layout, crc: number): Buffer {
  const extra = centralExtra(item);
  const big = item.entry.size >= MAX32;
  const b = Buffer.alloc(46 + item.name.length + extra.length);
  b.writeUInt32LE(0x02014b50, 0);
  b.writeUInt16LE((3 << 8) | 45, 4); // made by: Unix, spec 4.5
  b.writeUInt16LE(item.zip64 ? 45 : 20, 6);
  b.writeUInt16LE(FLAGS, 8);
  b.writeUInt16LE(0, 10);
  b.writeUInt16LE(item.dosTime, 12);
  b.writeUInt16LE(item.dosDate, 14);
  b.writeUInt32LE(crc, 16);
  b.writeUInt32LE(big ? MAX32 : item.entry.size, 20);
  b.writeUInt32LE(big ? MAX32 : item.entry.size, 24);
  b.writeUInt16LE(item.name.length, 28);
  b.writeUInt16LE(extra.length, 30);
  b.writeUInt16LE(0, 32); // comment
  b.writeUInt16LE(0, 34); // disk
  b.writeUInt16LE(0, 36); // internal attributes
  b.writeUInt32LE((0o100644 << 16) >>> 0, 38); // a regular file, rw-r--r--
  b.writeUInt32LE(Math.min(item.offset, MAX32), 42);
  item.name.copy(b, 46);
  extra.copy(b, 46 + item.name.length);
  return b;
}

function endRecords(count: number, cdOffset: number, cdSize: number): Buffer {
  const zip64 = count >= MAX16 || cdOffset >= MAX32 || cdSize >= MAX32;
  const parts: Buffer[] = [];
  if (zip64) {
    const record = Buffer.alloc(56);
    record.writeUInt32LE(0x06064b50, 0);
    record.writeBigUInt64LE(44n, 4);
    record.writeUInt16LE((3 << 8) | 45, 12);
    record.writeUInt16LE(45, 14);
    record.writeUInt32LE(0, 16);
    record.writeUInt32LE(0, 20);
    record.writeBigUInt64LE(BigInt(count), 24);
    record.writeBigUInt64LE(BigInt(count), 32);
    record.writeBigUInt64LE(BigInt(cdSize), 40);
    record.writeBigUInt64LE(BigInt(cdOffset), 48);
    const locator = Buffer.alloc(20);
    locator.writeUInt32LE(0x07064b50, 0);
    locator.writeUInt32LE(0, 4);
    locator.writeBigUInt64LE(BigInt(cdOffset + cdSize), 8);
    locator.writeUInt32LE(1, 16);
    parts.push(record, locator);
  }
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(Math.min(count, MAX16), 8);
  end.writeUInt16LE(Math.min(count, MAX16), 10);
  end.writeUInt32LE(Math.min(cdSize, MAX32), 12);
  end.writeUInt32LE(Math.min(cdOffset, MAX32), 16);
  parts.push(end);
  return Buffer.concat(parts);
}

function layout(entries: ZipEntry[]): {
  items: Layout[];
  cdOffset: number;
  cdSize: number;
  size: number;
} {
  let offset = 0;
  const items = entries.map((entry) => {
    const name = Buffer.from(entry.name, 'utf8');
    const zip64 = entry.size >= MAX32;
    const item: Layout = { entry, name, zip64, offset, ...dosDateTime(entry.mtimeMs) };
    offset += 30 + name.length + (zip64 ? 20 : 0) + entry.size + (zip64 ? 24 : 16);
    return item;
  });
  const cdOffset = offset;
  const cdSize = items.reduce(
    (sum, item) => sum + 46 + item.name.length + centralExtra(item).length,
    0,
  );
  const size = cdOffset + cdSize + endRecords(items.length, cdOffset, cdSize).length;
  return { items, cdOffset, cdSize, size };
}

/** Size in bytes of the archive of `entries`. */
export function zipSize(entries: ZipEntry[]): number {
  return layout(entries).size;
}

/** The archive as a stream; fails (mid-stream) if a file changed since `entries` was made. */
export function zipStream(entries: ZipEntry[]): { stream: Readable; size: number } {
  const { items, cdOffset, cdSize, size } = layout(entries);
  async function* generate(): AsyncGenerator<Buffer> {
    const crcs: number[] = [];
    for (const item of items) {
      yield localHeader(item);
      let crc = 0;
      const handle = await fs.open(item.entry.path, 'r');
      try {
        const stat = await handle.stat();
        if (stat.size !== item.entry.size || stat.mtimeMs !== item.entry.mtimeMs) {
          throw new Error(`${item.entry.name} changed after the link was created`);
        }
        let position = 0;
        while (position < item.entry.size) {
          const length = Math.min(READ_CHUNK, item.entry.size - position);
          const { bytesRead, buffer } = await handle.read(
            Buffer.allocUnsafe(length),
            0,
            length,
            position,
          );
          if (bytesRead === 0) throw new Error(`${item.entry.name} shrank while it was being sent`);
          const chunk = bytesRead === length ? buffer : buffer.subarray(0, bytesRead);
          crc = crc32(chunk, crc);
          position += bytesRead;
          yield chunk;
        }
      } finally {
        await handle.close();
      }
      crcs.push(crc);
      yield dataDescriptor(item, crc);
    }
    yield Buffer.concat(items.map((item, i) => centralHeader(item, crcs[i] ?? 0)));
    yield endRecords(items.length, cdOffset, cdSize);
  }
  return { stream: Readable.from(generate(), { objectMode: false, highWaterMark: 1 }), size };
}
