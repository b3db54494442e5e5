/**
 * What a profiler calls a Brainfuck program's code (see perf.ts): not one symbol for the whole program,
 * but one piece per loop and per straight stretch, so that samples land on the loop that spent them.
 *
 * The code is cut at every `[` and after every `]`. A piece that starts at a `[` is that loop's
 * (`bf:FILE:LINE:COL loop`, the position of the `[`); a piece that starts after a `]` belongs to the
 * loop around it, under the same name, or, outside every loop, is a straight stretch named by its
 * first command (`bf:FILE:LINE:COL`). So a loop's own instructions all carry its name, and an inner
 * loop's carry the inner loop's. The entry (`bf:FILE entry`) and the cold exits to JavaScript
 * (`bf:FILE exits`) are pieces of their own. Each piece carries the line and column of each op's code,
 * for jitdump's line tables.
 *
 * Loaded only when profiling is on.
 */
import type { PerfEntry, PerfLine } from "../perf.ts";
import type { BfCode } from "./codegen.ts";
import { CLOSE, OPEN, type OpTable } from "./table.ts";

/**
 * The named pieces of a program installed at `address`. `file` names it (as given: the names show
 * it); `sourcePath` is the file for the line tables (absolute, so that perf annotate can open it).
 */
export function brainfuckPieces(ops: OpTable, bf: BfCode, address: number, file: string, sourcePath: string): PerfEntry[] {
  const marks = bf.marks;
  const bytes = bf.code.bytes;
  if (marks === undefined) return [{ address, bytes, name: `bf:${file}` }];
  const pieces: PerfEntry[] = [];
  const where = (i: number) => ops.lines.lineColumn(ops.start(i));
  let from = 0;
  let name = `bf:${file} entry`;
  let lines: PerfLine[] = [];
  const cut = (to: number, next: string) => {
    if (to > from) {
      pieces.push({ address: address + from, bytes: bytes.subarray(from, to), name, source: { file: sourcePath, lines } });
    }
    from = to;
    name = next;
    lines = [];
  };
  cut(bf.start, "");
  const loops: string[] = []; // the names of the loops open here, innermost last
  let afterClose = true; // the next op starts a piece (the program's first op does too)
  for (let i = 0; i < ops.length; i++) {
    const offset = marks.ops[i] as number;
    const kind = ops.kind(i);
    if (kind === OPEN) {
      const { line, column } = where(i);
      const loop = `bf:${file}:${line}:${column} loop`;
      cut(offset, loop);
      loops.push(loop);
      afterClose = false;
    } else if (afterClose) {
      const enclosing = loops[loops.length - 1];
      const { line, column } = where(i);
      cut(offset, enclosing ?? `bf:${file}:${line}:${column}`);
      afterClose = false;
    }
    const { line, column } = where(i);
    lines.push({ offset: offset - from, line, column });
    if (kind === CLOSE) {
      loops.pop();
      afterClose = true;
    }
  }
  cut(marks.end, `bf:${file} exits`);
  cut(bytes.length, "");
  return pieces;
}
