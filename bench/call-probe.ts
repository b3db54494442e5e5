/**
 * One call-cost case, measured with mitata in a process of its own, printed as JSON on stdout:
 *
 *   bun bench/call-probe.ts <one|several> <abs|jit|js|expr|exprJs>
 *
 * "one": the adder is the only JitFunction in the process; "several": another adder and the medium
 * expression exist too (what a program with more than one function sees). bench/calls.ts runs every
 * case this way, interleaved, because cases that share mitata's measuring loop in one process also share
 * its JIT state, and that state, not the call, decided the ratio (about 1.1× in some states, 1.5× in
 * others).
 */
import { measure } from "mitata";
import { compileAdder, compileExpression } from "../src/index.ts";
import { MEDIUM, mediumInJs } from "./expr.ts";
import { bindAbs } from "./floors.ts";
import { callCase, do_not_optimize, inputStream } from "./measure.ts";

const [phase, name] = process.argv.slice(2);
const abs = bindAbs();
const add = compileAdder(5);
const jsAdd = (x: number): number => (x + 5) | 0;
// Inputs vary per call and stay well inside int32, so abs and x + 5 never overflow.
const next = inputStream(4096, -1_000_000, 1_000_000);
for (let i = 0; i < 1000; i++) {
  const x = next();
  if (add(x) !== x + 5 || abs(x) !== Math.abs(x)) throw new Error(`call-probe: wrong result for ${x}`);
}
const alive = phase === "several" ? [compileAdder(7), compileExpression(MEDIUM, { params: ["x"] })] : [];
const expr = alive[1];
if (expr !== undefined) {
  const wide = inputStream(4096, -(2 ** 31), 2 ** 31 - 1);
  for (let i = 0; i < 4096; i++) {
    const x = wide();
    if (expr(x) !== mediumInJs(x)) throw new Error(`call-probe: compiled ${MEDIUM} gives ${expr(x)} for x = ${x}, JavaScript ${mediumInJs(x)}`);
  }
}

// Each case its own function literal: one shared wrapper would make its call site polymorphic.
const cases = {
  abs: () => callCase("abs", (x) => do_not_optimize(abs(x)), next),
  jit: () => callCase("jit", (x) => do_not_optimize(add(x)), next),
  js: () => callCase("js", (x) => do_not_optimize(jsAdd(x)), next),
  expr: () => callCase("expr", (x) => do_not_optimize(expr?.(x)), next),
  exprJs: () => callCase("exprJs", (x) => do_not_optimize(mediumInJs(x)), next),
} as const;
const make = cases[name as keyof typeof cases];
if ((phase !== "one" && phase !== "several") || make === undefined || (name?.startsWith("expr") && expr === undefined)) {
  console.error(`usage: bun bench/call-probe.ts <one|several> <${Object.keys(cases).join("|")}> (expr cases need "several")`);
  process.exit(64);
}
const stats = await measure(make().bench as never, { min_cpu_time: 30e6 } as never);
console.log(JSON.stringify({ p50: stats.p50, avg: stats.avg, p99: stats.p99, ticks: stats.ticks }));
for (const f of [add, ...alive]) f.dispose();
