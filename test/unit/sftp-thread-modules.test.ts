import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const exporter = fileURLToPath(
  new URL('../../main/core/exporters/sftp/sftp-exporter.ts', import.meta.url),
);

/** Node's own modules a fresh process has loaded once it imported `path` (through tsx). */
function builtinsAfterImporting(path: string): string[] {
  const script = [
    `await import(${JSON.stringify(path)});`,
    `const loaded = process.moduleLoadList.filter((m) => m.startsWith('NativeModule '));`,
    `console.log(JSON.stringify(loaded.map((m) => m.slice('NativeModule '.length))));`,
  ].join('\n');
  const child = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '--eval', script],
    { encoding: 'utf8' },
  );
  expect(child.stderr).toBe('');
  expect(child.status).toBe(0);
  return JSON.parse(child.stdout) as string[];
}

describe("the SFTP exporter's imports", () => {
  it("loads ssh2's client without its server and HTTP agents (no node:http, node:https, node:tls)", () => {
    const loaded = builtinsAfterImporting(exporter);
    expect(loaded).toContain('net'); // the import ran: ssh2's client is loaded
    expect(loaded).toContain('zlib'); // ssh2's packet code
    for (const unused of ['http', 'https', 'tls']) expect(loaded).not.toContain(unused);
  });
});
