import type { Expr } from "./ast.ts";
import { evalBinary, evalUnary, trapsAt } from "./reference.ts";

type Binary = Extract<Expr, { kind: "binary" }>;
type Logical = Extract<Expr, { kind: "logical" }>;

/**
 * Constant folding, bottom-up. A subtree becomes a literal only when its value is known and
 * computing it cannot throw: `x / 0` and `1 / 0` stay runtime divisions, while `0 && 1/0` folds
 * because that division never runs. Unchanged subtrees are returned as-is (no copying).
 * A chain `a + b + c ...` nests on its left: its left spine is folded in a loop, bottom first, and
 * recursion goes only into right operands, unary operands and `?:` parts, whose depth the parser bounds.
 */
export function fold(root: Expr): Expr {
  if (root.kind !== "binary" && root.kind !== "logical") return foldOther(root);
  const spine: (Binary | Logical)[] = [];
  let e: Expr = root;
  while (e.kind === "binary" || e.kind === "logical") {
    spine.push(e);
    e = e.left;
  }
  let left = foldOther(e);
  for (let i = spine.length - 1; i >= 0; i--) {
    const link = spine[i] as Binary | Logical;
    left = link.kind === "binary" ? foldBinary(link, left) : foldLogical(link, left);
  }
  return left;
}

function foldOther(e: Expr): Expr {
  switch (e.kind) {
    case "num":
    case "param":
      return e;
    case "unary": {
      const arg = fold(e.arg);
      if (arg.kind === "num") return num(evalUnary(e.op, arg.value), e.pos);
      return arg === e.arg ? e : { ...e, arg };
    }
    case "binary":
    case "logical":
      return fold(e);
    case "cond": {
      const test = fold(e.test);
      if (test.kind === "num") return fold(test.value !== 0 ? e.then : e.else);
      const then = fold(e.then);
      const otherwise = fold(e.else);
      return test === e.test && then === e.then && otherwise === e.else ? e : { ...e, test, then, else: otherwise };
    }
  }
}

/** e with its left operand already folded to `left`. */
function foldBinary(e: Binary, left: Expr): Expr {
  const right = fold(e.right);
  if (left.kind === "num" && right.kind === "num" && !trapsAt(e.op, right.value)) {
    return num(evalBinary(e.op, left.value, right.value), e.pos);
  }
  return left === e.left && right === e.right ? e : { ...e, left, right };
}

/** e with its left operand already folded to `left`. */
function foldLogical(e: Logical, left: Expr): Expr {
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
