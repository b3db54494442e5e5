/** The CLI's number parser against an independent reference, on 100,000 random strings. */
import { expect, test } from "bun:test";
import { JitError, parseInt32 } from "../src/index.ts";
import { SEED, makeRng, replayHint } from "./support/random.ts";

/** Reference: C-like strict decimal via BigInt, written differently from the parser under test. */
function reference(text: string): number | undefined {
  let i = 0;
  let negative = false;
  if (text[0] === "+" || text[0] === "-") {
    negative = text[0] === "-";
    i = 1;
  }
  if (i === text.length) return undefined;
  let value = 0n;
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return undefined;
    value = value * 10n + BigInt(c - 48);
  }
  if (negative) value = -value;
  if (value < -2147483648n || value > 2147483647n) return undefined;
  return Number(value);
}

const ALPHABET = ["0", "1", "2", "7", "9", "-", "+", " ", "x", "e", ".", "a", "\t", "٣", "²", "_", "0x", "2147483647", "2147483648", "-2147483648", "4294967296", "00000000000"];

test(`100,000 random strings: the parser agrees with the reference or rejects with a message (seed ${SEED})`, () => {
  const seed = SEED;
  const rng = makeRng(seed);
  let accepted = 0;
  for (let n = 0; n < 100_000; n++) {
    const parts = Math.floor(rng() * 5);
    let text = "";
    for (let k = 0; k < parts; k++) text += ALPHABET[Math.floor(rng() * ALPHABET.length)] ?? "";
    const want = reference(text);
    let got: number | JitError;
    try {
      got = parseInt32(text, "term");
    } catch (error) {
      got = error as JitError;
    }
    if (want === undefined) {
      if (!(got instanceof JitError) || got.code !== "E_RANGE" || !got.message.includes(`'${text}'`)) {
        throw new Error(`seed ${seed}: '${text}' should be rejected with a message, got ${String(got)}; ${replayHint(seed)}`);
      }
    } else {
      if (got !== want || Object.is(got, -0)) throw new Error(`seed ${seed}: '${text}' should parse to ${want}, got ${String(got)}; ${replayHint(seed)}`);
      accepted++;
    }
  }
  expect(accepted).toBeGreaterThan(5_000); // both outcomes are well represented
});
