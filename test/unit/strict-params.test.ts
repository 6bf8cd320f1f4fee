import { generateKeyPairSync } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { apiArgSchemas, parseArgs } from '../../main/core/api/api-dispatch';
import type { ApiMethod } from '../../main/core/api/api-transport';
import { planJob } from '../../main/core/engine/plan';
import { ValidationError } from '../../main/core/errors';
import { exportOperations, type ExportOperation } from '../../main/core/tasks/operations';
import { formFieldsOf } from '../../renderer/src/lib/schema-form';
import { shapeOf } from '../../main/core/tasks/secrets';
import { validateJob, validateTask } from '../../main/core/tasks/validate';
import { gcsTestKey } from '../support/gcs-key';
import { fieldsOf, minimalTasks } from '../support/tasks';
import { tempDir } from '../support/engine';

/**
 * Parameters in CloudConvert's types, checked before anything runs, and every
 * message in Outbox's own words (issue 13, "Parameters: strict").
 */

const minimal = minimalTasks;

const with_ = (operation: string, extra: Record<string, unknown>) =>
  validateTask({ ...minimal[operation], ...extra }) as unknown as Record<string, unknown>;
const errorsOf = (operation: string, extra: Record<string, unknown>) =>
  fieldsOf(() => validateTask({ ...minimal[operation], ...extra }));

/** Every whole-number parameter, with a value in its range. */
const numbers: [string, string, number][] = [
  ['export/sftp', 'port', 2222],
  ['export/url', 'expires_in', 3600],
  ['export/url', 'max_downloads', 3],
  ['export/s3', 'part_size', 8 * 1024 * 1024],
  ['export/s3', 'concurrency', 4],
  ['export/azure/blob', 'part_size', 8 * 1024 * 1024],
  ['export/azure/blob', 'concurrency', 4],
  ['export/google-cloud-storage', 'part_size', 8 * 1024 * 1024],
  ['export/openstack', 'segment_size', 2 * 1024 * 1024],
  ['export/openstack', 'concurrency', 4],
];

describe('whole numbers: JSON integers or decimal digit strings, nothing coerced', () => {
  for (const [operation, field, good] of numbers) {
    it(`${operation} ${field}`, () => {
      expect(with_(operation, { [field]: good })[field]).toBe(good);
      expect(with_(operation, { [field]: String(good) })[field]).toBe(good);
      // Each of these was coerced to a number before (true → 1, "0x16" → 22, " 2e0 " → 2).
      for (const bad of [
        true,
        false,
        [good],
        `0x${good.toString(16)}`,
        `${good / 2}e1`,
        ` ${good} `,
        `0${good}`,
        `+${good}`,
        null,
        '',
        good + 0.5,
        {},
      ]) {
        const fields = errorsOf(operation, { [field]: bad });
        expect(Object.keys(fields), `${field}: ${JSON.stringify(bad)}`).toEqual([field]);
        expect(fields[field]?.[0]).toMatch(/^must be a whole number/);
      }
    });
  }

  it('share_link expires_in is strict too', () => {
    expect(with_('export/s3', { share_link: { expires_in: '60' } }).share_link).toEqual({
      expires_in: 60,
    });
    expect(errorsOf('export/s3', { share_link: { expires_in: true } })).toHaveProperty([
      'share_link.expires_in',
    ]);
  });
});

describe('metadata and tagging: scalars stored as text, nested values refused', () => {
  for (const [operation, field] of [
    ['export/s3', 'metadata'],
    ['export/s3', 'tagging'],
    ['export/azure/blob', 'metadata'],
  ] as const) {
    it(`${operation} ${field}`, () => {
      expect(with_(operation, { [field]: { a: 'x', n: 42, f: 1.5, b: true } })[field]).toEqual({
        a: 'x',
        n: '42',
        f: '1.5',
        b: 'true',
      });
      for (const bad of [{ nested: 1 }, [1], null]) {
        const fields = errorsOf(operation, { [field]: { k: bad } });
        expect(fields[`${field}.k`]?.[0]).toMatch(/must be text, a number or true\/false/);
      }
      expect(errorsOf(operation, { [field]: 'a=b' })[field]?.[0]).toMatch(/must be an object/);
    });
  }

  it('Azure metadata names and values are checked before the upload', () => {
    expect(errorsOf('export/azure/blob', { metadata: { 'bad-name': 'x' } })).toHaveProperty([
      'metadata.bad-name',
    ]);
    expect(errorsOf('export/azure/blob', { metadata: { ok: 'é' } })['metadata.ok']?.[0]).toMatch(
      /printable ASCII/,
    );
  });
});

