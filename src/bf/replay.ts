/**
 * Finding the exact command that left the tape. A bounds check guards a whole stretch of code at once
 * and fails before any of it runs; the stretch has no I/O and always ends, so replaying its source
 * with a plain interpreter, from the pointer at the check and on the real tape (writes kept aside),
 * reaches the same cells the program would have and stops at the first `<` or `>` that leaves.
 */
import { JitError } from "../errors.ts";
import type { LineTable, Span } from "./ir.ts";

export interface TapeExit {
  /** The source offset of the `<` or `>` that left. */
  readonly offset: number;
  /** Where it went: -1, or the tape's length. */
  readonly cell: number;
}

export function replay(source: string, span: Span, pointer: number, tape: Uint8Array): TapeExit {
  const written = new Map<number, number>();
  const get = (p: number) => written.get(p) ?? (tape[p] as number);
  const jumps = matchBrackets(source, span);
  let p = pointer;
  for (let i = span.start; i < span.end; i++) {
    switch (source.charCodeAt(i)) {
      case 43: // +
        written.set(p, (get(p) + 1) & 0xff);
        break;
      case 45: // -
        written.set(p, (get(p) + 255) & 0xff);
        break;
      case 60: // <
        if (--p < 0) return { offset: i, cell: p };
        break;
      case 62: // >
        if (++p >= tape.length) return { offset: i, cell: p };
        break;
      case 91: // [
        if (get(p) === 0) i = jumps.get(i) ?? i;
        break;
      case 93: // ]
        if (get(p) !== 0) i = jumps.get(i) ?? i;
        break;
    }
  }
  throw new JitError("E_INTERNAL", `a bounds check failed, but replaying ${span.line}:${span.column} from cell ${pointer} stays on the tape`);
}

function matchBrackets(source: string, span: Span): Map<number, number> {
  const jumps = new Map<number, number>();
  const open: number[] = [];
  for (let i = span.start; i < span.end; i++) {
    const c = source.charCodeAt(i);
    if (c === 91) open.push(i);
    else if (c === 93) {
      const j = open.pop();
      if (j !== undefined) {
        jumps.set(j, i);
        jumps.set(i, j);
      }
    }
  }
  return jumps;
}

/** Where the lines of a source start: a table made the first time a line is asked for. */
export class Lines implements LineTable {
  #starts: number[] | undefined;
  constructor(readonly source: string) {}
  /** The 1-based line and column of an offset (columns count UTF-16 units). */
  lineColumn(offset: number): { line: number; column: number } {
    const starts = (this.#starts ??= [0, ...[...this.source.matchAll(/\n/g)].map((m) => m.index + 1)]);
    let lo = 0, hi = starts.length - 1; // binary search: the last line that starts at or before offset
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((starts[mid] as number) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - (starts[lo] as number) + 1 };
  }
}
