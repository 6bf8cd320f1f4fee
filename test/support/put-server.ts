import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A tiny HTTP PUT receiver for tests of the ENGINE (progress, cancel, retry,
 * crash recovery), where what matters is timing and failures we control. The
 * exporters themselves are tested against real servers.
 */
export type PutServer = {
  url: string;
  received: Map<string, { bytes: number; sha256: string }>;
  requests: number;
  /** Paths of the requests that arrived, in order (with `hold`). */
  arrived: string[];
  /** Lets the held request for `path` be answered. */
  release: (path: string) => void;
  close: () => Promise<void>;
};

export type PutBehaviour = {
  /** Answer this status to the first N requests (after reading the body). */
  failFirst?: { count: number; status: number };
  /** Slow reading: bytes per second. */
  bytesPerSecond?: number;
  /** Hold every answer until the test calls `release(path)`. */
  hold?: boolean;
};

export async function startPutServer(behaviour: PutBehaviour = {}): Promise<PutServer> {
  const received = new Map<string, { bytes: number; sha256: string }>();
  let requests = 0;
  const arrived: string[] = [];
  const releases = new Map<string, () => void>();
  const released = new Set<string>();
  const handler = async (req: IncomingMessage, res: ServerResponse) => {
    requests++;
    arrived.push(req.url ?? '');
    const attempt = requests;
    const hash = createHash('sha256');
    let bytes = 0;
    const started = Date.now();
    for await (const chunk of req as AsyncIterable<Buffer>) {
      hash.update(chunk);
      bytes += chunk.length;
      if (behaviour.bytesPerSecond) {
        const due = started + (bytes / behaviour.bytesPerSecond) * 1000;
        const wait = due - Date.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      }
    }
    if (behaviour.failFirst && attempt <= behaviour.failFirst.count) {
      res.writeHead(behaviour.failFirst.status, { 'Content-Type': 'text/plain' });
      res.end('Service temporarily unavailable, try again');
      return;
    }
    if (req.url?.includes('missing')) {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('No such upload slot');
      return;
    }
    const path = req.url ?? '';
    if (behaviour.hold && !released.has(path)) {
      await new Promise<void>((resolve) => releases.set(path, resolve));
    }
    received.set(path, { bytes, sha256: hash.digest('hex') });
    res.writeHead(201);
    res.end();
  };
  const server: Server = createServer((req, res) => {
    handler(req, res).catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    get requests() {
      return requests;
    },
    arrived,
    release(path) {
      released.add(path);
      releases.get(path)?.();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
