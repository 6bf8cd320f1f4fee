import { promises as fs } from 'node:fs';
import { parseBwLimit, rateAt, type BwLimit } from '../transfer/bwlimit';
import { loadBandwidthLimits, type BandwidthLimits } from '../transfer/bwlimit-settings';
import { BUCKET_SLOTS, GLOBAL_SLOT, createBuckets, setRate } from '../transfer/byte-buckets';
import { settingsPath } from '../store/settings-file';

/** A change of settings.json (another process: `outbox settings bwlimit`) or of the timetable's hour applies this soon. */
const CHECK_MS = 500;

/**
 * The bandwidth limits of this process's transfers: the global one and each
 * destination's, from settings.json (or `--bwlimit`, which replaces the
 * global one for a run), written into the shared buckets every exporter
 * thread reads. Checked every CHECK_MS: a changed setting or a timetable
 * entry reaches running transfers within a second.
 */
export class BandwidthControl {
  readonly buckets = createBuckets();
  private readonly slots = new Map<string, number>();
  private limits: { global?: BwLimit; profiles: Map<string, BwLimit> } = { profiles: new Map() };
  private checked = '';
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly home: string,
    /** `--bwlimit`: the global limit of this run, whatever settings.json says. */
    private readonly override?: BwLimit,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /** Reads the settings and keeps them applied until close(). */
  async start(): Promise<void> {
    await this.check();
    this.timer = setInterval(() => void this.check(), CHECK_MS);
    this.timer.unref();
  }

  close(): void {
    clearInterval(this.timer);
  }

  /** The slots whose limits a transfer to `profile` (undefined: a task of its own) counts against. */
  slotsFor(profile: string | undefined): number[] {
    // A slot per destination sent to in this process, limited or not yet (a limit set later
    // applies to its running transfers); BUCKET_SLOTS - 1 destinations at most.
    if (profile === undefined) return [GLOBAL_SLOT];
    if (!this.slots.has(profile) && this.slots.size >= BUCKET_SLOTS - 1) return [GLOBAL_SLOT];
    return [GLOBAL_SLOT, this.slotOf(profile)];
  }

  /** Re-reads settings.json when it changed, and sets every slot's rate for now. */
  private async check(): Promise<void> {
    const stat = await fs.stat(settingsPath(this.home)).catch(() => undefined);
    const version = stat ? `${stat.mtimeMs}:${stat.size}` : 'none';
    if (version !== this.checked) {
      this.checked = version;
      this.limits = parsed(await loadBandwidthLimits(this.home));
    }
    this.apply();
  }

  private apply(): void {
    const now = this.clock();
    const global = this.override ?? this.limits.global;
    setRate(this.buckets, GLOBAL_SLOT, global ? rateAt(global, now) : 0);
    for (const [profile, slot] of this.slots) {
      const limit = this.limits.profiles.get(profile);
      setRate(this.buckets, slot, limit ? rateAt(limit, now) : 0);
    }
  }

  private slotOf(profile: string): number {
    let slot = this.slots.get(profile);
    if (slot === undefined) {
      slot = this.slots.size + 1;
      this.slots.set(profile, slot);
      this.apply();
    }
    return slot;
  }
}

/** Saved limits parsed (the schema checked them when they were read). */
function parsed(limits: BandwidthLimits): { global?: BwLimit; profiles: Map<string, BwLimit> } {
  return {
    ...(limits.global ? { global: parseBwLimit(limits.global) } : {}),
    profiles: new Map(
      Object.entries(limits.profiles ?? {}).map(([name, text]) => [name, parseBwLimit(text)]),
    ),
  };
}
