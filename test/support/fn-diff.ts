/**
 * The functions differential (test/support/differential.ts): random modules (fngen.ts) run by babyjit
 * and by the reference (the same module run by Bun with the chapter's meaning), compared.
 *
 *   expectAgreement(fnDifferential(["interpreter", "allocated", "native"]), SEED, 10_000)
 *   bun test/support/differential.ts fn SEED COUNT [ways]    // the script, under an emulator (ways: native)
 *
 * Ways: `interpreter` runs the IR (the front end alone); `allocated` runs the allocated IR with one of
 * the test register files (fnregs.ts: spills, saves around calls, one register file for all frames);
 * `native` compiles the module for this host (compileModule) and calls it; `tight` does too, with the
 * host's register description cut to three allocatable registers (two caller-saved, one callee-saved),
 * so that the generated code spills and saves around calls nearly everywhere; `win64` (x86-64 System V
 * hosts only) compiles Win64 code and runs it here (ModuleOptions.abi).
 *
 * A case the interpreter cannot finish within its fuel is skipped (the reference is undefined). The
 * references are computed a hundred cases at a time, in one transpilation (Bun.Transpiler is the
 * costly part of the reference), when `generate` draws the cases.
 */
import { JitError } from "../../src/errors.ts";
import type { TargetRegisters } from "../../src/fn/codegen.ts";
import { compileModuleForTests as compileModule, registersFor } from "../../src/fn/compile.ts";
import { OutOfFuel, interpret } from "../../src/fn/interp.ts";
import { compileFront } from "../../src/fn/lower.ts";
import { allocate } from "../../src/fn/regalloc.ts";
import { hostPlatform } from "../../src/platform.ts";
import type { Differential } from "./differential.ts";
import { type Answers, type FnCase, generateCase, printCase, referenceAnswers, referenceAnswersAll, smallerCases } from "./fngen.ts";
import { TEST_REGISTERS } from "./fnregs.ts";
import { type Rng, below } from "./random.ts";

export type Way = "interpreter" | "allocated" | "native" | "tight" | "win64";
export const WAYS: readonly Way[] = ["interpreter", "allocated", "native", "tight", "win64"];

/** A case and which test register file the allocated way uses. */
export type Case = FnCase & { readonly registers: number };

const FUEL = 2_000_000;
const DESCRIPTIONS = Object.entries(TEST_REGISTERS);

function catching(run: () => number | undefined): number | string {
  try {
    return run() as number;
  } catch (error) {
    if (error instanceof JitError && error.code === "E_DIV_ZERO") return "E_DIV_ZERO";
    throw error;
  }
}

/** babyjit's answers one way; null when the interpreter ran out of fuel. */
export function answersOf(c: Case, way: Way): Answers | null {
  const source = printCase(c);
  if (way === "native" || way === "tight" || way === "win64") {
    const options = way === "tight" ? { registers: tight() } : way === "win64" ? { abi: "win64" as const } : {};
    using mod = compileModule(source, { file: "gen.ts", ...options });
    const entry = mod[c.entry] as unknown as (...args: number[]) => number;
    return c.inputs.map((args) => catching(() => entry(...args)));
  }
  const ir = compileFront(source, "gen.ts");
  try {
    if (way === "interpreter") return c.inputs.map((args) => catching(() => interpret(ir, c.entry, args, { fuel: FUEL })));
    const regs = DESCRIPTIONS[c.registers % DESCRIPTIONS.length]![1];
    const allocations = ir.functions.map((f) => allocate(f, regs));
    return c.inputs.map((args) => catching(() => interpret(ir, c.entry, args, { fuel: FUEL, allocations, regs })));
  } catch (error) {
    if (error instanceof OutOfFuel) return null;
    throw error;
  }
}

let tightRegisters: TargetRegisters | undefined;

/** The host's registers, three of them allocatable: the first two caller-saved, the first callee-saved. */
function tight(): TargetRegisters {
  if (tightRegisters !== undefined) return tightRegisters;
  const regs = registersFor(hostPlatform().target);
  const callerSaved = regs.callerSaved.slice(0, 2);
  const calleeSaved = regs.calleeSaved.slice(0, 1);
  tightRegisters = { ...regs, allocatable: [...callerSaved, ...calleeSaved], callerSaved, calleeSaved };
  return tightRegisters;
}

/** The reference for one case, or undefined when it is to be skipped (does not compile or finish). */
function referenceOf(c: Case): Answers | undefined {
  try {
    if (answersOf(c, "interpreter") === null) return undefined;
  } catch {
    return undefined; // the front end rejects it (a shrunk case may), or the interpreter broke: not a difference
  }
  return referenceAnswers(c);
}

export function fnDifferential(ways: readonly Way[] = WAYS): Differential<Case> {
  const queue: Case[] = [];
  const cached = new WeakMap<Case, Answers | undefined>();
  return {
    generate(rng: Rng): Case {
      if (queue.length === 0) {
        const cases = Array.from({ length: 100 }, () => ({ ...generateCase(rng), registers: below(rng, DESCRIPTIONS.length) }));
        const runnable = cases.filter((c) => answersOf(c, "interpreter") !== null);
        const references = referenceAnswersAll(runnable);
        for (const c of cases) cached.set(c, undefined);
        runnable.forEach((c, i) => cached.set(c, references[i]));
        queue.push(...cases);
      }
      return queue.shift()!;
    },
    reference(c) {
      const answers = cached.has(c) ? cached.get(c) : referenceOf(c);
      return answers === undefined ? undefined : Object.fromEntries(ways.map((w) => [w, answers]));
    },
    actual: (c) => Object.fromEntries(ways.map((w) => [w, answersOf(c, w)])),
    *smaller(c) {
      for (const s of smallerCases(c)) yield { ...s, registers: c.registers };
    },
    show: (c) => {
      const regs = ways.includes("allocated") ? `, registers ${DESCRIPTIONS[c.registers % DESCRIPTIONS.length]![0]}` : "";
      return `${c.entry}(${c.inputs.map((a) => a.join(", ")).join(") / (")})${regs} in\n${printCase(c)}`;
    },
  };
}

/** For the script entry: `fn [ways]`, ways comma-separated (default: native). */
export function suite(args: readonly string[]): Differential<Case> {
  const [list = "native", ...rest] = args;
  const ways = list.split(",") as Way[];
  if (rest.length > 0 || ways.some((w) => !WAYS.includes(w))) {
    throw new Error(`the fn suite takes one optional argument, ways from ${WAYS.join(",")}, got ${args.join(" ")}`);
  }
  return fnDifferential(ways);
}
