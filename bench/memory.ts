/** Section 5: the code memory 10,000 live adders take (CodeMemory.mappings(), trampolines apart). */
import { compileAdder, hostMemory, type JitFunction } from "../src/index.ts";
import { type Row, formatValue } from "./report.ts";

const COUNT = 10_000;
const MiB = 1024 * 1024;

export function codeMemorySection(): Row[] {
  const memory = hostMemory();
  const page = memory.os.pageSize;
  const sum = () => memory.mappings().reduce((total, m) => total + m.size, 0);
  const before = sum();
  const t0 = Bun.nanoseconds();
  const fns: JitFunction[] = [];
  for (let i = 0; i < COUNT; i++) fns.push(compileAdder(i));
  const elapsed = Bun.nanoseconds() - t0;
  const used = sum() - before;
  const regions = memory.mappings().length;
  for (let i = 0; i < COUNT; i += 997) if (fns[i]?.(1) !== i + 1) throw new Error(`bench: adder ${i} gives a wrong sum`);
  const codeBytes = fns.reduce((total, f) => total + f.bytes.length, 0);
  for (const f of fns) f.dispose();
  const trampolines = memory.trampolinePage()?.size ?? 0;
  return [
    {
      section: "5 memory",
      name: `code memory of ${COUNT.toLocaleString("en-US")} live adders`,
      value: used,
      unit: "bytes",
      detail: `${used / page} pages of ${page} B in ${regions} mappings; ${codeBytes} B of code (${(codeBytes / used * 100).toFixed(0)}% used); +${formatValue(trampolines, "bytes")} trampoline page; compiled in ${formatValue(elapsed, "ns")}`,
      ref: { name: "limit", value: MiB, kind: "limit" },
      budget: 1,
    },
    { section: "5 memory", name: `pages for ${COUNT.toLocaleString("en-US")} live adders`, value: used / page, unit: "count", detail: `${(COUNT / (used / page)).toFixed(0)} functions per page` },
  ];
}
