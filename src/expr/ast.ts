/**
 * The tree the expression front end hands to the back end. Every value is an int32; `pos` is the
 * 0-based source offset of the token that made the node (operator or literal), for error carets.
 */

export type UnaryOp = "neg" | "not" | "lnot"; // -  ~  !
export type BinaryOp = "mul" | "div" | "mod" | "add" | "sub" | "shl" | "sar" | "shr" // * / % + - << >> >>>
  | "lt" | "le" | "gt" | "ge" | "eq" | "ne" | "and" | "xor" | "or"; // < <= > >= == != & ^ |
export type Expr =
  | { kind: "num"; value: number; pos: number } // value is an int32
  | { kind: "param"; index: number; pos: number } // index into params
  | { kind: "unary"; op: UnaryOp; arg: Expr; pos: number }
  | { kind: "binary"; op: BinaryOp; left: Expr; right: Expr; pos: number }
  | { kind: "logical"; op: "land" | "lor"; left: Expr; right: Expr; pos: number } // && ||
  | { kind: "cond"; test: Expr; then: Expr; else: Expr; pos: number }; // ?:
