import { basename, dirname } from 'node:path';

/**
 * The build's out/main folder, from the folder of the module asking. The
 * bundler puts an entry (cli.js, worker.js) in out/main/ and the modules the
 * entries share or load later in out/main/chunks/, and moves a module between
 * the two as imports change. Run from source (tsx), `here` is returned as is.
 */
export function mainBuildDir(here: string): string {
  return basename(here) === 'chunks' ? dirname(here) : here;
}
