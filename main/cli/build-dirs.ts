import { basename, join } from 'node:path';

/**
 * The build's out/ folder. The CLI's entry is out/main/cli.js and the modules
 * it loads per command sit in out/main/chunks/: `__dirname` is either,
 * depending on where the bundler put the module that asks.
 */
function outDir(): string {
  return basename(__dirname) === 'chunks' ? join(__dirname, '..', '..') : join(__dirname, '..');
}

/** The built UI (out/renderer), which `outbox serve` serves. */
export function rendererDir(): string {
  return join(outDir(), 'renderer');
}

/** The package's package.json, beside out/. */
export function packageJsonPath(): string {
  return join(outDir(), '..', 'package.json');
}
