/**
 * The expression differential (test/support/differential.ts): random expressions (exprgen.ts),
 * compiled for this host and run natively, against the reference evaluator (`evaluate(parse(...))`),
 * E_DIV_ZERO included. Each case runs on the edge inputs and four random ones.
 *
 *   expectAgreement(exprDifferential(), SEED, 5_000)
 *   expectAgreement(exprDifferential(customCompiler({ registers: 2 })), SEED, 5_000)   // spills
 *   expectAgreement(exprDifferential(customCompiler({ target: WIN64, adapt: win64OnSysv })), SEED, 5_000)
 *   bun test/support/differential.ts expr SEED COUNT [registers]      // the script, under an emulator
 *
 * `registers` caps the registers the code generator may use (≥ 2), so that nearly every expression spills.
 */
import type { Code } from "../../src/emit.ts";
import { JitError } from "../../src/errors.ts";
import { generate } from "../../src/expr/codegen.ts";
import { compileExpression } from "../../src/expr/compile.ts";
import { fold } from "../../src/expr/fold.ts";
import { parse } from "../../src/expr/parse.ts";
import { evaluate } from "../../src/expr/reference.ts";
import { type CodeMemory, type JitFunction, hostMemory, install } from "../../src/jit.ts";
import { int32Signature } from "../../src/abi.ts";
import type { Target } from "../../src/platform.ts";
import type { Differential } from "./differential.ts";
import { randomExpr, randomInputs, smallerExpressions } from "./exprgen.ts";
import type { Rng } from "./random.ts";

/** Compiles `source` over `params` into something callable with params.length int32s. */
export type Compiler = (source: string, params: readonly string[]) => JitFunction;

export const defaultCompiler: Compiler = (source, params) => compileExpression(source, { params });

/**
 * A compiler that generates for `target` with at most `registers` registers (undefined: all), and
 * installs the bytes after passing them through `adapt` (test hook: e.g. the Win64 shim, win64.ts).
 */
export function customCompiler(options: {
  registers?: number;
  target?: Target;
  memory?: CodeMemory;
  adapt?: (code: Code) => Code;
}): Compiler {
  return (source, params) => {
    const memory = options.memory ?? hostMemory();
    const tree = fold(parse(source, params));
    const generated = generate(tree, {
      target: options.target ?? memory.target,
      params,
      ...(options.registers === undefined ? {} : { registers: options.registers }),
    });
    const code = options.adapt ? options.adapt(generated.code) : generated.code;
    return install(memory, code, { signature: int32Signature(params.length), status: generated.checked });
  };
}

const PARAM_SETS: readonly (readonly string[])[] = [[], ["x"], ["x", "y"], ["a", "b", "c"], ["p", "q", "r", "s"]];
const EDGES = [0, 1, -1, 2147483647, -2147483648];

export interface Case {
  readonly source: string;
  readonly params: readonly string[];
  readonly inputs: readonly (readonly number[])[];
}

/** One random case: 1-4 parameters (now and then none), depth 1-7, inputs with every edge value. */
export function randomCase(rng: Rng): Case {
  const r = rng();
  const params = PARAM_SETS[r < 0.03 ? 0 : 1 + Math.floor(rng() * 4)] ?? ["x"];
  const source = randomExpr(rng, { maxDepth: 1 + Math.floor(rng() * 7), params });
  const n = params.length;
  const inputs: number[][] = EDGES.map((v) => Array<number>(n).fill(v));
  for (let i = 0; i < 4; i++) inputs.push(randomInputs(rng, n));
  return { source, params, inputs };
}

/** One answer as comparable text: the int32, or the error code. */
function outcome(run: () => number): string {
  try {
    return String(run());
  } catch (error) {
    if (error instanceof JitError) return error.code;
    throw error;
  }
}

/** The reference's answers, input by input ("args -> value"). */
export function referenceAnswers(c: Case): string[] {
  const tree = parse(c.source, c.params);
  return c.inputs.map((args) => `${args.join(",")} -> ${outcome(() => evaluate(tree, args))}`);
}

function answersOf(fn: JitFunction, c: Case): string[] {
  return c.inputs.map((args) => `${args.join(",")} -> ${outcome(() => fn(...args))}`);
}

/** The differential for a compiler (compileExpression for this host by default). */
export function exprDifferential(compile: Compiler = defaultCompiler): Differential<Case> {
  return {
    generate: randomCase,
    reference: referenceAnswers,
    actual(c) {
      using fn = compile(c.source, c.params);
      return answersOf(fn, c);
    },
    // Compiled together, so their code shares pages instead of mapping one each.
    actualAll(cases) {
      const fns: JitFunction[] = [];
      try {
        for (const c of cases) fns.push(compile(c.source, c.params));
        return cases.map((c, i) => answersOf(fns[i] as JitFunction, c));
      } finally {
        for (const fn of fns) fn.dispose();
      }
    },
    batch: 64,
    *smaller(c) {
      for (const source of smallerExpressions(c.source, c.params)) yield { ...c, source };
    },
    show: (c) => `${JSON.stringify(c.source)} over (${c.params.join(", ")})`,
  };
}

/** For the script entry: `expr [registers]`. */
export function suite(args: readonly string[]): Differential<Case> {
  const [registersText, ...rest] = args;
  const registers = registersText === undefined ? undefined : Number(registersText);
  if (rest.length > 0 || (registers !== undefined && !(Number.isInteger(registers) && registers >= 2))) {
    throw new Error(`the expr suite takes one optional argument, registers >= 2, got ${args.join(" ")}`);
  }
  return exprDifferential(registers === undefined ? defaultCompiler : customCompiler({ registers }));
}
