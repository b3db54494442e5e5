import type { Expr } from "./ast.ts";
import { evalBinary, evalUnary, trapsAt } from "./reference.ts";

/**
 * Constant folding, bottom-up. A subtree becomes a literal only when its value is known and
 * computing it cannot throw: `x / 0` and `1 / 0` stay runtime divisions, while `0 && 1/0` folds
 * because that division never runs. Unchanged subtrees are returned as-is (no copying).
 * Recursion depth equals tree depth, which the parser bounds.
 */
export function fold(e: Expr): Expr {
  switch (e.kind) {
    case "num":
    case "param":
      return e;
    case "unary": {
      const arg = fold(e.arg);
      if (arg.kind === "num") return num(evalUnary(e.op, arg.value), e.pos);
      return arg === e.arg ? e : { ...e, arg };
    }
    case "binary": {
      const left = fold(e.left);
      const right = fold(e.right);
      if (left.kind === "num" && right.kind === "num" && !trapsAt(e.op, right.value)) {
        return num(evalBinary(e.op, left.value, right.value), e.pos);
      }
      return left === e.left && right === e.right ? e : { ...e, left, right };
    }
    case "logical":
      return foldLogical(e);
    case "cond": {
      const test = fold(e.test);
      if (test.kind === "num") return fold(test.value !== 0 ? e.then : e.else);
      const then = fold(e.then);
      const otherwise = fold(e.else);
      return test === e.test && then === e.then && otherwise === e.else ? e : { ...e, test, then, else: otherwise };
    }
  }
}

function foldLogical(e: Extract<Expr, { kind: "logical" }>): Expr {
  const left = fold(e.left);
  if (left.kind === "num") {
    const leftTrue = left.value !== 0;
    // A decided left side means the right one never runs: `0 && r` is 0, `1 || r` is 1.
    if (e.op === "land" ? !leftTrue : leftTrue) return num(leftTrue ? 1 : 0, e.pos);
  }
  const right = fold(e.right);
  if (left.kind !== "num") return left === e.left && right === e.right ? e : { ...e, left, right };
  // The left side did not decide, so the result is the right side's truth, and the right side runs.
  if (right.kind === "num") return num(right.value !== 0 ? 1 : 0, e.pos);
  return { kind: "binary", op: "ne", left: right, right: num(0, e.pos), pos: e.pos };
}

function num(value: number, pos: number): Expr {
  return { kind: "num", value, pos };
}
