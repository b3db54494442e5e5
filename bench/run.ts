/**
 * `bun run bench`: every figure next to its floor measured in the same run, a table on stdout, and
 * bench/RESULTS.md. Exits 0 even when a budget fails: this is a report, not a gate.
 *
 *   BENCH_SCALE=0.3 bun run bench      # a quicker, noisier run
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { callSection } from "./calls.ts";
import { loadCompileExpression } from "./expr.ts";
import { latencySection } from "./latency.ts";
import { describeMachine } from "./machine.ts";
import { codeMemorySection } from "./memory.ts";
import { type Row, markdownTable, textTable, verdictLines, verdictOf } from "./report.ts";
import { startupSection } from "./startup.ts";

const started = performance.now();
const machine = describeMachine();
const log = (text: string) => process.stderr.write(`${text}\n`);
const elapsed = () => `${((performance.now() - started) / 1000).toFixed(1)} s`;

const compileExpression = await loadCompileExpression();
if (typeof compileExpression === "string") log(`bench: ${compileExpression} (expression rows will be n/a)`);

log("bench: 1/4 call cost ...");
const calls = await callSection(compileExpression);
log(`bench: 2/4 compile latency ... (${elapsed()})`);
const latency = await latencySection(compileExpression);
log(`bench: 3/4 code memory ... (${elapsed()})`);
const code = codeMemorySection();
log(`bench: 4/4 start-up and peak RSS (builds two executables) ... (${elapsed()})`);
const startup = await startupSection();

const bySection = (rows: Row[]) => rows.sort((a, b) => a.section.localeCompare(b.section, "en", { numeric: true }));
const rows = bySection([
  ...calls.filter((r) => r.section.startsWith("1")),
  ...latency,
  ...calls.filter((r) => !r.section.startsWith("1")),
  ...startup.filter((r) => r.section.startsWith("4")),
  ...startup.filter((r) => !r.section.startsWith("4")),
  ...code,
]);
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
Times are medians (mitata's p50, median over 3 interleaved rounds; start-up: median of spawned runs).

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
