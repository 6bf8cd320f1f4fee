import { z } from 'zod';
import { fieldInfo } from './fields';
import { taskSchemas, type Operation } from './operations';

/** The object schema behind an operation (its refinements peeled off). */
export function shapeOf(operation: Operation): Record<string, z.ZodType> {
  let schema: z.ZodType = taskSchemas[operation];
  while (schema instanceof z.ZodPipe) schema = schema.in as z.ZodType;
  if (!(schema instanceof z.ZodObject)) throw new Error(`no object schema for ${operation}`);
  return schema.shape as Record<string, z.ZodType>;
}

export type SecretField = { name: string; mode: true | 'values' };

// Read off the schemas once: walking them costs ~1 ms, and every transfer asks.
const secretFields = new Map<Operation, SecretField[]>();

/** Which parameters of an operation are secret, read from the schema's field facts. */
export function secretFieldsOf(operation: Operation): SecretField[] {
  let fields = secretFields.get(operation);
  if (!fields) {
    fields = Object.entries(shapeOf(operation)).flatMap(([name, schema]) => {
      const secret = fieldInfo(schema)?.secret;
      return secret ? [{ name, mode: secret }] : [];
    });
    secretFields.set(operation, fields);
  }
  return fields;
}

export function isSecretField(operation: Operation, name: string): boolean {
  return secretFieldsOf(operation).some((field) => field.name === name);
}

/** A copy of task parameters with every secret removed: what may be logged, stored or shown. */
export function withoutSecrets<T extends { operation: Operation }>(task: T): Partial<T> {
  const copy: Record<string, unknown> = { ...task };
  for (const { name } of secretFieldsOf(task.operation)) delete copy[name];
  return copy as Partial<T>;
}

/**
 * The parts of a secret value that must never be shown. A URL (export/upload's
 * `url`: a presigned or SAS URL) is secret by its query and user info: its
 * scheme, host, port and path say where a file went and stay in messages.
 */
function secretParts(value: string): string[] {
  const url = /^https?:\/\/(?:([^/?#@]*)@)?[^?#]*([?#].*)?$/is.exec(value);
  if (!url) return [value];
  return [url[1], url[2]].filter((part): part is string => part !== undefined && part !== '');
}

/** Every secret value in a task (for scrubbing messages and for tests that scan for leaks). */
export function secretValuesOf(task: Record<string, unknown> & { operation: Operation }): string[] {
  return secretFieldsOf(task.operation).flatMap(({ name, mode }) => {
    const value = task[name];
    if (typeof value === 'string') return [value];
    if (mode === 'values' && value && typeof value === 'object') {
      return Object.values(value).filter((v): v is string => typeof v === 'string');
    }
    return [];
  });
}

/** What must be cut out of messages about a task: its secrets, of a URL only the secret parts. */
export function hiddenPartsOf(task: Record<string, unknown> & { operation: Operation }): string[] {
  return secretValuesOf(task).flatMap(secretParts);
}
