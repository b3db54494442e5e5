/** Strict decimal int32 parsing for the CLI: what C's strtol would accept, minus its silent surprises. */
import { JitError } from "./errors.ts";

export const INT32_MIN = -2147483648;
export const INT32_MAX = 2147483647;
export const INT32_RANGE = `${INT32_MIN}..${INT32_MAX}`;

const DECIMAL = /^[+-]?[0-9]+$/;

/**
 * `[+-]digits` within -2147483648..2147483647, or a JitError("E_RANGE") naming the value and `what` it is.
 * No hex, exponents, fractions, blanks or empty strings: those are usage errors, never a guess.
 */
export function parseInt32(text: string, what: string): number {
  if (!DECIMAL.test(text)) {
    throw new JitError("E_RANGE", `invalid ${what} '${text}': expected a decimal 32-bit integer (${INT32_RANGE})`);
  }
  const digits = text.replace(/^[+-]/, "").replace(/^0+(?=.)/, "");
  const value = digits.length > 10 ? Infinity : Number(text[0] === "-" ? `-${digits}` : digits);
  if (value < INT32_MIN || value > INT32_MAX) {
    throw new JitError("E_RANGE", `${what} '${text}' is out of range: expected ${INT32_RANGE}`);
  }
  return value === 0 ? 0 : value; // no -0
}

/** Library-side check: a number that is an int32 (no fractions, NaN or out-of-range values). */
export function checkInt32(value: unknown, what: string): number {
  if (typeof value !== "number" || (value | 0) !== value) {
    throw new JitError("E_RANGE", `${what} must be a 32-bit integer (${INT32_RANGE}), got ${String(value)}`);
  }
  return value;
}
