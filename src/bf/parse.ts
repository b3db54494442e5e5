/**
 * Brainfuck source to IR. One loop over the characters with an explicit stack of open brackets, so any
 * nesting depth parses without recursion. Runs are folded as they are read (the first optimization,
 * done here so that a megabyte of `+` is one op, not a million): `+++--` is add 1, `>><` is move 1.
 * Lines and columns are not counted here: a span works them out from its offset when asked (ir.ts).
 * The ops go into a table (table.ts), a row each, not an object each.
 */
import { JitError } from "../errors.ts";
import { Span } from "./ir.ts";
import { Lines } from "./replay.ts";
import { ADD, CLOSE, IN, MOVE, OPEN, OUT, OpTable } from "./table.ts";

const PLUS = 43, MINUS = 45, LT = 60, GT = 62, DOT = 46, COMMA = 44, OPEN_BRACKET = 91, CLOSE_BRACKET = 93, NEWLINE = 10;

/** What a character is to Brainfuck; everything else is a comment. */
function isCommand(c: number): boolean {
  return c === PLUS || c === MINUS || c === LT || c === GT || c === DOT || c === COMMA || c === OPEN_BRACKET || c === CLOSE_BRACKET;
}

/**
 * For a caller that rewrites while the program is read (optimize.ts runs its first walk this way):
 * the parser appends each row to `table` and calls `appended` with it, which may drop it or change
 * the rows before it.
 */
export interface RowSink {
  readonly table: OpTable;
  appended(row: number): void;
}

/**
 * The table a program's rows go into: room for a small program's rows, growing (by doubling) with
 * what is read, so that a file of comments costs no table and the limit a big program meets is
 * OpTable's documented one (MAX_ROWS), not the memory a table sized from the source length would ask.
 */
export const tableFor = (source: string): OpTable => OpTable.fresh(Math.min(source.length >> 1, 1 << 16), new Lines(source));

/** Parse a program. Throws JitError E_SYNTAX (with line and column) on an unmatched bracket. */
export function parse(source: string, sink?: RowSink): OpTable {
  const ops = sink?.table ?? tableFor(source);
  const lines = ops.lines;
  const open: number[] = []; // the offsets of the brackets not closed yet
  const n = source.length;
  let i = 0;
  while (i < n) {
    const c = source.charCodeAt(i);
    if (!isCommand(c)) {
      i++;
      continue;
    }
    const start = i;
    if (c === PLUS || c === MINUS) {
      // A run of + and -, comments in between included.
      let delta = 0;
      let end = i;
      for (; i < n; i++) {
        const d = source.charCodeAt(i);
        if (d === PLUS) delta++;
        else if (d === MINUS) delta--;
        else if (isCommand(d)) break;
        else if (d === NEWLINE) break; // a run never spans lines (so a line's notes show its own code)
        else continue;
        end = i + 1;
      }
      delta &= 0xff;
      if (delta !== 0) {
        ops.push(ADD, 0, delta, start, end);
        if (sink !== undefined) sink.appended(ops.length - 1);
      }
      continue;
    }
    if (c === LT || c === GT) {
      // A run of < and >: its net move, and the furthest it went either way (`><` at the last cell
      // leaves the tape even though it comes back).
      let delta = 0, lo = 0, hi = 0;
      let end = i;
      for (; i < n; i++) {
        const d = source.charCodeAt(i);
        if (d === GT) delta++;
        else if (d === LT) delta--;
        else if (isCommand(d)) break;
        else if (d === NEWLINE) break;
        else continue;
        if (delta < lo) lo = delta;
        if (delta > hi) hi = delta;
        end = i + 1;
      }
      const row = ops.push(MOVE, 0, delta, start, end);
      ops.setRange(row, lo, hi);
      if (sink !== undefined) sink.appended(ops.length - 1);
      continue;
    }
    i++;
    if (c === DOT) ops.push(OUT, 0, 0, start, i);
    else if (c === COMMA) ops.push(IN, 0, 0, start, i);
    else if (c === OPEN_BRACKET) {
      open.push(start);
      ops.push(OPEN, 0, 0, start, i);
    } else {
      if (open.pop() === undefined) throw unmatched("]", new Span(lines, start, i));
      ops.push(CLOSE, 0, 0, start, i);
    }
    if (sink !== undefined) sink.appended(ops.length - 1);
  }
  const unclosed = open.pop(); // the innermost: the loop that cannot be closed
  if (unclosed !== undefined) throw unmatched("[", new Span(lines, unclosed, unclosed + 1));
  return ops;
}

function unmatched(bracket: "[" | "]", span: Span): JitError {
  return new JitError("E_SYNTAX", `${span.line}:${span.column}: unmatched '${bracket}'`, { line: span.line, column: span.column });
}
