import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { engineStarted, engineStopped, type Owner } from '../../main/core/engine/owner';
import { UploadClaims } from '../../main/core/engine/upload-claims';
import { tempDir } from '../support/engine';

/**
 * One upload per destination at a time (issue 13): a task claims the partial
 * uploads of all its files at once, in OUTBOX_HOME/claims/. Several engines
 * of this process stand for several processes (each is its own owner, and
 * stopping one is its death); the integration test one-upload.test.ts does
 * the same with real processes and servers.
 */

let home: string;
let engines: string[];

beforeEach(async () => {
  home = await tempDir('outbox-claims-');
  engines = [];
});
afterEach(async () => {
  for (const id of engines) engineStopped(id);
  await fs.rm(home, { recursive: true, force: true });
});

/** A live owner, as an engine of a process has. */
function liveOwner(): Owner {
  const id = `claims-test-${engines.length}-${Math.random()}`;
  engines.push(id);
  return engineStarted(id);
}

/** The owner identity of a process that has exited. */
function deadProcessOwner(): Owner {
  const child = spawnSync(process.execPath, ['-e', '']);
  return { pid: child.pid, boot: liveOwner().boot };
}

const claimFiles = async () =>
  (await fs.readdir(join(home, 'claims'))).filter((name) => name.endsWith('.json'));

describe('upload claims', () => {
  it('a task gets the files nobody holds; the others are refused, naming who holds them', async () => {
    const first = new UploadClaims(home, liveOwner());
    const second = new UploadClaims(home, liveOwner());
    const a = await first.claim(['k1', 'k2'], { job_id: 'job-a', task: 'upload' });
    expect(a.refused.size).toBe(0);

    const b = await second.claim(['k2', 'k3'], { job_id: 'job-b', task: 'export' });
    expect([...b.refused.keys()]).toEqual(['k2']);
    expect(b.refused.get('k2')).toMatchObject({ job_id: 'job-a', task: 'upload' });
    // k3 went to b: a third transfer is refused it.
    const c = await first.claim(['k3'], { job_id: 'job-c', task: 'upload' });
    expect(c.refused.get('k3')).toMatchObject({ job_id: 'job-b' });
    await c.release(); // held nothing: removes nothing

    await a.release();
    const again = await second.claim(['k1', 'k2'], { job_id: 'job-d', task: 'export' });
    expect(again.refused.size).toBe(0);
    await again.release();
    await b.release();
    expect(await claimFiles()).toEqual([]);
  });

  it('two tasks of one process (a double drop) do not share an upload', async () => {
    const claims = new UploadClaims(home, liveOwner());
    const first = await claims.claim(['k'], { job_id: 'job-1', task: 'upload' });
    const second = await claims.claim(['k'], { job_id: 'job-2', task: 'upload' });
    expect(first.refused.size).toBe(0);
    expect(second.refused.get('k')).toMatchObject({ job_id: 'job-1', pid: process.pid });
  });

  it('the claim of an owner that died is taken over', async () => {
    const owner = liveOwner();
    const stopped = engines.pop() as string;
    await new UploadClaims(home, owner).claim(['k'], { job_id: 'job-1', task: 'upload' });
    engineStopped(stopped); // its engine is gone, its claim stays on disk
    const other = new UploadClaims(home, liveOwner());
    expect((await other.claim(['k'], { job_id: 'job-2', task: 'upload' })).refused.size).toBe(0);
    expect(await claimFiles()).toHaveLength(1);

    // The same for a claim written by another process that has exited.
    const record = {
      ...deadProcessOwner(),
      job_id: 'job-3',
      task: 'upload',
      since: new Date().toISOString(),
      keys: ['dead'],
    };
    await fs.writeFile(join(home, 'claims', 'dead.json'), JSON.stringify(record));
    expect((await other.claim(['dead'], { job_id: 'job-4', task: 'upload' })).refused.size).toBe(0);
    expect(await claimFiles()).not.toContain('dead.json');
  });

  it('of many transfers claiming one upload at once, exactly one gets it', async () => {
    const claims = Array.from({ length: 12 }, () => new UploadClaims(home, liveOwner()));
    const results = await Promise.all(
      claims.map((c, i) => c.claim(['same'], { job_id: `job-${i}`, task: 'upload' })),
    );
    expect(results.filter((r) => r.refused.size === 0)).toHaveLength(1);
    expect(await claimFiles()).toHaveLength(1);
  });

  it('a lock and a half-written claim left by a crash are cleaned up', async () => {
    const dir = join(home, 'claims');
    await fs.mkdir(dir, { recursive: true });
    const lock = join(dir, '.lock');
    await fs.writeFile(lock, JSON.stringify(deadProcessOwner()));
    const old = new Date(Date.now() - 60_000);
    await fs.utimes(lock, old, old);
    await fs.writeFile(join(dir, '.half.tmp'), '{"pid":');

    const claims = new UploadClaims(home, liveOwner());
    const claim = await claims.claim(['k'], { job_id: 'job', task: 'upload' });
    expect(claim.refused.size).toBe(0);
    expect((await fs.readdir(dir)).filter((name) => !name.endsWith('.json'))).toEqual([]);
  });
});
