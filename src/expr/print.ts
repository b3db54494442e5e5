import { JitError } from "../errors.ts";
import type { BinaryOp, Expr, UnaryOp } from "./ast.ts";

const BINARY_TEXT: Readonly<Record<BinaryOp, string>> = {
  mul: "*", div: "/", mod: "%", add: "+", sub: "-", shl: "<<", sar: ">>", shr: ">>>",
  lt: "<", le: "<=", gt: ">", ge: ">=", eq: "==", ne: "!=", and: "&", xor: "^", or: "|",
};
const UNARY_TEXT: Readonly<Record<UnaryOp, string>> = { neg: "-", not: "~", lnot: "!" };

/**
 * Prints `e` with every operator parenthesized, so parse(print(e)) gives back the same tree
 * (positions aside). Negative literals print as hex (`-1` is 0xffffffff): `-1` would parse as neg(1).
 */
export function print(e: Expr, params: readonly string[]): string {
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
      return `(${print(e.left, params)} ${BINARY_TEXT[e.op]} ${print(e.right, params)})`;
    case "logical":
      return `(${print(e.left, params)} ${e.op === "land" ? "&&" : "||"} ${print(e.right, params)})`;
    case "cond":
      return `(${print(e.test, params)} ? ${print(e.then, params)} : ${print(e.else, params)})`;
  }
}
