import type { z } from 'zod';
import { exportOperations, isExportOperation, type exportSchemas } from './operations';
import { shapeOf } from './secrets';

/**
 * The destinations that can sign a download link for a stored file: those
 * whose schema has the `share_link` extension (cloud storage). Read off the
 * schemas, so the engine, the CLI and the UI agree on where "share" applies.
 */

export type ShareableOperation = {
  [O in keyof typeof exportSchemas]: 'share_link' extends keyof z.input<(typeof exportSchemas)[O]>
    ? O
    : never;
}[keyof typeof exportSchemas];

export function isShareable(operation: unknown): operation is ShareableOperation {
  return isExportOperation(operation) && 'share_link' in shapeOf(operation);
}

/** Every shareable operation (builds every destination's schema: for messages and lists). */
export function shareableOperations(): ShareableOperation[] {
  return exportOperations.filter(isShareable);
}
