import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../main/core/errors';
import { formatPlaceholder, planNames, type NamingRule } from '../../main/core/naming';
import { exportOperations, operations } from '../../main/core/tasks/operations';
import { validateJob, validateTask } from '../../main/core/tasks/validate';

/**
 * Property-based tests (fast-check) of what users and API callers type: task
 * parameters, job graphs and naming. Whatever the input, nothing crashes; a
 * rejection is a ValidationError whose every field path has a non-empty,
 * readable message; accepted names never leave their folder.
 */

// Seeded for reproducible CI runs; a failure prints the counterexample and seed.
const runs = { numRuns: 400, seed: 7_2026 };

// eslint-disable-next-line no-control-regex -- control characters are what is checked for
const CONTROL = /[\u0000-\u001f\u007f]/;

/** Throws unless `error` is a well-formed ValidationError. */
function expectClearRejection(error: unknown): void {
  expect(error).toBeInstanceOf(ValidationError);
  const fields = (error as ValidationError).fields;
  const entries = Object.entries(fields);
  expect(entries.length).toBeGreaterThan(0);
  for (const [path, messages] of entries) {
    expect(typeof path).toBe('string');
    expect(messages.length).toBeGreaterThan(0);
    for (const message of messages) {
      expect(typeof message).toBe('string');
      expect(message.trim().length).toBeGreaterThan(0);
      expect(message).not.toMatch(/\[object Object\]|undefined is not|Cannot read prop/);
    }
  }
  expect((error as ValidationError).message).toMatch(/^Invalid data: /);
}

function outcomeOf(run: () => unknown): void {
  try {
    run();
  } catch (error) {
    expectClearRejection(error);
  }
}

/** Field names the schemas know, so generated tasks get past "unknown key" often. */
const knownKeys = [
  'operation',
  'input',
  'path',
  'bucket',
  'region',
  'endpoint',
  'key',
  'key_prefix',
  'access_key_id',
  'secret_access_key',
  'container',
  'blob',
  'blob_prefix',
  'storage_account',
  'storage_access_key',
  'sas_token',
  'file',
  'file_prefix',
  'host',
  'port',
  'username',
  'password',
  'private_key',
  'url',
  'headers',
  'metadata',
  'tagging',
  'part_size',
  'concurrency',
  'expires_in',
  'inline',
  'acl',
  '__proto__',
  'constructor',
];

const anyValue = fc.oneof(
  fc.jsonValue(),
  fc.string(),
  fc.integer(),
  fc.double(),
  fc.constantFrom(null, undefined, true, false, -1, 0, 2 ** 53, NaN, Infinity, '', '%d'),
  fc.array(fc.string(), { maxLength: 3 }),
  fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 3 }),
);

/** A task-like object: a real operation (usually) and a mix of known and random fields. */
const taskLike = fc
  .record(
    {
      operation: fc.oneof(fc.constantFrom(...operations), anyValue),
      extra: fc.dictionary(fc.oneof(fc.constantFrom(...knownKeys), fc.string()), anyValue, {
        maxKeys: 8,
      }),
    },
    { requiredKeys: ['extra'] },
  )
  .map(({ operation, extra }) => ({ ...extra, ...(operation === undefined ? {} : { operation }) }));

