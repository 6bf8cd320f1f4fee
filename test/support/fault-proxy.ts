import { createServer, connect, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy on 127.0.0.1 that forwards to a real server and injects faults,
 * so tests see what users see on a bad network: a connection cut after N bytes
 * (FIN, or RST with `reset`), a stall (no bytes forwarded for a while), or a
 * reset before anything passes, or one byte damaged on the way. A policy
 * applies to every connection, or only to the first K (the retries then get
 * through).
 */

export type Fault =
  /** Forward untouched. */
  | { kind: 'none' }
  /** After `afterBytes` client→server bytes, close both sides (RST if `reset`). */
  | { kind: 'cut'; afterBytes: number; reset?: boolean }
  /**
   * After `afterBytes` client→server bytes, forward nothing either way for `ms`.
   * `across`: bytes counted over all connections (clients that open a connection
   * per request stall too, and every connection opened later stalls at once).
   */
  | { kind: 'stall'; afterBytes: number; ms: number; across?: boolean }
  /** Reset the connection as soon as it is accepted. */
  | { kind: 'reset' }
  /**
   * Flip the bits of the client→server byte at offset `atByte` (TCP's checksum
   * passed; the data did not), and with `every`, of every `every`th byte after it.
   */
  | { kind: 'corrupt'; atByte: number; every?: number };

export type FaultPolicy = {
  fault: Fault;
  /** Only the first `connections` connections get the fault (default: all). */
  connections?: number;
};

export type FaultProxy = {
  readonly port: number;
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** Connections accepted so far. */
  readonly accepted: number;
  /** Connections that got a fault. */
  readonly faulted: number;
  /** Bytes forwarded client→server. */
  readonly bytesUp: number;
  setPolicy(policy: FaultPolicy): void;
  close(): Promise<void>;
};

export async function startFaultProxy(
  target: { host: string; port: number },
  initial: FaultPolicy = { fault: { kind: 'none' } },
): Promise<FaultProxy> {
  let policy = initial;
  let accepted = 0;
  let faultsLeft = initial.connections ?? Infinity;
  let faulted = 0;
  let bytesUp = 0;
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();

  const server: Server = createServer((client) => {
    accepted++;
    const fault = faultsLeft > 0 ? policy.fault : ({ kind: 'none' } as const);
    if (fault.kind !== 'none') {
      faultsLeft--;
      faulted++;
    }
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => undefined);
    if (fault.kind === 'reset') {
      client.resetAndDestroy();
      return;
    }
    const upstream = connect(target);
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.setNoDelay(true);
    upstream.setNoDelay(true);

    let up = 0;
    let nextDamage = fault.kind === 'corrupt' ? fault.atByte : Infinity;
    let stalled = false;
    let tripped = false;
    /** Client bytes that arrived with the stalling chunk, forwarded first when the stall ends. */
    let held: Buffer | undefined;
    const trip = () => {
      tripped = true;
      if (fault.kind === 'cut') {
        if (fault.reset) {
          client.resetAndDestroy();
          upstream.resetAndDestroy();
        } else {
          client.destroy();
          upstream.destroy();
        }
      } else if (fault.kind === 'stall') {
        stalled = true;
        client.pause();
        upstream.pause();
        const timer = setTimeout(() => {
          timers.delete(timer);
          stalled = false;
          if (held && !upstream.destroyed) upstream.write(held);
          held = undefined;
          if (!client.destroyed) client.resume();
          if (!upstream.destroyed) upstream.resume();
        }, fault.ms);
        timers.add(timer);
      }
    };

    client.on('data', (chunk: Buffer) => {
      if (tripped && fault.kind === 'cut') return;
      if (fault.kind === 'corrupt' && up + chunk.length > nextDamage) {
        const damaged = Buffer.from(chunk);
        for (; nextDamage < up + chunk.length; nextDamage += fault.every ?? Infinity) {
          const at = nextDamage - up;
          damaged[at] = (damaged[at] ?? 0) ^ 0xff;
        }
        chunk = damaged;
      }
      if (!tripped && (fault.kind === 'cut' || fault.kind === 'stall')) {
        const room = fault.afterBytes - (fault.kind === 'stall' && fault.across ? bytesUp : up);
        if (chunk.length >= room) {
          const head = chunk.subarray(0, Math.max(0, room));
          up += head.length;
          bytesUp += head.length;
          if (head.length > 0) upstream.write(head);
          if (fault.kind === 'stall') {
            // Held until the stall ends (the client is paused meanwhile), then sent in order.
            held = chunk.subarray(head.length);
            up += held.length;
            bytesUp += held.length;
          }
          trip();
          return;
        }
      }
      up += chunk.length;
      bytesUp += chunk.length;
      if (!upstream.write(chunk)) {
        client.pause();
        upstream.once('drain', () => {
          if (!stalled) client.resume();
        });
      }
    });
    upstream.on('data', (chunk: Buffer) => {
      if (!client.write(chunk)) {
        upstream.pause();
        client.once('drain', () => {
          if (!stalled) upstream.resume();
        });
      }
    });
    client.on('end', () => upstream.end());
    upstream.on('end', () => client.end());
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (!address || typeof address !== 'object') throw new Error('fault proxy has no port');
  const port = address.port;

  return {
    port,
    url: `http://127.0.0.1:${port}`,
    get accepted() {
      return accepted;
    },
    get faulted() {
      return faulted;
    },
    get bytesUp() {
      return bytesUp;
    },
    setPolicy(next) {
      policy = next;
      faultsLeft = next.connections ?? Infinity;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const timer of timers) clearTimeout(timer);
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
