/**
 * Print the IR babyjit makes of a Brainfuck program, one op a line, with only the passes you name.
 * Chapter 3 shows its output before and after each pass.
 *
 *   bun docs/examples/ir.ts '[->+<]'                  all passes (what babyjit compiles)
 *   bun docs/examples/ir.ts '[->+<]' none             no optional pass: the parser's IR, bounds checks placed
 *   bun docs/examples/ir.ts '[->+<]' mulLoops         only the passes named (comma-separated)
 *   bun docs/examples/ir.ts docs/examples/hello.b     a file instead of text
 */
import { existsSync, readFileSync } from "node:fs";
import { PASSES, type PassName, brainfuckIr } from "../../src/bf/compile.ts";
import type { Op, Range } from "../../src/bf/ir.ts";

const [program = "", which] = process.argv.slice(2);
const source = existsSync(program) ? readFileSync(program, "utf8") : program;
const passes: readonly PassName[] =
  which === undefined ? PASSES : which === "none" ? [] : (which.split(",") as PassName[]);

const cell = (at: number) => `[${at}]`;
const cells = (at: number, r: Range) => `${at + r.lo}..${at + r.hi}`;

function show(op: Op): string {
  switch (op.kind) {
    case "add":
      return `add  ${cell(op.at)} ${op.delta}`;
    case "set":
      return `set  ${cell(op.at)} = ${op.value}`;
    case "move":
      return `move ${op.delta}`;
    case "out":
      return op.value === undefined ? `out  ${cell(op.at)}` : `out  ${op.value}  (known: ${cell(op.at)} is not read)`;
    case "in":
      return `in   ${cell(op.at)}`;
    case "open":
      return `open ${cell(op.at)}${op.entryCheck === undefined ? "" : `  (on entry: check ${cells(op.at, op.entryCheck.range)})`}`;
    case "close":
      return `close ${cell(op.at)}${op.once === true ? "  (once: no test)" : ""}`;
    case "scan":
      return `scan ${cell(op.at)} by ${op.step}`;
    case "mul": {
      const terms = op.terms.map((t) => `${cell(op.at + t.at)} += ${cell(op.at)}*${t.factor}`).join(", ");
      return `mul  ${terms}; ${op.keep === true ? `${cell(op.at)} kept` : `${cell(op.at)} = 0`}${op.check === undefined ? "" : `  (if it runs: check ${cells(op.at, op.check.range)})`}`;
    }
    case "check":
      return `check ${cells(op.at, op.range)}`;
  }
}

let depth = 0;
for (const op of brainfuckIr(source, passes)) {
  if (op.kind === "close") depth--;
  console.log(`${"  ".repeat(depth)}${show(op)}`);
  if (op.kind === "open") depth++;
}
