import { join } from 'node:path';
import { mainBuildDir } from '../core/build-dir';

/** The build's out/ folder (the CLI's modules are in out/main or its chunks/). */
function outDir(): string {
  return join(mainBuildDir(__dirname), '..');
}

/** The built UI (out/renderer), which `outbox serve` serves. */
export function rendererDir(): string {
  return join(outDir(), 'renderer');
}

/** The package's package.json, beside out/. */
export function packageJsonPath(): string {
  return join(outDir(), '..', 'package.json');
}
