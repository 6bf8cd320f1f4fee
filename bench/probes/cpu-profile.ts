/**
 * Where the CPU time of a profiled export went: reads the .cpuprofile files
 * `node --cpu-prof` wrote (one per thread: the main thread and each exporter
 * worker) and prints self time by package and by function, per thread.
 * BENCHMARKS.md's CPU breakdowns come from this.
 *
 *   node --cpu-prof --cpu-prof-dir=DIR bin/outbox.js export --task TASK.json SOURCE --json
 *   npx tsx bench/probes/cpu-profile.ts DIR [TOP]
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';

type ProfileNode = {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
};
type Profile = {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
};

/** The package a script belongs to (node_modules/<pkg>), Outbox's own file, Node, or a V8 category. */
function ownerOf(url: string, name: string): string {
  if (!url) return name.startsWith('(') ? name : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
  if (pkg) return pkg;
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0]}`;
  const own = /\/out\/main\/(.+)$/.exec(url)?.[1] ?? /\/(main\/.+)$/.exec(url)?.[1];
  return own ? `outbox ${own}` : url;
}

function summarize(profile: Profile, top: number): string[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) =>
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)),
  );
  const byOwner = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let total = 0;
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)?.callFrame;
    if (!frame) continue;
    total += us;
    const owner = ownerOf(frame.url, frame.functionName);
    byOwner.set(owner, (byOwner.get(owner) ?? 0) + us);
    const fn = `${frame.functionName || '(anonymous)'} ${owner}:${frame.lineNumber + 1}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
  }
  const idle = [...byOwner].filter(([o]) => o === '(idle)').reduce((a, [, us]) => a + us, 0);
  const rows = (map: Map<string, number>) =>
    [...map]
      .filter(([key]) => key !== '(idle)' && !key.startsWith('(idle)'))
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(
        ([key, us]) =>
          `  ${(us / 1000).toFixed(0).padStart(7)} ms ${((us / (total - idle)) * 100).toFixed(1).padStart(5)} %  ${key}`,
      );
  return [
    `busy ${((total - idle) / 1e6).toFixed(2)} s of ${(total / 1e6).toFixed(2)} s`,
    ' by package:',
    ...rows(byOwner),
    ' by function:',
    ...rows(byFunction),
  ];
}

async function main(): Promise<void> {
  const [dir, top = '25'] = process.argv.slice(2);
  if (!dir) throw new Error('usage: cpu-profile.ts DIR [TOP]');
  const files = (await fs.readdir(dir)).filter((f) => f.endsWith('.cpuprofile')).sort();
  for (const file of files) {
    const profile = JSON.parse(await fs.readFile(join(dir, file), 'utf8')) as Profile;
    console.log(`\n== ${file}`);
    for (const line of summarize(profile, Number(top))) console.log(line);
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
});
