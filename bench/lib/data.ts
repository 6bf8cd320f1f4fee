import { randomFillSync } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';

const MiB = 1024 * 1024;

export type Sizes = {
  /** The single large file (1 GiB in full mode). */
  bigBytes: number;
  /** Many small files (2,000 × 64 KiB in full mode). */
  smallCount: number;
  smallBytes: number;
  /** The scale lines' folder (20,000 × 16 KiB in full mode). */
  scaleCount: number;
  scaleBytes: number;
  /** A folder of photos: medium files, each sent in one request (256 × 4 MiB in full mode). */
  mediumCount: number;
  mediumBytes: number;
  /** The ZIP line's folder (1,000 × 1 MiB in full mode). */
  zipCount: number;
  zipBytes: number;
  /** The memory line's file (4 GiB in full mode). */
  hugeBytes: number;
};

export type Dataset = {
  dir: string;
  big: string;
  small: string;
  scale: string;
  medium: string;
  zip: string;
  huge: string;
  /** A 1 MiB file: the baseline RSS of an export that moves (almost) nothing. */
  tiny: string;
  sizes: Sizes;
};

export const totalBytes = (count: number, each: number) => count * each;

/**
 * Random test data (not zeros: nothing on the way may compress it), written
 * once into `dir` and reused while its recorded sizes match.
 */
export async function prepareData(
  dir: string,
  sizes: Sizes,
  log: (message: string) => void,
): Promise<Dataset> {
  const data: Dataset = {
    dir,
    big: join(dir, 'big.bin'),
    small: join(dir, 'small'),
    scale: join(dir, 'scale'),
    medium: join(dir, 'medium'),
    zip: join(dir, 'zip'),
    huge: join(dir, 'huge.bin'),
    tiny: join(dir, 'tiny.bin'),
    sizes,
  };
  await fs.mkdir(dir, { recursive: true });
  await once(log, dir, 'tiny', MiB, () => writeRandom(data.tiny, MiB));
  await once(log, dir, 'big', sizes.bigBytes, () => writeRandom(data.big, sizes.bigBytes));
  await once(log, dir, 'small', `${sizes.smallCount}x${sizes.smallBytes}`, () =>
    writeFolder(data.small, sizes.smallCount, sizes.smallBytes),
  );
  await once(log, dir, 'scale', `${sizes.scaleCount}x${sizes.scaleBytes}`, () =>
    writeFolder(data.scale, sizes.scaleCount, sizes.scaleBytes),
  );
  await once(log, dir, 'medium', `${sizes.mediumCount}x${sizes.mediumBytes}`, () =>
    writeFolder(data.medium, sizes.mediumCount, sizes.mediumBytes),
  );
  await once(log, dir, 'zip', `${sizes.zipCount}x${sizes.zipBytes}`, () =>
    writeFolder(data.zip, sizes.zipCount, sizes.zipBytes),
  );
  await once(log, dir, 'huge', sizes.hugeBytes, () => writeRandom(data.huge, sizes.hugeBytes));
  return data;
}

/** Runs `make` unless the marker for `name` records the same `spec`. */
async function once(
  log: (message: string) => void,
  dir: string,
  name: string,
  spec: number | string,
  make: () => Promise<void>,
) {
  const marker = join(dir, `.${name}.done`);
  if ((await fs.readFile(marker, 'utf8').catch(() => '')) === String(spec)) return;
  await fs.rm(marker, { force: true });
  const t0 = Date.now();
  await make();
  await fs.writeFile(marker, String(spec));
  log(`generated ${name} (${spec}) in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

async function writeRandom(path: string, bytes: number): Promise<void> {
  const handle = await fs.open(path, 'w');
  const chunk = Buffer.allocUnsafe(4 * MiB);
  try {
    for (let written = 0; written < bytes;) {
      const n = Math.min(chunk.length, bytes - written);
      randomFillSync(chunk, 0, n);
      await handle.write(chunk, 0, n);
      written += n;
    }
  } finally {
    await handle.close();
  }
}

async function writeFolder(dir: string, count: number, bytes: number): Promise<void> {
  await fs.rm(dir, { recursive: true, force: true });
  await fs.mkdir(dir, { recursive: true });
  const width = String(count).length;
  const buffer = Buffer.allocUnsafe(bytes);
  for (let i = 1; i <= count; i++) {
    randomFillSync(buffer);
    await fs.writeFile(join(dir, `f${String(i).padStart(width, '0')}.bin`), buffer);
  }
}
