import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KEYSTONE } from './servers';

/**
 * Keystone relay: forwards to Keystone and rewrites the catalog's Swift URL
 * to `swiftUrl` (the fault proxy), so the exporter's Swift traffic meets the faults.
 */
export async function keystoneRelay(swiftUrl: string): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(req.headers)) {
        if (typeof value === 'string' && !['host', 'connection', 'content-length'].includes(name))
          headers[name] = value;
      }
      const body = Buffer.concat(chunks);
      fetch(`${KEYSTONE.authUrl}${req.url ?? '/'}`, {
        method: req.method ?? 'GET',
        headers,
        ...(body.length > 0 ? { body } : {}),
      })
        .then(async (answer) => {
          const text = (await answer.text()).split(KEYSTONE.swiftUrl).join(swiftUrl);
          const out: Record<string, string> = { 'content-type': 'application/json' };
          const token = answer.headers.get('x-subject-token');
          if (token) out['x-subject-token'] = token;
          res.writeHead(answer.status, out);
          res.end(text);
        })
        .catch(() => {
          res.writeHead(502);
          res.end();
        });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}
