import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import type { Engine } from '../../main/core/engine/engine';
import type { ResultFile } from '../../main/core/transfer/records';
import { startTestHost, type RunningHost } from './browser-host';
import { makeFile, tempDir, testConfig } from './engine';
import { linksOf } from './link-server';
import { freePort } from './net';

/**
 * What the security suites attack, over real sockets: the browser host and
 * its download links on a free port of 127.0.0.1, signed in once (`cookie`),
 * with a folder (`dir`) for the files they export. Filled in by the
 * `beforeAll` that `useSecurityTarget` registers; closed and deleted after.
 */
export type SecurityTarget = {
  dir: string;
  port: number;
  base: string;
  cookie: string;
  engine: Engine;
  /** Exports `paths` as download links (export/url with `task`'s options). */
  linksFor: (task: Record<string, unknown>, paths: string[]) => Promise<ResultFile[]>;
};

export function useSecurityTarget(prefix: string): SecurityTarget {
  let home = '';
  let host: RunningHost | undefined;
  const target: SecurityTarget = {
    dir: '',
    port: 0,
    base: '',
    cookie: '',
    engine: undefined as unknown as Engine,
    linksFor: (task, paths) => linksOf(target.engine, task, paths),
  };

  beforeAll(async () => {
    home = await tempDir(`${prefix}-`);
    target.dir = await tempDir(`${prefix}-files-`);
    const renderer = join(home, 'renderer-fixture');
    await makeFile(renderer, 'index.html', '<!doctype html><title>Outbox</title>');
    target.port = await freePort();
    const started = await startTestHost(testConfig(home, { port: target.port }), renderer);
    ({ engine: target.engine, host } = started);
    target.base = started.host.server.url;
    const signIn = await fetch(started.host.uiUrl, { redirect: 'manual' });
    target.cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    expect(target.cookie).toMatch(/^outbox_session_\d+=/);
  });

  afterAll(async () => {
    await host?.close();
    await target.engine?.close();
    await fs.rm(home, { recursive: true, force: true });
    await fs.rm(target.dir, { recursive: true, force: true });
  });

  return target;
}
