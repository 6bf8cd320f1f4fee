import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

/** The tests, the CLI and the board run on the Node that package.json pins (the one Electron ships). */
const packageJson = JSON.parse(readFileSync('package.json', 'utf8')) as {
  devDependencies: Record<string, string>;
  engines: { node: string };
};
const pinned = packageJson.devDependencies.node as string;

describe('the pinned Node', () => {
  it('runs the tests', () => {
    expect(process.version).toBe(`v${pinned}`);
    expect(typeof createRequire(import.meta.url)('node:sqlite').DatabaseSync).toBe('function');
  });

  it('is the `node` that npm scripts and `npx outbox` find first on PATH', () => {
    expect(readFileSync('bin/outbox.js', 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node');
    const node = execFileSync('node', ['-p', 'process.version'], { encoding: 'utf8' }).trim();
    expect(node).toBe(`v${pinned}`);
  });

  it("is asked for by name when bin/outbox.js runs on an older Node (a shell's own `node`)", () => {
    // an older Node, as far as bin/outbox.js can tell (Debian's 20 fails on node:sqlite otherwise)
    const older = `Object.defineProperty(process.versions, 'node', { value: '20.20.2' });`;
    const child = spawnSync(
      process.execPath,
      [
        '--import',
        `data:text/javascript,${encodeURIComponent(older)}`,
        'bin/outbox.js',
        '--version',
      ],
      { encoding: 'utf8' },
    );
    expect(child.stdout).toBe('');
    // the Node that bin/outbox.js asks for is the one `engines` says
    expect(packageJson.engines.node).toBe('>=24');
    expect(child.stderr.trim()).toBe(
      'outbox: needs Node 24 or later, and this is 20.20.2. Run it as "npx outbox …" (or "npm run outbox -- …"): they use the Node that npm install brought.',
    );
    expect(child.status).toBe(1);
  });

  it('has ssh2 with its native crypto, built for this Node', () => {
    const crypto = createRequire(import.meta.url)('ssh2/lib/protocol/crypto') as {
      bindingAvailable: boolean;
    };
    expect(crypto.bindingAvailable).toBe(true);
  });
});
