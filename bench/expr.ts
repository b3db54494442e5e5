/**
 * The expressions the bench compiles, their sizes in tree nodes, and a JavaScript closure computing
 * the medium one, for the call-cost comparison. compileExpression itself comes from src/expr/compile.ts.
 */
import type { JitFunction } from "../src/jit.ts";
import type { Expr } from "../src/expr/ast.ts";
import { parse } from "../src/expr/parse.ts";

export type CompileExpression = (source: string, options?: { params?: readonly string[] }) => JitFunction;

/** compileExpression, or why it could not be loaded (the other sections still run without it). */
export async function loadCompileExpression(): Promise<CompileExpression | string> {
  try {
    const module = await import("../src/expr/compile.ts");
    return module.compileExpression;
  } catch (error) {
    return `src/expr/compile.ts did not load: ${error instanceof Error ? error.message : String(error)}`;
  }
}

export const SMALL = "x * 2 + 1";
export const MEDIUM = "(x * 3 + 7) ^ (x >> 2) - (x & 0xff) * (x | 1) + (x < 100 ? x : -x)";

/** The medium expression with JavaScript's int32 operators. */
export const mediumInJs = (x: number): number =>
  (((Math.imul(x, 3) + 7) | 0) ^ ((((x >> 2) - Math.imul(x & 0xff, x | 1)) | 0) + (x < 100 ? x : -x | 0))) | 0;

/** About 200 nodes: eight terms shaped like the medium expression, with different constants. */
export const LARGE = Array.from(
  { length: 8 },
  (_, k) => `((x * ${k + 3} + ${7 * k + 1}) ^ (x >> ${(k % 5) + 1}) - (x & ${0xff >> k}) * (x | ${k + 1}) + (x < ${100 * k} ? x : -x))`,
).join(" + ");

/** Tree nodes, counted with an explicit stack (a chain of 100,000 terms is a tree that deep). */
export function countNodes(root: Expr): number {
  let count = 0;
  const stack: Expr[] = [root];
  for (let e = stack.pop(); e !== undefined; e = stack.pop()) {
    count++;
    if (e.kind === "unary") stack.push(e.arg);
    else if (e.kind === "binary" || e.kind === "logical") stack.push(e.left, e.right);
    else if (e.kind === "cond") stack.push(e.test, e.then, e.else);
  }
  return count;
}

export const nodesIn = (source: string): number => countNodes(parse(source, ["x"]));
