/**
 * Seeded random expressions and inputs for differential tests (compiled code vs. the reference
 * evaluator), and the smaller variants of an expression that the shrinker (shrink.ts) tries.
 */
import type { Expr } from "../../src/expr/ast.ts";
import { parse } from "../../src/expr/parse.ts";
import { print } from "../../src/expr/print.ts";
import { type Rng, below, pick } from "./random.ts";
import { shrink } from "./shrink.ts";

/** Values where int32 arithmetic goes wrong most often. */
const EDGE_INTS = [0, 0, 1, -1, 2, -2, 31, 32, 33, 2147483647, -2147483648, 2147483646, -2147483647, 65536, 0xffff];

/** Integers biased toward 0, ±1 and the int32 edges: one per parameter (4 by default). */
export function randomInputs(rng: Rng, count = 4): number[] {
  return Array.from({ length: count }, () => {
    const r = rng();
    if (r < 0.45) return pick(rng, EDGE_INTS);
    if (r < 0.75) return below(rng, 33) - 16;
    return (rng() * 4294967296) | 0;
  });
}

// Source text of literals, written the ways a user would: edges, negatives, hex in both cases.
const LITERALS = [
  "0", "1", "-1", "2", "3", "7", "31", "32", "2147483647", "-2147483648", "0x80000000", "0xffffffff",
  "0XFF", "0x7fffffff", "4294967295", "2147483648", "0x0", "65536", "-65536",
];

/** Generated text and the precedence of its top operator (12 for atoms, mirroring the parser). */
type Piece = { text: string; prec: number };

const ATOM = 12;
const UNARY_PREC = 11;
const BINARY_OPS: readonly (readonly [string, number])[] = [
  ["||", 1], ["&&", 2], ["|", 3], ["^", 4], ["&", 5], ["==", 6], ["!=", 6],
  ["<", 7], ["<=", 7], [">", 7], [">=", 7], ["<<", 8], [">>", 8], [">>>", 8],
  ["+", 9], ["-", 9], ["*", 10], ["/", 10], ["%", 10],
];

export type ExprOptions = { maxDepth: number; params: readonly string[] };

/**
 * A well-formed expression over `opts.params`, with only the parentheses precedence needs plus
 * some spare ones, and varied whitespace, so it exercises the parser as much as the back end.
 */
export function randomExpr(rng: Rng, opts: ExprOptions): string {
  return generate(rng, opts, opts.maxDepth).text;
}

function generate(rng: Rng, opts: ExprOptions, depth: number): Piece {
  const r = rng();
  if (depth <= 0 || r < 0.2) return leaf(rng, opts);
  if (r < 0.35) {
    const arg = operand(rng, generate(rng, opts, depth - 1), UNARY_PREC);
    return { text: pick(rng, ["-", "~", "!"]) + space(rng, 0.2) + arg, prec: UNARY_PREC };
  }
  if (r < 0.45) {
    const test = operand(rng, generate(rng, opts, depth - 1), 1);
    const then = operand(rng, generate(rng, opts, depth - 1), 0);
    const otherwise = operand(rng, generate(rng, opts, depth - 1), 0);
    return { text: `${test}${space(rng)}?${space(rng)}${then}${space(rng)}:${space(rng)}${otherwise}`, prec: 0 };
  }
  const [op, prec] = pick(rng, BINARY_OPS);
  const left = operand(rng, generate(rng, opts, depth - 1), prec);
  const divides = op === "/" || op === "%";
  const right = operand(rng, divides ? divisor(rng, opts, depth - 1) : generate(rng, opts, depth - 1), prec + 1);
  return { text: `${left}${space(rng)}${op}${space(rng)}${right}`, prec };
}

/** Right operands of / and %: often zero, or something that is zero for some inputs. */
function divisor(rng: Rng, opts: ExprOptions, depth: number): Piece {
  if (rng() < 0.5) return generate(rng, opts, depth);
  const p = opts.params.length > 0 ? pick(rng, opts.params) : "1";
  const text = pick(rng, ["0", "1", "-1", p, `(${p} & 1)`, `(${p} - ${p})`, `(${p} % 3)`, "(1 - 1)"]);
  return { text, prec: text.startsWith("-") ? UNARY_PREC : ATOM };
}

function leaf(rng: Rng, opts: ExprOptions): Piece {
  if (opts.params.length > 0 && rng() < 0.5) return { text: pick(rng, opts.params), prec: ATOM };
  const text = rng() < 0.8 ? pick(rng, LITERALS) : String(below(rng, 1000));
  return { text, prec: text.startsWith("-") ? UNARY_PREC : ATOM };
}

/** Parenthesizes `p` when precedence requires it, and now and then when it does not. */
function operand(rng: Rng, p: Piece, minPrec: number): string {
  if (p.prec >= minPrec && rng() >= 0.1) return p.text;
  return rng() < 0.1 ? `((${p.text}))` : `(${space(rng, 0.1)}${p.text}${space(rng, 0.1)})`;
}

/** Usually one space, sometimes none (tokens still separate: no two adjacent ones merge), sometimes odd. */
function space(rng: Rng, chance = 0.7): string {
  const r = rng();
  if (r >= chance) return "";
  return r < chance * 0.85 ? " " : pick(rng, ["\t", "\n", "  "]);
}

/**
 * `source` with one subtree replaced by one of its children or by a literal 0 / 1, biggest cuts first,
 * printed over `params` (nothing when `source` does not parse).
 */
export function* smallerExpressions(source: string, params: readonly string[]): Generator<string> {
  let tree: Expr;
  try {
    tree = parse(source, params);
  } catch {
    return;
  }
  for (const candidate of smaller(tree)) yield print(candidate, params);
}

/**
 * A failing expression shrunk while `stillFails` holds. `params` defaults to the identifiers in
 * `source`, in order of appearance.
 */
export function shrinkExpression(source: string, stillFails: (src: string) => boolean, params: readonly string[] = namesIn(source)): string {
  return shrink(source, (s) => smallerExpressions(s, params), stillFails);
}

function namesIn(source: string): string[] {
  return [...new Set(source.match(/\b[A-Za-z_][A-Za-z0-9_]*/g) ?? [])];
}

/**
 * Trees with one subtree simplified, biggest cuts first. Every candidate has fewer nodes, or turns
 * a leaf into literal 0 / 1 (which are never replaced again), so shrinking terminates.
 */
function* smaller(e: Expr): Generator<Expr> {
  yield* children(e);
  if (e.kind !== "num" || (e.value !== 0 && e.value !== 1)) {
    yield { kind: "num", value: 0, pos: e.pos };
    yield { kind: "num", value: 1, pos: e.pos };
  }
  switch (e.kind) {
    case "num":
    case "param":
      return;
    case "unary":
      for (const arg of smaller(e.arg)) yield { ...e, arg };
      return;
    case "binary":
    case "logical":
      for (const left of smaller(e.left)) yield { ...e, left };
      for (const right of smaller(e.right)) yield { ...e, right };
      return;
    case "cond":
      for (const test of smaller(e.test)) yield { ...e, test };
      for (const then of smaller(e.then)) yield { ...e, then };
      for (const otherwise of smaller(e.else)) yield { ...e, else: otherwise };
      return;
  }
}

function children(e: Expr): Expr[] {
  switch (e.kind) {
    case "num":
    case "param":
      return [];
    case "unary":
      return [e.arg];
    case "binary":
    case "logical":
      return [e.left, e.right];
    case "cond":
      return [e.test, e.then, e.else];
  }
}
