/**
 * `bun run bench`: every figure next to its floor measured in the same run, a table on stdout, and
 * bench/RESULTS.md. Exits 0 even when a budget fails: this is a report, not a gate.
 *
 *   BENCH_SCALE=0.3 bun run bench      # a quicker, noisier run
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { brainfuckSection } from "./bf.ts";
import { callSection } from "./calls.ts";
import { fnCompileSection, fnRunSection } from "./fn.ts";
import { kernelSection } from "./kernels.ts";
import { loadCompileExpression } from "./expr.ts";
import { latencySection } from "./latency.ts";
import { describeMachine } from "./machine.ts";
import { longExpressionRows } from "./long.ts";
import { codeMemorySection, liveFunctionsSection } from "./memory.ts";
import { perfSection } from "./perf.ts";
import { type Row, markdownTable, textTable, verdictLines, verdictOf } from "./report.ts";
import { startupSection } from "./startup.ts";

const started = performance.now();
const machine = describeMachine();
const log = (text: string) => process.stderr.write(`${text}\n`);
const elapsed = () => `${((performance.now() - started) / 1000).toFixed(1)} s`;

const compileExpression = await loadCompileExpression();
if (typeof compileExpression === "string") log(`bench: ${compileExpression} (expression rows will be n/a)`);

/** A section that throws (src/ is being edited, a build fails) becomes one n/a row; the rest still runs. */
async function section(title: string, label: string, run: () => Row[] | Promise<Row[]>): Promise<Row[]> {
  log(`bench: ${label} ... (${elapsed()})`);
  try {
    return await run();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    log(`bench: ${label} failed: ${message}`);
    return [{ section: title, name: `${label}: section failed`, value: undefined, unit: "ns", note: message.split("\n")[0] ?? "" }];
  }
}

/**
 * The sections, in the order they run: [section, label, run]. A chapter adds its rows by adding an
 * entry here (rows sort into the table by their section number, whatever the order they run in).
 */
const SECTIONS: readonly (readonly [string, string, () => Row[] | Promise<Row[]>])[] = [
  ["1 call", "call cost", () => callSection(compileExpression)],
  ["2 jit", "compile latency", () => latencySection(compileExpression)],
  ["3 expr", "long expressions", () => longExpressionRows(compileExpression)],
  ["5 memory", "code memory", () => codeMemorySection()],
  ["5 memory", "a million live functions", () => liveFunctionsSection()],
  ["4 start", "start-up and peak RSS (builds three executables, packs and installs the package)", () => startupSection()],
  ["6 bf compile", "Brainfuck: compile, run, whole processes next to C (builds an executable and C programs)", () => brainfuckSection()],
  ["9 fn run", "functions: fib(32), a gcd loop, a nested loop next to Bun and cc -O2", () => fnRunSection()],
  ["10 fn compile", "functions: compiling a 1,000-line module next to cc -O2", () => fnCompileSection()],
  ["11 kernels", "kernels over typed arrays and doubles next to Bun and cc -O2, and the crossover", () => kernelSection()],
  ["7 perf", "profiling: compiles with perf maps and jitdump off and on", () => perfSection()],
];

const measured: Row[][] = [];
for (const [i, [title, label, run]] of SECTIONS.entries()) {
  measured.push(await section(title, `${i + 1}/${SECTIONS.length} ${label}`, run));
}

// A stable sort: within a section, rows keep the order their sections ran in.
const rows = measured.flat().sort((a, b) => a.section.localeCompare(b.section, "en", { numeric: true }));
const verdicts = verdictLines(rows);
const failed = rows.filter((r) => verdictOf(r) === "FAIL").length;
const total = `${((performance.now() - started) / 1000).toFixed(1)} s`;

const header = [
  `CPU:    ${machine.cpu}`,
  `Cores:  ${machine.cores}`,
  `OS:     ${machine.os}`,
  `Memory: ${machine.memory}`,
  `Bun:    ${machine.bun}`,
  `Date:   ${machine.date}`,
];
console.log(`\n${header.join("\n")}\n\n${textTable(rows)}\n\nBudgets (${failed === 0 ? "all pass" : `${failed} FAIL`}):\n${verdicts.map((v) => `  ${v}`).join("\n")}\n\nTotal bench time ${total}; wrote bench/RESULTS.md`);

const markdown = `# babyjit benchmark results

Written by \`bun run bench\` (bench/run.ts). Every ratio compares two figures measured in the same run.
In-process times are mitata medians (p50): each case runs in 9–15 short rounds interleaved with the
others, and the table shows the best round's median (outside load only ever slows a round down); the
median over rounds is in the detail column. Start-up: median and p90 of interleaved spawned runs.
The Ratio column, where the floor was measured, is paired: the median over rounds of the case divided
by its floor measured in the same round, so a slow phase of the machine (or of the JIT) cancels out.
Value is the best round, so Ratio can differ from Value / floor value. Call costs (section 1 and the
expression call) are the exception: each case runs in processes of its own (bench/call-probe.ts), whose
measuring loop lands in one of a few JIT states, so both sides are taken at their best process.
Start-up of the installed package runs what \`bunx babyjit\` runs: the checkout packed with npm pack (whose
prepack makes the bytecode bundles) and installed with bun add into a fresh project. A million live
functions are measured in processes of their own (bench/live-probe.ts), the medians shown.

| Machine | |
|---|---|
| CPU | ${machine.cpu} |
| Cores | ${machine.cores} |
| OS / kernel | ${machine.os} |
| Memory | ${machine.memory} |
| Bun | ${machine.bun} |
| Date | ${machine.date} |

${markdownTable(rows)}

## Budgets: ${failed === 0 ? "all pass" : `${failed} FAIL`}

${verdicts.map((v) => `- ${v.replace(/^FAIL/, "**FAIL**")}`).join("\n")}

Total bench time: ${total}.
`;
writeFileSync(join(import.meta.dir, "RESULTS.md"), markdown);
process.exitCode = 0;
