/**
 * The functions chapter's differential test: random well-typed modules (test/support/fngen.ts), each
 * run three ways and compared with the reference, the same module run by Bun with the chapter's
 * meaning (fngen.ts says how):
 *   - the IR interpreter (the front end alone),
 *   - the interpreter running the allocated IR with a test register file (the allocator: spills,
 *     saves around calls, one register file shared by all frames),
 *   - native code (compileModule) on this host;
 * and a sample natively with three registers (spills and saves around calls everywhere) and, on an
 * x86-64 System V host, as Win64 code run here.
 * Seeded (BABYJIT_SEED replays, test/support/random.ts); a failure prints the seed and the module
 * shrunk. FN_DIFF_COUNT sets the number of modules (default 10,000).
 */
import { test } from "bun:test";
import { expectAgreement } from "./support/differential.ts";
import { fnDifferential } from "./support/fn-diff.ts";
import { SEED } from "./support/random.ts";
import { NATIVE_SYSV } from "./support/targets.ts";

const COUNT = Number(process.env.FN_DIFF_COUNT ?? 10_000);

test(`random modules agree with the reference: interpreter, allocated IR and native code (${COUNT} modules, seed ${SEED + 40})`, () => {
  expectAgreement(fnDifferential(["interpreter", "allocated", "native"]), SEED + 40, COUNT);
}, 1_800_000);

const SAMPLE = Math.ceil(COUNT / 5);
const EXTRA = NATIVE_SYSV ? (["tight", "win64"] as const) : (["tight"] as const);

test(`random modules agree with the reference natively with three registers${NATIVE_SYSV ? " and as Win64 code" : ""} (${SAMPLE} modules, seed ${SEED + 42})`, () => {
  expectAgreement(fnDifferential(EXTRA), SEED + 42, SAMPLE);
}, 1_800_000);
