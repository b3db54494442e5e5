/**
 * The functions chapter's differential test: random well-typed modules (test/support/fngen.ts), each
 * run three ways and compared with the reference (the same module run by Bun with the chapter's
 * meaning, fngen.ts says how):
 *   - the IR interpreter (the front end alone),
 *   - the interpreter running the allocated IR with tiny register files (the allocator: spills,
 *     saves around calls, a register file shared by all frames),
 *   - native code (compileModule) on this host.
 * Seeded (BABYJIT_SEED replays); a failure prints the seed and the module shrunk.
 * FN_DIFF_COUNT sets the number of modules (default 10,000).
 */
import { expect, test } from "bun:test";
import { JitError } from "../src/errors.ts";
import { compileModule } from "../src/fn/compile.ts";
import { OutOfFuel, interpret } from "../src/fn/interp.ts";
import { compileFront } from "../src/fn/lower.ts";
import { allocate } from "../src/fn/regalloc.ts";
import { makeRng } from "./support/exprgen.ts";
import { type Answers, type FnCase, generateCase, printCase, referenceAnswers, referenceAnswersAll, smallerCases } from "./support/fngen.ts";
import { TEST_REGISTERS } from "./support/fnregs.ts";

const SEED = Number(process.env.BABYJIT_SEED ?? Math.floor(Math.random() * 1_000_000));
const COUNT = Number(process.env.FN_DIFF_COUNT ?? 10_000);
const FUEL = 2_000_000;

type Way = "interpreter" | "allocated" | "native";

const DESCRIPTIONS = Object.values(TEST_REGISTERS);

/**
 * babyjit's answers one way; null when the interpreter ran out of fuel (the case is skipped). The
 * allocated way uses one of the test register descriptions, chosen by the module's index.
 */
function actual(c: FnCase, way: Way, index = 0): Answers | null {
  const source = printCase(c);
  const catching = (run: () => number | undefined): number | string => {
    try {
      return run()!;
    } catch (error) {
      if (error instanceof JitError && error.code === "E_DIV_ZERO") return "E_DIV_ZERO";
      throw error;
    }
  };
  if (way === "native") {
    using mod = compileModule(source, { file: "gen.ts" });
    return c.inputs.map((args) => catching(() => (mod[c.entry] as unknown as (...a: number[]) => number)(...args)));
  }
  const ir = compileFront(source, "gen.ts");
  try {
    if (way === "interpreter") return c.inputs.map((args) => catching(() => interpret(ir, c.entry, args, { fuel: FUEL })));
    const regs = DESCRIPTIONS[index % DESCRIPTIONS.length]!;
    const allocations = ir.functions.map((f) => allocate(f, regs));
    return c.inputs.map((args) => catching(() => interpret(ir, c.entry, args, { fuel: FUEL, allocations, regs })));
  } catch (error) {
    if (error instanceof OutOfFuel) return null;
    throw error;
  }
}

/** Does `c` still show a difference `way`? (A case the front end rejects does not.) */
function differs(c: FnCase, way: Way, index: number): boolean {
  try {
    compileFront(printCase(c), "gen.ts");
  } catch {
    return false;
  }
  try {
    if (actual(c, "interpreter") === null) return false; // does not finish
    const got = actual(c, way, index);
    return got !== null && JSON.stringify(got) !== JSON.stringify(referenceAnswers(c));
  } catch {
    return true;
  }
}

function shrinkCase(c: FnCase, way: Way, index: number): FnCase {
  let best = c;
  for (let tries = 0, improved = true; improved && tries < 5000;) {
    improved = false;
    for (const smaller of smallerCases(best)) {
      if (++tries >= 5000) break;
      if (differs(smaller, way, index)) {
        best = smaller;
        improved = true;
        break;
      }
    }
  }
  return best;
}

function report(c: FnCase, way: Way, index: number, why: string): string {
  const small = shrinkCase(c, way, index);
  const regs = way === "allocated" ? ` with registers ${Object.keys(TEST_REGISTERS)[index % DESCRIPTIONS.length]}` : "";
  let detail = "";
  try {
    detail = `babyjit (${way}${regs}): ${JSON.stringify(actual(small, way, index))}\nreference: ${JSON.stringify(referenceAnswers(small))}`;
  } catch (error) {
    detail = `babyjit (${way}) threw ${String(error)}`;
  }
  return `module ${index} of seed ${SEED} differs (${way}: ${why}); rerun with BABYJIT_SEED=${SEED}\n` +
    `calls ${small.entry}(${small.inputs.map((a) => a.join(", ")).join(") / (")})\n${detail}\n--- shrunk module ---\n${printCase(small)}`;
}

test(`random modules agree with the reference: interpreter, allocated IR and native code (${COUNT} modules, seed ${SEED})`, () => {
  const rng = makeRng(SEED);
  const BATCH = 100;
  let compared = 0;
  let skipped = 0;
  let errors = 0;
  for (let start = 0; start < COUNT; start += BATCH) {
    const cases = Array.from({ length: Math.min(BATCH, COUNT - start) }, () => generateCase(rng));
    // Cases the interpreter cannot finish in its fuel are skipped before Bun runs them.
    const runnable: { c: FnCase; index: number; interp: Answers }[] = [];
    cases.forEach((c, k) => {
      const interp = actual(c, "interpreter");
      if (interp === null) skipped++;
      else runnable.push({ c, index: start + k, interp });
    });
    const references = referenceAnswersAll(runnable.map((r) => r.c));
    runnable.forEach(({ c, index, interp }, k) => {
      const reference = references[k]!;
      errors += reference.filter((a) => a === "E_DIV_ZERO").length;
      for (const way of ["interpreter", "allocated", "native"] as const) {
        let got: Answers | null;
        try {
          got = way === "interpreter" ? interp : actual(c, way, index);
        } catch (error) {
          throw new Error(report(c, way, index, `threw ${String(error)}`));
        }
        if (got !== null && JSON.stringify(got) !== JSON.stringify(reference)) {
          throw new Error(report(c, way, index, "answers differ"));
        }
      }
      compared++;
    });
  }
  // The generator must mostly make programs that finish, and some that divide by zero.
  expect(compared).toBeGreaterThan(COUNT * 0.95);
  expect(errors).toBeGreaterThan(0);
  process.stderr.write(`fn-diff: ${compared} modules compared, ${skipped} skipped (out of fuel), ${errors} runs ended in E_DIV_ZERO\n`);
}, 1_800_000);
