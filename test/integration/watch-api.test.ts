import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatch } from '../../main/core/api/api-dispatch';
import { createCoreApi } from '../../main/core/api/core-api';
import { hostContext } from '../../main/core/api/host-context';
import type { OutboxApi, WatchView } from '../../main/core/api/outbox-api';
import { Engine } from '../../main/core/engine/engine';
import { ProfileService } from '../../main/core/profiles/profile-service';
import { WatchService } from '../../main/core/watch/watch-service';
import { until } from '../support/cli';
import { makeFile, tempDir, testConfig } from '../support/engine';
import { MemorySecrets } from '../support/memory-secrets';
import { run } from '../support/net';
import { awsEnv, RGW, s3TaskOf } from '../support/servers';

/**
 * The watch-folder calls of the API the UI uses ("Watch a folder…" on a
 * tile), through `dispatch` as both hosts call it, on a host that runs the
 * watches: every field checked and named, a watch that delivers to Ceph RGW
 * (read back with the AWS CLI), its state, and its removal.
 */

const bucket = `watch-api-${randomBytes(4).toString('hex')}`;
let home: string;
let engine: Engine;
let watches: WatchService;
let api: OutboxApi;

const aws = (...args: string[]) =>
  run('/usr/bin/aws', ['--endpoint-url', RGW.endpoint, ...args], { env: awsEnv(RGW) });

async function call<T>(method: keyof OutboxApi, ...args: unknown[]) {
  return dispatch(api, method as never, args) as Promise<
    | { ok: true; value: T }
    | { ok: false; error: { code: string; fields?: Record<string, string[]> } }
  >;
}

beforeAll(async () => {
  home = await tempDir('outbox-watch-api-');
  await aws('s3', 'mb', `s3://${bucket}`);
  const config = testConfig(join(home, 'data'));
  const profiles = new ProfileService(config.home, new MemorySecrets());
  await profiles.add('archive', { ...s3TaskOf(RGW), bucket, key_prefix: 'in/' });
  engine = await Engine.open(config, { resolveProfile: profiles.resolver });
  watches = await WatchService.open({
    home: config.home,
    runner: engine,
    deliveryLog: engine.deliveryLog,
    profiles,
  });
  await watches.start();
  api = createCoreApi(hostContext(engine, profiles, watches), undefined, {
    host: 'browser',
    version: 'test',
    allowPaths: false,
  });
});
afterAll(async () => {
  await watches?.close();
  await engine?.close();
  await aws('s3', 'rb', `s3://${bucket}`, '--force').catch(() => {});
  await fs.rm(home, { recursive: true, force: true });
});

describe('API: watch folders', () => {
  it('refuses a watch with bad fields, naming each', async () => {
    const refused = await call('addWatch', {
      profile: 'nope',
      dir: join(home, 'missing'),
      after: 'archive',
      include: ['a[b'],
      settle: 'soon',
    });
    expect(refused.ok).toBe(false);
    if (refused.ok) return;
    expect(refused.error.code).toBe('INVALID_DATA');
    expect(refused.error.fields?.settle).toEqual([
      '"soon" is not a number of seconds > 0 and ≤ 86400 (decimal, e.g. 5 or 2.5)',
    ]);
    expect(Object.keys(refused.error.fields ?? {}).sort()).toEqual([
      'after',
      'dir',
      'include[0]',
      'profile',
      'settle',
    ]);
    const unknown = await call('addWatch', { profile: 'archive', dir: home, extra: 1 });
    expect(unknown.ok).toBe(false);
    expect(await api.listWatches()).toEqual([]);
  });

  it('adds a watch that delivers, shows its state, and removes it', async () => {
    const folder = join(home, 'drop');
    await fs.mkdir(folder);
    const added = await call<WatchView>('addWatch', {
      profile: 'archive',
      dir: folder,
      settle: '0.5',
    });
    expect(added.ok).toBe(true);
    const id = added.ok ? added.value.id : '';
    expect((await api.listWatches())[0]).toMatchObject({ id, state: 'watching', pending: 0 });

    await makeFile(folder, 'sub/scan.txt', 'scanned');
    await until(async () => (await api.listWatches())[0]?.last_delivery_at !== undefined, 30_000);
    expect((await aws('s3', 'cp', `s3://${bucket}/in/sub/scan.txt`, '-')).stdout).toBe('scanned');

    expect((await call('removeWatch', id)).ok).toBe(true);
    expect(await api.listWatches()).toEqual([]);
    const again = await call('removeWatch', id);
    expect(again.ok ? '' : again.error.code).toBe('NOT_FOUND');
  }, 60_000);
});
