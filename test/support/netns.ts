import { execFile } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { promisify } from 'node:util';

/**
 * A second host for LAN tests: a network namespace joined to this one by a
 * veth pair in a private /30 (10.231.x.y) that only these two ends use. The
 * host side's address is assigned here, so Outbox can listen on it; commands
 * run "on the other host" with `ip netns exec`. Needs root (tests and CI run
 * as root). Names carry the creating pid, so a later run removes leftovers of
 * runs that died without cleaning up, and never another live run's.
 */

const exec = promisify(execFile);
const PREFIX = 'outbox-peer-';
const VETH_HOST_PREFIX = 'obh';

export type PeerHost = {
  namespace: string;
  /** Address on this machine's side of the veth (Outbox's LAN listener binds it). */
  hostAddress: string;
  /** Address of the peer inside the namespace. */
  peerAddress: string;
  /** Runs a command inside the namespace. Never throws: look at `code`. */
  exec(command: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  remove(): Promise<void>;
};

async function ip(...args: string[]): Promise<string> {
  return (await exec('ip', args)).stdout;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Deletes namespaces (and so their veth pairs) left by earlier runs whose process is gone. */
export async function removeStalePeers(): Promise<string[]> {
  const removed: string[] = [];
  for (const line of (await ip('netns', 'list')).split('\n')) {
    const name = line.split(' ')[0] ?? '';
    const pid = Number(/^outbox-peer-(\d+)-/.exec(name)?.[1]);
    if (name.startsWith(PREFIX) && !alive(pid)) {
      await ip('netns', 'delete', name).catch(() => undefined);
      removed.push(name);
    }
  }
  // A host-side veth whose peer never made it into a namespace.
  for (const line of (await ip('-o', 'link', 'show', 'type', 'veth')).split('\n')) {
    const name = /^\d+: ([^@:]+)/.exec(line)?.[1];
    if (name?.startsWith(VETH_HOST_PREFIX) && !line.includes('link-netns')) {
      await ip('link', 'delete', name).catch(() => undefined);
      removed.push(name);
    }
  }
  return removed;
}

export async function createPeerHost(): Promise<PeerHost> {
  const tag = randomBytes(3).toString('hex');
  const namespace = `${PREFIX}${process.pid}-${tag}`;
  const hostIf = `${VETH_HOST_PREFIX}${tag}`;
  const peerIf = `obp${tag}`;
  // A random /30 in 10.231.0.0/16: .1 is this side, .2 the peer.
  const third = randomInt(0, 256);
  const fourth = randomInt(0, 64) * 4;
  const hostAddress = `10.231.${third}.${fourth + 1}`;
  const peerAddress = `10.231.${third}.${fourth + 2}`;

  const remove = async () => {
    await ip('netns', 'delete', namespace).catch(() => undefined);
    await ip('link', 'delete', hostIf).catch(() => undefined);
  };
  try {
    await ip('netns', 'add', namespace);
    await ip('link', 'add', hostIf, 'type', 'veth', 'peer', 'name', peerIf);
    await ip('link', 'set', peerIf, 'netns', namespace);
    await ip('addr', 'add', `${hostAddress}/30`, 'dev', hostIf);
    await ip('link', 'set', hostIf, 'up');
    await ip('netns', 'exec', namespace, 'ip', 'addr', 'add', `${peerAddress}/30`, 'dev', peerIf);
    await ip('netns', 'exec', namespace, 'ip', 'link', 'set', peerIf, 'up');
    await ip('netns', 'exec', namespace, 'ip', 'link', 'set', 'lo', 'up');
  } catch (error) {
    await remove();
    throw error;
  }
  return {
    namespace,
    hostAddress,
    peerAddress,
    remove,
    async exec(command, args) {
      try {
        const { stdout, stderr } = await exec(
          'ip',
          ['netns', 'exec', namespace, command, ...args],
          {
            encoding: 'utf8',
            maxBuffer: 64 * 1024 * 1024,
          },
        );
        return { code: 0, stdout, stderr };
      } catch (error) {
        const failed = error as { code?: number; stdout?: string; stderr?: string };
        return {
          code: typeof failed.code === 'number' ? failed.code : -1,
          stdout: failed.stdout ?? '',
          stderr: failed.stderr ?? '',
        };
      }
    },
  };
}
