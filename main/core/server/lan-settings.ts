import { networkInterfaces } from 'node:os';
import { z } from 'zod';
import { OutboxError } from '../errors';
import { readSettingsFile, writeSetting } from '../store/settings-file';

/**
 * LAN sharing settings in `<home>/settings.json`. Off by default: links are
 * then served on loopback only. When on, the link server also listens on the
 * chosen interface addresses (default: every non-internal IPv4 address), and
 * serves there only the links marked `lan`.
 */

export const lanSharingSchema = z.strictObject({
  enabled: z.boolean(),
  /** IPv4 addresses to listen on; absent = every non-internal IPv4 address. */
  interfaces: z.array(z.ipv4()).max(32).optional(),
});
export type LanSharing = z.output<typeof lanSharingSchema>;

export const LAN_SHARING_OFF: LanSharing = { enabled: false };

export async function loadLanSharing(home: string): Promise<LanSharing> {
  const parsed = lanSharingSchema.safeParse((await readSettingsFile(home)).lan_sharing);
  return parsed.success ? parsed.data : LAN_SHARING_OFF;
}

/**
 * Why `address` cannot be a LAN listener's address, or undefined when it can:
 * a unicast, non-loopback IPv4 address of one of this machine's interfaces.
 * Never a wildcard (0.0.0.0 would serve every interface, loopback included).
 */
export function lanListenProblem(address: string): string | undefined {
  const candidates = lanCandidates();
  if (candidates.some((candidate) => candidate.address === address)) return undefined;
  const [first = 0] = address.split('.').map(Number);
  const why =
    address === '0.0.0.0'
      ? 'a wildcard (every interface, loopback included), never listened on'
      : first === 127
        ? 'a loopback address, which other devices cannot reach'
        : first >= 224
          ? 'not a unicast address'
          : 'not an address of this machine';
  const available = candidates.map((c) => `${c.address} (${c.name})`).join(', ');
  return `${why}; this machine's network addresses: ${available || 'none'}`;
}

/** Checks the addresses chosen before they are saved: INVALID_DATA naming the field and why. */
export function checkLanSharing(lan: LanSharing): void {
  if (!lan.enabled) return; // turning it off always works, whatever the list holds
  for (const [i, address] of (lan.interfaces ?? []).entries()) {
    const problem = lanListenProblem(address);
    if (problem) {
      throw new OutboxError(
        'INVALID_DATA',
        `lan_sharing.interfaces[${i}]: ${address} is ${problem}`,
      );
    }
  }
}

export async function saveLanSharing(home: string, lan: LanSharing): Promise<void> {
  checkLanSharing(lan);
  await writeSetting(home, 'lan_sharing', lanSharingSchema.parse(lan));
}

export type NetworkAddress = { name: string; address: string };

/** This machine's non-internal IPv4 addresses, the ones a phone on the same network can reach. */
export function lanCandidates(): NetworkAddress[] {
  return Object.entries(networkInterfaces()).flatMap(([name, entries]) =>
    (entries ?? [])
      .filter((entry) => entry.family === 'IPv4' && !entry.internal)
      .map((entry) => ({ name, address: entry.address })),
  );
}

/** The addresses to listen on: none when off (each is checked again when listened on). */
export function lanAddresses(lan: LanSharing): string[] {
  if (!lan.enabled) return [];
  return lan.interfaces ?? lanCandidates().map((candidate) => candidate.address);
}
