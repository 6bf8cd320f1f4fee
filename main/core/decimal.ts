/**
 * How Outbox reads a whole number written as text (task parameters, CLI
 * options, environment variables): decimal digits only, no sign, padding or
 * leading zero. "0x16", "2e1", " 22", "022" and "1.0" are mistakes, not 22,
 * 20 or 1: Number(text) would take them all.
 */
export const DECIMAL_DIGITS = /^(0|[1-9][0-9]*)$/;

/** The whole number `text` spells in decimal digits, or undefined. */
export function decimalNumber(text: string): number | undefined {
  const value = Number(text);
  return DECIMAL_DIGITS.test(text) && Number.isSafeInteger(value) ? value : undefined;
}