describe('URLs are http(s) with a host, checked before anything connects', () => {
  const urls: [string, string][] = [
    ['export/s3', 'endpoint'],
    ['export/azure/blob', 'endpoint'],
    ['export/google-cloud-storage', 'endpoint'],
    ['export/openstack', 'auth_url'],
    ['export/upload', 'url'],
  ];
  for (const [operation, field] of urls) {
    it(`${operation} ${field}`, () => {
      expect(with_(operation, { [field]: 'http://127.0.0.1:9000/x' })[field]).toBe(
        'http://127.0.0.1:9000/x',
      );
      // Still a URL to the editor's form (a URL keyboard on touch screens).
      expect(
        formFieldsOf(operation as ExportOperation).find((f) => f.name === field),
      ).toMatchObject({
        format: 'url',
      });
      for (const bad of ['ftp://example.com/x', 'file:///etc/passwd', 'example.com', 'http://']) {
        expect(errorsOf(operation, { [field]: bad })[field]?.[0], bad).toMatch(
          /must be an http:\/\/ or https:\/\/ URL with a host/,
        );
      }
    });
  }
});

describe('export/upload headers', () => {
  it('names must be HTTP tokens, values one line without NUL', () => {
    expect(with_('export/upload', { headers: { 'x-amz-acl': 'private' } }).headers).toEqual({
      'x-amz-acl': 'private',
    });
    for (const name of ['Bad Name', 'a:b', 'é']) {
      expect(
        errorsOf('export/upload', { headers: { [name]: 'v' } })[`headers.${name}`]?.[0],
      ).toMatch(/not a valid header name/);
    }
    for (const value of ['a\r\nX-Injected: 1', 'a\nb', 'a\0b']) {
      expect(errorsOf('export/upload', { headers: { h: value } })['headers.h']?.[0]).toMatch(
        /line break or NUL/,
      );
    }
    expect(errorsOf('export/upload', { headers: { 'Content-Length': '5' } })).toHaveProperty([
      'headers.Content-Length',
    ]);
  });
});

describe('GCS private_key is parsed when the task is validated', () => {
  it('accepts an RSA key, also with escaped line breaks as in a JSON key file', () => {
    expect(with_('export/google-cloud-storage', { private_key: gcsTestKey }).private_key).toBe(
      gcsTestKey,
    );
    const escaped = gcsTestKey.replace(/\n/g, '\\n');
    expect(with_('export/google-cloud-storage', { private_key: escaped }).private_key).toBe(
      gcsTestKey,
    );
  });

  it('refuses what is no key, or no RSA key, naming the field', () => {
    for (const bad of [
      'not a key',
      '-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n',
    ]) {
      expect(
        errorsOf('export/google-cloud-storage', { private_key: bad }).private_key?.[0],
      ).toMatch(/is not a private key in PEM form/);
    }
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
    expect(errorsOf('export/google-cloud-storage', { private_key: ec }).private_key?.[0]).toMatch(
      /RSA key/,
    );
  });
});

/** zod's own wording, which must never reach a user. */
const ZOD_WORDING =
  /Invalid (input|string|option|key|element|value|url|URL|email|union|type)|Too (big|small)|expected .*, received|Unrecognized key|^Required$/;

