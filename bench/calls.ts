/**
 * Section 1 (and the call half of section 3): what one call costs from JavaScript.
 * Floor: a bun:ffi call into libc `abs`, the cheapest native call Bun makes.
 */
import { compileAdder } from "../src/index.ts";
import { bindAbs } from "./floors.ts";
import { type CompileExpression, MEDIUM, mediumInJs } from "./expr.ts";
import { callCase, describeTiming, inputStream, measureCases } from "./measure.ts";
import { type Row, formatValue } from "./report.ts";

const fmt = (ns: number) => formatValue(ns, "ns");

export async function callSection(compileExpression: CompileExpression | string): Promise<Row[]> {
  const abs = bindAbs();
  const add = compileAdder(5);
  const jsAdd = (x: number): number => (x + 5) | 0;
  // Inputs vary per call and stay well inside int32, so abs and x + 5 never overflow.
  const next = inputStream(4096, -1_000_000, 1_000_000);
  for (let i = 0; i < 1000; i++) {
    const x = next();
    if (add(x) !== x + 5 || abs(x) !== Math.abs(x)) throw new Error(`bench: wrong result for ${x}`);
  }

  let expr: ((x: number) => number) | undefined;
  let exprNote = typeof compileExpression === "string" ? compileExpression : undefined;
  if (typeof compileExpression !== "string") {
    try {
      const f = compileExpression(MEDIUM, { params: ["x"] });
      const wide = inputStream(4096, -(2 ** 31), 2 ** 31 - 1);
      for (let i = 0; i < 4096; i++) {
        const x = wide();
        if (f(x) !== mediumInJs(x)) throw new Error(`compiled ${MEDIUM} gives ${f(x)} for x = ${x}, JavaScript ${mediumInJs(x)}`);
      }
      expr = f;
    } catch (error) {
      exprNote = `compileExpression failed: ${error instanceof Error ? error.message : String(error)}`;
    }
  }

  const cases = [
    callCase("abs", abs, next),
    callCase("jit", add, next),
    callCase("js", jsAdd, next),
    ...(expr ? [callCase("expr", expr, next), callCase("exprJs", mediumInJs, next)] : []),
  ];
  const t = await measureCases(cases, { rounds: 3, cpuTimeNs: 200e6 });
  add.dispose();
  (expr as { dispose?: () => void } | undefined)?.dispose?.();

  const floor = { name: "libc abs via bun:ffi", value: t.get("abs")?.p50, kind: "floor" as const };
  const rows: Row[] = [
    { section: "1 call", name: "floor: bun:ffi call to libc abs(x)", value: t.get("abs")?.p50, unit: "ns", detail: describeTiming(t.get("abs"), fmt) },
    { section: "1 call", name: "JitFunction call: compileAdder(5)(x), guards included", value: t.get("jit")?.p50, unit: "ns", detail: describeTiming(t.get("jit"), fmt), ref: floor, budget: 1.15 },
    { section: "1 call", name: "plain JS function (x + 5) | 0", value: t.get("js")?.p50, unit: "ns", detail: describeTiming(t.get("js"), fmt), ref: floor },
    {
      section: "3 expr",
      name: "call of compiled medium expression",
      value: t.get("expr")?.p50,
      unit: "ns",
      detail: describeTiming(t.get("expr"), fmt),
      ref: { name: "same as JS closure", value: t.get("exprJs")?.p50, kind: "floor" },
      ...(exprNote ? { note: exprNote } : {}),
    },
  ];
  return rows;
}
