/**
 * Section 3, long expressions: the cost per term of compiling a flat sum, 10,000 terms against 100,000.
 * A chain is no nesting, so both compile, and the cost should grow linearly (budget: the 100,000-term
 * sum at most 2× the 10,000-term sum's cost per term). Each round compiles (and disposes) the short sum
 * ten times and the long one once, interleaved; the ratio is paired per round.
 */
import type { CompileExpression } from "./expr.ts";
import { SCALE } from "./measure.ts";
import { type Row, formatValue, median, medianRatio } from "./report.ts";

/** x + 1 + x * 3 + x + 4 + ...: parameters, constants and products, as a flat chain. */
export function flatSum(terms: number): string {
  return Array.from({ length: terms }, (_, i) => (i % 3 === 0 ? "x" : i % 3 === 1 ? String(i) : "x * 3")).join(" + ");
}

/** The sum in JavaScript's int32 arithmetic, for checking the compiled code. */
function sumInJs(terms: number, x: number): number {
  let s = 0;
  for (let i = 0; i < terms; i++) s = (s + (i % 3 === 0 ? x : i % 3 === 1 ? i : Math.imul(x, 3))) | 0;
  return s;
}

function perTerm(compile: CompileExpression, source: string, terms: number, times: number): number {
  const t0 = Bun.nanoseconds();
  for (let i = 0; i < times; i++) {
    const f = compile(source, { params: ["x"] });
    if (i === 0 && f(7) !== sumInJs(terms, 7)) throw new Error(`bench: the ${terms}-term sum computes ${f(7)}, not ${sumInJs(terms, 7)}`);
    f.dispose();
  }
  return (Bun.nanoseconds() - t0) / times / terms;
}

export function longExpressionRows(compile: CompileExpression | string): Row[] {
  const rows = (note: string): Row[] => [
    { section: "3 expr", name: "compileExpression of a 100,000-term flat sum, per term", value: undefined, unit: "ns", note },
  ];
  if (typeof compile === "string") return rows(compile);
  const short = flatSum(10_000);
  const long = flatSum(100_000);
  perTerm(compile, short, 10_000, 3); // warm-up
  perTerm(compile, long, 100_000, 1);
  const rounds = Math.max(3, Math.round(7 * SCALE));
  const shorts: number[] = [];
  const longs: number[] = [];
  for (let r = 0; r < rounds; r++) {
    shorts.push(perTerm(compile, short, 10_000, 10));
    longs.push(perTerm(compile, long, 100_000, 1));
  }
  const shortRef = { name: "10,000-term sum, per term", value: Math.min(...shorts), kind: "floor" as const };
  const detail = (xs: number[]) => `median of ${xs.length} rounds ${formatValue(median(xs), "ns")}; compile + dispose, result checked`;
  return [
    { section: "3 expr", name: "compileExpression of a 10,000-term flat sum, per term", value: shortRef.value, unit: "ns", detail: detail(shorts) },
    {
      section: "3 expr",
      name: "compileExpression of a 100,000-term flat sum, per term",
      value: Math.min(...longs),
      unit: "ns",
      detail: detail(longs),
      ref: shortRef,
      ratio: medianRatio(longs, shorts),
      budget: 2,
    },
  ];
}
