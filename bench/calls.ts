/**
 * Section 1 (and the call half of section 3): what one call costs from JavaScript.
 * Floor: a bun:ffi call into libc `abs`, the cheapest native call Bun makes.
 *
 * Every case is measured by bench/call-probe.ts in a process of its own, round after round, the cases
 * interleaved. Within one process, mitata's measuring loop settles into one of a few JIT states (libc
 * `abs` measures 1.9 ns in one, 3.1–3.5 ns in another), and when the cases shared a process their ratio
 * followed those states (1.1× or 1.5×, run to run). So each side is taken at its best process (the
 * lowest per-process median, as for every Value), and the ratio is best against best: pairing rounds,
 * as the other sections do, would compare JIT states rather than calls.
 */
import { join } from "node:path";
import type { CompileExpression } from "./expr.ts";
import { type RoundStats, SCALE, type Timing, describeTiming, timingOf } from "./measure.ts";
import { type Row, formatValue } from "./report.ts";

const fmt = (ns: number) => formatValue(ns, "ns");
const PROBE = join(import.meta.dir, "call-probe.ts");

type Phase = "one" | "several";
const CASES: readonly (readonly [Phase, string])[] = [
  ["one", "abs"],
  ["one", "jit"],
  ["one", "js"],
  ["several", "abs"],
  ["several", "jit"],
  ["several", "expr"],
  ["several", "exprJs"],
];

function probe(phase: Phase, name: string): RoundStats {
  const r = Bun.spawnSync([process.execPath, PROBE, phase, name], { stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`call-probe ${phase} ${name} failed (${r.exitCode}): ${r.stderr.toString().trim().split("\n").slice(-3).join(" ")}`);
  return JSON.parse(r.stdout.toString()) as RoundStats;
}

export async function callSection(compileExpression: CompileExpression | string): Promise<Row[]> {
  const withExpr = typeof compileExpression !== "string";
  const cases = CASES.filter(([, name]) => withExpr || !name.startsWith("expr"));
  const results = new Map<string, RoundStats[]>(cases.map(([phase, name]) => [`${phase} ${name}`, []]));
  const rounds = Math.max(5, Math.round(9 * SCALE));
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < cases.length; i++) {
      const [phase, name] = cases[(i + round) % cases.length] as readonly [Phase, string];
      results.get(`${phase} ${name}`)?.push(probe(phase, name));
    }
  }
  const timing = (key: string): Timing | undefined => {
    const runs = results.get(key) ?? [];
    return runs.length === 0 ? undefined : timingOf(runs);
  };
  const detail = (key: string) => `${describeTiming(timing(key), fmt)}; best of ${rounds} processes`;
  const value = (key: string) => timing(key)?.p50;

  const floor1 = { name: "libc abs via bun:ffi", value: value("one abs"), kind: "floor" as const };
  const floor = { name: "libc abs, same phase", value: value("several abs"), kind: "floor" as const };
  const exprNote = typeof compileExpression === "string" ? compileExpression : undefined;
  return [
    { section: "1 call", name: "floor: bun:ffi call to libc abs(x)", value: floor1.value, unit: "ns", detail: detail("one abs") },
    { section: "1 call", name: "JitFunction call, the only JitFunction in the process", value: value("one jit"), unit: "ns", detail: detail("one jit"), ref: floor1 },
    { section: "1 call", name: "plain JS function (x + 5) | 0", value: value("one js"), unit: "ns", detail: detail("one js"), ref: floor1 },
    { section: "1 call", name: "floor: libc abs(x), another adder and an expression alive", value: floor.value, unit: "ns", detail: detail("several abs") },
    {
      section: "1 call",
      name: "JitFunction call, guards included, 3 JitFunctions alive",
      value: value("several jit"),
      unit: "ns",
      detail: detail("several jit"),
      ref: floor,
      budget: 1.5,
    },
    {
      section: "3 expr",
      name: "call of compiled medium expression",
      value: value("several expr"),
      unit: "ns",
      detail: withExpr ? detail("several expr") : "",
      ref: { name: "same as JS closure", value: value("several exprJs"), kind: "floor" },
      ...(exprNote ? { note: exprNote } : {}),
    },
  ];
}

// `bun bench/calls.ts`: this section alone (BENCH_SCALE=2 for more processes per case).
if (import.meta.main) {
  const { textTable, verdictLines } = await import("./report.ts");
  const { loadCompileExpression } = await import("./expr.ts");
  const rows = await callSection(await loadCompileExpression());
  console.log(`Bun ${Bun.version} (${Bun.revision}), ${new Date().toISOString()}\n\n${textTable(rows)}\n\n${verdictLines(rows).join("\n")}`);
}
