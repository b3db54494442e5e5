/**
 * Brainfuck source to IR. One loop over the characters with an explicit stack of open brackets, so any
 * nesting depth parses without recursion. Runs are folded as they are read (the first optimization,
 * done here so that a megabyte of `+` is one op, not a million): `+++--` is add 1, `>><` is move 1.
 */
import { JitError } from "../errors.ts";
import type { Op, Span } from "./ir.ts";

const PLUS = 43, MINUS = 45, LT = 60, GT = 62, DOT = 46, COMMA = 44, OPEN = 91, CLOSE = 93, NEWLINE = 10;

/** What a character is to Brainfuck; everything else is a comment. */
function isCommand(c: number): boolean {
  return c === PLUS || c === MINUS || c === LT || c === GT || c === DOT || c === COMMA || c === OPEN || c === CLOSE;
}

/** Parse a program. Throws JitError E_SYNTAX (with line and column) on an unmatched bracket. */
export function parse(source: string): Op[] {
  const ops: Op[] = [];
  const open: Span[] = []; // the spans of the brackets not closed yet
  let line = 1;
  let lineStart = 0;
  const n = source.length;
  let i = 0;
  while (i < n) {
    const c = source.charCodeAt(i);
    if (c === NEWLINE) {
      line++;
      lineStart = i + 1;
      i++;
      continue;
    }
    if (!isCommand(c)) {
      i++;
      continue;
    }
    const start = i;
    const column = start - lineStart + 1;
    if (c === PLUS || c === MINUS) {
      // A run of + and -, comments in between included.
      let delta = 0;
      let end = i;
      for (; i < n; i++) {
        const d = source.charCodeAt(i);
        if (d === PLUS) delta++;
        else if (d === MINUS) delta--;
        else if (isCommand(d)) break;
        else if (d === NEWLINE) break; // keeps line numbers simple: a run never spans lines
        else continue;
        end = i + 1;
      }
      delta &= 0xff;
      if (delta !== 0) ops.push({ kind: "add", at: 0, delta, span: { start, end, line, column } });
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
      ops.push({ kind: "move", at: 0, delta, visits: { lo, hi }, span: { start, end, line, column } });
      continue;
    }
    const span: Span = { start, end: start + 1, line, column };
    i++;
    if (c === DOT) ops.push({ kind: "out", at: 0, span });
    else if (c === COMMA) ops.push({ kind: "in", at: 0, span });
    else if (c === OPEN) {
      open.push(span);
      ops.push({ kind: "open", at: 0, span });
    } else {
      if (open.pop() === undefined) throw unmatched("]", span);
      ops.push({ kind: "close", at: 0, span });
    }
  }
  const unclosed = open.pop(); // the innermost: the loop that cannot be closed
  if (unclosed !== undefined) throw unmatched("[", unclosed);
  return ops;
}

function unmatched(bracket: "[" | "]", span: Span): JitError {
  return new JitError("E_SYNTAX", `${span.line}:${span.column}: unmatched '${bracket}'`, { line: span.line, column: span.column });
}
