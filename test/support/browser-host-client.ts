import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { ApiResult } from '../../main/core/api/api-transport';
import type { ApiEvent } from '../../main/core/api/outbox-api';
import type { Engine } from '../../main/core/engine/engine';
import { startTestHost, type RunningHost } from './browser-host';
import { makeFile, tempDir, testConfig } from './engine';
import { freePort, run } from './net';

/**
 * The browser host for its suites, over real HTTP on 127.0.0.1: Node's fetch
 * and curl (an independent client, for raw headers such as a forged Host).
 * The UI files are a small fixture (the real build is exercised by the
 * Playwright suite), with a file beside them that must never be served.
 */
export type FixtureHost = {
  home: string;
  base: string;
  uiUrl: string;
  engine: Engine;
  host: RunningHost;
  close: () => Promise<void>;
};

export async function startFixtureHost(prefix: string): Promise<FixtureHost> {
  const home = await tempDir(prefix);
  const renderer = join(home, 'renderer-fixture');
  await makeFile(
    renderer,
    'index.html',
    '<!doctype html><title>Outbox</title><script type="module" src="/assets/app.js"></script>',
  );
  await makeFile(renderer, 'assets/app.js', 'console.log("outbox");');
  await makeFile(home, 'outside.txt', 'not for the web');
  const config = testConfig(home, { port: await freePort() });
  const { engine, host } = await startTestHost(config, renderer);
  return {
    home,
    base: host.server.url,
    uiUrl: host.uiUrl,
    engine,
    host,
    close: async () => {
      await host.close();
      await engine.close();
      await fs.rm(home, { recursive: true, force: true });
    },
  };
}

/** Signs in with the UI's URL (its key): the session cookie the host sets, as `name=value`. */
export async function signIn(uiUrl: string): Promise<string> {
  const response = await fetch(uiUrl, { redirect: 'manual' });
  return (response.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
}

/** curl's status line and headers for a request (curl sends exactly the Host we give it). */
export async function curlHeaders(args: string[]): Promise<string> {
  const { stdout } = await run('curl', ['-s', '-o', '/dev/null', '-D', '-', ...args]);
  return stdout;
}

/** Peak of a memory figure while something runs (sampled every 5 ms). */
export function peakOf(read: () => number): { stop: () => number } {
  let peak = read();
  const timer = setInterval(() => (peak = Math.max(peak, read())), 5);
  return {
    stop: () => {
      clearInterval(timer);
      return Math.max(peak, read());
    },
  };
}

/** API calls and the event stream of the host at `address()` (read at each call: the cookie comes later). */
export function apiClientOf(address: () => { base: string; cookie: string }) {
  async function api<T>(method: string, args: unknown[], headers: Record<string, string> = {}) {
    const { base, cookie } = address();
    const response = await fetch(`${base}/api/${method}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Cookie: cookie, ...headers },
      body: JSON.stringify(args),
    });
    return { response, body: (await response.json()) as ApiResult<T> };
  }

  async function value<T>(method: string, args: unknown[] = []): Promise<T> {
    const { body } = await api<T>(method, args);
    if (!body.ok) throw new Error(`${method}: ${JSON.stringify(body.error)}`);
    return body.value;
  }

  /** Reads the event stream until `until` has seen what it waits for. */
  async function collectEvents(
    until: (events: ApiEvent[]) => boolean,
    whileOpen: () => Promise<void>,
  ): Promise<ApiEvent[]> {
    const controller = new AbortController();
    const { base, cookie } = address();
    const response = await fetch(`${base}/api/events`, {
      headers: { Cookie: cookie },
      signal: controller.signal,
    });
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events: ApiEvent[] = [];
    const reading = (async () => {
      const decoder = new TextDecoder();
      let buffer = '';
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const message = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = message.split('\n').find((line) => line.startsWith('data: '));
          if (data) events.push(JSON.parse(data.slice('data: '.length)) as ApiEvent);
        }
        if (until(events)) return;
      }
    })();
    await whileOpen();
    await Promise.race([reading, new Promise((r) => setTimeout(r, 10_000))]);
    controller.abort();
    return events;
  }

  return { api, value, collectEvents };
}