describe('one voice: no message in zod’s default wording', () => {
  const bad: unknown[] = [
    true,
    0,
    -1,
    1.5,
    '',
    ' ',
    'x'.repeat(5000),
    'ftp://x',
    null,
    [],
    [1],
    {},
    { k: {} },
    { 'a b': 'x' },
  ];

  it('walks every parameter of every operation with wrong values', () => {
    const messages: string[] = [];
    for (const operation of exportOperations) {
      for (const field of Object.keys(shapeOf(operation))) {
        if (field === 'operation') continue;
        for (const value of bad) {
          try {
            validateTask({ ...minimal[operation], [field]: value });
          } catch (error) {
            if (!(error instanceof ValidationError)) throw error;
            for (const [path, list] of Object.entries(error.fields)) {
              for (const message of list) messages.push(`${operation} ${path}: ${message}`);
            }
          }
        }
      }
    }
    expect(messages.length).toBeGreaterThan(300);
    expect(messages.filter((m) => ZOD_WORDING.test(m))).toEqual([]);
  });

  it('jobs, import/file and the API arguments speak the same way', () => {
    const messages: string[] = [];
    const collect = (fn: () => unknown) => {
      for (const list of Object.values(fieldsOf(fn))) messages.push(...list);
    };
    for (const value of bad) {
      collect(() => validateJob({ tasks: { f: { operation: 'import/file', path: value } } }));
      collect(() => validateJob({ tasks: value }));
      collect(() => validateJob({ tag: value, tasks: {} }));
    }
    for (const method of Object.keys(apiArgSchemas) as ApiMethod[]) {
      for (const args of [[true], [{}], [null, 1, 2, 3], [['x']], ['', { x: 1 }]]) {
        try {
          parseArgs(method, args);
        } catch (error) {
          if (!(error instanceof ValidationError)) throw error;
          for (const list of Object.values(error.fields)) messages.push(...list);
        }
      }
    }
    expect(messages.length).toBeGreaterThan(50);
    expect(messages.filter((m) => ZOD_WORDING.test(m))).toEqual([]);
  });
});

describe('jobs as CloudConvert writes them', () => {
  const importTask = { operation: 'import/file', path: '/tmp/x' };

  it('keeps the job’s tag and refuses other top-level parameters', () => {
    const job = validateJob({
      tag: 'monthly-report',
      tasks: { files: importTask, out: { ...minimal['export/url'], input: 'files' } },
    });
    expect(job.tag).toBe('monthly-report');
    const fields = fieldsOf(() =>
      validateJob({
        tag: 7,
        webhook_url: 'https://example.com/hook',
        tasks: { files: importTask, out: { ...minimal['export/url'], input: 'files' } },
      }),
    );
    expect(fields.tag).toEqual(['must be a string']);
    expect(fields.webhook_url?.[0]).toMatch(/no webhooks/);
  });

  it('a whole CloudConvert job gets one clear message per task Outbox does not run', () => {
    const fields = fieldsOf(() =>
      validateJob({
        tasks: {
          'import-my-file': { operation: 'import/url', url: 'https://example.com/file.docx' },
          'convert-my-file': {
            operation: 'convert',
            input: 'import-my-file',
            output_format: 'pdf',
          },
          'export-my-file': { operation: 'export/url', input: 'convert-my-file' },
        },
      }),
    );
    expect(Object.keys(fields).sort()).toEqual([
      'tasks.convert-my-file.operation',
      'tasks.import-my-file.operation',
    ]);
    expect(fields['tasks.import-my-file.operation']).toEqual([
      expect.stringMatching(
        /^import\/url is a CloudConvert operation Outbox does not run: .*import\/file/,
      ),
    ]);
    expect(fields['tasks.convert-my-file.operation']).toEqual([
      expect.stringMatching(
        /^convert is a CloudConvert operation Outbox does not run: Outbox delivers files as they are/,
      ),
    ]);
  });

  it('a control character in a file name is blamed on the import’s path', async () => {
    const dir = await tempDir('outbox-control-');
    try {
      await fs.mkdir(join(dir, 'album'));
      await fs.writeFile(join(dir, 'album', 'a\u0007b.txt'), 'x');
      const fields = await planJob({
        tasks: {
          files: { operation: 'import/file', path: join(dir, 'album') },
          out: { ...minimal['export/s3'], input: 'files' },
        },
      }).then(
        () => ({}) as Record<string, string[]>,
        (error: unknown) => (error as ValidationError).fields,
      );
      expect(Object.keys(fields)).toEqual(['tasks.files.path']);
      expect(fields['tasks.files.path']?.[0]).toMatch(/contains control characters/);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
