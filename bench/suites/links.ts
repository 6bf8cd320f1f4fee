import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { outboxBin, type BenchContext } from '../lib/context';
import { failedLine } from '../lib/line';
import { killGroup, lastLine, measure, peakRssOf, runCommand, sleep, track } from '../lib/proc';
import { inRotatingRounds } from '../lib/rounds';
import { freePort } from '../../test/support/net';
import { median, type Figure, type Line } from '../lib/table';
import { describeSize, sourceBytes } from '../lib/units';
import { scaleLines } from './link-scale';

/**
 * A server under test: where the big file is, and how to read its peak
 * memory; a ceiling is shown beside the peers, not ranked with them.
 */
type Served = {
  name: string;
  bigUrl: string;
  rss: () => Promise<number | undefined>;
  ceiling?: boolean;
};

type Curl = { ok: boolean; status: string; bytes: number; seconds: number; error: string };

/**
 * One `curl` download to /dev/null; speed from curl's own clock (process start-up excluded).
 * `head`: a HEAD request, to see that a server answers without reading a large body.
 */
async function curl(
  url: string,
  { maxSeconds, head = false }: { maxSeconds?: number; head?: boolean } = {},
): Promise<Curl> {
  const argv = [
    'curl',
    '-s',
    '-o',
    '/dev/null',
    '-w',
    '%{http_code} %{size_download} %{time_total}',
  ];
  if (maxSeconds !== undefined) argv.push('--max-time', String(maxSeconds));
  if (head) argv.push('-I');
  const r = await runCommand([...argv, url], { timeoutMs: 600_000 });
  const [status = '000', bytes = '0', seconds = '0'] = r.stdout.trim().split(' ');
  // exit 28 = --max-time reached: expected for the timed parallel downloads
  const ok = status === '200' && (r.code === 0 || (maxSeconds !== undefined && r.code === 28));
  return {
    ok,
    status,
    bytes: Number(bytes),
    seconds: Number(seconds),
    error: ok ? '' : `HTTP ${status}, curl exit ${r.code}: ${lastLine(r.stderr)}`,
  };
}

function figure(tool: string, mbps: number[], rssMiB: number | undefined, error?: string): Figure {
  const m = median(mbps);
  return {
    tool,
    samples: mbps,
    ...(m === undefined ? {} : { mbps: m }),
    ...(rssMiB === undefined ? {} : { rssMiB }),
    ...(error ? { error } : {}),
  };
}

/** nginx on a free loopback port serving the data folder (sendfile, no access log). */
async function startNginx(ctx: BenchContext): Promise<{ port: number; child: ChildProcess }> {
  const prefix = join(ctx.scratch, 'nginx');
  await fs.mkdir(prefix, { recursive: true });
  const port = await freePort();
  const conf = join(prefix, 'nginx.conf');
  const asRoot = process.getuid?.() === 0 ? 'user root;\n' : '';
  await fs.writeFile(
    conf,
    `${asRoot}worker_processes auto;
daemon off;
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  default_type application/octet-stream;
  client_body_temp_path ${prefix}/body;
  proxy_temp_path ${prefix}/proxy;
  fastcgi_temp_path ${prefix}/fastcgi;
  uwsgi_temp_path ${prefix}/uwsgi;
  scgi_temp_path ${prefix}/scgi;
  server {
    listen 127.0.0.1:${port};
    root ${ctx.data.dir};
  }
}
`,
  );
  const child = track(
    spawn('nginx', ['-p', prefix, '-e', join(prefix, 'error.log'), '-c', conf], {
      stdio: 'ignore',
      detached: true,
    }),
  );
  for (let i = 0; i < 100; i++) {
    const r = await curl(`http://127.0.0.1:${port}/${basename(ctx.data.tiny)}`);
    if (r.ok) return { port, child };
    if (child.exitCode !== null) break;
    await sleep(100);
  }
  killGroup(child);
  const log = await fs.readFile(join(prefix, 'error.log'), 'utf8').catch(() => '');
  throw new Error(`nginx did not start: ${lastLine(log)}`);
}

