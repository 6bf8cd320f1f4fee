import type { DeliveryEntry } from '../delivery-log/delivery-entry';

/**
 * The delivery log as CSV, written the same way by `outbox log --csv` and the
 * History screen's "Export CSV" (this file has no Node imports).
 */

/** The columns of a CSV export, in order: every field of an entry. */
export const deliveryColumns = [
  'delivered_at',
  'filename',
  'size',
  'destination',
  'operation',
  'location',
  'verified_by',
  'checksum',
  'source_path',
  'job_id',
  'task',
  'id',
] as const satisfies readonly (keyof DeliveryEntry)[];

/**
 * A text a spreadsheet would read as a formula (it starts with =, +, -, @, a
 * tab or a carriage return) gets a leading `'`: a file named
 * `=HYPERLINK(…).pdf` opens as text, not as a formula that runs.
 */
const FORMULA_START = /^[=+\-@\t\r]/;

function csvField(value: string | number | undefined): string {
  if (value === undefined) return '';
  if (typeof value === 'number') return String(value);
  const text = FORMULA_START.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** RFC 4180 CSV rows (CRLF line ends), the header first when `header` is set. */
export function deliveriesCsv(entries: DeliveryEntry[], header: boolean): string {
  const rows = entries.map((entry) =>
    deliveryColumns.map((column) => csvField(entry[column])).join(','),
  );
  if (header) rows.unshift(deliveryColumns.join(','));
  return rows.map((row) => `${row}\r\n`).join('');
}
