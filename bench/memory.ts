/** Section 5: the code memory 10,000 live adders take: the sum of CodeMemory.mappings() sizes. */
import { compileAdder, hostMemory, type JitFunction } from "../src/index.ts";
import { type Row, formatValue } from "./report.ts";

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
