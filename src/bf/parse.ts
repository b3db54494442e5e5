/**
 * Brainfuck source to IR. One loop over the characters with an explicit stack of open brackets, so any
 * nesting depth parses without recursion. Runs are folded as they are read (the first optimization,
 * done here so that a megabyte of `+` is one op, not a million): `+++--` is add 1, `>><` is move 1.
 * Lines and columns are not counted here: a span works them out from its offset when asked (ir.ts).
 */
import { JitError } from "../errors.ts";
import { type Op, type Range, SourceOp, Span } from "./ir.ts";
import { Lines } from "./replay.ts";

const PLUS = 43, MINUS = 45, LT = 60, GT = 62, DOT = 46, COMMA = 44, OPEN = 91, CLOSE = 93, NEWLINE = 10;

/** What a character is to Brainfuck; everything else is a comment. */
function isCommand(c: number): boolean {
  return c === PLUS || c === MINUS || c === LT || c === GT || c === DOT || c === COMMA || c === OPEN || c === CLOSE;
}

/** Parse a program. Throws JitError E_SYNTAX (with line and column) on an unmatched bracket. */
export function parse(source: string): Op[] {
  const lines = new Lines(source);
  const ops: SourceOp[] = []; // each is one of the Op kinds it names (see SourceOp)
  const open: number[] = []; // the offsets of the brackets not closed yet
  const straights = new Map<number, Range>(); // ranges are immutable, so ops can share them
  const straight = (delta: number): Range => {
    let range = straights.get(delta);
    if (range === undefined) straights.set(delta, (range = { lo: Math.min(0, delta), hi: Math.max(0, delta) }));
    return range;
  };
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
      if (delta !== 0) ops.push(new SourceOp("add", 0, delta, undefined, lines, start, end));
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
      // A run that goes one way only (most do) shares its Range with the others of its length.
      const visits = lo === Math.min(0, delta) && hi === Math.max(0, delta) ? straight(delta) : { lo, hi };
      ops.push(new SourceOp("move", 0, delta, visits, lines, start, end));
      continue;
    }
    i++;
    if (c === DOT) ops.push(new SourceOp("out", 0, 0, undefined, lines, start, i));
    else if (c === COMMA) ops.push(new SourceOp("in", 0, 0, undefined, lines, start, i));
    else if (c === OPEN) {
      open.push(start);
      ops.push(new SourceOp("open", 0, 0, undefined, lines, start, i));
    } else {
      if (open.pop() === undefined) throw unmatched("]", new Span(lines, start, i));
      ops.push(new SourceOp("close", 0, 0, undefined, lines, start, i));
    }
  }
  const unclosed = open.pop(); // the innermost: the loop that cannot be closed
  if (unclosed !== undefined) throw unmatched("[", new Span(lines, unclosed, unclosed + 1));
  return ops as unknown as Op[];
}

function unmatched(bracket: "[" | "]", span: Span): JitError {
  return new JitError("E_SYNTAX", `${span.line}:${span.column}: unmatched '${bracket}'`, { line: span.line, column: span.column });
}
