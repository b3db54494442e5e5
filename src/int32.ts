/** Strict decimal int32 parsing for the CLI: what C's strtol would accept, minus its silent surprises. */
import { JitError, describeValue } from "./errors.ts";

export const INT32_MIN = -2147483648;
export const INT32_MAX = 2147483647;
export const INT32_RANGE = `${INT32_MIN}..${INT32_MAX}`;

/**
 * `[+-]digits`, checked by hand: the first regular expression a process runs costs a third of a
 * millisecond to compile, a tenth of babyjit's whole start-up budget.
 */
export function isDecimal(text: string): boolean {
  const start = text.charCodeAt(0) === 43 || text.charCodeAt(0) === 45 ? 1 : 0; // + or -
  if (text.length === start) return false;
  for (let i = start; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/**
 * `[+-]digits` within -2147483648..2147483647, or a JitError("E_RANGE") naming the value and `what` it is.
 * No hex, exponents, fractions, blanks or empty strings: those are usage errors, never a guess.
 */
export function parseInt32(text: string, what: string): number {
  if (typeof text !== "string") throw new JitError("E_RANGE", `parseInt32(text): text must be a string, not ${describeValue(text)}`);
  if (!isDecimal(text)) {
    throw new JitError("E_RANGE", `invalid ${what} '${text}': expected a decimal 32-bit integer (${INT32_RANGE})`);
  }
  let first = text.charCodeAt(0) === 43 || text.charCodeAt(0) === 45 ? 1 : 0;
  while (first < text.length - 1 && text.charCodeAt(first) === 48) first++; // leading zeros
  const digits = text.slice(first);
  const value = digits.length > 10 ? Infinity : Number(text[0] === "-" ? `-${digits}` : digits);
  if (value < INT32_MIN || value > INT32_MAX) {
    throw new JitError("E_RANGE", `${what} '${text}' is out of range: expected ${INT32_RANGE}`);
  }
  return value === 0 ? 0 : value; // no -0
}

/** Library-side check: a number that is an int32 (no fractions, NaN or out-of-range values). */
export function checkInt32(value: unknown, what: string): number {
  if (typeof value !== "number" || (value | 0) !== value) {
    throw new JitError("E_RANGE", `${what} must be a 32-bit integer (${INT32_RANGE}), got ${describeValue(value)}`);
  }
  return value;
}