/** nginx workers' peak RSS (the master only forks them). */
async function nginxRss(master: number): Promise<number | undefined> {
  const children = await fs
    .readFile(`/proc/${master}/task/${master}/children`, 'utf8')
    .catch(() => '');
  const peaks = await Promise.all(
    children.trim().split(/\s+/).filter(Boolean).map(Number).map(peakRssOf),
  );
  const known = peaks.filter((p): p is number => p !== undefined);
  return known.length ? Math.max(...known) : undefined;
}

type OutboxServer = { child: ChildProcess; home: string; port: number; url: string };

/**
 * `outbox export --task url.json FILE --serve`: creates the link and keeps
 * serving it in the foreground, as a user would run it.
 */
async function startOutboxServer(ctx: BenchContext): Promise<OutboxServer> {
  const dir = join(ctx.scratch, 'links');
  const home = join(dir, 'home');
  await fs.mkdir(home, { recursive: true });
  const task = join(dir, 'url.json');
  await fs.writeFile(task, JSON.stringify({ operation: 'export/url' }));
  const port = await freePort();
  const child = track(
    spawn(
      process.execPath,
      [outboxBin(ctx), 'export', '--task', task, ctx.data.big, '--json', '--serve'],
      {
        env: { ...process.env, OUTBOX_HOME: home, OUTBOX_PORT: String(port) },
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      },
    ),
  );
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const deadline = Date.now() + 60_000;
  while (!stderr.includes('Serving the links')) {
    if (child.exitCode !== null || Date.now() > deadline) {
      killGroup(child);
      throw new Error(`outbox --serve did not start: ${lastLine(stderr) || lastLine(stdout)}`);
    }
    await sleep(50);
  }
  return { child, home, port, url: linkUrl(stdout) };
}

function linkUrl(jsonOutput: string): string {
  const url = /"url":\s*"([^"]+)"/.exec(jsonOutput)?.[1];
  if (!url) throw new Error(`no link in the output: ${jsonOutput.slice(0, 300)}`);
  return url;
}

/** Another export on the same data directory: its link is served by the running server. */
async function exportLink(
  ctx: BenchContext,
  server: OutboxServer,
  name: string,
  task: Record<string, unknown>,
  source: string,
): Promise<string> {
  const taskFile = join(ctx.scratch, 'links', `${name}.json`);
  await fs.writeFile(taskFile, JSON.stringify({ operation: 'export/url', ...task }));
  const r = await runCommand(
    [process.execPath, outboxBin(ctx), 'export', '--task', taskFile, source, '--json'],
    {
      env: { ...process.env, OUTBOX_HOME: server.home, OUTBOX_PORT: String(server.port) },
      timeoutMs: 120_000,
    },
  );
  if (!r.ok) throw new Error(`${name} link: ${lastLine(r.stderr) || lastLine(r.stdout)}`);
  return linkUrl(r.stdout);
}

/**
 * `ab -n N -c C URL` (HTTP/1.0, a connection per request, as the issue measured
 * it): requests per second, every answer a 200 of `bytes`.
 */
async function requestRate(url: string, requests: number, clients: number, bytes: number) {
  const r = await runCommand(['ab', '-q', '-n', String(requests), '-c', String(clients), url], {
    timeoutMs: 300_000,
  });
  const field = (name: string) => new RegExp(`${name}:\\s+([\\d.]+)`).exec(r.stdout)?.[1];
  const rate = Number(field('Requests per second'));
  const failed = Number(field('Failed requests') ?? 0) + Number(field('Non-2xx responses') ?? 0);
  if (!r.ok || !Number.isFinite(rate) || failed > 0 || Number(field('Document Length')) !== bytes) {
    throw new Error(`ab: ${failed} failed; ${lastLine(r.stderr) || lastLine(r.stdout)}`);
  }
  return rate;
}

/**
 * A ceiling script of bench/ceilings/ (`args`, then the port), once it answers HEAD (the
 * ceilings ignore ranges: a GET would read a whole large file). Any path serves the file.
 */
