/**
 * Brainfuck code generation, the part both architectures share: the walk over the IR, the labels, the
 * exits to JavaScript and the table that tells the runtime what each exit means. What the instructions
 * are is each architecture's business (x64.ts, arm64.ts), behind the small BfBackend interface.
 *
 * The generated code never calls anything. It runs until it must stop, stores its registers into the
 * state block and returns a site number: 0 when the program has ended; otherwise an output buffer that
 * is full, an input buffer that is empty, or a bounds check that failed. JavaScript flushes or refills
 * and calls the code again, and the entry jumps straight back to where it stopped (the resume address
 * in the state block). So the code is a leaf function that touches no stack and no callee-saved
 * register: the ABI rules that out-of-line calls would have to get right do not arise.
 */
import { type Assembler, type Code, type Label, newAssembler } from "../emit.ts";
import { JitError } from "../errors.ts";
import type { Target } from "../platform.ts";
import { type Op, Span, type Term } from "./ir.ts";
import { ADD, CHECK, CHECKED, CLOSE, CONSTANT, IN, KEEP, MOVE, MUL, ONCE, OPEN, OUT, type OpTable, SCAN, SET, toOp, withRoom } from "./table.ts";

/** The state block: 8-byte fields shared by the generated code and the runtime (runtime.ts). */
export const STATE = {
  tape: 0, // address of cell 0
  pointer: 8, // the pointer register, as a cell index, saved on every exit
  outNext: 16, // where the next output byte goes
  outEnd: 24, // the end of the output buffer
  inNext: 32, // the next input byte
  inEnd: 40, // the end of the input read so far
  resume: 48, // the address to continue at
  tapeSize: 56, // cells
  bytes: 64,
} as const;

/** What `,` does at end of input: leave the cell as it is, store 0, or store 255 (-1). */
export type EofMode = "unchanged" | 0 | -1;

/** The instructions one architecture needs; each method emits the code for one IR operation. */
export interface BfBackend {
  readonly asm: Assembler;
  /** Load the state block into registers and jump to the resume address. */
  entry(): void;
  /** Store the registers back and return the site number the exit stub left. */
  exit(): void;
  /** An exit stub: return `site`. */
  stub(site: number, exit: Label): void;
  add(at: number, delta: number): void;
  set(at: number, value: number): void;
  move(delta: number): void;
  /** Write cell[at]; branch to `full` when the output buffer is full. */
  output(at: number, full: Label): void;
  /** Write the byte `value` (known while compiling); branch to `full` when the output buffer is full. */
  outputConstant(value: number, full: Label): void;
  /** Read into cell[at]; branch to `empty` when no input is buffered. */
  input(at: number, empty: Label): void;
  jumpIfZero(at: number, target: Label): void;
  jumpIfNonZero(at: number, target: Label): void;
  jump(target: Label): void;
  /** Branch to `fail` unless cells at+lo .. at+hi are on the tape. (Numbers, not a Range: no object per check.) */
  check(at: number, lo: number, hi: number, fail: Label): void;
  /**
   * Step until cell[at] is 0, then branch to `fail` if it is not on the tape. With `stopCells`, the tape
   * has at least |step| zero cells beyond each end (BfCode.margin): a scan that runs off stops on one by
   * itself, and only the cell it stopped at is checked. Without, every step is checked before its read.
   */
  scan(at: number, step: number, fail: Label, stopCells: boolean): void;
  /**
   * The multiply loop. With `check` (a label), its cells at+lo .. at+hi are checked first and `check`
   * taken when they are not all on the tape; the code there (cold) tests the loop cell and comes back past the loop when it is 0.
   * (Testing the cell first would put a badly predicted branch in front of every multiply.)
   * `keep`: the loop cell keeps its value (a copy, knownValues), rather than being cleared.
   */
  mul(at: number, terms: readonly Term[], check: Label | undefined, lo: number, hi: number, keep?: boolean): void;
}

export interface BfOptions {
  readonly tape: number;
  readonly eof: EofMode;
}

