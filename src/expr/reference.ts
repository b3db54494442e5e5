import { JitError } from "../errors.ts";
import type { BinaryOp, Expr, UnaryOp } from "./ast.ts";

/**
 * The reference semantics: JavaScript's int32 arithmetic, `(expr) | 0`. Both the folder and the
 * tree-walking evaluator go through evalUnary / evalBinary, so there is one definition of each op.
 */

export function evalUnary(op: UnaryOp, a: number): number {
  switch (op) {
    case "neg": return -a | 0;
    case "not": return ~a;
    case "lnot": return a === 0 ? 1 : 0;
  }
}

/** Throws E_DIV_ZERO for `/` or `%` by zero; the caller decides whether that division would run. */
export function evalBinary(op: BinaryOp, a: number, b: number): number {
  switch (op) {
    case "mul": return Math.imul(a, b);
    // The double quotient of two int32s never rounds across an integer, so `| 0` truncates exactly;
    // -2147483648 / -1 is 2^31, which `| 0` wraps back to -2147483648.
    case "div": return (a / divisor(b)) | 0;
    case "mod": return (a % divisor(b)) | 0; // | 0 also turns -0 into 0
    case "add": return (a + b) | 0;
    case "sub": return (a - b) | 0;
    case "shl": return a << b; // JS shifts already use the low 5 bits of the count
    case "sar": return a >> b;
    case "shr": return (a >>> b) | 0;
    case "lt": return a < b ? 1 : 0;
    case "le": return a <= b ? 1 : 0;
    case "gt": return a > b ? 1 : 0;
    case "ge": return a >= b ? 1 : 0;
    case "eq": return a === b ? 1 : 0;
    case "ne": return a !== b ? 1 : 0;
    case "and": return a & b;
    case "xor": return a ^ b;
    case "or": return a | b;
  }
}

/** True when evaluating `op` with right operand `b` would throw, i.e. it must be left to run time. */
export function trapsAt(op: BinaryOp, b: number): boolean {
  return b === 0 && (op === "div" || op === "mod");
}

/**
 * Evaluates `e` with `args[i]` (int32s) bound to parameter i; `&&`, `||`, `?:` short-circuit. The left
 * spine of a chain `a + b + c ...` is evaluated in a loop, bottom (leftmost operand) first.
 */
export function evaluate(root: Expr, args: readonly number[]): number {
  if (root.kind !== "binary" && root.kind !== "logical") return evaluateOther(root, args);
  const spine: (Extract<Expr, { kind: "binary" | "logical" }>)[] = [];
  let e: Expr = root;
  while (e.kind === "binary" || e.kind === "logical") {
    spine.push(e);
    e = e.left;
  }
  let value = evaluateOther(e, args);
  for (let i = spine.length - 1; i >= 0; i--) {
    const link = spine[i] as (typeof spine)[number];
    if (link.kind === "binary") {
      value = evalBinary(link.op, value, evaluate(link.right, args));
      continue;
    }
    const left = value !== 0;
    value = (link.op === "land" ? !left : left) ? (left ? 1 : 0) : evaluate(link.right, args) !== 0 ? 1 : 0;
  }
  return value;
}

function evaluateOther(e: Expr, args: readonly number[]): number {
  switch (e.kind) {
    case "num": return e.value;
    case "param": return argument(args, e.index);
    case "unary": return evalUnary(e.op, evaluate(e.arg, args));
    case "binary":
    case "logical": return evaluate(e, args);
    case "cond": return evaluate(evaluate(e.test, args) !== 0 ? e.then : e.else, args);
  }
}

function divisor(b: number): number {
  if (b === 0) throw new JitError("E_DIV_ZERO", "division by zero");
  return b;
}

function argument(args: readonly number[], index: number): number {
  const value = args[index];
  if (value === undefined) throw new JitError("E_RANGE", `missing argument ${index + 1}`);
  return value;
}
