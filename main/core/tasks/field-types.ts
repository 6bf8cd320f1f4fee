import { z } from 'zod';
import { DECIMAL_DIGITS } from '../decimal';
import { field } from './fields';
import './messages';

/**
 * The kinds of value task parameters take, in CloudConvert's types, each
 * with its own message: the building blocks of operations.ts. Nothing is
 * coerced: a boolean, a list, hex, an exponent, padding, null or "" where a
 * number belongs is refused, naming the field, before anything runs.
 */

/** A fresh schema per field: field facts are attached to schema instances. */
export const text = () => z.string({ error: 'must be a string' }).min(1, 'must not be empty');

export const flag = () => z.boolean({ error: 'must be true or false' });

/**
 * A whole number in range: a JSON integer, or a string of decimal digits
 * (the seed types some numbers as strings, SDKs send them as numbers, and
 * `outbox profile --set` and the UI's text boxes give text). `text` words
 * the range for people ("from 1 to 65535", "of at least 5242880 (5 MiB)").
 */
export function wholeNumber(range: { min: number; max?: number; text: string }) {
  const expected = `must be a whole number ${range.text}`;
  const number = z
    .number({ error: `${expected} (a JSON number, or a string of digits such as "22")` })
    .int(expected)
    .min(range.min, expected);
  return z.preprocess(
    (value) => (typeof value === 'string' && DECIMAL_DIGITS.test(value) ? Number(value) : value),
    range.max === undefined ? number : number.max(range.max, expected),
  );
}

/**
 * `metadata`, `tagging`: a plain dictionary. CloudConvert's SDK types the
 * values as unknown: text, numbers and booleans are stored as their text;
 * nested objects and lists have no text form and are refused.
 */
export const dictionary = () =>
  z.record(
    z.string(),
    z.unknown().transform((value, ctx) => {
      if (typeof value === 'string' || typeof value === 'boolean') return String(value);
      if (typeof value === 'number' && Number.isFinite(value)) return String(value);
      ctx.issues.push({
        code: 'custom',
        input: value,
        message:
          'must be text, a number or true/false (nested objects, lists and null are not stored)',
      });
      return z.NEVER;
    }),
    { error: 'must be an object such as {"name": "value"}' },
  );

// Azure sends metadata as x-ms-meta-* headers: names must be C# identifiers, values ASCII.
const AZURE_METADATA_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const AZURE_METADATA_VALUE = /^[\x20-\x7e]*$/;

/** Azure `metadata`: a dictionary whose names and values fit in x-ms-meta-* headers. */
export const azureMetadata = () =>
  dictionary().superRefine((value, ctx) => {
    for (const [name, text] of Object.entries(value)) {
      if (!AZURE_METADATA_NAME.test(name)) {
        ctx.addIssue({
          code: 'custom',
          path: [name],
          message:
            'is not a valid Azure metadata name (letters, digits and underscores, not starting with a digit)',
        });
      } else if (!AZURE_METADATA_VALUE.test(text)) {
        ctx.addIssue({
          code: 'custom',
          path: [name],
          message: 'must be printable ASCII: Azure sends metadata as HTTP headers',
        });
      }
    }
  });

/** RFC 9110 token: what a header name may contain. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const HEADER_BREAK = /[\r\n\0]/;
/** Set by Outbox from the file: a second value would make the request invalid. */
const OWN_HEADERS = new Set(['content-length', 'transfer-encoding']);

/** export/upload `headers`: names that are HTTP tokens, values on one line. */
export const headers = () =>
  z
    .record(
      z.string(),
      z
        .string({ error: 'must be a string' })
        .refine((value) => !HEADER_BREAK.test(value), 'must not contain a line break or NUL'),
      { error: 'must be an object such as {"Authorization": "Bearer …"}' },
    )
    .superRefine((value, ctx) => {
      for (const name of Object.keys(value)) {
        if (!HEADER_NAME.test(name)) {
          ctx.addIssue({
            code: 'custom',
            path: [name],
            message:
              "is not a valid header name (letters, digits and !#$%&'*+-.^_`|~ only, no spaces or colons)",
          });
        } else if (OWN_HEADERS.has(name.toLowerCase())) {
          ctx.addIssue({
            code: 'custom',
            path: [name],
            message: 'is set by Outbox from the file: leave it out',
          });
        }
      }
    });

