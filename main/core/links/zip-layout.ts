import { createHash } from 'node:crypto';

/**
 * The byte layout of a ZIP link's archive. Entries are stored (not
 * compressed: downloads of already-compressed files gain nothing, and every
 * size is known up front), so where each header, file and record sits follows
 * from the names and sizes alone: any byte range can be produced without
 * writing the bytes before it. CRCs go in data descriptors and the central
 * directory (see zip-stream.ts). Zip64 records appear where an entry, an
 * offset or the entry count needs them.
 */

export type ZipEntry = { name: string; path: string; size: number; mtimeMs: number };

export type ZipItem = {
  entry: ZipEntry;
  name: Buffer;
  zip64: boolean;
  /** Offset of the local header; the file's bytes start at `dataOffset`, its descriptor at `descriptorOffset`. */
  offset: number;
  dataOffset: number;
  descriptorOffset: number;
  /** First byte after the descriptor. */
  end: number;
  /** Offset of its central directory header, and that header's length. */
  centralOffset: number;
  centralLength: number;
  /** The files' bytes before this one's (the position of its bytes among all the files' bytes). */
  dataBefore: number;
  dosTime: number;
  dosDate: number;
};

export type ZipLayout = {
  items: ZipItem[];
  cdOffset: number;
  cdSize: number;
  endRecords: Buffer;
  size: number;
  /** Strong ETag: the same archive bytes for as long as the files are unchanged. */
  etag: string;
};

const MAX32 = 0xffffffff;
const MAX16 = 0xffff;
const FLAGS = (1 << 3) | (1 << 11); // sizes and CRC in a data descriptor; UTF-8 names
/** Bumped whenever the bytes this module writes change: old ETags must not match. */
const LAYOUT_VERSION = 1;

function dosDateTime(mtimeMs: number): { dosTime: number; dosDate: number } {
  const d = new Date(mtimeMs);
  const year = Math.min(Math.max(d.getFullYear(), 1980), 2107);
  return {
    dosTime: (d.getHours() << 11) | (d.getMinutes() << 5) | Math.floor(d.getSeconds() / 2),
    dosDate: ((year - 1980) << 9) | ((d.getMonth() + 1) << 5) | d.getDate(),
  };
}

export function localHeader(item: ZipItem): Buffer {
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

export function dataDescriptor(item: ZipItem, crc: number): Buffer {
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

function centralExtraLength(size: number, offset: number): number {
  const fields = (size >= MAX32 ? 2 : 0) + (offset >= MAX32 ? 1 : 0);
  return fields === 0 ? 0 : 4 + fields * 8;
}

// The lengths of an archive's parts, for the layout and for ZipSizeCount alike.
/** An entry's local header with its Zip64 extra: what comes before its data. */
const localHeaderLength = (nameLength: number, size: number) =>
  30 + nameLength + (size >= MAX32 ? 20 : 0);
/** An entry's data descriptor, after its data. */
const descriptorLength = (size: number) => (size >= MAX32 ? 24 : 16);
/** An entry's record in the central directory (`offset`: where its local header starts). */
const centralRecordLength = (nameLength: number, size: number, offset: number) =>
  46 + nameLength + centralExtraLength(size, offset);
/** Whether the archive ends with the Zip64 end records as well as the plain one. */
const zip64End = (count: number, cdOffset: number, cdSize: number) =>
  count >= MAX16 || cdOffset >= MAX32 || cdSize >= MAX32;
const endLength = (zip64: boolean) => (zip64 ? 56 + 20 : 0) + 22;

function centralExtra(item: ZipItem): Buffer {
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

export function centralHeader(item: ZipItem, crc: number): Buffer {
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
  const zip64 = zip64End(count, cdOffset, cdSize);
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

export function zipLayout(entries: ZipEntry[]): ZipLayout {
  let offset = 0;
  let dataBefore = 0;
  const etag = createHash('sha256').update(`zip ${LAYOUT_VERSION}\n`);
  const items = entries.map((entry): ZipItem => {
    const name = Buffer.from(entry.name, 'utf8');
    const zip64 = entry.size >= MAX32;
    const dataOffset = offset + localHeaderLength(name.length, entry.size);
    const descriptorOffset = dataOffset + entry.size;
    const end = descriptorOffset + descriptorLength(entry.size);
    const item = {
      entry,
      name,
      zip64,
      offset,
      dataOffset,
      descriptorOffset,
      end,
      centralOffset: 0,
      centralLength: centralRecordLength(name.length, entry.size, offset),
      dataBefore,
      ...dosDateTime(entry.mtimeMs),
    };
    dataBefore += entry.size;
    etag.update(`${entry.size} ${entry.mtimeMs} ${entry.name}\n`);
    offset = end;
    return item;
  });
  const cdOffset = offset;
  for (const item of items) {
    item.centralOffset = offset;
    offset += item.centralLength;
  }
  const cdSize = offset - cdOffset;
  const records = endRecords(items.length, cdOffset, cdSize);
  return {
    items,
    cdOffset,
    cdSize,
    endRecords: records,
    size: offset + records.length,
    etag: `"zip-${etag.digest('base64url').slice(0, 27)}"`,
  };
}

/**
 * Size in bytes of an archive, counted an entry at a time as its entries are
 * made (the layout's arithmetic alone: no headers made).
 */
export class ZipSizeCount {
  private offset = 0;
  private central = 0;
  private entries = 0;

  add(entry: Pick<ZipEntry, 'name' | 'size'>): void {
    const name = Buffer.byteLength(entry.name, 'utf8');
    this.central += centralRecordLength(name, entry.size, this.offset);
    this.offset += localHeaderLength(name, entry.size) + entry.size + descriptorLength(entry.size);
    this.entries++;
  }

  get total(): number {
    return (
      this.offset + this.central + endLength(zip64End(this.entries, this.offset, this.central))
    );
  }
}

/** The index of the first item that ends after `offset` (items.length when none). */
export function itemAt(layout: ZipLayout, offset: number): number {
  let low = 0;
  let high = layout.items.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((layout.items[mid]?.end ?? Infinity) <= offset) low = mid + 1;
    else high = mid;
  }
  return low;
}

/**
 * Where archive offset `offset` falls among the files' own bytes (headers,
 * descriptors and the central directory take no room there): download counts
 * are kept in those terms, so a ZIP link's files fetched one by one count too.
 */
export function dataPosition(layout: ZipLayout, offset: number): number {
  const item = layout.items[itemAt(layout, offset)];
  if (!item) {
    const last = layout.items.at(-1);
    return last ? last.dataBefore + last.entry.size : 0;
  }
  const within = Math.min(Math.max(offset - item.dataOffset, 0), item.entry.size);
  return item.dataBefore + within;
}