async function startNodeHttp(ctx: BenchContext, script: string, args: string[]) {
  const port = await freePort();
  const path = join(ctx.repo, 'bench', 'ceilings', script);
  const child = track(
    spawn(process.execPath, [path, ...args, String(port)], { stdio: 'ignore', detached: true }),
  );
  const url = `http://127.0.0.1:${port}/${script}`;
  for (let i = 0; i < 100 && !(await curl(url, { head: true })).ok; i++) await sleep(100);
  return { url, child, rss: () => peakRssOf(child.pid ?? 0) };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  killGroup(child, 'SIGTERM');
  await Promise.race([exited, sleep(5000)]);
  killGroup(child);
}

export async function linkLines(ctx: BenchContext): Promise<Line[]> {
  const { sizes } = ctx.data;
  const big = describeSize(sizes.bigBytes);
  const parallel = 16;
  const window = ctx.quick ? 3 : 8;
  const requests = ctx.quick ? 2000 : 10_000;
  const small = describeSize(sizes.smallBytes);
  const titles = {
    single: `Link server vs nginx: ${big}, one curl`,
    parallel: `Link server vs nginx: ${big}, ${parallel} parallel curl for ${window} s (aggregate)`,
    rate1: `Link server vs nginx: requests/s for a ${small}, ab -n ${requests} -c 1`,
    rate50: `Link server vs nginx: requests/s for a ${small}, ab -n ${requests} -c 50`,
    zip: `ZIP streaming: ${describeSize(sizes.zipBytes, sizes.zipCount)} as one ZIP link, curl (peer: zip -0 to a pipe)`,
  };
  let nginx: { port: number; child: ChildProcess } | undefined;
  let outbox: OutboxServer | undefined;
  try {
    nginx = await startNginx(ctx);
    outbox = await startOutboxServer(ctx);
  } catch (error) {
    if (nginx) await stop(nginx.child);
    return Object.entries(titles).map(([id, title]) => failedLine(`links-${id}`, title, error));
  }
  const nginxPid = nginx.child.pid ?? 0;
  const outboxPid = outbox.child.pid ?? 0;
  const servers: Served[] = [
    { name: 'Outbox', bigUrl: outbox.url, rss: () => peakRssOf(outboxPid) },
    {
      name: 'nginx',
      bigUrl: `http://127.0.0.1:${nginx.port}/${basename(ctx.data.big)}`,
      rss: () => nginxRss(nginxPid),
    },
  ];
  const lines: Line[] = [];
  const ceilings: { child: ChildProcess }[] = [];
  try {
    // Node's own server sending the big file, from the file and from memory
    for (const [mode, name] of [
      ['file', 'Node http, one thread, fs.createReadStream (1 MiB reads)'],
      ['memory', 'Node http, one thread, a 1 MiB buffer from memory (no file read)'],
    ] as const) {
      const ceiling = await startNodeHttp(ctx, 'node-http-stream.cjs', [mode, ctx.data.big]);
      ceilings.push(ceiling);
      servers.push({ name, bigUrl: ceiling.url, rss: ceiling.rss, ceiling: true });
    }
    // one client
    ctx.log(`links-single: ${titles.single}`);
    lines.push(
      await compare(ctx, 'links-single', titles.single, servers, async (s) => {
        const r = await curl(s.bigUrl);
        if (!r.ok || r.bytes !== sizes.bigBytes) throw new Error(r.error || `got ${r.bytes} bytes`);
        return r.bytes / 1e6 / r.seconds;
      }),
    );
    // many clients at once, for a fixed time
    ctx.log(`links-parallel: ${titles.parallel}`);
    lines.push(
      await compare(ctx, 'links-parallel', titles.parallel, servers, async (s) => {
        const all = await Promise.all(
          Array.from({ length: parallel }, () => curl(s.bigUrl, { maxSeconds: window })),
        );
        const bad = all.find((r) => !r.ok);
        if (bad) throw new Error(bad.error);
        const seconds = Math.max(...all.map((r) => r.seconds));
        return all.reduce((sum, r) => sum + r.bytes, 0) / 1e6 / seconds;
      }),
    );
    // many small requests: what a request costs beyond its bytes
    const smallFile = join(ctx.data.small, (await fs.readdir(ctx.data.small)).sort()[0] ?? '');
    const ceiling = await startNodeHttp(ctx, 'node-http-file.cjs', [smallFile]);
    ceilings.push(ceiling);
    const smallServers: Served[] = [
      { ...servers[0]!, bigUrl: await exportLink(ctx, outbox, 'small', {}, smallFile) },
      { ...servers[1]!, bigUrl: `http://127.0.0.1:${nginx.port}/small/${basename(smallFile)}` },
      {
        name: 'Node http, one thread, body in memory',
        bigUrl: ceiling.url,
        rss: ceiling.rss,
        ceiling: true,
      },
    ];
    for (const [id, clients] of [
      ['rate1', 1],
      ['rate50', 50],
    ] as const) {
      ctx.log(`links-${id}: ${titles[id]}`);
      const line = await compare(ctx, `links-${id}`, titles[id], smallServers, (s) =>
        requestRate(s.bigUrl, requests, clients, sizes.smallBytes),
      );
      lines.push({ ...line, unit: 'req/s' });
    }
    // ZIP of many files, streamed
    ctx.log(`links-zip: ${titles.zip}`);
    const zipUrl = await exportLink(
      ctx,
      outbox,
      'zip',
      { archive_multiple_files: true },
      ctx.data.zip,
    );
    const zipBytes = await sourceBytes(ctx.data.zip);
    const zipServers: Served[] = [
      { name: 'Outbox', bigUrl: zipUrl, rss: () => peakRssOf(outboxPid) },
      { name: 'zip -0', bigUrl: '', rss: async () => undefined },
    ];
    let zipRss: number | undefined;
    const line = await compare(ctx, 'links-zip', titles.zip, zipServers, async (s) => {
      if (s.name === 'Outbox') {
        const r = await curl(s.bigUrl);
        if (!r.ok || r.bytes < zipBytes) throw new Error(r.error || `got ${r.bytes} bytes`);
        return zipBytes / 1e6 / r.seconds;
      }
      // the same folder stored (no compression) into a ZIP written to a pipe
      const run = await measure(
        ['bash', '-c', `zip -0 -q -r - "${basename(ctx.data.zip)}" | cat > /dev/null`],
        { cwd: dirname(ctx.data.zip), timeoutMs: ctx.timeoutMs, scratch: ctx.scratch },
      );
      if (!run.ok) throw new Error(`zip: ${lastLine(run.stderr)}`);
      zipRss = run.rssMiB;
      return zipBytes / 1e6 / run.seconds;
    });
    const zipPeer = line.peers[0];
    if (zipPeer && zipRss !== undefined) zipPeer.rssMiB = zipRss;
    lines.push(line);
  } finally {
    for (const ceiling of ceilings) await stop(ceiling.child);
    await stop(outbox.child);
    await stop(nginx.child);
  }
  lines.push(...(await scaleLines(ctx)));
  return lines;
}

/**
 * The servers in rotating rounds (bench/lib/rounds.ts); MB/s medians. Memory is each
 * server process's peak RSS since it started (Outbox: the one Node process).
 */
async function compare(
  ctx: BenchContext,
  id: string,
  title: string,
  servers: Served[],
  once: (server: Served) => Promise<number>,
): Promise<Line> {
  const { runs: speeds, errors } = await inRotatingRounds(
    ctx,
    id,
    servers.map((server) => ({
      name: server.name,
      run: () => once(server),
      describe: (mbps: number) => mbps.toFixed(0),
    })),
  );
  const figures = await Promise.all(
    servers.map(async (s, i) => figure(s.name, speeds[i] ?? [], await s.rss(), errors[i])),
  );
  const [outbox, ...others] = figures;
  if (!outbox) throw new Error('no Outbox figure');
  const ceilings = others.filter((_, i) => servers[i + 1]?.ceiling);
  const peers = others.filter((_, i) => !servers[i + 1]?.ceiling);
  return { id, title, outbox, peers, ...(ceilings.length ? { ceilings } : {}) };
}
