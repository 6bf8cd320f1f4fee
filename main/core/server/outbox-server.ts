import { promises as fs } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { z } from 'zod';
import type { OutboxConfig } from '../config';
import { handleLinkRequest, isLinkPath, sendText } from '../links/link-handler';
import type { LinkStore } from '../links/link-store';
import { writeFileAtomic } from '../store/atomic-file';

/** Routes other than links (the browser host's UI and API) plug in here. */
export type AppRoutes = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<boolean>;

export const serverInfoSchema = z.object({
  pid: z.number(),
  url: z.string(),
  started_at: z.string(),
});
export type ServerInfo = z.output<typeof serverInfoSchema>;

export type RunningServer = {
  server: Server;
  url: string;
  close: () => Promise<void>;
};

function serverInfoPath(home: string): string {
  return join(home, 'server.json');
}

/** The server another process announced on this data directory, if it still runs. */
export async function findRunningServer(home: string): Promise<ServerInfo | undefined> {
  try {
    const info = serverInfoSchema.parse(
      JSON.parse(await fs.readFile(serverInfoPath(home), 'utf8')),
    );
    process.kill(info.pid, 0);
    return info;
  } catch {
    return undefined;
  }
}

/** Requests to the app (not to links) must name this machine: defeats DNS rebinding. */
export function isLoopbackHost(host: string | undefined, port: number): boolean {
  return host === `127.0.0.1:${port}` || host === `localhost:${port}` || host === `[::1]:${port}`;
}

/**
 * The local HTTP server: download links (`/d/…`) and, when given, the app's
 * own routes. Bound to 127.0.0.1 unless configured otherwise; timeouts bound
 * slow clients.
 */
export async function startServer(options: {
  config: OutboxConfig;
  links: LinkStore;
  app?: AppRoutes;
}): Promise<RunningServer> {
  const { config, links, app } = options;
  let port = config.port;

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://outbox.invalid');
    const handle = async (): Promise<void> => {
      if (isLinkPath(url.pathname)) return handleLinkRequest(req, res, url.pathname, links);
      if (!isLoopbackHost(req.headers.host, port)) {
        return sendText(res, 421, 'This address only serves download links.');
      }
      if (url.pathname === '/healthz') {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ app: 'outbox', pid: process.pid }));
        return;
      }
      if (app && (await app(req, res, url))) return;
      sendText(res, 404, 'Not found.');
    };
    handle().catch((error: unknown) => {
      if (res.headersSent) res.destroy();
      else
        sendText(
          res,
          500,
          `Internal error: ${error instanceof Error ? error.message : String(error)}`,
        );
    });
  });
  server.headersTimeout = 15_000;
  // No cap on a whole request: the browser host receives uploads of any size.
  // A client that goes quiet for a minute (slow body, stalled download) is dropped instead.
  server.requestTimeout = 0;
  server.timeout = 60_000;
  server.keepAliveTimeout = 5_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'EADDRINUSE'
          ? new Error(
              `port ${config.port} on ${config.host} is in use (another Outbox, or another program): ` +
                'stop it or choose another port with OUTBOX_PORT',
            )
          : error,
      );
    });
    server.listen(config.port, config.host, () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  const url = `http://${config.host}:${port}`;
  await fs.mkdir(config.home, { recursive: true, mode: 0o700 });
  const info: ServerInfo = { pid: process.pid, url, started_at: new Date().toISOString() };
  await writeFileAtomic(serverInfoPath(config.home), JSON.stringify(info) + '\n');

  return {
    server,
    url,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      const current = await findRunningServer(config.home);
      if (current?.pid === process.pid) await fs.rm(serverInfoPath(config.home), { force: true });
    },
  };
}