/** Why the code returned to JavaScript. */
export type Site =
  | { readonly kind: "done" }
  | { readonly kind: "flush"; readonly retry: number }
  | { readonly kind: "input"; readonly retry: number; readonly eof: number }
  /** A failed bounds check: replay `replay` from cell (pointer + at - rewind) to find the command that left. */
  | { readonly kind: "tape"; readonly replay: Span; readonly at: number; readonly rewind: number };

export interface BfCode {
  readonly code: Code;
  /** Every site, by number (what the code returns), made when first read. Offsets are from the start of the code. */
  readonly sites: readonly Site[];
  /** Site `id` alone, or undefined for a number that is no site: what the runtime asks at each exit. */
  site(id: number): Site | undefined;
  /** Where a fresh run starts. */
  readonly start: number;
  /**
   * Stop cells: how many zero cells the runtime must map beyond each end of the tape (0: none). The code
   * only ever reads them, in scans (see BfBackend.scan), so they stay 0.
   */
  readonly margin: number;
  /**
   * Made only for profilers (generate's `marks`): where each op's code starts, by op index, and where
   * the program's code ends (the cold exits follow).
   */
  readonly marks?: { readonly ops: Int32Array; readonly end: number };
}

/**
 * A scan whose step is at most this many cells relies on stop cells; a longer step checks every step,
 * so that a program cannot make the runtime map more than a page of stop cells on either side.
 */
export const STOP_CELLS_LIMIT = 4096;

// The exits, as rows of numbers (a big program has hundreds of thousands): a Site object is made only
// when the runtime or a reader asks for one.
const DONE = 0, FLUSH = 1, INPUT = 2, TAPE = 3;
/** A multiply loop's check: it only fails when the loop cell is not 0; otherwise it continues at `skip`. */
const TAPE_UNLESS_ZERO = 4;
const SITE_KIND = 0, SITE_STUB = 1, SITE_AT = 2;
/** flush, input: where to resume. A multiply's check: `skip`, the label past the loop. */
const SITE_RETRY = 3;
/** input: where to resume at end of input, and where the eof code comes back to. */
const SITE_EOF = 4, SITE_AFTER = 5;
/** tape: the source to replay, and how far the pointer moved before the check (a scan's step). */
const SITE_REPLAY_START = 4, SITE_REPLAY_END = 5, SITE_REWIND = 6;
const SITE_STRIDE = 7;

class SiteTable {
  rows: Int32Array;
  length = 1; // site 0: the program has ended
  /** Room for `capacity` sites: at most one an op, in the programs seen (unused room costs nothing). */
  constructor(capacity: number) {
    this.rows = new Int32Array(SITE_STRIDE * (capacity + 1));
  }
  /** `b`, `c`: SITE_EOF and SITE_AFTER for input, SITE_REPLAY_START and SITE_REPLAY_END for tape. */
  add(kind: number, stub: Label, at: number, retry: number, b: number, c: number, rewind: number): number {
    const id = this.length++;
    const r = (this.rows = withRoom(this.rows, this.length * SITE_STRIDE)), p = id * SITE_STRIDE;
    r[p + SITE_KIND] = kind;
    r[p + SITE_STUB] = stub;
    r[p + SITE_AT] = at;
    r[p + SITE_RETRY] = retry;
    r[p + SITE_EOF] = b; // = SITE_REPLAY_START
    r[p + SITE_AFTER] = c; // = SITE_REPLAY_END
    r[p + SITE_REWIND] = rewind;
    return id;
  }
  get(id: number, field: number): number {
    return this.rows[id * SITE_STRIDE + field] as number;
  }
}

/**
 * Generate code for optimized IR. `source` is only used for the listing's notes (the Brainfuck each
 * group of instructions came from); `notes: false` leaves them out.
 */
