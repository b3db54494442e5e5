import { JitError } from "../errors.ts";
import type { BinaryOp, Expr, UnaryOp } from "./ast.ts";
import { precedenceOf } from "./parse.ts";

const BINARY_TEXT: Readonly<Record<BinaryOp, string>> = {
  mul: "*", div: "/", mod: "%", add: "+", sub: "-", shl: "<<", sar: ">>", shr: ">>>",
  lt: "<", le: "<=", gt: ">", ge: ">=", eq: "==", ne: "!=", and: "&", xor: "^", or: "|",
};
const UNARY_TEXT: Readonly<Record<UnaryOp, string>> = { neg: "-", not: "~", lnot: "!" };

/**
 * Prints `e` with every operator parenthesized, so parse(print(e)) gives back the same tree
 * (positions aside); a chain of left-associative operators of one precedence shares one pair, as
 * `(a - b + c)` for `((a - b) + c)`, so that a 100,000-term sum prints as one level of parentheses, not
 * 100,000. Negative literals print as hex (`-1` is 0xffffffff): `-1` would parse as neg(1). The left
 * spine of a chain is printed in a loop, not by recursion.
 */
export function print(root: Expr, params: readonly string[]): string {
  if (root.kind !== "binary" && root.kind !== "logical") return printOther(root, params);
  const spine: Link[] = [];
  let e: Expr = root;
  let groups = 0;
  while (e.kind === "binary" || e.kind === "logical") {
    if (spine.length === 0 || precedenceOf(e.op) !== precedenceOf((spine[spine.length - 1] as Link).op)) groups++;
    spine.push(e);
    e = e.left;
  }
  const parts = ["(".repeat(groups), printOther(e, params)];
  for (let i = spine.length - 1; i >= 0; i--) {
    const link = spine[i] as Link;
    const op = link.kind === "binary" ? BINARY_TEXT[link.op] : link.op === "land" ? "&&" : "||";
    parts.push(` ${op} `, print(link.right, params));
    const above = spine[i - 1];
    if (above === undefined || precedenceOf(above.op) !== precedenceOf(link.op)) parts.push(")");
  }
  return parts.join("");
}

type Link = Extract<Expr, { kind: "binary" | "logical" }>;

function printOther(e: Expr, params: readonly string[]): string {
  switch (e.kind) {
    case "num":
      return e.value < 0 ? `0x${(e.value >>> 0).toString(16)}` : String(e.value);
    case "param": {
      const name = params[e.index];
      if (name === undefined) throw new JitError("E_INTERNAL", `parameter index ${e.index} out of range`);
      return name;
    }
    case "unary":
      return `(${UNARY_TEXT[e.op]}${print(e.arg, params)})`;
    case "binary":
    case "logical":
      return print(e, params);
    case "cond":
      return `(${print(e.test, params)} ? ${print(e.then, params)} : ${print(e.else, params)})`;
  }
}
