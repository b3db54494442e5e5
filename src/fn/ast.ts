/**
 * The functions chapter's syntax tree. Every node carries the 1-based line and column of the token
 * that made it (operator, name, keyword), for messages and listings. The checker (check.ts) fills in
 * `type` on expressions and `sym` (the variable's number within its function) on names and
 * declarations; the lowering (lower.ts) reads both.
 *
 * Chains are not nesting: `a + b + c + ...` is a left spine every pass walks in a loop, and an
 * `if ... else if ... else if ...` chain is one node with a list of clauses.
 */
import type { BinaryOp } from "../expr/ast.ts";
import type { Site } from "./ir.ts";

export type { BinaryOp };

/** i32, or the boolean a comparison gives (TypeScript's `boolean`, held as 0 or 1). */
/** The typed arrays a parameter may be (issue 21): by pointer and length, never copied. */
export type ArrayType = "Int32Array" | "Float64Array" | "Uint8Array";
export type ValueType = "i32" | "bool" | "f64" | ArrayType;
export type MathFn = "imul" | "abs" | "min" | "max" | "sqrt" | "sin" | "cos" | "tan" | "atan2" | "exp" | "log" | "pow";

export type Expr =
  /** `float`: written with a `.` or an exponent, so an f64 (else an i32). */
  | { kind: "num"; value: number; float?: boolean; at: Site; type?: ValueType }
  /** i32(x) (ToInt32, as `x | 0`) and f64(i) (exact), the conversions babyjit exports. */
  | { kind: "convert"; to: "i32" | "f64"; arg: Expr; at: Site; type?: ValueType }
  | { kind: "bool"; value: boolean; at: Site; type?: ValueType }
  | { kind: "name"; name: string; at: Site; type?: ValueType; sym?: number }
  /** neg -x, not ~x, lnot !x, plus +x (the identity on an i32) */
  | { kind: "unary"; op: "neg" | "not" | "lnot" | "plus"; arg: Expr; at: Site; type?: ValueType }
  | { kind: "binary"; op: BinaryOp; left: Expr; right: Expr; at: Site; type?: ValueType }
  | { kind: "logical"; op: "land" | "lor"; left: Expr; right: Expr; at: Site; type?: ValueType }
  | { kind: "cond"; test: Expr; then: Expr; else: Expr; at: Site; type?: ValueType }
  /** A call of a module function; `fn` is its index, set by the checker. */
  | { kind: "call"; callee: string; args: Expr[]; at: Site; type?: ValueType; fn?: number }
  | { kind: "math"; fn: MathFn; args: Expr[]; at: Site; type?: ValueType }
  /** a[i] of a typed-array parameter; a.length. */
  | { kind: "index"; array: string; arrayAt: Site; index: Expr; at: Site; type?: ValueType; sym?: number; elem?: ArrayType }
  | { kind: "length"; array: string; arrayAt: Site; at: Site; type?: ValueType; sym?: number };

export type BinaryExpr = Extract<Expr, { kind: "binary" }>;
export type LogicalExpr = Extract<Expr, { kind: "logical" }>;
export type CallExpr = Extract<Expr, { kind: "call" }>;

export interface Declarator {
  name: string;
  at: Site;
  /** The annotation, if any (`let x: i32 = ...`). */
  annotation: ValueType | null;
  init: Expr;
  sym?: number;
}

export type Stmt =
  | { kind: "block"; body: Stmt[]; at: Site }
  | { kind: "let"; constant: boolean; decls: Declarator[]; at: Site }
  /** `x = v` (op null) or `x op= v`; `at` is the operator's position. */
  | { kind: "assign"; name: string; nameAt: Site; op: BinaryOp | null; value: Expr; at: Site; sym?: number }
  /** `x++`, `++x`, `x--`, `--x` */
  | { kind: "update"; name: string; nameAt: Site; delta: 1 | -1; at: Site; sym?: number }
  /** `a[i] = v` or `a[i] op= v`; `at` is the operator's position. */
  | { kind: "store"; target: Extract<Expr, { kind: "index" }>; op: BinaryOp | null; value: Expr; at: Site }
  /** A call as a statement. */
  | { kind: "expr"; expr: CallExpr; at: Site }
  | { kind: "if"; clauses: { test: Expr; body: Stmt }[]; else: Stmt | null; at: Site }
  | { kind: "while"; test: Expr; body: Stmt; at: Site }
  | { kind: "do"; body: Stmt; test: Expr; at: Site }
  /** `init` and `step` hold declarations, assignments, updates and calls. */
  | { kind: "for"; init: Stmt[]; test: Expr | null; step: Stmt[]; body: Stmt; at: Site }
  | { kind: "break" | "continue"; at: Site }
  | { kind: "return"; value: Expr | null; at: Site }
  | { kind: "empty"; at: Site };

export interface Param {
  name: string;
  at: Site;
  type: "i32" | "f64" | ArrayType;
  sym?: number;
}

export interface FunctionDecl {
  name: string;
  /** The name's position. */
  at: Site;
  exported: boolean;
  params: Param[];
  result: "i32" | "f64" | "void";
  body: Stmt[];
  /** The closing brace, where a missing `return` is reported. */
  end: Site;
  /** Variables (parameters first), counted by the checker. */
  symbols?: number;
}

export interface Module {
  readonly file: string;
  readonly functions: FunctionDecl[];
}
