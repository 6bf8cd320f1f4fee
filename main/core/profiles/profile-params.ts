import { z } from 'zod';
import { ValidationError } from '../errors';
import type { ExportOperation } from '../tasks/operations';
import { secretFieldsOf, shapeOf, type SecretField } from '../tasks/secrets';

/**
 * A profile's parameters are kept in two halves: the plain ones on disk and
 * the secret ones in the keychain, one keychain item per secret. A secret is
 * named by its key: the field (`password`), or for fields whose every value
 * is secret, field and entry (`headers.Authorization`).
 */
export type Params = Record<string, unknown>;
export type SecretKey = string;
/** Full parameters (secrets included) of a saved destination profile. */
export type ProfileResolver = (name: string) => Promise<Params>;
/**
 * A task that names a profile: its own parameters over the profile's (whole
 * values: a dictionary the task gives replaces the profile's). The one place
 * this rule lives (planning a job, signing a share link later).
 */
export function overProfile(saved: Params, own: Params): Params {
  return { ...saved, ...own };
}

/** What the UI sees instead of a secret. */
export type SecretState = { set: boolean };

/** How a parameter is given as text (CLI flags) and patched (merged per entry or replaced). */
export type FieldKind = 'boolean' | 'dictionary' | 'value';

export function fieldKind(operation: ExportOperation, name: string): FieldKind | undefined {
  let schema: z.ZodType | undefined = shapeOf(operation)[name];
  if (!schema) return undefined;
  for (;;) {
    if (schema instanceof z.ZodOptional || schema instanceof z.ZodDefault)
      schema = schema.unwrap() as z.ZodType;
    else if (schema instanceof z.ZodPipe) schema = schema.in as z.ZodType;
    else break;
  }
  if (schema instanceof z.ZodBoolean) return 'boolean';
  if (schema instanceof z.ZodRecord) return 'dictionary';
  return 'value';
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function secretKeyOf(field: string, entry?: string): SecretKey {
  return entry === undefined ? field : `${field}.${entry}`;
}

/** `headers.Authorization` → ['headers', 'Authorization'] (field names have no dots). */
export function splitSecretKey(key: SecretKey): [string, string | undefined] {
  const dot = key.indexOf('.');
  return dot < 0 ? [key, undefined] : [key.slice(0, dot), key.slice(dot + 1)];
}

/** Separates a task's parameters (already validated) into plain ones and secret values. */
export function splitSecrets(
  operation: ExportOperation,
  params: Params,
): { plain: Params; secrets: Map<SecretKey, string> } {
  const plain: Params = { ...params };
  const secrets = new Map<SecretKey, string>();
  for (const { name, mode } of secretFieldsOf(operation)) {
    const value = plain[name];
    delete plain[name];
    if (typeof value === 'string') secrets.set(secretKeyOf(name), value);
    else if (mode === 'values' && isObject(value)) {
      for (const [entry, v] of Object.entries(value)) {
        if (typeof v === 'string') secrets.set(secretKeyOf(name, entry), v);
      }
    }
  }
  return { plain, secrets };
}

/** Plain parameters with each secret filled in by `valueOf` (its value, a placeholder, or its state). */
export function joinSecrets<V>(
  operation: ExportOperation,
  plain: Params,
  keys: Iterable<SecretKey>,
  valueOf: (key: SecretKey) => V,
): Params {
  const joined: Params = { ...plain };
  const modes = new Map(secretFieldsOf(operation).map((f: SecretField) => [f.name, f.mode]));
  for (const key of keys) {
    const [field, entry] = splitSecretKey(key);
    if (!modes.has(field)) continue;
    if (entry === undefined) joined[field] = valueOf(key);
    else joined[field] = { ...(joined[field] as Params | undefined), [entry]: valueOf(key) };
  }
  return joined;
}

/** The UI's view: every secret field of the operation as `{ set }`, values of secret dictionaries likewise. */
export function withSecretStates(
  operation: ExportOperation,
  plain: Params,
  keys: SecretKey[],
): Params {
  const view = joinSecrets(operation, plain, keys, (): SecretState => ({ set: true }));
  for (const { name, mode } of secretFieldsOf(operation)) {
    if (mode === true && view[name] === undefined) view[name] = { set: false } as SecretState;
  }
  return view;
}

/**
 * A change to a profile: a field set to a value replaces it, `null` clears it.
 * Dictionaries (metadata, tagging, headers) merge per entry, `null` removing
 * an entry. A secret given as `{ set: true }` (as the UI sees it) stays as it is.
 */
export type ProfilePatch = Record<string, unknown>;

export type PatchedParams = {
  plain: Params;
  /** Secret keys set after the patch. */
  keys: SecretKey[];
  /** New or replaced secret values. */
  write: Map<SecretKey, string>;
  /** Secret keys the patch removes. */
  clear: SecretKey[];
};

function isSetState(value: unknown): value is SecretState {
  return isObject(value) && typeof value.set === 'boolean' && Object.keys(value).length === 1;
}

export function applyPatch(
  operation: ExportOperation,
  current: { plain: Params; keys: SecretKey[] },
  patch: ProfilePatch,
): PatchedParams {
  const plain: Params = structuredClone(current.plain);
  const keys = new Set(current.keys);
  const write = new Map<SecretKey, string>();
  const clear = new Set<SecretKey>();
  const setSecret = (key: SecretKey, value: unknown, path: string) => {
    if (isSetState(value)) {
      if (!value.set) value = null;
      else if (keys.has(key)) return;
      else throw ValidationError.of(path, 'is not set: give its value');
    }
    if (value === null) {
      if (keys.delete(key)) clear.add(key);
      write.delete(key);
    } else if (typeof value === 'string') {
      keys.add(key);
      clear.delete(key);
      write.set(key, value);
    } else {
      throw ValidationError.of(path, 'must be a string (or null to clear it)');
    }
  };
  const modes = new Map(secretFieldsOf(operation).map((f) => [f.name, f.mode]));

  for (const [field, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    const mode = modes.get(field);
    if (mode === true) {
      setSecret(secretKeyOf(field), value, field);
    } else if (mode === 'values') {
      const entries = value === null ? [...keys].filter((k) => splitSecretKey(k)[0] === field) : [];
      for (const key of entries) setSecret(key, null, key);
      if (value === null) continue;
      if (!isObject(value)) throw ValidationError.of(field, 'must be an object of string values');
      for (const [entry, v] of Object.entries(value)) {
        setSecret(secretKeyOf(field, entry), v, `${field}.${entry}`);
      }
    } else if (value === null) {
      delete plain[field];
    } else if (fieldKind(operation, field) === 'dictionary' && isObject(value)) {
      const merged: Params = isObject(plain[field]) ? { ...(plain[field] as Params) } : {};
      for (const [entry, v] of Object.entries(value)) {
        if (v === null) delete merged[entry];
        else merged[entry] = v;
      }
      if (Object.keys(merged).length > 0) plain[field] = merged;
      else delete plain[field];
    } else {
      plain[field] = value;
    }
  }
  return { plain, keys: [...keys].sort(), write, clear: [...clear] };
}
