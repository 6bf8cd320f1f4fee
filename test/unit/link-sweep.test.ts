import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Engine } from '../../main/core/engine/engine';
import { LinkStore } from '../../main/core/links/link-store';
import { startServer } from '../../main/core/server/outbox-server';
import { RecordDir } from '../../main/core/store/record-dir';
import { tempDir, testConfig } from '../support/engine';
import { freePort } from '../support/net';
import { fileLink } from '../support/link-record';

// Links ended more than a week ago (their tombstones) are deleted by the host
// that serves links: the link server, at its start and every 10 minutes. A
// command that serves none (a plain export) never lists the links folder.

const DAY = 86400_000;
const BASE = 'http://127.0.0.1:1';

let home: string;
beforeEach(async () => {
  home = await tempDir('outbox-link-sweep-');
});
afterEach(async () => {
  await fs.rm(home, { recursive: true, force: true });
});

/** A link that ended eight days ago (past its tombstone) and one that ended yesterday. */
async function storeLinks(): Promise<{ old: string; recent: string }> {
  const links = new LinkStore(home, BASE);
  const old = await links.create(fileLink(-8 * DAY));
  const recent = await links.create(fileLink(-DAY));
  await links.close();
  return { old: old.id, recent: recent.id };
}

describe('sweeping links', () => {
  it('is no part of a command that serves no links: it does not read the links folder', async () => {
    const { old } = await storeLinks();
    const spies = (['count', 'ids', 'get', 'entries'] as const).map((method) =>
      vi.spyOn(RecordDir.prototype, method),
    );
    const engine = await Engine.open(testConfig(home)); // as `outbox export` opens it
    await engine.close();
    const folders = spies.flatMap((spy) =>
      spy.mock.contexts.map((record) => (record as RecordDir<unknown>).dir),
    );
    spies.forEach((spy) => spy.mockRestore());
    expect(folders).toContain(join(home, 'jobs')); // the jobs are opened (their index counts them)
    expect(folders).not.toContain(join(home, 'links'));
    const links = new LinkStore(home, BASE);
    expect(await links.get(old)).toBeDefined(); // left to the link server
    await links.close();
  });

  it('is done by the link server when it starts', async () => {
    const { old, recent } = await storeLinks();
    const port = await freePort();
    const links = new LinkStore(home, `http://127.0.0.1:${port}`);
    const server = await startServer({ config: testConfig(home, { port }), links });
    try {
      expect(await links.get(old)).toBeUndefined();
      expect(await links.get(recent)).toMatchObject({ id: recent }); // its tombstone answers 410
    } finally {
      await server.close();
      await links.close();
    }
  });
});
