import type { ExportOperation } from '../tasks/operations';
import type { Exporter } from './exporter';

/** Exporters that move bytes (export/url only creates links, in the engine). */
export type UploadOperation = Exclude<ExportOperation, 'export/url'>;

export function hasExporter(operation: ExportOperation): operation is UploadOperation {
  return operation !== 'export/url';
}

/** An operation's folder in main/core/exporters/: its name after export/, `/` as `-`. */
export function exporterFolder(operation: ExportOperation): string {
  return operation.replace(/^export\//, '').replaceAll('/', '-');
}

/**
 * An operation's exporter, loaded on first use so a worker only pays for the SDKs it needs:
 * the export of `<folder>/<folder>-exporter.ts` whose operation it is. Found by that naming,
 * not through the registry, so a worker loads no schemas (and no zod). The path stays a
 * template that electron-vite turns into one chunk per folder and tsx/vitest resolve as written.
 */
export async function loadExporter(operation: UploadOperation): Promise<Exporter<UploadOperation>> {
  const folder = exporterFolder(operation);
  const module = (await import(`./${folder}/${folder}-exporter.ts`)) as Record<string, unknown>;
  const exporter = Object.values(module).find(
    (value): value is Exporter<UploadOperation> =>
      typeof value === 'object' &&
      value !== null &&
      (value as { operation?: unknown }).operation === operation,
  );
  if (!exporter) throw new Error(`no exporter for ${operation} in exporters/${folder}/`);
  return exporter;
}

/** What an upload operation's name looks like (export/ and lowercase words): no path tricks. */
const OPERATION_NAME = /^export(\/[a-z0-9]+(-[a-z0-9]+)*)+$/;

/**
 * Starts loading the exporters of `names`, so that loadExporter finds them loaded when their
 * work comes. The names may be guesses, unchecked (main/cli/operation-hint.ts): one that
 * names no exporter is ignored, and so is a failure to load (the load that matters reports
 * it). Resolves to the exporters that loaded.
 */
export async function warmExporters(
  names: readonly unknown[],
): Promise<Exporter<UploadOperation>[]> {
  const loads = names
    // not known to be an operation: loadExporter fails for a name without an exporter
    .filter((name) => typeof name === 'string' && OPERATION_NAME.test(name))
    .filter((name) => hasExporter(name as ExportOperation))
    .map((name) => loadExporter(name as UploadOperation).catch(() => undefined));
  return (await Promise.all(loads)).filter((exporter) => exporter !== undefined);
}