export function generate(
  ops: OpTable,
  target: Target,
  options: BfOptions,
  makeBackend: (asm: Assembler, target: Target, options: BfOptions) => BfBackend,
  source?: string,
  marks = false,
): BfCode {
  const asm = newAssembler(target.arch, source !== undefined); // without a listing when nobody reads it
  // Per op, big programs take about 18 bytes of code (branches included), 1.2 branches and 1.5 labels.
  // (Capped: past that, the buffers grow as they are filled.)
  const hint = Math.min(ops.length, 1 << 24);
  asm.sizeHint(20 * hint, 2 * hint, 2 * hint);
  const be = makeBackend(asm, target, options);
  const sites = new SiteTable(hint);
  let margin = 0;
  /** A failed bounds check's exit: its stub's label. `skip`: a multiply's check (TAPE_UNLESS_ZERO). */
  const tapeSite = (start: number, end: number, at: number, rewind = 0, skip?: Label): Label => {
    const stub = asm.newLabel();
    sites.add(skip === undefined ? TAPE : TAPE_UNLESS_ZERO, stub, at, skip ?? 0, start, end, rewind);
    return stub;
  };

  be.entry();
  const start = asm.newLabel();
  asm.bind(start);
  // A multiply's terms, in objects reused from one multiply to the next (the backend keeps none).
  const terms: { at: number; factor: number }[] = [];
  // The loops open here, innermost last: their body labels (-1: none) and end labels.
  const loopBodies: number[] = [], loopEnds: number[] = [];
  // For profilers: a label where each op's code starts (perf.ts; bf/profile.ts names the pieces).
  const opLabels = marks ? new Int32Array(ops.length) : undefined;
  for (let i = 0; i < ops.length; i++) {
    if (source !== undefined) asm.note(describe(toOp(ops, i), source));
    if (opLabels !== undefined) asm.bind((opLabels[i] = asm.newLabel()));
    const at = ops.at(i);
    switch (ops.kind(i)) {
      case ADD:
        be.add(at, ops.a(i));
        break;
      case SET:
        be.set(at, ops.a(i));
        break;
      case MOVE:
        be.move(ops.a(i));
        break;
      case OUT: {
        const retry = asm.newLabel();
        const stub = asm.newLabel();
        sites.add(FLUSH, stub, at, retry, 0, 0, 0);
        asm.bind(retry);
        if ((ops.flags(i) & CONSTANT) !== 0) be.outputConstant(ops.a(i), stub);
        else be.output(at, stub);
        break;
      }
      case IN: {
        const retry = asm.newLabel(), stub = asm.newLabel(), eof = asm.newLabel(), after = asm.newLabel();
        sites.add(INPUT, stub, at, retry, eof, after, 0);
        asm.bind(retry);
        be.input(at, stub);
        asm.bind(after);
        break;
      }
      case OPEN: {
        // A loop whose `]` has no test is never jumped back into: its body needs no label.
        const body = (ops.flags(i) & ONCE) !== 0 ? -1 : asm.newLabel(), end = asm.newLabel();
        loopBodies.push(body);
        loopEnds.push(end);
        be.jumpIfZero(at, end);
        if ((ops.flags(i) & CHECKED) !== 0) be.check(at, ops.checkLo(i), ops.checkHi(i), tapeSite(ops.checkStart(i), ops.checkEnd(i), at));
        if (body >= 0) asm.bind(body as Label);
        break;
      }
      case CLOSE: {
        const body = loopBodies.pop(), end = loopEnds.pop();
        if (body === undefined || end === undefined) throw new JitError("E_INTERNAL", "unbalanced loops reached the code generator");
        if (body < 0 && (ops.flags(i) & ONCE) === 0) throw new JitError("E_INTERNAL", "a loop's [ says its ] has no test, but the ] has one");
        if (body >= 0) be.jumpIfNonZero(at, body as Label);
        asm.bind(end as Label);
        break;
      }
      case SCAN: {
        const step = ops.a(i);
        const stopCells = Math.abs(step) <= STOP_CELLS_LIMIT;
        if (stopCells && Math.abs(step) > margin) margin = Math.abs(step);
        be.scan(at, step, tapeSite(ops.start(i), ops.end(i), at, step), stopCells);
        break;
      }
      case MUL: {
        const first = ops.termStart(i), count = ops.termCount(i);
        for (let k = 0; k < count; k++) {
          const term = (terms[k] ??= { at: 0, factor: 0 });
          term.at = ops.extras.termAt[first + k] as number;
          term.factor = ops.extras.termFactor[first + k] as number;
        }
        terms.length = count;
        const keep = (ops.flags(i) & KEEP) !== 0;
        if ((ops.flags(i) & CHECKED) === 0) {
          be.mul(at, terms, undefined, 0, 0, keep);
          break;
        }
        // The cold code of a failed check comes back past the loop when the loop cell is 0.
        const skip = asm.newLabel();
        be.mul(at, terms, tapeSite(ops.checkStart(i), ops.checkEnd(i), at, 0, skip), ops.checkLo(i), ops.checkHi(i), keep);
        asm.bind(skip);
        break;
      }
      case CHECK:
        be.check(at, ops.lo(i), ops.hi(i), tapeSite(ops.start(i), ops.end(i), at));
        break;
    }
  }
  if (source !== undefined) asm.note("end of program: return 0");
  const programEnd = opLabels === undefined ? -1 : asm.newLabel();
  if (programEnd >= 0) asm.bind(programEnd as Label);
  const exit = asm.newLabel();
  be.stub(0, exit);

  // Cold code, out of the way of the loops: one stub per exit, then the shared exit.
  if (source !== undefined && sites.length > 1) asm.note("exits to JavaScript: each returns its site number");
  for (let id = 1; id < sites.length; id++) {
    const kind = sites.get(id, SITE_KIND);
    asm.bind(sites.get(id, SITE_STUB) as Label);
    if (kind === TAPE_UNLESS_ZERO) be.jumpIfZero(sites.get(id, SITE_AT), sites.get(id, SITE_RETRY) as Label);
    be.stub(id, exit);
    if (kind === INPUT) {
      asm.bind(sites.get(id, SITE_EOF) as Label);
      if (options.eof !== "unchanged") be.set(sites.get(id, SITE_AT), options.eof & 0xff);
      be.jump(sites.get(id, SITE_AFTER) as Label);
    }
  }
  asm.bind(exit);
  be.exit();

  const code = asm.finish();
  const at = (label: number) => code.labelOffset(label as Label);
  const lines = ops.lines;
  const site = (id: number): Site | undefined => {
    if (!(id >= 0 && id < sites.length)) return undefined;
    const kind = sites.get(id, SITE_KIND);
    if (kind === DONE) return { kind: "done" };
    if (kind === FLUSH) return { kind: "flush", retry: at(sites.get(id, SITE_RETRY)) };
    if (kind === INPUT) return { kind: "input", retry: at(sites.get(id, SITE_RETRY)), eof: at(sites.get(id, SITE_EOF)) };
    const replay = new Span(lines, sites.get(id, SITE_REPLAY_START), sites.get(id, SITE_REPLAY_END));
    return { kind: "tape", replay, at: sites.get(id, SITE_AT), rewind: sites.get(id, SITE_REWIND) };
  };
  let all: Site[] | undefined;
  return {
    code,
    start: at(start),
    margin,
    site,
    ...(opLabels === undefined ? {} : { marks: { ops: opLabels.map((l) => at(l)), end: at(programEnd) } }),
    get sites() {
      return (all ??= Array.from({ length: sites.length }, (_, id) => site(id) as Site));
    },
  };
}

