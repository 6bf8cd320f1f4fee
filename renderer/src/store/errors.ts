import { OutboxApiError } from '../api';

/** An error as the UI shows it: words first, the detail one click away. */
export type ShownError = {
  code: string;
  message: string;
  detail?: string;
  fields?: Record<string, string[]>;
};

export function errorInfoOf(error: unknown): ShownError {
  if (error instanceof OutboxApiError) {
    return {
      code: error.code,
      message: error.message,
      ...(error.detail ? { detail: error.detail } : {}),
      ...(error.fields ? { fields: error.fields } : {}),
    };
  }
  return {
    code: 'INTERNAL_ERROR',
    message: error instanceof Error ? error.message : String(error),
  };
}
