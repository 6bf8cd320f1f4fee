import { matchesGlob } from 'node:path';
import { ValidationError } from '../errors';

/**
 * Include/exclude globs of a watch, matched against a file's path relative to
 * the watched folder (`/`-separated). A glob without `/` matches the base name
 * at any depth (`*.pdf`), one with `/` the whole relative path (`scans/**`).
 * Every folder named `sent` is left out: delivered files are moved there.
 */

export const SENT_FOLDER = 'sent';
const MAX_GLOB = 500;

function matches(rel: string, glob: string): boolean {
  if (glob.includes('/')) return matchesGlob(rel, glob);
  return matchesGlob(rel.slice(rel.lastIndexOf('/') + 1), glob);
}

/** Why `glob` cannot be used, or undefined. */
function globProblem(glob: string): string | undefined {
  if (glob.trim() === '') return 'is empty';
  if (glob.length > MAX_GLOB) return `is longer than ${MAX_GLOB} characters`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(glob)) return 'contains a control character';
  if (glob.startsWith('/')) return 'must be relative to the watched folder (no leading /)';
  if (glob.split('/').includes('..')) return 'must stay inside the watched folder (no ..)';
  let square = 0;
  let curly = 0;
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '\\') i++;
    else if (c === '[') square++;
    else if (c === ']' && square > 0) square--;
    else if (c === '{') curly++;
    else if (c === '}') curly--;
    if (curly < 0) return 'has a } without {';
  }
  if (square > 0) return 'has a [ without ]';
  if (curly > 0) return 'has a { without }';
  try {
    matchesGlob('probe', glob);
  } catch (error) {
    return `is not a valid glob (${(error as Error).message})`;
  }
  return undefined;
}

/** Checks every glob; a ValidationError names `field[i]` and the reason. */
export function checkGlobs(field: string, globs: string[]): string[] {
  const fields: Record<string, string[]> = {};
  globs.forEach((glob, i) => {
    const problem = globProblem(glob);
    if (problem) fields[`${field}[${i}]`] = [`"${glob}" ${problem}`];
  });
  if (Object.keys(fields).length > 0) throw new ValidationError(fields);
  return globs;
}

/** Which relative paths a watch takes: files that an include matches and no exclude does. */
export class PathFilter {
  constructor(
    private readonly include: string[],
    private readonly exclude: string[],
  ) {}

  /** A folder is descended into unless it is a `sent/` folder or excluded. */
  watchesFolder(rel: string): boolean {
    if (rel === '') return true;
    if (rel.split('/').includes(SENT_FOLDER)) return false;
    return !this.exclude.some((glob) => matches(rel, glob));
  }

  takesFile(rel: string): boolean {
    const dir = rel.includes('/') ? rel.slice(0, rel.lastIndexOf('/')) : '';
    if (!this.watchesFolder(dir)) return false;
    if (this.exclude.some((glob) => matches(rel, glob))) return false;
    return this.include.length === 0 || this.include.some((glob) => matches(rel, glob));
  }
}
