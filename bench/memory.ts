/**
 * Section 5: the code memory 10,000 live adders take (the sum of CodeMemory.mappings() sizes), and
 * what a million live adders cost: resident memory per function and the compile cost once they are all
 * alive (bench/live-probe.ts, in processes of their own).
 */
import { join } from "node:path";
import { compileAdder, hostMemory, type JitFunction } from "../src/index.ts";
import { SCALE } from "./measure.ts";
import { type Row, formatValue, median } from "./report.ts";

const COUNT = 10_000;
const MiB = 1024 * 1024;

export function codeMemorySection(): Row[] {
  const memory = hostMemory();
  const page = memory.os.pageSize;
  const t0 = Bun.nanoseconds();
  const fns: JitFunction[] = [];
  for (let i = 0; i < COUNT; i++) fns.push(compileAdder(i));
  const elapsed = Bun.nanoseconds() - t0;
  // Every mapping of the host memory while the adders live (the page holding the call trampolines too).
  const mappings = memory.mappings() as readonly { size: number; trampolines?: number }[];
  const used = mappings.reduce((total, m) => total + m.size, 0);
  const trampolines = mappings.reduce((total, m) => total + (m.trampolines ?? 0), 0);
  for (let i = 0; i < COUNT; i += 997) if (fns[i]?.(1) !== i + 1) throw new Error(`bench: adder ${i} gives a wrong sum`);
  const codeBytes = fns.reduce((total, f) => total + f.bytes.length, 0);
  for (const f of fns) f.dispose();
  const pages = used / page;
  return [
    {
      section: "5 memory",
      name: `code memory of ${COUNT.toLocaleString("en-US")} live adders`,
      value: used,
      unit: "bytes",
      detail: `sum of mappings(): ${mappings.length} mappings, ${trampolines} trampolines included; ${codeBytes} B of code (${((codeBytes / used) * 100).toFixed(0)}% of it); compiled in ${formatValue(elapsed, "ns")}`,
      ref: { name: "limit", value: MiB, kind: "limit" },
      budget: 1,
    },
    { section: "5 memory", name: `pages for ${COUNT.toLocaleString("en-US")} live adders`, value: pages, unit: "count", detail: `${page}-byte pages; ${(COUNT / pages).toFixed(0)} functions per page on average` },
  ];
}

interface LiveProbe {
  readonly count: number;
  readonly bytesPerFunction: number;
  readonly heapBytesPerFunction: number;
  readonly objectsPerFunction: number;
  readonly first: number;
  readonly last: number;
  readonly firstTenth: number;
  readonly lastTenth: number;
  readonly seconds: number;
}

const LIVE_LIMIT = 600; // bytes of resident memory per live adder (issue 12)

/**
 * A million live adders, each probe a process of its own; the medians over the processes. The compile
 * cost "at a million" is the mean over the last 100,000 (900,000 to 1,000,000 alive): collections of a
 * heap that size come in bursts, and a 10,000-function batch either holds one or not. The last batch
 * alone is in the detail.
 */
export function liveFunctionsSection(): Row[] {
  const probes: LiveProbe[] = [];
  const processes = Math.max(1, Math.round(3 * SCALE));
  for (let i = 0; i < processes; i++) {
    const r = Bun.spawnSync([process.execPath, join(import.meta.dir, "live-probe.ts")], { stdout: "pipe", stderr: "pipe" });
    if (r.exitCode !== 0) throw new Error(`live-probe failed (${r.exitCode}): ${r.stderr.toString().trim().split("\n").slice(-3).join(" ")}`);
    probes.push(JSON.parse(r.stdout.toString()) as LiveProbe);
  }
  const m = (pick: (p: LiveProbe) => number) => median(probes.map(pick));
  const count = probes[0]?.count ?? 0;
  const label = count.toLocaleString("en-US");
  const first = m((p) => p.first);
  return [
    {
      section: "5 memory",
      name: `${label} live functions (compileAdder): resident memory per function`,
      value: Math.round(m((p) => p.bytesPerFunction)),
      unit: "bytes",
      detail: `RSS after / before, full GC and 1 s to settle each time; ${m((p) => p.heapBytesPerFunction).toFixed(0)} B of JS heap and ${m((p) => p.objectsPerFunction).toFixed(1)} heap objects a function, 16 B of code; median of ${processes} processes`,
      ref: { name: "limit", value: LIVE_LIMIT, kind: "limit" },
      budget: 1,
    },
    {
      section: "5 memory",
      name: `${label} live functions: compile cost with ${Math.round((count * 0.9) / 1000)}k–${Math.round(count / 1000)}k alive`,
      value: m((p) => p.lastTenth),
      unit: "ns",
      detail: `mean per compileAdder over the last tenth; the last 10,000 alone ${formatValue(m((p) => p.last), "ns")}, the first tenth ${formatValue(m((p) => p.firstTenth), "ns")}; all ${label} in ${m((p) => p.seconds).toFixed(1)} s; median of ${processes} processes`,
      ref: { name: "the first 10,000", value: first, kind: "floor" },
      ratio: m((p) => p.lastTenth / p.first),
      budget: 1.5,
    },
  ];
}
