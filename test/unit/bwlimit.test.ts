import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { BandwidthControl } from '../../main/core/engine/bandwidth';
import { OutboxError } from '../../main/core/errors';
import { BwLimitError, parseBwLimit, parseRate, rateAt } from '../../main/core/transfer/bwlimit';
import {
  loadBandwidthLimits,
  ratesAt,
  saveBandwidthLimit,
} from '../../main/core/transfer/bwlimit-settings';
import {
  GLOBAL_SLOT,
  createBuckets,
  rateOf,
  readLimit,
  reserve,
  setRate,
} from '../../main/core/transfer/byte-buckets';
import { tempDir } from '../support/engine';

const KiB = 1024;
const MiB = 1024 * 1024;

/** Local time (timetables are local, as rclone's): 2026-12-07 is a Monday. */
const at = (day: number, hours: number, minutes = 0) => new Date(2026, 11, 7 + day, hours, minutes);

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof BwLimitError) return error.message;
    throw error;
  }
  throw new Error('expected a BwLimitError');
}

describe('--bwlimit rates (rclone syntax, binary units)', () => {
  it('reads K, M, G (KiB/s, MiB/s, GiB/s), B, a bare number as KiB/s, decimals, off and 0', () => {
    expect(parseRate('10M')).toBe(10 * MiB);
    expect(parseRate('512k')).toBe(512 * KiB);
    expect(parseRate('1G')).toBe(1024 * MiB);
    expect(parseRate('2048B')).toBe(2048);
    expect(parseRate('100')).toBe(100 * KiB);
    expect(parseRate('1.5M')).toBe(1.5 * MiB);
    expect(parseRate('off')).toBe(0);
    expect(parseRate('OFF')).toBe(0);
    expect(parseRate('0')).toBe(0);
  });

  it('refuses what is not a rate, saying why', () => {
    expect(messageOf(() => parseRate('10X'))).toMatch(/"10X" is not a rate/);
    expect(messageOf(() => parseRate('-1M'))).toMatch(/not a rate/);
    expect(messageOf(() => parseRate('0x10'))).toMatch(/not a rate/);
    expect(messageOf(() => parseRate('100B'))).toMatch(/below the smallest limit, 1K/);
    expect(messageOf(() => parseRate('10M:1M'))).toMatch(/only sends, give one rate/);
    expect(messageOf(() => parseBwLimit('  '))).toMatch(/empty/);
  });
});

describe('--bwlimit timetables', () => {
  it('applies the latest entry of the day, and before the first one the last of the day before', () => {
    const limit = parseBwLimit('08:00,1M 12:00,off 19:00,512K');
    expect(rateAt(limit, at(0, 7, 59))).toBe(512 * KiB); // still last night's
    expect(rateAt(limit, at(0, 8, 0))).toBe(MiB);
    expect(rateAt(limit, at(2, 11, 59))).toBe(MiB);
    expect(rateAt(limit, at(2, 12, 0))).toBe(0);
    expect(rateAt(limit, at(6, 23, 59))).toBe(512 * KiB);
  });

  it('takes weekdays (three letters or whole names, any case) and semicolons between entries', () => {
    const limit = parseBwLimit('Mon-08:00,2M;sat-00:00,off;Friday-18:30,1M');
    expect(rateAt(limit, at(0, 7, 0))).toBe(0); // Monday before 08:00: from Saturday
    expect(rateAt(limit, at(0, 8, 0))).toBe(2 * MiB);
    expect(rateAt(limit, at(4, 18, 29))).toBe(2 * MiB);
    expect(rateAt(limit, at(4, 18, 30))).toBe(MiB);
    expect(rateAt(limit, at(5, 9, 0))).toBe(0);
  });

  it('a single rate holds all week', () => {
    expect(rateAt(parseBwLimit('4M'), at(3, 3))).toBe(4 * MiB);
    expect(rateAt(parseBwLimit('off'), at(3, 3))).toBe(0);
  });

  it('names the entry that is wrong and why', () => {
    expect(messageOf(() => parseBwLimit('08:00,1M 25:00,off'))).toBe(
      '"25:00,off": 25:00 is not a time of day',
    );
    expect(messageOf(() => parseBwLimit('08:00,1M 8:00,off'))).toMatch(
      /"8:00,off": the time must be HH:MM/,
    );
    expect(messageOf(() => parseBwLimit('Moon-08:00,1M'))).toMatch(/Moon is not a weekday/);
    expect(messageOf(() => parseBwLimit('08:00,1M 19:00'))).toMatch(
      /"19:00": a timetable entry is HH:MM,RATE/,
    );
    expect(messageOf(() => parseBwLimit('08:00,fast'))).toMatch(
      /"08:00,fast": "fast" is not a rate/,
    );
    expect(messageOf(() => parseBwLimit('08:00,1M 08:00,2M'))).toMatch(
      /second entry for the same time/,
    );
  });
});

