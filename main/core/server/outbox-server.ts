import { promises as fs } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { OutboxConfig } from '../config';
import { LinkCache } from '../links/link-cache';
import { sweepLinksWhileServing } from '../links/open-links';
import {
  handleLinkRequest,
  isLinkPath,
  sendText,
  type LinkRequestContext,
} from '../links/link-handler';
import { PasswordAttempts } from '../links/link-password';
import type { LinkStore } from '../links/link-store';
import { sendBody } from '../http/send-body';
import { findRunningServer, serverInfoPath, type ServerInfo } from '../http/server-info';
import { ensurePrivateDir, writeFileAtomic } from '../store/atomic-file';
import { guardConnections } from './connection-guard';
import { lanAddresses, lanListenProblem, loadLanSharing } from './lan-settings';

/** Routes other than links (the browser host's UI and API) plug in here. */
export type AppRoutes = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<boolean>;

export type RunningServer = {
  server: Server;
  url: string;
  /** Base URLs the LAN listeners serve links on now (empty: LAN sharing off). */
  lanUrls(): string[];
  /** Addresses from the settings that could not be listened on, with why. */
  lanErrors(): string[];
  /** Re-reads settings.json and opens/closes LAN listeners to match. */
  applyLanSharing(): Promise<string[]>;
  close: () => Promise<void>;
};

/** Servers of this process by data directory: saving settings applies them at once. */
const running = new Map<string, RunningServer>();

/** Applies LAN settings to a server this process runs on `home`; other processes poll. */
export async function refreshLanSharing(home: string): Promise<string[] | undefined> {
  return running.get(home)?.applyLanSharing();
}

/** How often a server checks settings.json for changes made by another process. */
const SETTINGS_POLL_MS = 2_000;

function closeServer(server: Server): Promise<void> {
  return new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
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
  await ensurePrivateDir(config.home);
  // One server per data directory: download limits and password tries are counted by it.
  const other = await findRunningServer(config.home);
  if (other && (other.pid !== process.pid || running.has(config.home))) {
    throw new Error(
      `another Outbox server is already running on ${config.home} at ${other.url} (pid ${other.pid}): ` +
        'use it, or stop it first',
    );
  }
  let port = config.port;
  const shared = {
    links: new LinkCache(links),
    ledger: links.ledger,
    attempts: new PasswordAttempts(),
  };
  const loopbackLinks: LinkRequestContext = { ...shared, lanOnly: false };
  const lanLinks: LinkRequestContext = { ...shared, lanOnly: true };

  // Check header/request timeouts every second (Node's default is 30 s): slow clients are cut promptly.
  const server = createServer({ connectionsCheckingInterval: 1000 }, (req, res) => {
    const url = new URL(req.url ?? '/', 'http://outbox.invalid');
    const handle = async (): Promise<void> => {
      if (isLinkPath(url.pathname)) return handleLinkRequest(req, res, url, loopbackLinks);
      if (!isLoopbackHost(req.headers.host, port)) {
        return sendText(res, 421, 'This address only serves download links.');
      }
      if (url.pathname === '/healthz') {
        const body = JSON.stringify({ app: 'outbox', pid: process.pid });
        return sendBody(res, 200, 'application/json', body);
      }
      if (app && (await app(req, res, url))) return;
      sendText(res, 404, 'Not found.');
    };
    handle().catch((error: unknown) => internalError(res, error));
  });
  guardConnections(server);

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
  const stopSweeping = await sweepLinksWhileServing(links).catch(async (error: unknown) => {
    await closeServer(server);
    throw error;
  });
  const started_at = new Date().toISOString();

  // LAN listeners: links marked `lan` and their pages, nothing else (no API, UI or /healthz).
  const lanServers = new Map<string, Server>();
  let lanErrors: string[] = [];
  const lanUrls = () => [...lanServers.keys()].map((address) => `http://${address}:${port}`);
  const writeInfo = async () => {
    const info: ServerInfo = {
      pid: process.pid,
      url,
      started_at,
      lan_urls: lanUrls(),
      lan_errors: lanErrors,
    };
    await writeFileAtomic(serverInfoPath(config.home), JSON.stringify(info) + '\n');
  };
  const listenOnLan = async (address: string): Promise<void> => {
    const lan = createServer({ connectionsCheckingInterval: 1000 }, (req, res) => {
      const lanUrl = new URL(req.url ?? '/', 'http://outbox.invalid');
      if (!isLinkPath(lanUrl.pathname)) return sendText(res, 404, 'Not found.');
      handleLinkRequest(req, res, lanUrl, lanLinks).catch((error: unknown) =>
        internalError(res, error),
      );
    });
    guardConnections(lan);
    await new Promise<void>((resolve, reject) => {
      lan.once('error', reject);
      lan.listen(port, address, () => resolve());
    });
    lanServers.set(address, lan);
  };
  let applying = Promise.resolve<string[]>([]);
  const applyLanSharing = (): Promise<string[]> => {
    applying = applying
      .catch(() => [])
      .then(async () => {
        const settings = await loadLanSharing(config.home);
        const wanted = new Set(lanAddresses(settings));
        for (const [address, lan] of lanServers) {
          if (!wanted.has(address)) {
            lanServers.delete(address);
            await closeServer(lan);
          }
        }
        lanErrors =
          settings.enabled && wanted.size === 0
            ? ['this machine has no network address (IPv4, not loopback) to listen on']
            : [];
        for (const address of wanted) {
          if (lanServers.has(address)) continue;
          // An address from a hand-edited file, or one this machine no longer has.
          const problem = lanListenProblem(address);
          if (problem) {
            lanErrors.push(`${address} is ${problem}`);
            continue;
          }
          await listenOnLan(address).catch((error: NodeJS.ErrnoException) => {
            lanErrors.push(`${address}: ${error.code ?? error.message}`);
          });
        }
        await writeInfo();
        return lanUrls();
      });
    return applying;
  };
  await applyLanSharing();

  let settingsStamp = '';
  const stampOf = () =>
    fs.stat(join(config.home, 'settings.json')).then(
      (stat) => `${stat.mtimeMs}:${stat.size}:${stat.ino}`,
      () => '',
    );
  settingsStamp = await stampOf();
  const poll = setInterval(() => {
    void stampOf().then((stamp) => {
      if (stamp === settingsStamp) return;
      settingsStamp = stamp;
      void applyLanSharing();
    });
  }, SETTINGS_POLL_MS);
  poll.unref();

  const handle: RunningServer = {
    server,
    url,
    lanUrls,
    lanErrors: () => lanErrors,
    applyLanSharing,
    close: async () => {
      clearInterval(poll);
      stopSweeping();
      if (running.get(config.home) === handle) running.delete(config.home);
      await Promise.all([server, ...lanServers.values()].map(closeServer));
      lanServers.clear();
      shared.links.close();
      await shared.ledger.close();
      const current = await findRunningServer(config.home);
      if (current?.pid === process.pid) await fs.rm(serverInfoPath(config.home), { force: true });
    },
  };
  running.set(config.home, handle);
  return handle;
}

function internalError(res: ServerResponse, error: unknown): void {
  if (res.headersSent) res.destroy();
  else
    sendText(res, 500, `Internal error: ${error instanceof Error ? error.message : String(error)}`);
}
