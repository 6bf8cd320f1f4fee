import { promises as fs } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LinkStore } from '../../main/core/links/link-store';
import { tempDir } from '../support/engine';

function zipLink(count: number) {
  return {
    kind: 'zip' as const,
    filename: 'photos "2024".zip',
    inline: false,
    lan: false,
    expires_at: new Date(Date.now() + 3600_000).toISOString(),
    job_id: 'job-1',
    task: 'export',
    files: Array.from({ length: count }, (_, i) => ({
      path: `/data/photos/ä-${i}.txt`,
      name: `photos/ä "${i}".txt`,
      size: i,
      mtime_ms: 1700000000000 + i + 0.5,
    })),
  };
}

describe('link records', () => {
  it('store a ZIP link of thousands of files (written in slices) and of a few alike', async () => {
    const links = new LinkStore(await tempDir('outbox-links-'), 'http://127.0.0.1:1');
    for (const count of [3, 2500]) {
      const link = await links.create(zipLink(count));
      const stored = await links.get(link.id);
      expect(stored).toEqual(link);
      const text = await fs.readFile(links.recordPath(link.id) ?? '', 'utf8');
      expect(JSON.parse(text)).toEqual(link);
      expect(text.endsWith('}\n')).toBe(true);
    }
  });

  it('store links made together, each with its own id and token, and tell listeners of each', async () => {
    const links = new LinkStore(await tempDir('outbox-links-'), 'http://127.0.0.1:1');
    const changed: string[] = [];
    links.onChange((id) => changed.push(id));
    const made = await links.createMany([zipLink(1), zipLink(2500), zipLink(2)]);
    expect(made.map((link) => link.files.length)).toEqual([1, 2500, 2]);
    expect(new Set(made.map((link) => link.id)).size).toBe(3);
    expect(new Set(made.map((link) => link.token)).size).toBe(3);
    for (const link of made) expect(await links.get(link.id)).toEqual(link);
    expect(changed).toEqual(made.map((link) => link.id));
    const names = await fs.readdir(links.dir);
    expect(names.filter((name) => name.endsWith('.tmp'))).toEqual([]);
    expect(names.filter((name) => name.endsWith('.json')).sort()).toEqual(
      made.map((link) => `${link.id}.json`).sort(),
    );
  });
});
