/**
 * The optimizer's fused walks (src/bf/optimize.ts: readProgram, optimize and optimizeRead run ten
 * passes in six walks) against the plain composition of the same passes, each run alone in order,
 * on random programs and random sets of passes: the tables must be the same, op for op. Written
 * against the passes' public functions, so it keeps its meaning while the walks change.
 */
import { describe, expect, test } from "bun:test";
import { parse } from "../src/bf/parse.ts";
import {
  PASSES,
  type PassName,
  clearLoops,
  combineSets,
  deadLoops,
  deferMoves,
  ifLoops,
  knownValues,
  mulLoops,
  onceLoops,
  optimize,
  optimizeRead,
  placeChecks,
  readProgram,
  scanLoops,
} from "../src/bf/optimize.ts";
import { type OpTable, toOps } from "../src/bf/table.ts";
import { randomCase } from "./support/bfgen.ts";
import { type Rng, SEED, below, makeRng, replayHint } from "./support/random.ts";
import { shrink } from "./support/shrink.ts";

/** Each optional pass alone, by name; placeChecks (always run) comes after ifLoops, before deferMoves. */
const ALONE: Readonly<Record<PassName, (ops: OpTable) => OpTable>> = {
  clearLoops,
  scanLoops,
  mulLoops,
  deadLoops,
  combineSets,
  ifLoops,
  deferMoves: (ops) => deferMoves(ops),
  onceLoops,
  knownValues,
};
const BEFORE_CHECKS: readonly PassName[] = ["clearLoops", "scanLoops", "mulLoops", "deadLoops", "combineSets", "ifLoops"];

/** The passes one after another, each a walk of its own. */
function composed(source: string, passes: readonly PassName[]): OpTable {
  const on = new Set(passes);
  let ops = parse(source);
  for (const name of PASSES) {
    if (name === "deferMoves") ops = placeChecks(ops);
    if (on.has(name)) ops = ALONE[name](ops);
  }
  return ops;
}

const fusedReading = (source: string, passes: readonly PassName[]) => optimizeRead(readProgram(source, passes), passes);
const fusedParsed = (source: string, passes: readonly PassName[]) => optimize(parse(source), passes);

/** Programs of every command, nested loops, and the shapes the passes rewrite (bfgen's, plus raw noise). */
function randomSource(rng: Rng): string {
  if (rng() < 0.6) return randomCase(rng).source;
  const pieces = ["+", "-", ">", "<", ".", ",", "[-]", "[+]", "[---]", "[--]", "[>]", "[<<]", "[->+<]", "[->>+++<<]", "[-<+>>-<]", "><", ">>>>", "<<<<"];
  const program = (depth: number): string => {
    let text = "";
    for (let k = below(rng, 10); k >= 0; k--) {
      text += depth > 0 && rng() < 0.25 ? `[${program(depth - 1)}]` : (pieces[below(rng, pieces.length)] as string);
    }
    return text;
  };
  return program(3);
}

function randomPasses(rng: Rng): PassName[] {
  if (rng() < 0.3) return [...PASSES];
  return PASSES.filter(() => rng() < 0.5);
}

const shape = (t: OpTable) => JSON.stringify(toOps(t));

function balanced(s: string): boolean {
  let depth = 0;
  for (const c of s) {
    if (c === "[") depth++;
    else if (c === "]" && --depth < 0) return false;
  }
  return depth === 0;
}

function* cuts(source: string): Generator<string> {
  for (let size = Math.max(1, source.length >> 1); size >= 1; size >>= 1) {
    for (let i = 0; i + size <= source.length; i++) {
      const cut = source.slice(0, i) + source.slice(i + size);
      if (balanced(cut)) yield cut;
    }
  }
}

describe("the fused walks make the table the passes make one after another", () => {
  test(`5,000 random programs, random sets of passes (seed ${SEED})`, () => {
    const rng = makeRng(SEED);
    for (let n = 0; n < 5_000; n++) {
      const source = randomSource(rng);
      const passes = randomPasses(rng);
      const want = shape(composed(source, passes));
      for (const [name, fused] of [["readProgram + optimizeRead", fusedReading], ["optimize", fusedParsed]] as const) {
        if (shape(fused(source, passes)) === want) continue;
        const differs = (s: string) => shape(fused(s, passes)) !== shape(composed(s, passes));
        const small = shrink(source, cuts, differs);
        throw new Error(
          `${name} differs from the passes one after another (case ${n}, passes ${passes.join(", ") || "none"})\n` +
            `  program ${JSON.stringify(source)}\n  shrunk  ${JSON.stringify(small)}\n` +
            `  fused    ${shape(fused(small, passes))}\n  composed ${shape(composed(small, passes))}\n  ${replayHint()}`,
        );
      }
    }
  });

  test("every pass is in the composition, in PASSES order, with placeChecks before deferMoves", () => {
    expect(Object.keys(ALONE).sort()).toEqual([...PASSES].sort());
    expect(PASSES.filter((p) => BEFORE_CHECKS.includes(p))).toEqual([...BEFORE_CHECKS]);
    expect(PASSES.indexOf("deferMoves")).toBe(BEFORE_CHECKS.length);
  });

  test("the comparison sees a difference: a pass left out of the composition changes the table", () => {
    const source = "+[-]>+[->+<]<[>]";
    expect(shape(fusedReading(source, PASSES))).toBe(shape(composed(source, PASSES)));
    expect(shape(fusedReading(source, PASSES))).not.toBe(shape(composed(source, ["clearLoops", "scanLoops", "deadLoops", "combineSets", "deferMoves", "onceLoops"])));
  });
});
