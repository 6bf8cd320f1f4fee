/** Text is handed to stdout in pieces of about this many characters. */
const CHUNK_CHARS = 64 * 1024;

/**
 * `JSON.stringify(value, null, 2)` in pieces, the same text: a job of 20,000
 * files prints ~13 MB of JSON, which as one string (and its copy as bytes on
 * the way to stdout) was the largest thing in memory at the end of an export.
 */
export function* prettyJsonPieces(value: unknown, indent = ''): Generator<string> {
  const plain = toPlain(value);
  if (typeof plain !== 'object' || plain === null) {
    yield JSON.stringify(plain) ?? 'null';
    return;
  }
  const inner = `${indent}  `;
  const isArray = Array.isArray(plain);
  const entries: [string, unknown][] = isArray
    ? (plain as unknown[]).map((item, i) => [String(i), omitted(toPlain(item)) ? null : item])
    : Object.entries(plain).filter(([, item]) => !omitted(toPlain(item)));
  const [open, close] = isArray ? ['[', ']'] : ['{', '}'];
  if (entries.length === 0) {
    yield open + close;
    return;
  }
  yield `${open}\n`;
  for (let i = 0; i < entries.length; i++) {
    const [key, item] = entries[i] as [string, unknown];
    yield isArray ? inner : `${inner}${JSON.stringify(key)}: `;
    yield* prettyJsonPieces(item, inner);
    yield i < entries.length - 1 ? ',\n' : '\n';
  }
  yield indent + close;
}

/** What JSON.stringify leaves out of objects (and writes as null in arrays). */
function omitted(value: unknown): boolean {
  return value === undefined || typeof value === 'function' || typeof value === 'symbol';
}

/** A value as JSON.stringify sees it: its toJSON() if it has one (Date). */
function toPlain(value: unknown): unknown {
  const toJSON = (value as { toJSON?: unknown } | null | undefined)?.toJSON;
  return typeof toJSON === 'function' ? (toJSON as () => unknown).call(value) : value;
}

/** Prints `value` as indented JSON and a newline on stdout, as `console.log(JSON.stringify(value, null, 2))`. */
export function printJson(value: unknown): void {
  let chunk = '';
  for (const piece of prettyJsonPieces(value)) {
    chunk += piece;
    if (chunk.length >= CHUNK_CHARS) {
      process.stdout.write(chunk);
      chunk = '';
    }
  }
  process.stdout.write(`${chunk}\n`);
}
