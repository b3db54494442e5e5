/**
 * Section 7: what naming code for profilers costs (perf.ts). Each compile is measured with profiling
 * off (the floor: the same compile as sections 2 and 6, so "free when off" reads as the off row
 * matching those) and with each mode on, in the same run. The files go to a temporary directory (the
 * map to /tmp/perf-PID.map, as perf requires) and are removed afterwards.
 *
 *   bun bench/perf.ts      # this section alone
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compileAdder, compileBrainfuck, compileExpression } from "../src/index.ts";
import { startPerf } from "../src/perf.ts";
import { MEDIUM, nodesIn } from "./expr.ts";
import { type Case, describeTiming, measureCases, pairedRatio } from "./measure.ts";
import { type Row, formatValue } from "./report.ts";

const fmt = (ns: number) => formatValue(ns, "ns");
const MODES = [undefined, "map", "jitdump"] as const;
const HOT = readFileSync(join(import.meta.dir, "..", "test", "fixtures", "perf-hot.b"), "utf8");

export async function perfSection(): Promise<Row[]> {
  if (process.platform !== "linux") return [{ section: "7 perf", name: "profiling: Linux-only", value: undefined, unit: "ns", note: `not measured on ${process.platform}` }];
  const dir = mkdtempSync(join(tmpdir(), "babyjit-bench-perf-"));
  try {
    let term = 0;
    const cases: Case[] = [];
    const compiles = {
      adder: () => compileAdder(term++ & 0xffff).dispose(),
      expr: () => compileExpression(MEDIUM).dispose(),
      bf: () => compileBrainfuck(HOT, { file: "perf-hot.b" }).dispose(),
    } as const;
    for (const [what, compile] of Object.entries(compiles)) {
      for (const mode of MODES) {
        cases.push({
          name: `${what}:${mode ?? "off"}`,
          bench: () => {
            startPerf(mode, dir); // one writer per mode for the process: switching costs a lookup
            compile();
          },
        });
      }
    }
    const t = await measureCases(cases, { rounds: 7, cpuTimeNs: 40e6, batchSamples: 16 });
    startPerf(undefined);
    const titles = { adder: "compileAdder(n) + dispose()", expr: `compileExpression medium (${nodesIn(MEDIUM)} nodes) + dispose()`, bf: "compileBrainfuck(perf-hot.b) + dispose()" };
    const rows: Row[] = [];
    for (const what of Object.keys(compiles) as (keyof typeof compiles)[]) {
      const off = t.get(`${what}:off`);
      const floor = { name: `${what}, profiling off`, value: off?.p50, kind: "floor" as const };
      rows.push({ section: "7 perf", name: `${titles[what]}, profiling off`, value: off?.p50, unit: "ns", detail: describeTiming(off, fmt) });
      for (const mode of ["map", "jitdump"] as const) {
        const on = t.get(`${what}:${mode}`);
        rows.push({
          section: "7 perf",
          name: `same, --perf=${mode}`,
          value: on?.p50,
          unit: "ns",
          detail: `${describeTiming(on, fmt)}; ${mode === "map" ? "a line per piece" : "records with the bytes and line tables"}, one write per install`,
          ref: floor,
          ratio: pairedRatio(on, off),
        });
      }
    }
    return rows;
  } finally {
    startPerf(undefined);
    rmSync(dir, { recursive: true, force: true });
    rmSync(`/tmp/perf-${process.pid}.map`, { force: true });
  }
}

if (import.meta.main) {
  const { textTable } = await import("./report.ts");
  console.log(textTable(await perfSection()));
}