const COMMAND = /[+\-<>.,[\]]/;

/** The listing note for an op: the Brainfuck it came from, and where. */
function describe(op: Op, source: string): string {
  const span = op.kind === "check" ? op.replay : op.span;
  let text = "";
  for (let i = span.start; i < span.end && text.length <= 40; i++) {
    const c = source[i] as string;
    if (!COMMAND.test(c)) continue;
    text += c;
  }
  if (text.length > 40) text = `${text.slice(0, 37)}...`;
  const where = `${span.line}:${span.column}`;
  switch (op.kind) {
    case "check":
      return `${where} check cells ${op.at + op.range.lo}..${op.at + op.range.hi} for: ${text}`;
    case "move":
      return `${where} ] moves the pointer by ${op.delta}`;
    case "mul":
      return `${where} ${text}  (${op.keep === true ? "copy" : "multiply"}: ${op.terms.map((t) => `[${op.at + t.at}] += [${op.at}]*${t.factor}`).join(", ") || "clear"})`;
    case "scan":
      return `${where} ${text}  (scan by ${op.step})`;
    case "open":
      return `${where} ${text}${op.entryCheck === undefined ? "" : `  (checks cells ${op.at + op.entryCheck.range.lo}..${op.at + op.entryCheck.range.hi} once, on entry)`}`;
    default:
      return `${where} ${text}`;
  }
}
