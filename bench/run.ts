/**
 * `npm run bench`: the benchmark board. Every Outbox exporter side by side
 * with its peers on the real test servers, the link server against nginx,
 * ZIP streaming, the memory of a 4 GiB upload and the main thread's
 * event-loop delay; one table, printed and written into BENCHMARKS.md.
 *
 * Run through scripts/bench.sh (it installs peers, builds, starts servers).
 *   --quick           small sizes, 1 run (development); not written to BENCHMARKS.md unless --write
 *   --runs N          runs per tool and line (default 3; medians are reported)
 *   --only a,b        only these suites: s3-rgw s3-swift azure sftp swift links event-loop memory history gcs
 *   --data-dir DIR    where test data is generated (and reused while its sizes match)
 *   --keep-data       keep the generated data afterwards (default: delete it)
 *   --data-only       only generate the data (e.g. ahead of a timed run), keep it, measure nothing
 *   --write/--no-write  write the table into BENCHMARKS.md (default: on in full mode)
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { BenchContext } from './lib/context';
import { prepareData, type Sizes } from './lib/data';
import { failedLine } from './lib/line';
import { machineDescription } from './lib/machine';
import { renderTable, type Line } from './lib/table';
import { writeBoard, type Board } from './lib/report';
import { azureLines } from './suites/azure';
import { eventLoopLines } from './suites/event-loop';
import { gcsLines } from './suites/gcs';
import { historyLines } from './suites/history';
import { linkLines } from './suites/links';
import { memoryLines } from './suites/memory';
import { S3_SERVERS, s3Lines } from './suites/s3';
import { sftpLines } from './suites/sftp';
import { swiftLines } from './suites/swift';

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

const FULL: Sizes = {
  bigBytes: GiB,
  smallCount: 2000,
  smallBytes: 64 * KiB,
  scaleCount: 20_000,
  scaleBytes: 16 * KiB,
  mediumCount: 256,
  mediumBytes: 4 * MiB,
  zipCount: 1000,
  zipBytes: MiB,
  hugeBytes: 4 * GiB,
};
const QUICK: Sizes = {
  bigBytes: 64 * MiB,
  smallCount: 100,
  smallBytes: 64 * KiB,
  scaleCount: 1000,
  scaleBytes: 16 * KiB,
  mediumCount: 16,
  mediumBytes: 4 * MiB,
  zipCount: 50,
  zipBytes: MiB,
  hugeBytes: 256 * MiB,
};

type Suite = { id: string; run: (ctx: BenchContext) => Promise<Line[]> };

const SUITES: Suite[] = [
  ...S3_SERVERS.map((server) => ({
    id: `s3-${server.endpoint.name}`,
    run: (ctx: BenchContext) => s3Lines(ctx, server),
  })),
  { id: 'azure', run: azureLines },
  { id: 'sftp', run: sftpLines },
  { id: 'swift', run: swiftLines },
  { id: 'links', run: linkLines },
  { id: 'event-loop', run: eventLoopLines },
  { id: 'memory', run: memoryLines },
  { id: 'history', run: historyLines },
  // last: no peer, and the emulator is the slowest server here
  { id: 'gcs', run: gcsLines },
];

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      runs: { type: 'string' },
      only: { type: 'string' },
      'data-dir': { type: 'string' },
      'keep-data': { type: 'boolean', default: false },
      'data-only': { type: 'boolean', default: false },
      write: { type: 'boolean' },
      'no-write': { type: 'boolean', default: false },
    },
    strict: true,
  });
  const quick = values.quick === true;
  const runs = values.runs ? Number(values.runs) : quick ? 1 : 3;
  if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs must be a whole number ≥ 1');
  const only = values.only?.split(',').map((s) => s.trim());
  const unknown = only?.filter((id) => !SUITES.some((s) => s.id === id)) ?? [];
  if (unknown.length)
    throw new Error(`unknown suite(s) ${unknown.join(', ')}: ${SUITES.map((s) => s.id).join(' ')}`);
  const write = values['no-write'] ? false : (values.write ?? !quick);

  const repo = resolve(dirname(process.argv[1] ?? '.'), '..');
  const scratch = await fs.mkdtemp(join(tmpdir(), 'outbox-bench-'));
  const dataDir = resolve(
    values['data-dir'] ?? join(tmpdir(), `outbox-bench-data-${quick ? 'quick' : 'full'}`),
  );
  const started = new Date();
  const t0 = Date.now();
  const log = (message: string) =>
    console.error(`[bench +${Math.round((Date.now() - t0) / 1000)}s] ${message}`);

  const sizes = quick ? QUICK : FULL;
  const machine = await machineDescription();
  const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
  const boardPath = join(repo, 'BENCHMARKS.md');
  const boardOf = (lines: Line[]): Board => ({
    table: renderTable(lines),
    command,
    started,
    minutes: (Date.now() - t0) / 60_000,
    runs,
    quick,
    machine,
    sizes,
  });
  const suites = SUITES.filter((s) => !only || only.includes(s.id));
  log(`${quick ? 'QUICK' : 'full'} mode, ${runs} run(s) per tool; data in ${dataDir}`);
  const lines: Line[] = [];
  try {
    const data = await prepareData(dataDir, sizes, log);
    if (values['data-only']) {
      log(`data ready in ${dataDir}`);
      return 0;
    }
    const ctx: BenchContext = {
      repo,
      data,
      runs,
      quick,
      scratch,
      tag: randomBytes(3).toString('hex'),
      timeoutMs: quick ? 120_000 : 300_000,
      budgetSeconds: quick ? 600 : 300,
      log,
    };
    for (const [i, suite] of suites.entries()) {
      try {
        lines.push(...(await suite.run(ctx)));
      } catch (error) {
        log(`${suite.id}: ${error instanceof Error ? (error.stack ?? error.message) : error}`);
        lines.push(failedLine(suite.id, suite.id, error));
      }
      // written after every suite: an interrupted run still leaves what it measured
      if (write && i < suites.length - 1) {
        await writeBoard(boardPath, {
          ...boardOf(lines),
          partial: `${i + 1} of ${suites.length} suites so far`,
        });
      }
    }
  } finally {
    await fs.rm(scratch, { recursive: true, force: true });
    if (!values['keep-data'] && !values['data-only']) {
      await fs.rm(dataDir, { recursive: true, force: true });
    }
  }

  const board = boardOf(lines);
  console.log(`\n${board.table}\n`);
  console.log(
    `${quick ? 'QUICK (small sizes, not the real figures)' : 'full'} run, ${runs} run(s) per tool, ` +
      `${board.minutes.toFixed(1)} min; ${machine}`,
  );
  const raw = join(tmpdir(), 'outbox-bench-last.json');
  await fs.writeFile(raw, JSON.stringify({ started, command, runs, quick, lines }, null, 2));
  console.error(`raw samples: ${raw}`);
  if (write) {
    await writeBoard(boardPath, board);
    console.error('written into BENCHMARKS.md');
  }
  return 0;
}

main().then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    console.error(`bench: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  },
);
