import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCoreApi } from '../../main/core/api/core-api';
import { hostContext } from '../../main/core/api/host-context';
import { jobSummary, jobSummarySchema } from '../../main/core/api/job-views';
import { linkListingSchema, linkViewSchema } from '../../main/core/api/links-api';
import { settingsSummary, settingsSummarySchema } from '../../main/core/api/settings-views';
import { Engine } from '../../main/core/engine/engine';
import { formatBytes } from '../../main/core/format';
import { ProfileService } from '../../main/core/profiles/profile-service';
import { assertBuilt, outbox } from '../support/cli';
import { makeFile, tempDir, testConfig } from '../support/engine';
import { MemorySecrets } from '../support/memory-secrets';
import { freePort } from '../support/net';

/**
 * The CLI on the core API (issue 14): `outbox links` reads links through the
 * API's link calls, `--json` jobs are the API's job records cut to
 * CloudConvert's shape; for the same data directory, what the CLI prints and
 * what the API gives the UI agree, field for field.
 */

let dir: string;
let env: Record<string, string>;
let port: number;

beforeAll(async () => {
  assertBuilt();
  dir = await tempDir('outbox-cli-api-');
  port = await freePort();
  env = { OUTBOX_HOME: join(dir, 'home'), OUTBOX_PORT: String(port) };
  await fs.writeFile(join(dir, 'url.json'), JSON.stringify({ operation: 'export/url' }));
  await fs.writeFile(
    join(dir, 'zip.json'),
    JSON.stringify({ operation: 'export/url', archive_multiple_files: true }),
  );
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('the CLI and the API', () => {
  it('list the same links, jobs and settings: links in --json and text, after lan and revoke; jobs and settings --json', async () => {
    const files = [
      await makeFile(dir, 'one.txt', 'one'),
      await makeFile(dir, 'two.bin', 2500),
      await makeFile(dir, 'three.bin', 1200),
    ];
    for (const args of [
      ['url.json', files[0]!],
      ['zip.json', files[1]!, files[2]!],
    ]) {
      const [task, ...paths] = args as [string, ...string[]];
      const exported = await outbox(['export', '--task', join(dir, task), ...paths, '--json'], env);
      expect(exported.code, exported.stderr).toBe(0);
    }
    const before = linkListingSchema
      .strict()
      .array()
      .parse(JSON.parse((await outbox(['links', '--json'], env)).stdout));
    expect(before).toHaveLength(2);
    const [zip, single] = before.map((link) => link.id) as [string, string];
    const lan = await outbox(['links', 'lan', zip, '--max-downloads', '3'], env);
    expect(lan.code, lan.stderr).toBe(0);
    expect((await outbox(['links', 'revoke', single], env)).code).toBe(0);

    const cli = linkListingSchema
      .strict()
      .array()
      .parse(JSON.parse((await outbox(['links', '--json'], env)).stdout));
    const text = (await outbox(['links'], env)).stdout;
    const jobs = jobSummarySchema
      .strict()
      .array()
      .parse(JSON.parse((await outbox(['jobs', '--json'], env)).stdout));
    expect(jobs.map((job) => job.status)).toEqual(['finished', 'finished']);
    for (const args of [
      ['bwlimit', '10M'],
      ['jobs', '3'],
    ]) {
      const set = await outbox(['settings', ...args], env);
      expect(set.code, set.stderr).toBe(0);
    }
    const settings = settingsSummarySchema
      .strict()
      .parse(JSON.parse((await outbox(['settings', '--json'], env)).stdout));
    expect(settings).toMatchObject({ bandwidth_limit: { global: '10M' }, max_running_jobs: 3 });
    const engine = await Engine.open(testConfig(env.OUTBOX_HOME!, { port }));
    try {
      const profiles = new ProfileService(env.OUTBOX_HOME!, new MemorySecrets());
      const api = createCoreApi(hostContext(engine, profiles), undefined, {
        host: 'browser',
        version: 'test',
        allowPaths: true,
      });
      expect(jobs).toEqual((await api.listJobs()).map(jobSummary));
      expect(settings).toEqual(settingsSummary(await api.getSettings()));
      const views = linkViewSchema
        .strict()
        .array()
        .parse(await api.listLinks());
      expect(views.map((view) => view.id)).toEqual(cli.map((link) => link.id));
      for (const [i, view] of views.entries()) {
        const { size, page_url: _page, lan_urls: _lanUrls, ...shared } = view;
        const link = cli[i]!;
        expect(link).toMatchObject(shared);
        expect(size).toBe(link.files.reduce((sum, file) => sum + file.size, 0));
        expect(text).toContain(
          `${view.id}  ${view.state.padEnd(7)}  ${view.filename} (${formatBytes(size)})`,
        );
        expect(text).toContain(`\n    ${view.url}`);
      }
      expect(views.find((view) => view.id === zip)).toMatchObject({
        kind: 'zip',
        size: 3700,
        lan: true,
        max_downloads: 3,
        state: 'active',
      });
      expect(views.find((view) => view.id === single)).toMatchObject({ state: 'revoked', size: 3 });
    } finally {
      await engine.close();
    }
  });
});