/** An http(s) URL with a host (endpoints, Keystone, PUT targets), checked before anything connects. */
export const httpUrl = (example: string) =>
  z.url({
    protocol: /^https?$/,
    hostname: /./,
    error: `must be an http:// or https:// URL with a host, such as ${example}`,
  });

/** `a` and `b` are alternatives: giving both is an error naming the pair. */
export function exclusive<T extends z.ZodObject>(
  schema: T,
  pairs: [string, string, { oneRequired?: boolean }?][],
): z.ZodPipe<T, z.ZodTransform<z.output<T>, z.output<T>>> {
  return schema.transform((value, ctx) => {
    const present = (key: string) => (value as Record<string, unknown>)[key] !== undefined;
    for (const [a, b, options] of pairs) {
      if (present(a) && present(b)) {
        ctx.issues.push({
          code: 'custom',
          path: [b],
          message: `give either "${a}" or "${b}", not both`,
          input: value,
        });
      } else if (options?.oneRequired && !present(a) && !present(b)) {
        ctx.issues.push({
          code: 'custom',
          path: [a],
          message: `give either "${a}" or "${b}"`,
          input: value,
        });
      }
    }
    return value;
  });
}

/** S3 SigV4 presigned URLs and GCS V4 signed URLs are valid for at most 7 days. */
export const SHARE_LINK_MAX_SECONDS = 7 * 86400;

/** Seconds a share link works: during the export (`share_link`) or after it (`outbox jobs share`). */
export const shareLinkExpiresIn = () =>
  wholeNumber({
    min: 1,
    max: SHARE_LINK_MAX_SECONDS,
    text: 'of seconds from 1 to 604800 (7 days)',
  }).default(86400);

/**
 * Outbox extension of the cloud exports: a time-limited download link per
 * exported file, in the result's `url` (with `expires_at`). `true` is
 * `{}`: every setting at its default. One definition, used by each schema.
 */
export const shareLink = () =>
  field(
    z
      .preprocess(
        (value) => (value === true ? {} : value),
        z.strictObject(
          { expires_in: shareLinkExpiresIn() },
          { error: 'must be true or an object such as { "expires_in": 3600 }' },
        ),
      )
      .optional(),
    {
      help: 'Create a download link for each exported file that works without credentials until it expires: a presigned URL (S3), a read-only SAS URL (Azure, needs storage_access_key), a V4 signed URL (Google Cloud Storage) or a TempURL (OpenStack; sets the account’s Temp-URL key if it has none). true, or { "expires_in": seconds } (default 86400 = 24 hours, at most 604800 = 7 days). The link is in the result’s url, with expires_at. Anyone with the link can download the file until then.',
      extension: true,
    },
  );

/** `input`: the task(s) an export takes its files from. */
export const taskInput = () =>
  field(
    z.union([text(), z.array(text()).min(1, 'must name at least one task')], {
      error: 'must be a task name or an array of task names',
    }),
    { help: 'The input task name(s) for this task.' },
  );

/** `part_size` of the cloud exports. */
export const partSize = () =>
  field(wholeNumber({ min: 5 * 1024 * 1024, text: 'of at least 5242880 (5 MiB)' }).optional(), {
    help: 'Size in bytes of each part of a large upload. Default: chosen from the file size (8 MiB or more).',
    extension: true,
  });

/** `concurrency` of the cloud exports. */
export const partConcurrency = () =>
  field(wholeNumber({ min: 1, max: 64, text: 'from 1 to 64' }).optional(), {
    help: 'Parts of one large file uploaded in parallel. Default: 4.',
    extension: true,
  });
