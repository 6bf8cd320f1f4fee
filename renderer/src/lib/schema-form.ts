import { z } from 'zod';
import { fieldInfo, type FieldInfo } from '../../../main/core/tasks/fields';
import { exportSchemas, type ExportOperation } from '../../../main/core/tasks/operations';
import { shapeOf } from '../../../main/core/tasks/secrets';

/**
 * Form fields generated from an operation's zod schema: the schemas in
 * main/core/tasks are the single source of truth, the form only reads them.
 */

export type FieldKind =
  | { kind: 'text'; format?: 'url' | 'email' }
  | { kind: 'number' }
  | { kind: 'boolean'; tristate: boolean }
  | { kind: 'enum'; options: string[] }
  | { kind: 'dictionary' }
  /** A small object (e.g. share_link), typed as JSON: `true` or `{ "expires_in": 3600 }`. */
  | { kind: 'json' };

export type FormField = {
  name: string;
  label: string;
  required: boolean;
  defaultValue?: string | number | boolean;
  info: FieldInfo;
  /** Shown in the first part of the form (the rest under "More options"). */
  primary: boolean;
} & FieldKind;

/** Parameters that belong to the task graph, not to a destination. */
const graphFields = new Set(['operation', 'input']);

const acronyms: Record<string, string> = {
  url: 'URL',
  id: 'ID',
  acl: 'ACL',
  sas: 'SAS',
  kms: 'KMS',
  sftp: 'SFTP',
};

/** `secret_access_key` → "Secret access key", `kms_key_id` → "KMS key ID". */
export function humanize(name: string): string {
  const words = name.split('_').map((word) => acronyms[word] ?? word);
  const first = words[0] ?? '';
  return [first.charAt(0).toUpperCase() + first.slice(1), ...words.slice(1)].join(' ');
}

type Unwrapped = { core: z.ZodType; required: boolean; defaultValue?: unknown };

/** Peels optional/default/pipe wrappers off a field schema. */
function unwrap(schema: z.ZodType): Unwrapped {
  let current: z.ZodType = schema;
  let required = true;
  let defaultValue: unknown;
  for (;;) {
    if (current instanceof z.ZodOptional) {
      required = false;
      current = current.unwrap() as z.ZodType;
    } else if (current instanceof z.ZodDefault) {
      required = false;
      defaultValue = current.def.defaultValue;
      current = current.unwrap() as z.ZodType;
    } else if (current instanceof z.ZodPipe) {
      // A preprocessing step (z.preprocess) says nothing about the shape: look past it.
      current = (current.in instanceof z.ZodTransform ? current.out : current.in) as z.ZodType;
    } else {
      return { core: current, required, defaultValue };
    }
  }
}

function kindOf(core: z.ZodType, required: boolean, hasDefault: boolean): FieldKind {
  if (core instanceof z.ZodBoolean) return { kind: 'boolean', tristate: !required && !hasDefault };
  if (core instanceof z.ZodNumber) return { kind: 'number' };
  if (core instanceof z.ZodEnum) return { kind: 'enum', options: core.options.map(String) };
  if (core instanceof z.ZodRecord) return { kind: 'dictionary' };
  if (core instanceof z.ZodObject) return { kind: 'json' };
  const format = (core.def as { format?: string }).format;
  if (format === 'url' || format === 'email') return { kind: 'text', format };
  return { kind: 'text' };
}

/** Where a destination is and how to get in: these come first in the form. */
const primaryNames = new Set(['endpoint', 'key_prefix', 'blob_prefix', 'file_prefix', 'path']);

const cache = new Map<ExportOperation, FormField[]>();

export function formFieldsOf(operation: ExportOperation): FormField[] {
  const cached = cache.get(operation);
  if (cached) return cached;
  const fields = Object.entries(shapeOf(operation))
    .filter(([name]) => !graphFields.has(name))
    .map(([name, schema]): FormField => {
      const info = fieldInfo(schema) ?? { help: '' };
      const { core, required, defaultValue } = unwrap(schema);
      const kind = kindOf(core, required, defaultValue !== undefined);
      return {
        name,
        label: humanize(name),
        required,
        ...(isScalar(defaultValue) ? { defaultValue } : {}),
        info,
        primary: required || info.secret !== undefined || primaryNames.has(name),
        ...kind,
      };
    });
  cache.set(operation, fields);
  return fields;
}

function isScalar(value: unknown): value is string | number | boolean {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

export type FieldErrors = Record<string, string[]>;

/** Runs the operation's schema and maps its issues to fields (first path segment). */
export function validateParams(
  operation: ExportOperation,
  params: Record<string, unknown>,
): FieldErrors {
  const result = exportSchemas[operation].safeParse({
    ...params,
    operation,
    input: 'import-my-file',
  });
  if (result.success) return {};
  const errors: FieldErrors = {};
  for (const issue of result.error.issues) {
    const name = String(issue.path[0] ?? '');
    (errors[name] ??= []).push(issue.message);
  }
  return errors;
}
