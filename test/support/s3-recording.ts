import {
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type Server,
} from 'node:http';

/** One request that went through a recording proxy. */
export type Recorded = { method: string; url: string; headers: IncomingHttpHeaders };

/** A pass-through HTTP proxy that records requests (and may refuse some) to assert what was sent. */
export async function recordingProxy(
  upstream: string,
  refuse?: (request: Recorded) => { status: number; body: string } | undefined,
): Promise<{ endpoint: string; requests: Recorded[]; close: () => Promise<void> }> {
  const target = new URL(upstream);
  const requests: Recorded[] = [];
  const server: Server = createServer((req, res) => {
    const recorded = { method: req.method ?? '', url: req.url ?? '', headers: req.headers };
    requests.push(recorded);
    const refusal = refuse?.(recorded);
    if (refusal) {
      req.resume();
      req.on('end', () => {
        res.writeHead(refusal.status, { 'content-type': 'application/xml' });
        res.end(refusal.body);
      });
      return;
    }
    // The Host header is kept as the client signed it (SigV4 signs the host).
    const forward = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