describe('task schemas under arbitrary input', () => {
  it('validateTask accepts or throws a clear ValidationError, never anything else', () => {
    fc.assert(
      fc.property(fc.oneof(taskLike, fc.jsonValue(), anyValue), (raw) => {
        outcomeOf(() => validateTask(raw, 'tasks.t'));
      }),
      runs,
    );
  });

  it('validateJob accepts or throws a clear ValidationError for any JSON', () => {
    const names = fc.oneof(
      fc.constantFrom('a', 'b', 'c', 'import', 'export', '__proto__', 'constructor', 'toString'),
      fc.string({ maxLength: 8 }),
    );
    const jobLike = fc.oneof(
      fc.jsonValue(),
      fc.record({ tasks: fc.dictionary(names, fc.oneof(taskLike, anyValue), { maxKeys: 5 }) }),
      fc.record({ tasks: anyValue }),
    );
    fc.assert(
      fc.property(jobLike, (raw) => {
        outcomeOf(() => validateJob(raw));
      }),
      runs,
    );
  });

  it('rejects each export without its required fields with a path under its task', () => {
    fc.assert(
      fc.property(fc.constantFrom(...exportOperations), fc.string(), (operation, name) => {
        const label = name.replace(/[^a-z]/gi, '') || 'x';
        try {
          validateJob({
            tasks: {
              [`in${label}`]: { operation: 'import/file', path: ['a'] },
              [label]: { operation, input: `in${label}` },
            },
          });
          // export/url needs nothing else: accepted.
          expect(operation).toBe('export/url');
        } catch (error) {
          expectClearRejection(error);
          const paths = Object.keys((error as ValidationError).fields);
          expect(paths.every((p) => p.startsWith(`tasks.${label}.`))).toBe(true);
        }
      }),
      { ...runs, numRuns: 100 },
    );
  });
});

describe('job graph', () => {
  /** Random graphs over a few task names: imports, exports, cycles, unknown and self inputs. */
  const graph = fc
    .array(
      fc.record({
        name: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'toString', 'hasOwnProperty'),
        kind: fc.constantFrom('import', 'export'),
        inputs: fc.array(
          fc.constantFrom('a', 'b', 'c', 'd', 'e', 'zz', 'toString', 'constructor', '__proto__'),
          {
            maxLength: 3,
          },
        ),
      }),
      { minLength: 1, maxLength: 6 },
    )
    .map((nodes) => {
      const tasks: Record<string, unknown> = {};
      for (const node of nodes) {
        tasks[node.name] =
          node.kind === 'import'
            ? { operation: 'import/file', path: ['/tmp/x'] }
            : { operation: 'export/url', input: node.inputs };
      }
      return { tasks, nodes };
    });

  it('every accepted job is acyclic, and every export reads only existing import tasks', () => {
    fc.assert(
      fc.property(graph, ({ tasks }) => {
        let job;
        try {
          job = validateJob({ tasks });
        } catch (error) {
          expectClearRejection(error);
          return;
        }
        for (const [name, task] of Object.entries(job.tasks)) {
          if (task.operation === 'import/file') continue;
          const inputs = typeof task.input === 'string' ? [task.input] : task.input;
          expect(inputs.length).toBeGreaterThan(0);
          for (const input of inputs) {
            expect(input).not.toBe(name);
            expect(Object.hasOwn(job.tasks, input), `${name} ← ${input}`).toBe(true);
            expect(job.tasks[input]?.operation).toBe('import/file');
          }
        }
      }),
      runs,
    );
  });

  it('every task of an accepted job is kept, for names like __proto__ and toString (JSON input)', () => {
    fc.assert(
      fc.property(graph, ({ tasks }) => {
        // Through JSON, as the API and CLI receive jobs: "__proto__" is then an own key.
        const raw = JSON.parse(
          JSON.stringify({ tasks }).replace(/"hasOwnProperty"/g, '"__proto__"'),
        );
        let job;
        try {
          job = validateJob(raw);
        } catch (error) {
          expectClearRejection(error);
          const text = (error as ValidationError).message;
          expect(text).not.toMatch(/is an undefined task/);
          return;
        }
        expect(Object.keys(job.tasks).sort()).toEqual(Object.keys(raw.tasks).sort());
      }),
      runs,
    );
  });

  it('an input naming an Object.prototype member is an unknown task', () => {
    for (const input of ['toString', 'constructor', 'hasOwnProperty']) {
      try {
        validateJob({
          tasks: {
            i: { operation: 'import/file', path: ['/tmp/x'] },
            e: { operation: 'export/url', input },
          },
        });
        expect.unreachable(`input "${input}" was accepted`);
      } catch (error) {
        expectClearRejection(error);
        expect((error as ValidationError).fields['tasks.e.input']).toEqual([
          `unknown task "${input}"`,
        ]);
      }
    }
  });

  it('a cycle is always reported, naming the tasks in it', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 6 }), (length) => {
        const names = Array.from({ length }, (_, i) => `t${i}`);
        const tasks = Object.fromEntries(
          names.map((name, i) => [
            name,
            { operation: 'export/url', input: names[(i + 1) % length] },
          ]),
        );
        try {
          validateJob({ tasks });
          expect.unreachable('a cyclic job was accepted');
        } catch (error) {
          expectClearRejection(error);
          expect((error as ValidationError).message).toMatch(/cycle: t\d → /);
        }
      }),
      { ...runs, numRuns: 20 },
    );
  });
});

