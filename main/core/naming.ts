import { posix } from 'node:path';
import { ValidationError } from './errors';
import { timeSlices } from './time-slices';

/**
 * Output names for every destination, decided in one place.
 *
 * - `own`: no name given, each file keeps its own (relative) name;
 * - `prefix`: key_prefix / blob_prefix / file_prefix, prefix + own name;
 * - `directory`: SFTP `path`, directory + '/' + own name;
 * - `fixed`: key / blob / file; with several files it needs a printf-style
 *   placeholder (`%d`, `%03d`), numbered from 1.
 */
export type NamingRule =
  | { kind: 'own' }
  | { kind: 'prefix'; field: string; prefix: string }
  | { kind: 'directory'; field: string; directory: string }
  | { kind: 'fixed'; field: string; name: string };

/** `object`: keys inside a bucket (never absolute). `path`: a server path (may be absolute). */
export type NameStyle = 'object' | 'path';

const PLACEHOLDER = /%%|%(0?)(\d*)d/g;
// eslint-disable-next-line no-control-regex -- control characters are exactly what we refuse
const CONTROL = /[\u0000-\u001f\u007f]/;
/** The first "." or ".." segment of a slash-separated name. */
const DOT_SEGMENT = /(?:^|\/)(\.\.?)(?:\/|$)/;

export function hasPlaceholder(template: string): boolean {
  return [...template.matchAll(PLACEHOLDER)].some((m) => m[0] !== '%%');
}

/** Wider padding is a typo, and `%0999999999d` would build a gigabyte string (or crash). */
export const MAX_PLACEHOLDER_WIDTH = 64;

/**
 * printf-style numbering: `%d` → n, `%03d` → 00n, `%5d` → space-padded, `%%` → `%`.
 * A width over MAX_PLACEHOLDER_WIDTH is a ValidationError on `field`.
 */
export function formatPlaceholder(template: string, n: number, field = 'name'): string {
  return template.replace(PLACEHOLDER, (match, zero: string, width: string) => {
    if (match === '%%') return '%';
    const digits = String(n);
    if (!width) return digits;
    if (Number(width) > MAX_PLACEHOLDER_WIDTH) {
      throw ValidationError.of(
        field,
        `the placeholder "${match.length > 24 ? `${match.slice(0, 20)}…` : match}" pads to more than ${MAX_PLACEHOLDER_WIDTH} characters: use a smaller width such as %03d`,
      );
    }
    return digits.padStart(Number(width), zero ? '0' : ' ');
  });
}

/** Picks the rule from a task's parameters, given which fields name and prefix. */
export function namingRule(
  params: Record<string, unknown>,
  nameField: string,
  prefixField: string,
  prefixKind: 'prefix' | 'directory' = 'prefix',
): NamingRule {
  const name = params[nameField];
  const prefix = params[prefixField];
  if (typeof name === 'string') return { kind: 'fixed', field: nameField, name };
  if (typeof prefix === 'string') {
    return prefixKind === 'prefix'
      ? { kind: 'prefix', field: prefixField, prefix }
      : { kind: 'directory', field: prefixField, directory: prefix };
  }
  return { kind: 'own' };
}

/**
 * One output name per source file (same order). Rejects with a ValidationError
 * that names the field when the rule cannot name these files safely. Runs in
 * time slices: 100,000 names hold the main thread a few ms at a time.
 */
export async function planNames(
  rule: NamingRule,
  ownNames: string[],
  style: NameStyle,
): Promise<string[]> {
  const slices = timeSlices();
  const steps = namingSteps(rule, ownNames, style);
  let step = steps.next();
  while (!step.done) {
    if (slices.over()) await slices.next();
    step = steps.next();
  }
  return step.value;
}

/** Names checked between two pauses of namingSteps. */
const NAMES_A_STEP = 256;

/** planNames' work, pausing every NAMES_A_STEP names so that a caller may let the event loop turn. */
function* namingSteps(
  rule: NamingRule,
  ownNames: string[],
  style: NameStyle,
): Generator<void, string[]> {
  const fieldOf = rule.kind === 'own' ? 'input' : rule.field;
  const fail = (message: string): never => {
    throw ValidationError.of(fieldOf, message);
  };

  for (let i = 0; i < ownNames.length; i++) {
    const problem = ownNameProblem(ownNames[i] ?? '');
    if (problem) fail(problem);
    if (i % NAMES_A_STEP === 0) yield;
  }

  let names: string[];
  switch (rule.kind) {
    case 'own':
      names = ownNames;
      break;
    case 'prefix':
      names = ownNames.map((own) => rule.prefix + own);
      break;
    case 'directory': {
      const dir = rule.directory.replace(/\/+$/, '');
      names = ownNames.map((own) => (dir === '' ? '/' + own : `${dir}/${own}`));
      break;
    }
    case 'fixed':
      if (ownNames.length > 1 && !hasPlaceholder(rule.name)) {
        fail(
          `"${rule.name}" names one file but ${ownNames.length} files are exported: ` +
            `add a placeholder such as %d (e.g. ${suggestPlaceholder(rule.name)})`,
        );
      }
      names = ownNames.map((_, i) => formatPlaceholder(rule.name, i + 1, rule.field));
      break;
  }
  yield;

  const seen = new Set<string>();
  for (let i = 0; i < names.length; i++) {
    const name = names[i] ?? '';
    checkName(name, style, fail);
    if (seen.has(name)) fail(`two files would both be stored as "${name}"`);
    seen.add(name);
    if (i % NAMES_A_STEP === 0) yield;
  }
  return names;
}

function suggestPlaceholder(name: string): string {
  const ext = posix.extname(name);
  return `${name.slice(0, name.length - ext.length)}-%d${ext}`;
}

/**
 * What is wrong with a file's own name (as an import found it), if anything:
 * it must stay inside whatever it is appended to, whatever the destination.
 */
export function ownNameProblem(own: string): string | undefined {
  if (own === '') return 'a file has an empty name';
  if (own.startsWith('/')) return `"${own}" is an absolute path; file names must be relative`;
  return segmentProblem(own);
}

function checkName(name: string, style: NameStyle, fail: (message: string) => never): void {
  if (style === 'object' && name.startsWith('/')) {
    fail(`"${name}" starts with "/"; object names are relative to the bucket or container`);
  }
  if (name.endsWith('/')) fail(`"${name}" ends with "/"; it must name a file`);
  const problem = segmentProblem(name);
  if (problem) fail(problem);
}

function segmentProblem(name: string): string | undefined {
  if (CONTROL.test(name)) return `${JSON.stringify(name)} contains control characters`;
  // One regular expression, no split: checked for every file of a job (100,000 at a time).
  const segment = DOT_SEGMENT.exec(name)?.[1];
  if (segment) return `"${name}" contains "${segment}"; names may not leave their folder`;
  return undefined;
}
