import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { sendBody } from '../http/send-body';

/**
 * Bounds what one client can hold of a local server (the loopback one and
 * the LAN listeners alike):
 * - connections per client address: past the limit, a kept-alive connection
 *   of that address with no request in progress is closed to make room, or
 *   else the new one is answered 503 and closed;
 * - the time a request may take to arrive: headers within 15 s (Node's
 *   headersTimeout), and a body at an average of at least MIN_BODY_RATE after
 *   its first BODY_GRACE_MS (uploads of any size are fine at any real speed;
 *   a body trickled a byte at a time is cut with 408).
 * Slow downloads are not cut for being slow: a response may take as long as
 * its client reads, while it keeps reading (the socket's idle timeout).
 */

export const MAX_CONNECTIONS_PER_ADDRESS = 64;
export const BODY_GRACE_MS = 10_000;
export const MIN_BODY_RATE = 64 * 1024;
const CHECK_EVERY_MS = 1000;

export function limitSlowClients(server: Server): void {
  server.headersTimeout = 15_000;
  // Not Node's requestTimeout: it would cut large uploads to the browser host.
  // Bodies are held to a minimum rate below instead.
  server.requestTimeout = 0;
  server.timeout = 60_000;
  server.keepAliveTimeout = 5_000;
}

const tooMany =
  `Too many connections from your address (${MAX_CONNECTIONS_PER_ADDRESS} at once): ` +
  'close some and try again.\n';

function refuse(socket: Socket): void {
  socket.end(
    'HTTP/1.1 503 Service Unavailable\r\n' +
      'Content-Type: text/plain; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(tooMany)}\r\n` +
      'Retry-After: 5\r\nConnection: close\r\n\r\n' +
      tooMany,
  );
  setTimeout(() => socket.destroy(), 2000).unref();
}

type Tracked = { busy: boolean; served: boolean };

type Upload = { req: IncomingMessage; res: ServerResponse; started: number; bytesAtStart: number };

function hasBody(req: IncomingMessage): boolean {
  return (
    req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length']) > 0
  );
}

/** Applies the limits above to `server`. */
export function guardConnections(server: Server): void {
  limitSlowClients(server);
  const byAddress = new Map<string, Map<Socket, Tracked>>();
  const bodies = new Set<Upload>();

  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress ?? '';
    let sockets = byAddress.get(address);
    if (!sockets) byAddress.set(address, (sockets = new Map()));
    if (sockets.size >= MAX_CONNECTIONS_PER_ADDRESS) {
      const idle = [...sockets].find(([, state]) => state.served && !state.busy)?.[0];
      if (!idle) return refuse(socket);
      idle.destroy();
      sockets.delete(idle);
    }
    const own = sockets;
    own.set(socket, { busy: false, served: false });
    socket.once('close', () => {
      own.delete(socket);
      if (own.size === 0 && byAddress.get(address) === own) byAddress.delete(address);
    });
  });

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const state = byAddress.get(req.socket.remoteAddress ?? '')?.get(req.socket);
    if (state) state.busy = true;
    const upload: Upload | undefined = hasBody(req)
      ? { req, res, started: Date.now(), bytesAtStart: req.socket.bytesRead }
      : undefined;
    if (upload) bodies.add(upload); // leaves the set once complete (see the timer)
    // 'close' comes when the response is done (after 'finish') or the connection is gone.
    res.once('close', () => {
      if (upload) bodies.delete(upload);
      if (state) Object.assign(state, { busy: false, served: true });
    });
  });

  const timer = setInterval(() => {
    const now = Date.now();
    for (const upload of bodies) {
      const { req, res } = upload;
      if (req.complete || req.socket.destroyed) {
        bodies.delete(upload);
        continue;
      }
      const received = req.socket.bytesRead - upload.bytesAtStart;
      const allowed = BODY_GRACE_MS + (received / MIN_BODY_RATE) * 1000;
      if (now - upload.started <= allowed) continue;
      bodies.delete(upload);
      if (!res.headersSent) {
        res.setHeader('Connection', 'close');
        const text = 'The request body arrived too slowly; send it again.\n';
        sendBody(res, 408, 'text/plain; charset=utf-8', text);
      }
      setTimeout(() => req.socket.destroy(), 500).unref();
    }
  }, CHECK_EVERY_MS);
  timer.unref();
  server.once('close', () => clearInterval(timer));
}
