import { z } from 'zod';

/**
 * What the UI, the profile store and the docs need to know about a task
 * parameter beyond its type. Declared once, beside the schema, so that forms,
 * secret handling and README tables all read the same facts.
 */
export type FieldInfo = {
  /** Help text, from the CloudConvert reference where it has one. */
  help: string;
  /** Stored in the OS keychain, never on disk, in logs, results or the UI. 'values' = every value of a dictionary. */
  secret?: true | 'values';
  /** Not in CloudConvert's API: an Outbox addition. */
  extension?: true;
  /** The default the destination applies when the field is absent (shown, not sent). */
  impliedDefault?: string | number | boolean;
  /** Multi-line text (keys, certificates). */
  multiline?: true;
};

export const fieldRegistry = z.registry<FieldInfo>();

/** Attaches field facts to a schema and returns it unchanged (typed). */
export function field<T extends z.ZodType>(schema: T, info: FieldInfo): T {
  fieldRegistry.add(schema, info);
  return schema;
}

export function fieldInfo(schema: z.ZodType): FieldInfo | undefined {
  return fieldRegistry.get(schema);
}
