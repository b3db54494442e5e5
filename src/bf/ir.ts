/**
 * The Brainfuck IR: a flat list of operations (loops are an `open` and a `close` op, not a tree), so
 * that no pass and no code generator recurses once per nesting level: 100,000 nested loops are just
 * 200,000 entries.
 *
 * `at` is where the operation works, in cells from the pointer register P. Before deferMoves() it is 0
 * for every op (the pointer moves with each `move`); afterwards moves are folded into `at`, and the only
 * moves left are the ones an unbalanced loop needs before its `close`.
 *
 * These are the ops as objects, the way the book and the tests read them. The compiler holds the same
 * ops as rows of a table (table.ts), with no object per op.
 */

/** What a span needs of its source: the line and column of an offset (Lines, in replay.ts). */
export interface LineTable { lineColumn(offset: number): { line: number; column: number } }

/**
 * Where an op came from: source offsets [start, end). The 1-based line and column of `start` are
 * worked out when asked for (by an error, a listing note): a 4 MB program has 1.6 million spans.
 */
export class Span {
  constructor(readonly lines: LineTable, readonly start: number, readonly end: number) {}
  get line(): number { return this.lines.lineColumn(this.start).line; }
  get column(): number { return this.lines.lineColumn(this.start).column; }
}

/** A range of cells [lo, hi] relative to the op's `at`; lo <= 0 <= hi. */
export interface Range {
  readonly lo: number;
  readonly hi: number;
}

export type Op =
  /** cell[at] += delta (1..255, modulo 256). */
  | { readonly kind: "add"; readonly at: number; readonly delta: number; readonly span: Span }
  /** cell[at] = value (0..255). */
  | { readonly kind: "set"; readonly at: number; readonly value: number; readonly span: Span }
  /** P += delta; on the way the pointer visited `visits` (relative to where it started). */
  | { readonly kind: "move"; readonly at: number; readonly delta: number; readonly visits: Range; readonly span: Span }
  /** Write cell[at]; with `value`, that byte, known while compiling (knownValues), without reading the cell. */
  | { readonly kind: "out"; readonly at: number; readonly span: Span; readonly value?: number }
  /** Read a byte into cell[at] (at end of input: the EOF rule). */
  | { readonly kind: "in"; readonly at: number; readonly span: Span }
  /** while (cell[at] != 0) { ... } — `entryCheck`: a bounds check run once on entry, for the whole loop. */
  | { readonly kind: "open"; readonly at: number; readonly span: Span; readonly entryCheck?: Check }
  /** `once`: the cell is known to be 0 here, so the loop never goes round again and the test is left out. */
  | { readonly kind: "close"; readonly at: number; readonly span: Span; readonly once?: boolean }
  /** while (cell[at] != 0) P += step — `[>]`, `[<<]`, ... */
  | { readonly kind: "scan"; readonly at: number; readonly step: number; readonly span: Span }
  /**
   * if (cell[at] != 0) { for each term: cell[at + term.at] += cell[at] * term.factor; cell[at] = 0 } —
   * a loop like `[->+>++<<]`. `visits` is every cell the loop touched; `check`, when the cells beyond
   * the loop cell are not already known to be on the tape. `keep`: the loop cell is left as it is (a
   * copy: a multiply and the one that moved the value back, made one by knownValues).
   */
  | { readonly kind: "mul"; readonly at: number; readonly terms: readonly Term[]; readonly visits: Range;
      readonly span: Span; readonly check?: Check; readonly keep?: true }
  /** Stop with E_TAPE unless cells [at + lo, at + hi] are all on the tape. */
  | { readonly kind: "check"; readonly at: number; readonly range: Range; readonly replay: Span };

export interface Term {
  readonly at: number;
  readonly factor: number; // 1..255, modulo 256
}

/**
 * A bounds check: the range that must be on the tape, and the source it guards. When it fails, the
 * runtime replays `replay` with a plain interpreter from the pointer at the check to find the exact
 * command that left the tape (nothing in a checked stretch has run yet, and it has no I/O).
 */
export interface Check {
  readonly range: Range;
  readonly replay: Span;
}

export type OpKind = Op["kind"];