describe('naming', () => {
  const segment = fc.oneof(
    fc.constantFrom('.', '..', '', 'a', 'b.txt', '%d', '%03d', '%%', '%5d', 'é', '\n', '\u0000'),
    fc.string({ maxLength: 6 }),
    fc.string({ unit: 'grapheme', maxLength: 4 }),
  );
  const pathLike = fc.array(segment, { minLength: 1, maxLength: 4 }).map((s) => s.join('/'));
  const rule: fc.Arbitrary<NamingRule> = fc.oneof(
    fc.constant({ kind: 'own' } as const),
    pathLike.map((prefix) => ({ kind: 'prefix', field: 'key_prefix', prefix }) as const),
    pathLike.map((directory) => ({ kind: 'directory', field: 'path', directory }) as const),
    pathLike.map((name) => ({ kind: 'fixed', field: 'key', name }) as const),
  );

  it('planNames never crashes and never yields "..", ".", control characters or duplicates', async () => {
    await fc.assert(
      fc.asyncProperty(
        rule,
        fc.array(pathLike, { minLength: 1, maxLength: 5 }),
        fc.constantFrom('object', 'path'),
        async (naming, own, style) => {
          let names: string[];
          try {
            names = await planNames(naming, own, style);
          } catch (error) {
            expectClearRejection(error);
            return;
          }
          expect(names).toHaveLength(own.length);
          expect(new Set(names).size).toBe(names.length);
          for (const name of names) {
            expect(CONTROL.test(name), JSON.stringify(name)).toBe(false);
            const segments = name.split('/');
            expect(segments.includes('..'), name).toBe(false);
            expect(segments.includes('.'), name).toBe(false);
            expect(name.endsWith('/'), name).toBe(false);
            expect(name.length).toBeGreaterThan(0);
            if (style === 'object') expect(name.startsWith('/'), name).toBe(false);
          }
        },
      ),
      runs,
    );
  });

  it('formatPlaceholder never crashes and stays bounded, for any template and number', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 20 }),
          fc.constantFrom('%d', '%0d', '%03d', '%9999999999d', '%099999999999999999999d', '%%d'),
          fc.nat({ max: 2 ** 40 }).map((width) => `file-%0${width}d.bin`),
        ),
        fc.integer({ min: 1, max: 1_000_000 }),
        (template, n) => {
          let out: string;
          try {
            out = formatPlaceholder(template, n, 'key');
          } catch (error) {
            expectClearRejection(error);
            expect(Object.keys((error as ValidationError).fields)).toEqual(['key']);
            return;
          }
          // Bounded: each placeholder adds at most its width (64) or the number's digits.
          expect(out.length).toBeLessThanOrEqual(template.length * 64 + 64);
        },
      ),
      { ...runs, numRuns: 200 },
    );
  });

  it('a fixed name with a huge placeholder width is refused clearly, not a crash', async () => {
    for (const name of ['part-%0999999999d.bin', 'x-%99999999999999d']) {
      let outcome: unknown;
      try {
        outcome = await planNames({ kind: 'fixed', field: 'key', name }, ['a', 'b'], 'object');
      } catch (error) {
        outcome = error;
      }
      expect(outcome, name).toBeInstanceOf(ValidationError);
      expect((outcome as ValidationError).fields.key?.[0]).toMatch(/placeholder|width|long/i);
    }
  });
});
