/**
 * Section 1 (and the call half of section 3): what one call costs from JavaScript.
 * Floor: a bun:ffi call into libc `abs`, the cheapest native call Bun makes.
 */
import { type JitFunction, compileAdder } from "../src/index.ts";
import { bindAbs } from "./floors.ts";
import { type CompileExpression, MEDIUM, mediumInJs } from "./expr.ts";
import { callCase, describeTiming, do_not_optimize, inputStream, measureCases, pairedRatio } from "./measure.ts";
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

  // Phase 1: this is the process's only JitFunction. JavaScriptCore then treats the variables captured by
  // the call wrapper (the CFunction, the address) as constants; a second JitFunction, made by the same
  // code in jit.ts, ends that for good, and every call gets slower (see RESULTS.md). Both states are shown;
  // the budget applies to the second, which is what a program with more than one function sees.
  const single = await measureCases(
    [
      callCase("abs", (x) => do_not_optimize(abs(x)), next),
      callCase("jit", (x) => do_not_optimize(add(x)), next),
      callCase("js", (x) => do_not_optimize(jsAdd(x)), next),
    ],
    { rounds: 15, cpuTimeNs: 20e6 },
  );

  // Phase 2: more JitFunctions exist (another adder, and the medium expression).
  const other = compileAdder(7);
  if (other(1) !== 8) throw new Error("bench: compileAdder(7)(1) !== 8");
  let expr: JitFunction | undefined;
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
  const exprFn = expr;
  const t = await measureCases(
    [
      callCase("abs", (x) => do_not_optimize(abs(x)), next),
      callCase("jit", (x) => do_not_optimize(add(x)), next),
      ...(exprFn === undefined
        ? []
        : [callCase("expr", (x) => do_not_optimize(exprFn(x)), next), callCase("exprJs", (x) => do_not_optimize(mediumInJs(x)), next)]),
    ],
    { rounds: 15, cpuTimeNs: 20e6 },
  );
  add.dispose();
  other.dispose();
  expr?.dispose();

  const floor1 = { name: "libc abs via bun:ffi", value: single.get("abs")?.p50, kind: "floor" as const };
  const floor = { name: "libc abs, same phase", value: t.get("abs")?.p50, kind: "floor" as const };
  const rows: Row[] = [
    { section: "1 call", name: "floor: bun:ffi call to libc abs(x)", value: floor1.value, unit: "ns", detail: describeTiming(single.get("abs"), fmt) },
    {
      section: "1 call",
      name: "JitFunction call, the only JitFunction in the process",
      value: single.get("jit")?.p50,
      unit: "ns",
      detail: describeTiming(single.get("jit"), fmt),
      ref: floor1,
      ratio: pairedRatio(single.get("jit"), single.get("abs")),
    },
    {
      section: "1 call",
      name: "plain JS function (x + 5) | 0",
      value: single.get("js")?.p50,
      unit: "ns",
      detail: describeTiming(single.get("js"), fmt),
      ref: floor1,
      ratio: pairedRatio(single.get("js"), single.get("abs")),
    },
    {
      section: "1 call",
      name: "JitFunction call, guards included, 3 JitFunctions alive",
      value: t.get("jit")?.p50,
      unit: "ns",
      detail: `${describeTiming(t.get("jit"), fmt)}; abs measured again alongside`,
      ref: floor,
      ratio: pairedRatio(t.get("jit"), t.get("abs")),
      budget: 1.15,
    },
    {
      section: "3 expr",
      name: "call of compiled medium expression",
      value: t.get("expr")?.p50,
      unit: "ns",
      detail: describeTiming(t.get("expr"), fmt),
      ref: { name: "same as JS closure", value: t.get("exprJs")?.p50, kind: "floor" },
      ratio: pairedRatio(t.get("expr"), t.get("exprJs")),
      ...(exprNote ? { note: exprNote } : {}),
    },
  ];
  return rows;
}
