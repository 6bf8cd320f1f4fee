import { readFileSync } from 'node:fs';

/**
 * Which process (and which engine in it) owns a job or a claim, and whether
 * that owner still runs: a job whose owner died was interrupted, a claim
 * whose owner died is free to take over. The boot id tells a pid reused
 * after a reboot from the process that wrote it.
 */

export type Owner = { pid: number; boot: string };

function bootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return String(Math.round(Date.now() / 1000 - process.uptime()));
  }
}
const BOOT = bootId();
const liveEngines = new Set<string>();

/** The owner identity of an engine of this process, live until `engineStopped`. */
export function engineStarted(engineId: string): Owner {
  liveEngines.add(engineId);
  return { pid: process.pid, boot: `${BOOT}/${engineId}` };
}

export function engineStopped(engineId: string): void {
  liveEngines.delete(engineId);
}

export function sameOwner(a: Owner, b: Owner): boolean {
  return a.pid === b.pid && a.boot === b.boot;
}

export function ownerAlive(owner: Owner): boolean {
  const [boot, engineId] = owner.boot.split('/');
  if (boot !== BOOT) return false;
  if (owner.pid === process.pid) return engineId !== undefined && liveEngines.has(engineId);
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists, under another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