describe('shared byte buckets', () => {
  it('pays bytes at the rate, after a burst of 0.1 s; no limit means no wait', () => {
    const buffer = createBuckets();
    const cells = new BigInt64Array(buffer);
    const ms = (n: number) => BigInt(n) * 1_000_000n;
    expect(reserve(cells, GLOBAL_SLOT, MiB, ms(0))).toBe(0n);
    setRate(buffer, GLOBAL_SLOT, 4 * MiB, () => ms(1000));
    // 1 MiB at 4 MiB/s is paid 250 ms later; 100 ms of it may run ahead
    expect(reserve(cells, GLOBAL_SLOT, MiB, ms(1000))).toBe(ms(150));
    expect(reserve(cells, GLOBAL_SLOT, MiB, ms(1000))).toBe(ms(400));
    // after a pause the budget does not pile up beyond the burst
    expect(reserve(cells, GLOBAL_SLOT, MiB, ms(60_000))).toBe(ms(150));
    setRate(buffer, GLOBAL_SLOT, 0);
    expect(reserve(cells, GLOBAL_SLOT, 100 * MiB, ms(60_000))).toBe(0n);
  });

  it('a reader waits under the strictest limit of its slots and reads smaller chunks under a limit', async () => {
    const buffer = createBuckets();
    const limit = readLimit(buffer, [GLOBAL_SLOT, 1]);
    expect(limit.chunk()).toBeUndefined();
    expect(limit.take(10 * MiB)).toBeUndefined();
    setRate(buffer, 1, 1 * MiB);
    setRate(buffer, GLOBAL_SLOT, 8 * MiB);
    expect(limit.chunk()).toBe(128 * KiB);
    expect(rateOf(buffer, 1)).toBe(MiB);
    expect(limit.take(8 * KiB)).toBeUndefined(); // within the burst
    const controller = new AbortController();
    const waiting = limit.take(MiB, controller.signal);
    expect(waiting).toBeInstanceOf(Promise);
    controller.abort();
    await expect(waiting).rejects.toThrow();
  });

  it('a waiting reader starts over with a changed limit', async () => {
    const buffer = createBuckets();
    setRate(buffer, GLOBAL_SLOT, 1024); // 1 KiB/s: a MiB would take 17 minutes
    const waiting = readLimit(buffer, [GLOBAL_SLOT]).take(MiB);
    setRate(buffer, GLOBAL_SLOT, 0);
    await expect(waiting).resolves.toBeUndefined();
  });
});

describe('bandwidth settings', () => {
  it('saves the global limit and one per destination in settings.json, keeping other keys; off removes', async () => {
    const home = await tempDir();
    await fs.writeFile(join(home, 'settings.json'), '{"lan_sharing": {"enabled": false}}');
    await saveBandwidthLimit(home, '10M');
    await saveBandwidthLimit(home, '08:00,1M 19:00,off', 'backups');
    expect(await loadBandwidthLimits(home)).toEqual({
      global: '10M',
      profiles: { backups: '08:00,1M 19:00,off' },
    });
    const file = JSON.parse(await fs.readFile(join(home, 'settings.json'), 'utf8'));
    expect(file.lan_sharing).toEqual({ enabled: false });
    expect(ratesAt(await loadBandwidthLimits(home), at(1, 9))).toEqual({
      global: 10 * MiB,
      profiles: { backups: MiB },
    });
    await saveBandwidthLimit(home, 'off');
    await saveBandwidthLimit(home, 'off', 'backups');
    expect(await loadBandwidthLimits(home)).toEqual({});
    expect(JSON.parse(await fs.readFile(join(home, 'settings.json'), 'utf8'))).toEqual({
      lan_sharing: { enabled: false },
    });
  });

  it('refuses a wrong limit before saving, naming the field', async () => {
    const home = await tempDir();
    const error = await saveBandwidthLimit(home, '08:00,1Q', 'backups').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OutboxError);
    expect((error as OutboxError).message).toBe(
      'bandwidth_limit.profiles.backups: "08:00,1Q": "1Q" is not a rate: write a number with K, M or G (KiB/s, MiB/s, GiB/s), e.g. 10M, or off',
    );
    await expect(fs.stat(join(home, 'settings.json'))).rejects.toThrow();
  });

  it('the engine applies the saved limits and the timetable of the hour to the shared slots', async () => {
    const home = await tempDir();
    await saveBandwidthLimit(home, '08:00,2M 19:00,off');
    await saveBandwidthLimit(home, '512K', 'slow');
    let now = at(0, 9);
    const control = new BandwidthControl(home, undefined, () => now);
    await control.start();
    try {
      expect(control.slotsFor(undefined)).toEqual([GLOBAL_SLOT]);
      const [, slow] = control.slotsFor('slow');
      const [, other] = control.slotsFor('other');
      expect(rateOf(control.buckets, GLOBAL_SLOT)).toBe(2 * MiB);
      expect(rateOf(control.buckets, slow as number)).toBe(512 * KiB);
      expect(rateOf(control.buckets, other as number)).toBe(0);
      now = at(0, 19);
      await saveBandwidthLimit(home, '1M', 'other'); // another process's change: seen on the next check
      await vi.waitFor(() => expect(rateOf(control.buckets, other as number)).toBe(MiB), {
        timeout: 5000,
      });
      expect(rateOf(control.buckets, GLOBAL_SLOT)).toBe(0);
    } finally {
      control.close();
    }
    const override = new BandwidthControl(home, parseBwLimit('3M'), () => at(0, 9));
    await override.start();
    override.close();
    expect(rateOf(override.buckets, GLOBAL_SLOT)).toBe(3 * MiB);
  });
});
