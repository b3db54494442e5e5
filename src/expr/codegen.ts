/**
 * The expression back end: a folded Expr tree to machine code, through the emitter, for x86-64
 * (System V or Win64) and arm64 (AAPCS64).
 *
 * Register allocation: the tree is walked once; `gen(e, d)` leaves e's value in register d. A binary
 * node puts its left operand in d and its right one in a second register, evaluating the
 * register-hungrier side first (Sethi–Ullman), so a tree that needs k registers gets by with k.
 * Parameters stay in the registers they arrive in and are read there; constants become immediates
 * where an instruction form takes one. When every register holds a live value, a node borrows one:
 * push it, use it, pop it back (a spill). Pushes and pops nest like the tree, so any tree compiles
 * with two registers. Only caller-saved registers are used, except on Win64 when four parameters
 * leave none free (x64.ts says which).
 *
 * Files: backend.ts holds what both architectures share (analysis, register pool, spills, truth values,
 * the loop over chains a + b + c ...); x64.ts and arm64.ts each hold one architecture's instructions.
 *
 * Truth values: comparisons, `!`, `&&`, `||` and `?:` tests leave their answer in the flags, and only
 * become 0/1 (setcc + movzx, cset) where a value is needed.
 *
 * Division by zero: code that divides takes the address of the memory's status block after its
 * parameters (abi.ts says where it arrives) and pushes it on entry; every runtime `/` and `%` checks its
 * divisor and jumps to an exit that drops whatever the spills had pushed, pops the address, stores
 * status 1 there and returns. jit.ts reads the word after the call and throws JitError E_DIV_ZERO.
 */
import { conventionOf } from "../abi.ts";
import type { Code, Label } from "../emit.ts";
import { JitError } from "../errors.ts";
import type { Target } from "../platform.ts";
import type { Expr } from "./ast.ts";
import { A64Backend } from "./arm64.ts";
import { analyze } from "./backend.ts";
import { X64Backend } from "./x64.ts";

export interface CodegenOptions {
  readonly target: Target;
  /** Parameter names (for listing comments); parameter i is the i-th argument. */
  readonly params: readonly string[];
  /** Testing hook: allocate at most this many registers for values (at least 2), to force spills. */
  readonly registers?: number;
  /** false: bytes only, no listing text (the code is run; its listing is made again if asked for). */
  readonly listing?: boolean;
  /** For profilers: where each node's code starts (Generated.columns). */
  readonly columns?: boolean;
}

export interface Generated {
  readonly code: Code;
  /** The tree divides at run time, so the code takes a status block and reports division by zero there (see jit.ts). */
  readonly checked: boolean;
  /** With `columns`: where each node's code starts, by increasing offset, and its 1-based position in the source text (its column, when the text is one line). */
  readonly columns?: readonly { readonly offset: number; readonly column: number }[];
}

/** Generates code for a folded tree; `options.params.length` (≤ 4) is the arity. */
export function generate(tree: Expr, options: CodegenOptions): Generated {
  const facts = analyze(tree);
  const limit = options.registers ?? Infinity;
  if (!(limit >= 2)) throw new JitError("E_RANGE", `the code generator needs at least 2 registers, not ${limit}`);
  if (options.params.length > 4) throw new JitError("E_RANGE", `at most 4 parameters, not ${options.params.length}`);
  const { arch, abi } = conventionOf(options.target).target; // the one target check (abi.ts)
  if (arch === "arm64") {
    return finish(new A64Backend(facts, options.params, limit, options.listing ?? true), tree, facts.zeroChecks, options.columns === true);
  }
  return finish(new X64Backend(facts, options.params, abi as "sysv" | "win64", limit, options.listing ?? true), tree, facts.zeroChecks, options.columns === true);
}

function finish(be: { marks: number[] | undefined; run(tree: Expr): Code }, tree: Expr, checked: boolean, columns: boolean): Generated {
  if (!columns) return { code: be.run(tree), checked };
  const marks: number[] = [];
  be.marks = marks;
  const code = be.run(tree);
  const found: { offset: number; column: number }[] = [];
  for (let i = 0; i < marks.length; i += 2) {
    const offset = code.labelOffset(marks[i] as Label);
    const column = (marks[i + 1] as number) + 1;
    // Nodes whose code starts at the same place (a parameter read in place makes none): the last one's.
    if (found.length > 0 && (found[found.length - 1] as { offset: number }).offset === offset) found.pop();
    found.push({ offset, column });
  }
  return { code, checked, columns: found };
}
