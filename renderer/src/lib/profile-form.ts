import type { JsonValue, ProfileInput, ProfileView } from '../../../main/core/api/outbox-api';
import { isExportOperation, type ExportOperation } from '../../../main/core/tasks/operations';
import { formFieldsOf, validateParams, type FieldErrors, type FormField } from './schema-form';

/**
 * The profile editor's state as plain data, and the conversions between it,
 * saved profiles, API inputs and CloudConvert task JSON. Kept apart from the
 * component so the rules are easy to read (and to test).
 */

export type Row = { key: string; value: string };
/** Text fields hold strings ('' = not set), booleans hold booleans, dictionaries hold rows. */
export type FieldValue = string | boolean | Row[];
/** A secret the keychain already has: kept as is, being replaced, or to be removed. */
export type SecretMode = 'keep' | 'replace' | 'clear';

export type FormState = {
  operation: ExportOperation;
  name: string;
  values: Record<string, FieldValue>;
  /** Only for secrets the saved profile has. */
  secrets: Record<string, SecretMode>;
};

export const TASK_INPUT = 'import-my-file';

export function emptyValue(field: FormField): FieldValue {
  if (field.kind === 'dictionary') return [];
  if (field.kind === 'boolean' && !field.tristate) return field.defaultValue === true;
  return '';
}

function valueFrom(field: FormField, raw: unknown): FieldValue {
  if (raw === undefined || raw === null) return emptyValue(field);
  if (field.kind === 'dictionary') {
    return typeof raw === 'object' && !Array.isArray(raw)
      ? Object.entries(raw as Record<string, unknown>).map(([key, value]) => ({
          key,
          value: String(value),
        }))
      : [];
  }
  if (field.kind === 'boolean') {
    if (!field.tristate) return raw === true || raw === 'true';
    return raw === true || raw === 'true'
      ? 'true'
      : raw === false || raw === 'false'
        ? 'false'
        : '';
  }
  return typeof raw === 'object' ? JSON.stringify(raw) : String(raw);
}

function isSecretSet(raw: unknown): boolean {
  return typeof raw === 'object' && raw !== null && (raw as { set?: unknown }).set === true;
}

export function newForm(operation: ExportOperation, name = ''): FormState {
  const values: Record<string, FieldValue> = {};
  for (const field of formFieldsOf(operation)) values[field.name] = emptyValue(field);
  return { operation, name, values, secrets: {} };
}

export function formOf(profile: ProfileView): FormState {
  const form = newForm(profile.operation, profile.name);
  for (const field of formFieldsOf(profile.operation)) {
    const raw = profile.params[field.name];
    if (field.info.secret && isSecretSet(raw)) form.secrets[field.name] = 'keep';
    else form.values[field.name] = valueFrom(field, raw);
  }
  return form;
}

/** A field's value as the schema expects it, or undefined when not given. */
function paramOf(field: FormField, value: FieldValue | undefined): JsonValue | undefined {
  if (value === undefined) return undefined;
  if (Array.isArray(value)) {
    const rows = value.filter((row) => row.key.trim() !== '');
    return rows.length
      ? Object.fromEntries(rows.map((row) => [row.key.trim(), row.value]))
      : undefined;
  }
  if (typeof value === 'boolean') return value;
  if (value.trim() === '') return undefined;
  if (field.kind === 'boolean') return value === 'true';
  if (field.kind === 'number') return /^\d+$/.test(value.trim()) ? Number(value.trim()) : value;
  if (field.kind === 'json') {
    try {
      return JSON.parse(value) as JsonValue;
    } catch {
      return value; // the schema says what it expects
    }
  }
  return field.info.multiline ? value : value.trim();
}

/** Parameters as typed, secrets included where the form holds them (never kept ones). */
export function typedParams(form: FormState): Record<string, JsonValue> {
  const params: Record<string, JsonValue> = {};
  for (const field of formFieldsOf(form.operation)) {
    if (form.secrets[field.name] === 'keep' || form.secrets[field.name] === 'clear') continue;
    const value = paramOf(field, form.values[field.name]);
    if (value !== undefined) params[field.name] = value;
  }
  return params;
}

/** Field errors from the schema; kept secrets count as present. */
export function validateForm(form: FormState): FieldErrors {
  const params: Record<string, unknown> = typedParams(form);
  for (const field of formFieldsOf(form.operation)) {
    if (form.secrets[field.name] === 'keep') {
      params[field.name] = field.kind === 'dictionary' ? { kept: 'secret' } : 'kept-secret';
    }
  }
  const errors = validateParams(form.operation, params);
  // zod says "must be a string" for a missing value; people expect "required".
  for (const field of formFieldsOf(form.operation)) {
    if (field.required && params[field.name] === undefined) errors[field.name] = ['required'];
  }
  if (form.name.trim() === '') errors.name = ['give the destination a name'];
  return errors;
}

export function toProfileInput(form: FormState, originalName?: string): ProfileInput {
  const params: ProfileInput['params'] = typedParams(form);
  for (const [name, mode] of Object.entries(form.secrets)) {
    if (mode === 'keep') params[name] = { set: true };
    else if (mode === 'clear') params[name] = null;
  }
  return {
    name: form.name.trim(),
    operation: form.operation,
    params,
    ...(originalName ? { originalName } : {}),
  };
}

/** True when every secret the task needs is in the form (nothing kept in the keychain). */
export function holdsAllSecrets(form: FormState): boolean {
  return !Object.values(form.secrets).includes('keep');
}

/** The equivalent CloudConvert export task, secrets left out. */
export function taskJsonOf(form: FormState): string {
  const secret = new Set(
    formFieldsOf(form.operation)
      .filter((field) => field.info.secret)
      .map((field) => field.name),
  );
  const params = Object.fromEntries(
    Object.entries(typedParams(form)).filter(([name]) => !secret.has(name)),
  );
  return JSON.stringify({ operation: form.operation, input: TASK_INPUT, ...params }, null, 2);
}

export type PasteResult = { form: FormState } | { error: string };

/**
 * Reads a pasted CloudConvert task (or a whole job: its first export task)
 * into a form. Secrets in it fill the secret fields.
 */
export function formFromTaskJson(text: string, name: string): PasteResult {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return { error: `This is not JSON: ${error instanceof Error ? error.message : String(error)}` };
  }
  const candidates: unknown[] =
    typeof parsed === 'object' && parsed !== null && 'tasks' in parsed
      ? Object.values((parsed as { tasks: Record<string, unknown> }).tasks ?? {})
      : [parsed];
  const task = candidates.find(
    (candidate): candidate is Record<string, unknown> =>
      typeof candidate === 'object' &&
      candidate !== null &&
      isExportOperation((candidate as { operation?: unknown }).operation),
  );
  if (!task) {
    return {
      error:
        'No export task found: paste an object with "operation": "export/…" (or a job whose tasks include one).',
    };
  }
  const operation = task.operation as ExportOperation;
  const fields = formFieldsOf(operation);
  const known = new Set(['operation', 'input', ...fields.map((f) => f.name)]);
  const unknown = Object.keys(task).filter((key) => !known.has(key));
  if (unknown.length > 0) {
    return { error: `${operation} has no parameter ${unknown.map((k) => `"${k}"`).join(', ')}.` };
  }
  const form = newForm(operation, name);
  for (const field of fields) form.values[field.name] = valueFrom(field, task[field.name]);
  return { form };
}
