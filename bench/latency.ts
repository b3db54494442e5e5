/**
 * Sections 2 and 3: how long it takes to get a callable function, and to give it back.
 * Floor: the bare system calls one install needs (map a page RW, protect it RX, unmap it) through bun:ffi.
 */
import { compileAdder, hostMemory, type JitFunction } from "../src/index.ts";
import { bindPageOps } from "./floors.ts";
import { type CompileExpression, LARGE, MEDIUM, SMALL, nodesIn } from "./expr.ts";
import { type Case, describeTiming, do_not_optimize, measureCases, pairedRatio } from "./measure.ts";
import { type Row, formatValue } from "./report.ts";

const fmt = (ns: number) => formatValue(ns, "ns");
const KEPT_ALIVE_BATCH = 1000;

export async function latencySection(compileExpression: CompileExpression | string): Promise<Row[]> {
  const memory = hostMemory();
  const pages = bindPageOps(memory.os.pageSize);
  compileAdder(1).dispose(); // the call trampolines are made once per process; keep that out of the timings

  let term = 0;
  const cases: Case[] = [
    { name: "floor", bench: () => do_not_optimize(pages.cycle()) },
    { name: "touched", bench: () => do_not_optimize(pages.cycleTouched()) },
    {
      name: "adder",
      bench: () => {
        const f = compileAdder(term++ & 0xffff);
        f.dispose();
      },
    },
    {
      name: "adderAlive",
      // mitata "manual" mode: the sample is what the function returns, the time of the compiles alone;
      // the functions are disposed afterwards, outside that time.
      bench: function* () {
        const kept: JitFunction[] = new Array(KEPT_ALIVE_BATCH);
        yield {
          manual() {
            const t0 = Bun.nanoseconds();
            for (let i = 0; i < KEPT_ALIVE_BATCH; i++) kept[i] = compileAdder(i);
            const t1 = Bun.nanoseconds();
            for (const f of kept) f.dispose();
            return (t1 - t0) / KEPT_ALIVE_BATCH;
          },
        };
      },
    },
  ];

  const sources = { small: SMALL, medium: MEDIUM, large: LARGE } as const;
  const exprProblem: Partial<Record<keyof typeof sources, string>> = {};
  if (typeof compileExpression !== "string") {
    for (const [size, source] of Object.entries(sources) as [keyof typeof sources, string][]) {
      try {
        const f = compileExpression(source, { params: ["x"] });
        do_not_optimize(f(3));
        f.dispose();
      } catch (error) {
        exprProblem[size] = `compileExpression failed: ${error instanceof Error ? error.message : String(error)}`;
        continue;
      }
      cases.push({
        name: size,
        bench: () => {
          const f = compileExpression(source, { params: ["x"] });
          f.dispose();
        },
      });
    }
  }

  // Microsecond-scale work: 64 calls per sample, so that mitata's 12-sample minimum stays short.
  const t = await measureCases(cases, { rounds: 9, cpuTimeNs: 60e6, batchSamples: 64 });
  const left = (memory.mappings() as readonly { functions?: number }[]).reduce((n, m) => n + (m.functions ?? 0), 0);
  if (left !== 0) throw new Error(`bench: ${left} functions left installed after the latency section`);

  const floor = { name: "mmap+mprotect+munmap", value: t.get("floor")?.p50, kind: "floor" as const };
  const adder = { name: "compileAdder+dispose", value: t.get("adder")?.p50, kind: "floor" as const };
  const rows: Row[] = [
    { section: "2 jit", name: "floor: bare mmap RW + mprotect RX + munmap (bun:ffi)", value: floor.value, unit: "ns", detail: describeTiming(t.get("floor"), fmt) },
    {
      section: "2 jit",
      name: "same, writing 1 byte before mprotect (page fault)",
      value: t.get("touched")?.p50,
      unit: "ns",
      detail: `${describeTiming(t.get("touched"), fmt)}; diagnostic, not the budget floor`,
      ref: floor,
      ratio: pairedRatio(t.get("touched"), t.get("floor")),
    },
    {
      section: "2 jit",
      name: "compileAdder(n) + dispose()",
      value: adder.value,
      unit: "ns",
      detail: describeTiming(t.get("adder"), fmt),
      ref: floor,
      ratio: pairedRatio(t.get("adder"), t.get("floor")),
      budget: 1,
    },
    {
      section: "2 jit",
      name: `compileAdder(n) alone, ${KEPT_ALIVE_BATCH} kept alive`,
      value: t.get("adderAlive")?.p50,
      unit: "ns",
      detail: `${describeTiming(t.get("adderAlive"), fmt)}; disposed outside the timing`,
      ref: floor,
      ratio: pairedRatio(t.get("adderAlive"), t.get("floor")),
    },
  ];
  for (const size of Object.keys(sources) as (keyof typeof sources)[]) {
    const problem = typeof compileExpression === "string" ? compileExpression : exprProblem[size];
    rows.push({
      section: "3 expr",
      name: `compileExpression ${size} (${nodesIn(sources[size])} nodes) + dispose()`,
      value: t.get(size)?.p50,
      unit: "ns",
      detail: describeTiming(t.get(size), fmt),
      ref: adder,
      ratio: pairedRatio(t.get(size), t.get("adder")),
      ...(size === "medium" ? { budget: 3 } : {}),
      ...(problem ? { note: problem } : {}),
    });
  }
  return rows;
}
