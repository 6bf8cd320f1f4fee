import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import type { BenchContext } from './context';
import type { Tool } from './tool';

/**
 * A ceiling script of bench/ceilings/ (the protocol's own library, no Outbox
 * code), run by the same Node as Outbox; `settings(target)` says where the
 * run writes (passed as JSON in CEILING).
 */
export function ceilingTool(
  ctx: BenchContext,
  name: string,
  script: string,
  settings: (target: string) => Record<string, unknown>,
): Tool {
  return {
    name,
    command: (source, target) => ({
      argv: [process.execPath, join(ctx.repo, 'bench', 'ceilings', `${script}.mts`), source],
      env: { ...process.env, CEILING: JSON.stringify(settings(target)) },
    }),
  };
}

/** One upload for curl: the file, where it goes (a presigned / SAS / session URL) and how. */
export type CurlUpload = { file: string; url: string; method?: string; headers?: string[] };

/**
 * `curl -T` uploads (the server's own ingest bound: no SDK, no signing work in
 * the timed command), all files of a folder in one curl, 32 at a time
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
      const parallel = operations.length > 1 ? ['--parallel', '--parallel-max', '32'] : [];
      return { argv: ['curl', ...parallel, '--config', config] };
    },
  };
}
