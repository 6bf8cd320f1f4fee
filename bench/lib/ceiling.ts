import { promises as fs } from 'node:fs';
import { stripTypeScriptTypes } from 'node:module';
import { basename, join } from 'node:path';
import { FILES_IN_FLIGHT } from '../ceilings/lib.mts';
import type { BenchContext } from './context';
import type { Tool } from './tool';

let built: Promise<string> | undefined;

/** Engine modules the ceilings share (bench/ceilings/lib.mts imports them by their source path). */
const SHARED = ['main/core/engine/each-limited.ts'];

/**
 * The ceiling scripts as plain JavaScript, so that a measured run does not
 * load Node's TypeScript stripper (+20 MiB and a fraction of a second that
 * Outbox's built CLI does not pay): types stripped once per benchmark run,
 * into node_modules/.cache (where the scripts still find their packages),
 * with the SHARED modules beside them.
 */
function builtCeilings(ctx: BenchContext): Promise<string> {
  built ??= (async () => {
    const from = join(ctx.repo, 'bench', 'ceilings');
    const to = join(ctx.repo, 'node_modules', '.cache', 'outbox-bench', 'ceilings');
    await fs.mkdir(to, { recursive: true });
    const sources = [
      ...(await fs.readdir(from)).filter((f) => f.endsWith('.mts')).map((f) => join(from, f)),
      ...SHARED.map((path) => join(ctx.repo, path)),
    ];
    for (const source of sources) {
      const code = stripTypeScriptTypes(await fs.readFile(source, 'utf8'));
      const js = code.replace(
        /from '(?:\.{1,2}\/)*(?:[\w-]+\/)*?([\w-]+)\.m?ts'/g,
        "from './$1.mjs'",
      );
      await fs.writeFile(join(to, basename(source).replace(/\.m?ts$/, '.mjs')), js);
    }
    return to;
  })();
  return built;
}

/**
 * A ceiling script of bench/ceilings/ (the protocol's own library, no Outbox
 * code), run by the same Node as Outbox; `settings(target)` says where the
 * run writes (passed as JSON in CEILING). `inWorker`: the script runs in one
 * worker thread (bench/ceilings/in-worker.mts), as Outbox's exporters do;
 * `deliveryLog`: its main thread keeps a log of deliveries as well (ditto).
 */
export function ceilingTool(
  ctx: BenchContext,
  name: string,
  script: string,
  settings: (target: string) => Record<string, unknown>,
  options: { inWorker?: boolean; deliveryLog?: boolean } = {},
): Tool {
  return {
    name,
    command: async (source, target) => {
      const dir = await builtCeilings(ctx);
      const scriptPath = join(dir, `${script}.mjs`);
      return {
        argv: options.inWorker
          ? [
              process.execPath,
              join(dir, 'in-worker.mjs'),
              ...(options.deliveryLog ? ['--delivery-log'] : []),
              scriptPath,
              source,
            ]
          : [process.execPath, scriptPath, source],
        env: { ...process.env, CEILING: JSON.stringify(settings(target)) },
      };
    },
  };
}

/** One upload for curl: the file, where it goes (a presigned / SAS / session URL) and how. */
export type CurlUpload = { file: string; url: string; method?: string; headers?: string[] };

/**
 * `curl -T` uploads (the server's own ingest bound: no SDK, no signing work in
 * the timed command), all files of a folder in one curl, FILES_IN_FLIGHT at a time
 * (`--parallel`). The URLs are signed beforehand, not timed.
 */
export function curlTool(
  ctx: BenchContext,
  name: string,
  uploads: (source: string, target: string) => Promise<CurlUpload[]>,
  headers: string[] = [],
): Tool {
  let n = 0;
  const quote = (value: string) => `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  // no 100-continue round trip: the body goes at once, as the SDKs here send it
  const headerLines = ['Expect:', ...headers].map((h) => `header = ${quote(h)}`);
  return {
    name,
    async command(source, target) {
      const config = join(ctx.scratch, `curl-${target}-${++n}.conf`);
      // One operation per file (`next`): each with its own URL, file and method.
      const operations = (await uploads(source, target)).map((u) =>
        [
          'fail',
          'silent',
          'show-error',
          `url = ${quote(u.url)}`,
          `upload-file = ${quote(u.file)}`,
          'output = "/dev/null"',
          ...(u.method ? [`request = ${quote(u.method)}`] : []),
          ...headerLines,
          ...(u.headers ?? []).map((h) => `header = ${quote(h)}`),
        ].join('\n'),
      );
      await fs.writeFile(config, `${operations.join('\nnext\n')}\n`, { mode: 0o600 });
      const parallel =
        operations.length > 1 ? ['--parallel', '--parallel-max', String(FILES_IN_FLIGHT)] : [];
      return { argv: ['curl', ...parallel, '--config', config] };
    },
  };
}
