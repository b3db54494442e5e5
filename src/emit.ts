/**
 * The instruction encoder: the only place in babyjit that knows how instructions become bytes.
 *
 * Two back ends share one buffer type:
 * - X64Assembler: x86-64, encodings from the Intel SDM, volume 2 (opcode line quoted above each form);
 * - A64Assembler: AArch64 (A64), encodings from the Arm ARM, section C6 (bit layout quoted above each form).
 *
 * Every form writes its bytes and, at the same moment, the assembly text for the listing, so the
 * listing is exactly what was encoded (no disassembler involved). The text is valid llvm-mc input;
 * the tests reassemble it and compare bytes. An assembler made without a listing skips the text:
 * code that is only run (a Brainfuck program of megabytes) makes none, and is assembled again, with
 * its text, if someone asks for its listing. Field helpers throw a JitError("E_RANGE") instead of
 * truncating a value that does not fit.
 *
 * Naming: one method per instruction form, named by its mnemonic and then one capital letter per
 * operand, in the order the assembly text writes them:
 *   R  a general register, of any width (x86-64 r8/r32/r64, arm64 w/x): the width is the register's,
 *      never the name's, so `addRR(eax, ecx)` and `addRR(rax, rcx)` are one form;
 *   F  a floating-point register (x86-64 xmm, arm64 d);
 *   M  a memory operand: an X64Mem on x86-64; on arm64 a base register and a byte offset, two parameters
 *      ([Xn, #offset]). `Mpre` and `Mpost` are arm64's writeback forms, [Xn, #step]! and [Xn], #step;
 *   I  an immediate.
 * The mnemonic is the one the listing writes: arm64's preferred alias where Arm has one (`lslRRR` for
 * LSLV, `negRR` for SUB Rd, ZR, Rm), never a made-up one (a push is `strRMpre(x, sp, -16)`). Where
 * no register gives the width of a memory operand, the width in bits ends the name (`addMI8`: add byte
 * ptr [m], imm8). A register the encoding fixes is written by name (`shlRCl`: shl r32, cl); implied
 * ones are not (`cdq`, `idivR`).
 * Labels and conditions are parameters, not letters: `jcc(cond, label)`, `bcond(cond, label)`,
 * `setccR(cond, r8)`, `csetR(rd, cond)`. One form may have several encodings, of which it picks the
 * one an assembler picks (`movRI`: B8+rd for a 32-bit register, REX.W C7 /0 for a 64-bit one).
 * `movImm32` is the one method that writes a sequence (one or two instructions), and says so.
 * Aliases and the forms of one encoding group share the group's encoder; each form checks its
 * operands (their architecture and kind, their width, whether number 31 may be zr or sp).
 *
 * Registers come from x64Gp/xmm/a64Gp/a64D by number, each made once; a number that is no register
 * throws E_RANGE. Every public method of the two assembler classes is a form, and test/emit.test.ts
 * reads that list from this module: each needs golden-hex rows in test/emit-table.ts, which llvm-mc
 * reassembles.
 */
import { JitError } from "./errors.ts";

export type Arch = "x64" | "arm64";

// ---------------------------------------------------------------------------------------------------
// Registers: typed values, so `addRR(eax, rcx)` (mixed widths) or an arm64 register in x86 code is a
// type error or a thrown error, never wrong bytes.

export interface X64Gp {
  readonly arch: "x64";
  readonly id: number; // 0..15, the number in ModRM.reg/rm (+ REX.R/REX.B)
  readonly bits: 8 | 32 | 64;
  readonly name: string;
}

const X64_NAMES: Record<8 | 32 | 64, readonly string[]> = {
  64: ["rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"],
  32: ["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi", "r8d", "r9d", "r10d", "r11d", "r12d", "r13d", "r14d", "r15d"],
  8: ["al", "cl", "dl", "bl", "spl", "bpl", "sil", "dil", "r8b", "r9b", "r10b", "r11b", "r12b", "r13b", "r14b", "r15b"],
};

// Every register exists once, made here: code generators look registers up by number (their allocators
// count in numbers), and a number that is no register is an error, never a silent rax or w0.
const x64Regs = (bits: 8 | 32 | 64): readonly X64Gp[] => X64_NAMES[bits].map((name, id) => Object.freeze({ arch: "x64", id, bits, name }));
const X64_GP8 = x64Regs(8), X64_GP32 = x64Regs(32), X64_GP64 = x64Regs(64);

/** The x86-64 general-purpose register `id` (0..15) at the given width; throws for any other number. */
export function x64Gp(id: number, bits: 8 | 32 | 64): X64Gp {
  const r = (bits === 32 ? X64_GP32 : bits === 64 ? X64_GP64 : bits === 8 ? X64_GP8 : undefined)?.[id];
  if (r === undefined) throw new JitError("E_RANGE", `x86-64 register number ${id} is not 0..15`);
  return r;
}

export const rax = x64Gp(0, 64), rcx = x64Gp(1, 64), rdx = x64Gp(2, 64), rsp = x64Gp(4, 64);
export const rsi = x64Gp(6, 64), rdi = x64Gp(7, 64), r8 = x64Gp(8, 64), r9 = x64Gp(9, 64);
export const eax = x64Gp(0, 32), ecx = x64Gp(1, 32), edx = x64Gp(2, 32);

/** An SSE register, xmm0..xmm15 (only as a source of a double here). */
export interface X64Xmm {
  readonly arch: "x64";
  readonly id: number;
  readonly name: string;
}

const X64_XMM: readonly X64Xmm[] = Array.from({ length: 16 }, (_, id) => Object.freeze({ arch: "x64", id, name: `xmm${id}` }));

export function xmm(id: number): X64Xmm {
  const r = X64_XMM[id];
  if (r === undefined) throw new JitError("E_RANGE", `xmm register number ${id} is not 0..15`);
  return r;
}

export interface A64Gp {
  readonly arch: "arm64";
  readonly id: number; // 0..31; 31 is the zero register or sp depending on the instruction
  readonly bits: 32 | 64;
  readonly name: string;
}

const a64Regs = (bits: 32 | 64): readonly A64Gp[] =>
  Array.from({ length: 31 }, (_, id) => Object.freeze({ arch: "arm64", id, bits, name: `${bits === 64 ? "x" : "w"}${id}` }));
const A64_W = a64Regs(32), A64_X = a64Regs(64);

/** AArch64 register `id` (0..30) as w<id> (32-bit) or x<id> (64-bit); throws for any other number. */
export function a64Gp(id: number, bits: 32 | 64): A64Gp {
  const r = (bits === 32 ? A64_W : bits === 64 ? A64_X : undefined)?.[id];
  if (r === undefined) throw new JitError("E_RANGE", `arm64 register number ${id} is not 0..30`);
  return r;
}
export const wzr: A64Gp = Object.freeze({ arch: "arm64", id: 31, bits: 32, name: "wzr" });
export const xzr: A64Gp = Object.freeze({ arch: "arm64", id: 31, bits: 64, name: "xzr" });
/** The stack pointer also has number 31; only load/store base and add/sub (immediate) accept it. */
export const sp: A64Gp = Object.freeze({ arch: "arm64", id: 31, bits: 64, name: "sp" });
export const w0 = a64Gp(0, 32), x0 = a64Gp(0, 64), x1 = a64Gp(1, 64), x4 = a64Gp(4, 64);

/** An AArch64 double-precision register, d0..d31. */
export interface A64D {
  readonly arch: "arm64";
  readonly id: number;
  readonly name: string;
}

const A64_D: readonly A64D[] = Array.from({ length: 32 }, (_, id) => Object.freeze({ arch: "arm64", id, name: `d${id}` }));

export function a64D(id: number): A64D {
  const r = A64_D[id];
  if (r === undefined) throw new JitError("E_RANGE", `arm64 register number ${id} is not 0..31`);
  return r;
}

// ---------------------------------------------------------------------------------------------------
// Field helpers: every value that goes into an instruction passes through one of these.

/**
 * What an error names: `what`, or "mnemonic role" given as two strings, joined only when an error is
 * thrown (a template string per checked field would be made for every instruction written).
 */
function named(what: string, role: string | undefined): string {
  return role === undefined ? what : `${what} ${role}`;
}

/** An unsigned field of `bits` bits; throws instead of truncating. */
export function ufield(value: number, bits: number, what: string, role?: string): number {
  // Up to 31 bits (every field here), masking is the whole test: it drops fractions, signs and high bits.
  const fits = bits <= 31 ? (value & ((1 << bits) - 1)) === value : Number.isInteger(value) && value >= 0 && value < 2 ** bits;
  if (!fits) throw new JitError("E_RANGE", `${named(what, role)} ${value} does not fit in ${bits} unsigned bits`);
  return value;
}

/** A two's complement field of `bits` bits (1..32), returned as its unsigned bit pattern. */
export function sfield(value: number, bits: number, what: string, role?: string): number {
  if (!(bits >= 1 && bits <= 32 && (bits | 0) === bits)) throw new JitError("E_INTERNAL", `no ${bits}-bit signed field`);
  // Shifting the field to the top of an int32 and back sign-extends it: the value survives exactly when
  // it fits (a fraction or anything beyond 32 bits never survives `<< 0`).
  const shift = 32 - bits;
  if (((value << shift) >> shift) !== value) {
    throw new JitError("E_RANGE", `${named(what, role)} ${value} does not fit in ${bits} signed bits`);
  }
  // Bit operations, not value + 2 ** bits, which makes a double even for an 8-bit field: a double pushed
  // into a byte array turns it into an array of doubles and slows every later pass over it. (The 32-bit
  // pattern can exceed int32; putLe32 splits it into bytes at once.)
  return bits === 32 ? value >>> 0 : value & ((1 << bits) - 1);
}

/**
 * A 32-bit value (signed or its unsigned pattern) at out[p], lowest byte first, as both architectures
 * store it (x86 immediates and displacements, every A64 instruction word); returns the position after it.
 */
function putLe32(out: Uint8Array, p: number, value: number): number {
  out[p] = value & 0xff;
  out[p + 1] = (value >> 8) & 0xff;
  out[p + 2] = (value >> 16) & 0xff;
  out[p + 3] = (value >> 24) & 0xff;
  return p + 4;
}

// ---------------------------------------------------------------------------------------------------
// The buffer shared by both back ends: instructions, labels and branches that are resolved at finish().

declare const LABEL: unique symbol;
/**
 * A place to branch to: a number (its order of creation in its assembler), typed so that no other
 * number passes for one. Not an object: a big Brainfuck program makes a million of them.
 */
export type Label = number & { readonly [LABEL]: true };

/** How a label is written in listings and errors: `.L<number>`. */
export function labelName(label: Label): string {
  return `.L${label}`;
}

/**
 * One line of a listing: a label, a note (a heading for the instructions below it, such as the Brainfuck
 * they came from), or an instruction with its offset, bytes and assembly text.
 */
export type ListingLine =
  | { readonly kind: "label"; readonly offset: number; readonly name: string }
  | { readonly kind: "note"; readonly offset: number; readonly text: string }
  | {
      readonly kind: "insn";
      readonly offset: number;
      readonly bytes: Uint8Array;
      readonly text: string;
      readonly comment?: string;
    };

/** Finished machine code for one target, with the listing written alongside the bytes. */
export interface Code {
  readonly arch: Arch;
  readonly bytes: Uint8Array;
  /** Only from an assembler made with a listing (the default); E_INTERNAL otherwise. */
  readonly listing: readonly ListingLine[];
  /** Where a bound label ended up, in bytes from the start of the code. */
  labelOffset(label: Label): number;
}

/**
 * A line of the listing as written (assemblers with a listing only). `at` is the position in the byte
 * stream and `branches` the number of branches written before it: its offset is known at finish().
 * For a branch, `size` is its number; for an instruction, its length.
 */
interface PendingLine {
  readonly kind: "insn" | "label" | "note" | "branch";
  readonly at: number;
  readonly branches: number;
  readonly size: number;
  readonly text: string;
  readonly comment: string | undefined;
}

const NO_INTS = new Int32Array(0);
/** The branch form of an alignment (CodeBuffer.align): no architecture's branch forms are negative. */
const ALIGN = -1;
const NO_BYTES = new Uint8Array(0);

function grown(a: Int32Array<ArrayBuffer>, need: number): Int32Array<ArrayBuffer> {
  if (need <= a.length) return a;
  const b = new Int32Array(Math.max(need, a.length * 2, 16));
  if (a.length > 0) b.set(a); // the first growth has nothing to copy
  return b;
}

/**
 * Instructions are appended to one growing byte stream as they are written. A branch's size depends
 * on how far its target is, so branches stay out of the stream: each is a record (where it goes, its
 * label, its form) and finish() decides its size and splices it in. Labels record their stream position
 * and how many branches came before them, so an offset is position + the size of those branches, and
 * laying out the code is a pass over the branches alone, not over every instruction.
 *
 * `withListing: false` keeps no text at all (the forms skip making it): for code that is run, not read.
 */
abstract class CodeBuffer {
  abstract readonly arch: Arch;
  private stream = new Uint8Array(64);
  private streamSize = 0;
  private finished = false;
  private branchCount = 0;
  // Empty until the first branch or label: straight-line code such as the adder needs none.
  private branchAt = NO_INTS;
  private branchLabel = NO_INTS;
  private branchForm = NO_INTS; // the architecture's form number (see encodeBranch)
  private labelCount = 0;
  private labelAt = NO_INTS; // -1: not bound yet
  private labelBranches = NO_INTS;
  private readonly lines: PendingLine[] = [];
  private pendingComment: string | undefined;

  constructor(readonly withListing = true) {}

  /**
   * Room for about this much code up front, for a code generator that can tell: growing by doubling
   * copies everything written so far into fresh memory, and fresh pages are what big code costs most.
   * Room never used costs no memory (its pages are never touched).
   */
  sizeHint(bytes: number, branches: number, labels: number): void {
    if (bytes > this.stream.length) {
      const bigger = new Uint8Array(bytes);
      bigger.set(this.stream.subarray(0, this.streamSize));
      this.stream = bigger;
    }
    this.branchAt = grown(this.branchAt, branches);
    this.branchLabel = grown(this.branchLabel, branches);
    this.branchForm = grown(this.branchForm, branches);
    this.labelAt = grown(this.labelAt, labels);
    this.labelBranches = grown(this.labelBranches, labels);
  }

  /** A label to branch to; place it with bind(). */
  newLabel(): Label {
    const id = this.labelCount++;
    if (id >= this.labelAt.length) {
      this.labelAt = grown(this.labelAt, id + 1);
      this.labelBranches = grown(this.labelBranches, id + 1);
    }
    this.labelAt[id] = -1;
    return id as Label;
  }

  bind(label: Label): void {
    if (!(label >= 0 && label < this.labelCount)) throw new JitError("E_INTERNAL", `label ${labelName(label)} belongs to another assembler`);
    if ((this.labelAt[label] as number) >= 0) throw new JitError("E_INTERNAL", `label ${labelName(label)} bound twice`);
    this.labelAt[label] = this.streamSize;
    this.labelBranches[label] = this.branchCount;
    if (this.withListing) this.line("label", 0, labelName(label), undefined);
  }

  /** A heading line in the listing above the instructions that follow (no bytes). */
  note(text: string): void {
    if (this.withListing) this.line("note", 0, text, undefined);
  }

  /** Attach a learner-facing comment to the next instruction written. */
  comment(text: string): this {
    if (this.withListing) this.pendingComment = text;
    return this;
  }

  /** Append one 32-bit little-endian instruction word (every A64 instruction). */
  protected insnWord(w: number, text: string | false): void {
    const at = this.reserve(4);
    putLe32(this.stream, at, w);
    if (text !== false) this.line("insn", 4, text, this.takeComment(), at);
  }

  /**
   * For forms that write straight into the stream (every x86-64 form, so no byte array is made per
   * instruction): reserve(n) bytes, write them into `out` from the returned position, then
   * call written(). Validate every field before reserving, so a thrown error leaves nothing half-written.
   */
  protected get out(): Uint8Array {
    return this.stream;
  }
  protected written(at: number, text: string | false): void {
    if (text !== false) this.line("insn", this.streamSize - at, text, this.takeComment(), at);
  }

  /** A branch to `label` in the architecture's form `form` (a number: see branchSize/encodeBranch). */
  protected branch(form: number, label: Label): void {
    if (!(label >= 0 && label < this.labelCount)) throw new JitError("E_INTERNAL", `label ${labelName(label)} belongs to another assembler`);
    const i = this.branchCount++;
    if (i >= this.branchAt.length) {
      this.branchAt = grown(this.branchAt, i + 1);
      this.branchLabel = grown(this.branchLabel, i + 1);
      this.branchForm = grown(this.branchForm, i + 1);
    }
    this.branchAt[i] = this.streamSize;
    this.branchLabel[i] = label;
    this.branchForm[i] = form;
    if (this.withListing) this.line("branch", i, "", this.takeComment(), this.streamSize, i);
  }

  /**
   * Pad with no-ops to the next multiple of `bytes` (a power of two), so that the code after it (a
   * function's entry) starts there. Its size is known only at finish(),
   * where it is laid out like a branch whose size depends on where it lands.
   */
  align(bytes: number): void {
    if (!(bytes >= 1 && bytes <= 64 && (bytes & (bytes - 1)) === 0)) throw new JitError("E_INTERNAL", `cannot align to ${bytes} bytes`);
    const i = this.branchCount++;
    if (i >= this.branchAt.length) {
      this.branchAt = grown(this.branchAt, i + 1);
      this.branchLabel = grown(this.branchLabel, i + 1);
      this.branchForm = grown(this.branchForm, i + 1);
    }
    this.branchAt[i] = this.streamSize;
    this.branchLabel[i] = bytes; // an alignment has no label: the field holds the boundary
    this.branchForm[i] = ALIGN;
    if (this.withListing) this.line("branch", i, "", undefined, this.streamSize, i);
  }

  /** Write `count` bytes of no-ops at out[at] (a multiple of the instruction size on arm64). */
  protected abstract nops(out: Uint8Array, at: number, count: number): void;
  /** The assembly text of `count` bytes of no-ops. */
  protected abstract nopText(count: number): string;

  /** Bytes of the branch in `form`, short or long. */
  protected abstract branchSize(form: number, long: boolean): number;
  /** Whether the short form reaches `displacement` (bytes from the start of the branch). */
  protected abstract branchFits(form: number, displacement: number): boolean;
  /** Write the branch at out[at], `displacement` bytes from its start to its target. */
  protected abstract encodeBranch(form: number, displacement: number, long: boolean, out: Uint8Array, at: number): void;
  /** The branch's assembly text (long forms of arm64 conditional branches are two instructions). */
  protected abstract branchText(form: number, label: string, long: boolean): string;

  protected reserve(n: number): number {
    const at = this.streamSize;
    if (at + n > this.stream.length) {
      const bigger = new Uint8Array(Math.max(at + n, this.stream.length * 2));
      bigger.set(this.stream.subarray(0, at));
      this.stream = bigger;
    }
    this.streamSize = at + n;
    return at;
  }

  private line(kind: PendingLine["kind"], size: number, text: string, comment: string | undefined, at = this.streamSize, branches = this.branchCount): void {
    this.lines.push({ kind, at, branches, size, text, comment });
  }

  private takeComment(): string | undefined {
    const comment = this.pendingComment;
    this.pendingComment = undefined;
    return comment;
  }

  /**
   * Lay the code out and resolve branches. Branches start short (x86 rel8; one arm64 instruction) and
   * grow to their long form only when their target is out of reach, repeating until nothing changes:
   * the same choice an assembler's relaxation makes, so the listing reassembles to identical bytes.
   */
  finish(): Code {
    if (this.finished) throw new JitError("E_INTERNAL", "finish() called twice: the buffer already belongs to its Code");
    const n = this.branchCount;
    const { branchAt, branchLabel, branchForm, labelAt, labelBranches, stream, streamSize } = this;
    const long = new Uint8Array(n);
    const sizes = new Uint8Array(n); // each branch's current size in bytes
    const short = new Int32Array(n); // the branches still short, the only ones a pass looks at
    let shortCount = 0;
    for (let i = 0; i < n; i++) {
      if (branchForm[i] === ALIGN) continue; // sized in each pass below
      const id = branchLabel[i] as number;
      if (!((labelAt[id] ?? -1) >= 0)) throw new JitError("E_INTERNAL", `branch to ${labelName(id as Label)}, which is never bound`);
      sizes[i] = this.branchSize(branchForm[i] as number, false);
      short[shortCount++] = i;
    }
    this.finished = true; // only now: after an error above, binding the label and finishing again works
    const before = new Int32Array(n + 1); // bytes of the branches ahead of branch i (before[n]: all of them)
    const target = (i: number): number => {
      const id = branchLabel[i] as number;
      return (labelAt[id] as number) + (before[labelBranches[id] as number] as number);
    };
    for (;;) {
      let sum = 0;
      for (let i = 0; i < n; i++) {
        before[i] = sum;
        if (branchForm[i] === ALIGN) {
          const boundary = branchLabel[i] as number;
          sizes[i] = -((branchAt[i] as number) + sum) & (boundary - 1);
        }
        sum += sizes[i] as number;
      }
      before[n] = sum;
      let kept = 0;
      for (let k = 0; k < shortCount; k++) {
        const i = short[k] as number;
        const form = branchForm[i] as number;
        if (this.branchFits(form, target(i) - (branchAt[i] as number) - (before[i] as number))) short[kept++] = i;
        else {
          long[i] = 1;
          sizes[i] = this.branchSize(form, true);
        }
      }
      if (kept === shortCount) break;
      shortCount = kept;
    }
    // Open the gaps for the branches in place: the stream moves up, stretch by stretch from the end
    // (copyWithin, no allocation), and each branch is written into its gap.
    const total = streamSize + (before[n] as number);
    let bytes = stream.length >= total ? stream : new Uint8Array(total);
    if (bytes !== stream) bytes.set(stream.subarray(0, streamSize));
    this.stream = NO_BYTES; // the buffer is the code's now
    let to = streamSize;
    for (let i = n - 1; i >= 0; i--) {
      const from = branchAt[i] as number;
      const shift = before[i + 1] as number;
      if (shift !== 0 && to > from) bytes.copyWithin(from + shift, from, to);
      to = from;
      // Its gap is free now: what was there has moved up, and what comes below ends where it starts.
      const start = from + (before[i] as number);
      if (branchForm[i] === ALIGN) this.nops(bytes, start, sizes[i] as number);
      else this.encodeBranch(branchForm[i] as number, target(i) - start, long[i] === 1, bytes, start);
    }
    // A copy of just the code for small code (a view of a small typed array costs JavaScriptCore more
    // than a copy: it must give the array a buffer object first; 0.4 µs of a 6 µs expression compile),
    // and where a buffer grown by doubling is much bigger than the code; a view of big code otherwise.
    bytes = total <= 65536 || bytes.length > total + (total >> 2) + 4096 ? bytes.slice(0, total) : bytes.subarray(0, total);
    const labelCount = this.labelCount;
    const labelOffset = (label: Label): number => {
      const at = labelAt[label];
      if (at === undefined || at < 0 || label >= labelCount) throw new JitError("E_INTERNAL", `label ${labelName(label)} is not bound`);
      return at + (before[labelBranches[label] as number] as number);
    };
    // Lines become listing objects only when someone reads them: most compiled code is never listed.
    const pending = this.withListing ? this.lines : undefined;
    const size = (form: number, isLong: boolean) => this.branchSize(form, isLong);
    const text = (form: number, label: string, isLong: boolean) => this.branchText(form, label, isLong);
    const nopText = (count: number) => this.nopText(count);
    const arch = this.arch;
    const nopUnit = arch === "x64" ? 1 : 4;
    let listing: ListingLine[] | undefined;
    const lines = (): ListingLine[] => {
      if (pending === undefined) throw new JitError("E_INTERNAL", "this code was assembled without a listing");
      const out: ListingLine[] = [];
      for (const line of pending) {
        const offset = line.at + (before[line.branches] as number);
        if (line.kind === "label") {
          out.push({ kind: "label", offset, name: line.text });
          continue;
        }
        if (line.kind === "note") {
          out.push({ kind: "note", offset, text: line.text });
          continue;
        }
        let length = line.size;
        let insnText = line.text;
        if (line.kind === "branch") {
          const i = line.size;
          const form = branchForm[i] as number;
          if (form === ALIGN) {
            // One line per no-op (a padding of 15 on one line would widen every line of the listing).
            const count = sizes[i] as number;
            const unit = nopUnit;
            for (let k = 0; k < count; k += unit) {
              out.push({ kind: "insn", offset: offset + k, bytes: bytes.subarray(offset + k, offset + k + unit), text: nopText(unit) });
            }
            continue;
          } else {
            const isLong = long[i] === 1;
            length = size(form, isLong);
            insnText = text(form, labelName(branchLabel[i] as Label), isLong);
          }
        }
        const insnBytes = bytes.subarray(offset, offset + length); // a view: one copy of the truth
        out.push(line.comment === undefined
          ? { kind: "insn", offset, bytes: insnBytes, text: insnText }
          : { kind: "insn", offset, bytes: insnBytes, text: insnText, comment: line.comment });
      }
      return out;
    };
    return {
      arch,
      bytes,
      get listing() {
        listing ??= lines();
        return listing;
      },
      labelOffset,
    };
  }
}

// ---------------------------------------------------------------------------------------------------
// x86-64

/** Condition codes (the low nibble of Jcc/SETcc opcodes), named as in the SDM's mnemonics. */
export const X64_CONDITIONS = {
  o: 0x0, no: 0x1, b: 0x2, ae: 0x3, e: 0x4, ne: 0x5, be: 0x6, a: 0x7,
  s: 0x8, ns: 0x9, p: 0xa, np: 0xb, l: 0xc, ge: 0xd, le: 0xe, g: 0xf,
} as const;
export type X64Cond = keyof typeof X64_CONDITIONS;
const X64_COND_NAMES: readonly X64Cond[] = (Object.keys(X64_CONDITIONS) as X64Cond[]).sort((a, b) => X64_CONDITIONS[a] - X64_CONDITIONS[b]);
/** Branch forms (CodeBuffer.branch), in the low two bits: jmp, jcc (its condition code in the bits above), call. */
const X64_JMP = 0, X64_JCC = 1, X64_CALL = 2;

/** The opposite condition: x86 condition codes come in pairs that differ only in their lowest bit. */
export function invertX64(cc: X64Cond): X64Cond {
  return oppositeByCode(X64_CONDITIONS, cc);
}

/** The condition whose code differs from `cc`'s in the lowest bit, the inverse on both architectures. */
function oppositeByCode<C extends string>(table: Readonly<Record<C, number>>, cc: C): C {
  const code = table[cc] ^ 1;
  for (const name in table) if (table[name] === code) return name;
  throw new JitError("E_INTERNAL", `no inverse for condition ${cc}`);
}

const W32_OR_64: readonly X64Gp["bits"][] = [32, 64];
const ANY_WIDTH: readonly X64Gp["bits"][] = [8, 32, 64];

function x64Reg(r: X64Gp, bits: X64Gp["bits"] | readonly X64Gp["bits"][], what: string, role?: string): X64Gp {
  // Checked on every instruction, so the common case (one width) allocates nothing.
  const ok = r.arch === "x64" && (typeof bits === "number" ? r.bits === bits : bits.includes(r.bits));
  if (!ok) {
    const allowed = typeof bits === "number" ? [bits] : bits;
    throw new JitError("E_RANGE", `${named(what, role)} must be a ${allowed.join("/")}-bit x86-64 register, got ${r.name}`);
  }
  return r;
}

/** An xmm register (a general register has the same shape but for its width, so it is told apart by that). */
function x64XmmReg(r: X64Xmm, what: string): X64Xmm {
  if (r.arch !== "x64" || (r as Partial<X64Gp>).bits !== undefined) throw new JitError("E_RANGE", `${what} must be an xmm register, got ${r.name}`);
  return r;
}

/** spl, bpl, sil, dil: reachable only with a REX prefix (without one, the same numbers mean ah..bh). */
function needsRexForByte(r: X64Gp | X64Xmm | number): boolean {
  return typeof r !== "number" && (r as X64Gp).bits === 8 && r.id >= 4 && r.id <= 7;
}

function sameWidth(a: X64Gp, b: X64Gp): void {
  if (a.bits !== b.bits) throw new JitError("E_RANGE", `operand widths differ: ${a.name}, ${b.name}`);
}

/**
 * REX prefix 0100WRXB: W = 64-bit operand size, R extends ModRM.reg, B extends ModRM.rm. Needed also
 * (with no bits set) to reach spl/bpl/sil/dil instead of ah/ch/dh/bh. Returns 0 when no prefix is needed.
 */
function rexFor(w: boolean, reg: X64Gp | X64Xmm | number, rm: X64Gp | X64Xmm): number {
  const regId = typeof reg === "number" ? reg : reg.id;
  const value = 0x40 | (w ? 8 : 0) | (regId >= 8 ? 4 : 0) | (rm.id >= 8 ? 1 : 0);
  return value !== 0x40 || needsRexForByte(reg) || needsRexForByte(rm) ? value : 0;
}

/** ModRM with mod = 11 (register direct): 11 reg rm. */
function modrmReg(reg: X64Gp | X64Xmm | number, rm: X64Gp | X64Xmm): number {
  const regId = typeof reg === "number" ? ufield(reg, 3, "ModRM.reg digit") : reg.id;
  return 0xc0 | ((regId & 7) << 3) | (rm.id & 7);
}

/**
 * A memory operand [base + index + disp] (scale 1): what the Brainfuck back end addresses the tape with
 * ([tape + pointer + offset]) and its state block with ([state + field]).
 */
export interface X64Mem {
  readonly base: X64Gp;
  readonly index: X64Gp | undefined;
  readonly disp: number;
}

/** [base + disp] or [base + index + disp]; both registers 64-bit, and rsp cannot be an index. */
export function x64Mem(base: X64Gp, disp = 0, index?: X64Gp): X64Mem {
  x64Reg(base, 64, "memory base");
  if (index !== undefined) {
    x64Reg(index, 64, "memory index");
    if (index.id === 4) throw new JitError("E_RANGE", "rsp cannot be a memory index");
  }
  sfield(disp, 32, "displacement");
  return { base, index, disp };
}

function memText(m: X64Mem): string {
  const index = m.index === undefined ? "" : ` + ${m.index.name}`;
  const disp = m.disp === 0 ? "" : m.disp > 0 ? ` + ${m.disp}` : ` - ${-m.disp}`;
  return `[${m.base.name}${index}${disp}]`;
}

const PTR = { 8: "byte ptr", 32: "dword ptr", 64: "qword ptr" } as const;

/**
 * Opcodes are numbers: one byte (0x89), 0F and a byte (0x0faf), or a mandatory prefix, 0F and a byte
 * (0xf20f2c: F2 0F 2C), whose prefix goes before REX.
 */
function opcodeSize(opcode: number): number {
  return opcode > 0xffff ? 3 : opcode > 0xff ? 2 : 1;
}

/** The opcode at out[p] with `rexValue` (0: none) in its place; returns the position after it. */
function putOpcode(out: Uint8Array, p: number, opcode: number, rexValue: number): number {
  if (opcode > 0xffff) out[p++] = opcode >> 16;
  if (rexValue !== 0) out[p++] = rexValue;
  if (opcode > 0xff) out[p++] = (opcode >> 8) & 0xff;
  out[p++] = opcode & 0xff;
  return p;
}

export class X64Assembler extends CodeBuffer {
  readonly arch = "x64" as const;

  /**
   * [REX] opcode ModRM [SIB] [disp8/disp32] for a memory operand, with `reg` (a register or a /digit) in
   * ModRM.reg. mod = 00 (no displacement) unless the base is rbp/r13, whose 00 form means rip-relative or
   * no base; 01 for a displacement that fits 8 bits; 10 for 32 bits. rm = 100 (a SIB byte follows) when
   * there is an index or the base is rsp/r12, whose rm code is the SIB escape.
   * Written straight into the stream: the opcode as a number (see opcodeSize); then `immBytes` (0, 1 or
   * 4) of `imm`, already checked to fit by the caller.
   */
  private memInsn(opcode: number, reg: X64Gp | number, m: X64Mem, w: boolean, immBytes: 0 | 1 | 4, imm: number, text: string | false): void {
    const regId = typeof reg === "number" ? ufield(reg, 3, "ModRM.reg digit") : reg.id;
    const b = m.base.id, x = m.index === undefined ? -1 : m.index.id;
    const rexValue = 0x40 | (w ? 8 : 0) | (regId >= 8 ? 4 : 0) | (x >= 8 ? 2 : 0) | (b >= 8 ? 1 : 0);
    const hasRex = rexValue !== 0x40 || needsRexForByte(reg);
    const disp = m.disp;
    const mod = disp === 0 && (b & 7) !== 5 ? 0 : disp >= -128 && disp <= 127 ? 1 : 2;
    const sib = x >= 0 || (b & 7) === 4;
    const size = (hasRex ? 1 : 0) + opcodeSize(opcode) + 1 + (sib ? 1 : 0) + (mod === 1 ? 1 : mod === 2 ? 4 : 0) + immBytes;
    let p = this.reserve(size);
    const at = p, out = this.out;
    p = putOpcode(out, p, opcode, hasRex ? rexValue : 0);
    out[p++] = (mod << 6) | ((regId & 7) << 3) | (sib ? 4 : b & 7);
    if (sib) out[p++] = ((x < 0 ? 4 : x & 7) << 3) | (b & 7);
    if (mod === 1) out[p++] = disp & 0xff;
    else if (mod === 2) p = putLe32(out, p, disp);
    if (immBytes === 1) out[p++] = imm & 0xff;
    else if (immBytes === 4) putLe32(out, p, imm);
    this.written(at, text);
  }

  /**
   * [REX] opcode [ModRM] [imm] for register forms, straight into the stream: `rexValue` 0 for none,
   * `modrm` -1 for none (opcode+rd forms), `immBytes` of `imm` (checked by the caller).
   */
  private regInsn(rexValue: number, opcode: number, modrm: number, immBytes: 0 | 1 | 4, imm: number, text: string | false): void {
    const size = (rexValue !== 0 ? 1 : 0) + opcodeSize(opcode) + (modrm >= 0 ? 1 : 0) + immBytes;
    let p = this.reserve(size);
    const at = p, out = this.out;
    p = putOpcode(out, p, opcode, rexValue);
    if (modrm >= 0) out[p++] = modrm;
    if (immBytes === 1) out[p++] = imm & 0xff;
    else if (immBytes === 4) putLe32(out, p, imm);
    this.written(at, text);
  }

  /**
   * [REX] opcode ModRM with mod = 11: `reg` (a register, or an opcode extension /digit) in ModRM.reg, `rm`
   * in ModRM.rm, REX.W when `rm` is 64-bit (see opcodeSize for the opcode).
   */
  private rrInsn(opcode: number, reg: X64Gp | number, rm: X64Gp, text: string | false): void {
    this.regInsn(rexFor(rm.bits === 64, reg, rm), opcode, modrmReg(reg, rm), 0, 0, text);
  }

  /**
   * B8+rd id — MOV r32, imm32 (the upper half of the 64-bit register is zeroed); REX.W + C7 /0 id — MOV
   * r/m64, imm32 (sign-extended), the article's `mov rax, strict dword imm`. The forms assemblers pick.
   */
  movRI(dst: X64Gp, imm: number): void {
    x64Reg(dst, W32_OR_64, "mov destination");
    const v = sfield(imm, 32, "imm32");
    const text = this.withListing && `mov ${dst.name}, ${imm}`;
    if (dst.bits === 64) this.regInsn(rexFor(true, 0, dst), 0xc7, modrmReg(0, dst), 4, v, text);
    else this.regInsn(rexFor(false, 0, dst), 0xb8 + (dst.id & 7), -1, 4, v, text);
  }

  /** REX.W + 63 /r — MOVSXD r64, r/m32: sign-extend a 32-bit result into the whole register. */
  movsxdRR(dst: X64Gp, src: X64Gp): void {
    x64Reg(dst, 64, "movsxd destination");
    x64Reg(src, 32, "movsxd source");
    this.regInsn(rexFor(true, dst, src), 0x63, modrmReg(dst, src), 0, 0, this.withListing && `movsxd ${dst.name}, ${src.name}`);
  }

  /** 89 /r — MOV r/m32, r32 (REX.W for r/m64, r64). */
  movRR(dst: X64Gp, src: X64Gp): void {
    x64Reg(dst, W32_OR_64, "mov destination");
    sameWidth(dst, src);
    this.rrInsn(0x89, src, dst, this.withListing && `mov ${dst.name}, ${src.name}`);
  }

  /** 01 /r — ADD r/m32, r32 (REX.W: ADD r/m64, r64). */
  addRR(dst: X64Gp, src: X64Gp): void {
    this.alu(0x01, "add", dst, src);
  }
  /** 29 /r — SUB r/m32, r32. */
  subRR(dst: X64Gp, src: X64Gp): void {
    this.alu(0x29, "sub", dst, src);
  }
  /** 21 /r — AND r/m32, r32. */
  andRR(dst: X64Gp, src: X64Gp): void {
    this.alu(0x21, "and", dst, src);
  }
  /** 09 /r — OR r/m32, r32. */
  orRR(dst: X64Gp, src: X64Gp): void {
    this.alu(0x09, "or", dst, src);
  }
  /** 31 /r — XOR r/m32, r32. */
  xorRR(dst: X64Gp, src: X64Gp): void {
    this.alu(0x31, "xor", dst, src);
  }
  /** 39 /r — CMP r/m32, r32 (flags from dst - src). */
  cmpRR(dst: X64Gp, src: X64Gp): void {
    this.alu(0x39, "cmp", dst, src);
  }
  private alu(opcode: number, mnemonic: string, dst: X64Gp, src: X64Gp): void {
    x64Reg(dst, W32_OR_64, mnemonic, "destination");
    sameWidth(dst, src);
    this.rrInsn(opcode, src, dst, this.withListing && `${mnemonic} ${dst.name}, ${src.name}`);
  }

  /** 83 /7 ib — CMP r/m32, imm8; 3D id — CMP EAX, imm32; 81 /7 id — CMP r/m32, imm32 (see aluImm): flags from dst - imm. */
  cmpRI(dst: X64Gp, imm: number): void {
    this.aluImm(7, 0x3d, "cmp", dst, imm);
  }

  /** 0F AF /r — IMUL r32, r/m32 (low 32 bits of the product: wraps like Math.imul). */
  imulRR(dst: X64Gp, src: X64Gp): void {
    x64Reg(dst, 32, "imul destination");
    sameWidth(dst, src);
    this.rrInsn(0x0faf, dst, src, this.withListing && `imul ${dst.name}, ${src.name}`);
  }

  /** F7 /3 — NEG r/m32. */
  negR(dst: X64Gp): void {
    x64Reg(dst, 32, "neg operand");
    this.rrInsn(0xf7, 3, dst, this.withListing && `neg ${dst.name}`);
  }

  /** F7 /2 — NOT r/m32. */
  notR(dst: X64Gp): void {
    x64Reg(dst, 32, "not operand");
    this.rrInsn(0xf7, 2, dst, this.withListing && `not ${dst.name}`);
  }

  /** D3 /4 — SHL r/m32, CL. */
  shlRCl(dst: X64Gp): void {
    this.shiftCl(4, "shl", dst);
  }
  /** D3 /7 — SAR r/m32, CL (arithmetic). */
  sarRCl(dst: X64Gp): void {
    this.shiftCl(7, "sar", dst);
  }
  /** D3 /5 — SHR r/m32, CL (logical). */
  shrRCl(dst: X64Gp): void {
    this.shiftCl(5, "shr", dst);
  }

  private shiftCl(digit: number, mnemonic: string, dst: X64Gp): void {
    x64Reg(dst, 32, mnemonic, "operand");
    // The hardware masks the count to its low 5 bits for 32-bit operands, as JavaScript does.
    this.rrInsn(0xd3, digit, dst, this.withListing && `${mnemonic} ${dst.name}, cl`);
  }

  /** 99 — CDQ: sign-extend eax into edx:eax before idiv. */
  cdq(): void {
    this.regInsn(0, 0x99, -1, 0, 0, "cdq");
  }

  /** F7 /7 — IDIV r/m32: edx:eax / src → quotient eax, remainder edx. Traps (#DE) on 0 and INT_MIN/-1. */
  idivR(src: X64Gp): void {
    x64Reg(src, 32, "idiv divisor");
    this.rrInsn(0xf7, 7, src, this.withListing && `idiv ${src.name}`);
  }

  /** 0F 90+cc /0 — SETcc r/m8. */
  setccR(cond: X64Cond, dst: X64Gp): void {
    x64Reg(dst, 8, "setcc destination");
    this.rrInsn(0x0f90 + X64_CONDITIONS[cond], 0, dst, this.withListing && `set${cond} ${dst.name}`);
  }

  /** 0F B6 /r — MOVZX r32, r/m8. */
  movzxRR(dst: X64Gp, src: X64Gp): void {
    x64Reg(dst, 32, "movzx destination");
    x64Reg(src, 8, "movzx source");
    this.rrInsn(0x0fb6, dst, src, this.withListing && `movzx ${dst.name}, ${src.name}`);
  }

  /** 50+rd — PUSH r64 (REX.B for r8..r15). */
  pushR(src: X64Gp): void {
    x64Reg(src, 64, "push operand");
    this.regInsn(rexFor(false, 0, src), 0x50 + (src.id & 7), -1, 0, 0, this.withListing && `push ${src.name}`);
  }

  /** 58+rd — POP r64. */
  popR(dst: X64Gp): void {
    x64Reg(dst, 64, "pop operand");
    this.regInsn(rexFor(false, 0, dst), 0x58 + (dst.id & 7), -1, 0, 0, this.withListing && `pop ${dst.name}`);
  }

  /** FF /4 — JMP r/m64 (register indirect). */
  jmpR(target: X64Gp): void {
    x64Reg(target, 64, "jmp target");
    this.regInsn(rexFor(false, 4, target), 0xff, modrmReg(4, target), 0, 0, this.withListing && `jmp ${target.name}`);
  }

  /** F2 REX.W 0F 2C /r — CVTTSD2SI r64, xmm1/m64: the double in xmm, truncated to a 64-bit integer. */
  cvttsd2siRF(dst: X64Gp, src: X64Xmm): void {
    x64Reg(dst, 64, "cvttsd2si destination");
    x64XmmReg(src, "cvttsd2si source");
    this.regInsn(rexFor(true, dst, src), 0xf20f2c, modrmReg(dst, src), 0, 0, this.withListing && `cvttsd2si ${dst.name}, ${src.name}`);
  }

  /** F2 REX.W 0F 2C /r — CVTTSD2SI r64, xmm1/m64, from memory: the double at [m], truncated. */
  cvttsd2siRM(dst: X64Gp, m: X64Mem): void {
    x64Reg(dst, 64, "cvttsd2si destination");
    this.memInsn(0xf20f2c, dst, m, true, 0, 0, this.withListing && `cvttsd2si ${dst.name}, qword ptr ${memText(m)}`);
  }

  // ---- SSE2 scalar doubles (the functions chapter's f64): xmm in ModRM.reg or .rm as a general register's number would be ----

  /** F2 0F 10 /r — MOVSD xmm1, xmm2: the low 64 bits (the upper half of xmm1 is kept). */
  movsdFF(dst: X64Xmm, src: X64Xmm): void {
    this.sseRR(0xf20f10, "movsd", dst, src);
  }
  /**
   * 0F 28 /r — MOVAPS xmm1, xmm2: the whole register. The copy between registers a code generator
   * wants: movsd xmm, xmm merges into the destination's upper half, so it waits for whatever last
   * wrote the destination (a false dependency that serializes a loop's independent chains).
   */
  movapsFF(dst: X64Xmm, src: X64Xmm): void {
    this.sseRR(0x0f28, "movaps", dst, src);
  }
  /** F2 0F 51 /r — SQRTSD xmm1, xmm2: the correctly rounded square root (NaN for a negative, -0 for -0). */
  sqrtsdFF(dst: X64Xmm, src: X64Xmm): void {
    this.sseRR(0xf20f51, "sqrtsd", dst, src);
  }
  /** 0F 57 /r — XORPS xmm1, xmm2: with itself, zero (and no wait on the old value: a dependency breaker). */
  xorpsFF(dst: X64Xmm, src: X64Xmm): void {
    this.sseRR(0x0f57, "xorps", dst, src);
  }
  /** F2 0F 10 /r — MOVSD xmm1, m64 (the upper half is zeroed). */
  movsdFM(dst: X64Xmm, m: X64Mem): void {
    x64XmmReg(dst, "movsd destination");
    this.memInsn(0xf20f10, x64Gp(dst.id, 64), m, false, 0, 0, this.withListing && `movsd ${dst.name}, qword ptr ${memText(m)}`);
  }
  /** F2 0F 11 /r — MOVSD m64, xmm1. */
  movsdMF(m: X64Mem, src: X64Xmm): void {
    x64XmmReg(src, "movsd source");
    this.memInsn(0xf20f11, x64Gp(src.id, 64), m, false, 0, 0, this.withListing && `movsd qword ptr ${memText(m)}, ${src.name}`);
  }
  /** F2 0F 58 /r — ADDSD xmm1, xmm2. */
  addsdFF(dst: X64Xmm, src: X64Xmm): void {
    this.sseRR(0xf20f58, "addsd", dst, src);
  }
  /** F2 0F 5C /r — SUBSD xmm1, xmm2. */
  subsdFF(dst: X64Xmm, src: X64Xmm): void {
    this.sseRR(0xf20f5c, "subsd", dst, src);
  }
  /** F2 0F 59 /r — MULSD xmm1, xmm2. */
  mulsdFF(dst: X64Xmm, src: X64Xmm): void {
    this.sseRR(0xf20f59, "mulsd", dst, src);
  }
  /** F2 0F 5E /r — DIVSD xmm1, xmm2. */
  divsdFF(dst: X64Xmm, src: X64Xmm): void {
    this.sseRR(0xf20f5e, "divsd", dst, src);
  }
  /** 66 0F 2E /r — UCOMISD xmm1, xmm2: unordered (a NaN) sets ZF, PF and CF; a < b sets CF; equal sets ZF. */
  ucomisdFF(a: X64Xmm, b: X64Xmm): void {
    this.sseRR(0x660f2e, "ucomisd", a, b);
  }
  /** F2 0F 2A /r — CVTSI2SD xmm1, r/m32: an int32 to the double that equals it (always exact). */
  cvtsi2sdFR(dst: X64Xmm, src: X64Gp): void {
    x64XmmReg(dst, "cvtsi2sd destination");
    x64Reg(src, 32, "cvtsi2sd source");
    this.regInsn(rexFor(false, dst, src), 0xf20f2a, modrmReg(dst, src), 0, 0, this.withListing && `cvtsi2sd ${dst.name}, ${src.name}`);
  }
  /** REX.W B8+rd io — MOV r64, imm64 (movabs): a double's bits, or any 64-bit constant. */
  movabsRI(dst: X64Gp, imm: bigint): void {
    x64Reg(dst, 64, "movabs destination");
    const v = BigInt.asUintN(64, imm);
    if (v !== imm && BigInt.asIntN(64, imm) !== imm) throw new JitError("E_RANGE", `imm64 ${imm} does not fit 64 bits`);
    let p = this.reserve(10);
    const at = p, out = this.out;
    out[p++] = 0x48 | (dst.id >= 8 ? 1 : 0);
    out[p++] = 0xb8 + (dst.id & 7);
    for (let i = 0n; i < 8n; i++) out[p++] = Number((v >> (8n * i)) & 0xffn);
    this.written(at, this.withListing && `movabs ${dst.name}, ${BigInt.asIntN(64, v)}`);
  }
  /** REX.W C1 /5 ib — SHR r/m64, imm8 (a double's high bits down: its sign and exponent). */
  shrRI64(dst: X64Gp, count: number): void {
    x64Reg(dst, 64, "shr", "operand");
    const imm = ufield(count, 6, "shr", "count");
    this.regInsn(rexFor(true, 5, dst), 0xc1, modrmReg(5, dst), 1, imm, this.withListing && `shr ${dst.name}, ${imm}`);
  }

  private sseRR(opcode: number, mnemonic: string, dst: X64Xmm, src: X64Xmm): void {
    x64XmmReg(dst, `${mnemonic} destination`);
    x64XmmReg(src, `${mnemonic} source`);
    this.regInsn(rexFor(false, dst, src), opcode, modrmReg(dst, src), 0, 0, this.withListing && `${mnemonic} ${dst.name}, ${src.name}`);
  }

  /** C3 — RET (near). */
  ret(): void {
    this.regInsn(0, 0xc3, -1, 0, 0, "ret");
  }

  /** EB cb — JMP rel8; E9 cd — JMP rel32 (chosen at finish()). */
  jmp(label: Label): void {
    this.branch(X64_JMP, label);
  }

  /** 70+cc cb — Jcc rel8; 0F 80+cc cd — Jcc rel32 (chosen at finish()). */
  jcc(cond: X64Cond, label: Label): void {
    this.branch(X64_JCC | (X64_CONDITIONS[cond] << 2), label);
  }

  /** E8 cd — CALL rel32: a direct call to a label in the same code (there is no short form). */
  call(label: Label): void {
    this.branch(X64_CALL, label);
  }

  // A branch form is a number: X64_JMP, X64_CALL, or X64_JCC with the condition code above the kind.
  protected branchSize(form: number, long: boolean): number {
    const kind = form & 3;
    if (kind === X64_CALL) return 5;
    return long ? (kind === X64_JMP ? 5 : 6) : 2;
  }

  protected branchFits(form: number, displacement: number): boolean {
    if ((form & 3) === X64_CALL) return true; // always rel32: "short" is its only form
    // rel8 counts from the end of the two-byte short form.
    const rel = displacement - this.branchSize(form, false);
    return rel >= -128 && rel <= 127;
  }

  protected encodeBranch(form: number, displacement: number, long: boolean, out: Uint8Array, at: number): void {
    const rel = displacement - this.branchSize(form, long); // x86 displacements count from the end
    const kind = form & 3;
    const cc = form >> 2;
    if (kind === X64_CALL) {
      out[at] = 0xe8;
      putLe32(out, at + 1, sfield(rel, 32, "rel32"));
      return;
    }
    if (!long) {
      out[at] = kind === X64_JMP ? 0xeb : 0x70 + cc;
      out[at + 1] = sfield(rel, 8, "rel8");
      return;
    }
    let p = at;
    if (kind === X64_JMP) out[p++] = 0xe9;
    else {
      out[p++] = 0x0f;
      out[p++] = 0x80 + cc;
    }
    putLe32(out, p, sfield(rel, 32, "rel32"));
  }

  protected branchText(form: number, label: string): string {
    const kind = form & 3;
    return kind === X64_JMP ? `jmp ${label}` : kind === X64_CALL ? `call ${label}` : `j${X64_COND_NAMES[form >> 2]} ${label}`;
  }

  /** 90 — NOP, `count` times (the padding of align()). */
  protected nops(out: Uint8Array, at: number, count: number): void {
    out.fill(0x90, at, at + count);
  }
  protected nopText(count: number): string {
    return Array<string>(count).fill("nop").join("; ");
  }

  /** FF /2 — CALL r/m64 (register indirect). */
  callR(target: X64Gp): void {
    x64Reg(target, 64, "call target");
    this.regInsn(rexFor(false, 2, target), 0xff, modrmReg(2, target), 0, 0, this.withListing && `call ${target.name}`);
  }

  /** 85 /r — TEST r/m32, r32 (REX.W: r/m64, r64): flags from dst AND src. */
  testRR(dst: X64Gp, src: X64Gp): void {
    this.alu(0x85, "test", dst, src);
  }

  /** 0F 40+cc /r — CMOVcc r32, r/m32 (REX.W: r64, r/m64): dst = src when the condition holds. */
  cmovccRR(cond: X64Cond, dst: X64Gp, src: X64Gp): void {
    x64Reg(dst, W32_OR_64, "cmov destination");
    sameWidth(dst, src);
    this.rrInsn(0x0f40 + X64_CONDITIONS[cond], dst, src, this.withListing && `cmov${cond} ${dst.name}, ${src.name}`);
  }

  /** REX.W 2B /r — SUB r64, r/m64 from memory. */
  subRM(dst: X64Gp, m: X64Mem): void {
    x64Reg(dst, 64, "sub destination");
    this.memInsn(0x2b, dst, m, true, 0, 0, this.withListing && `sub ${dst.name}, qword ptr ${memText(m)}`);
  }

  /** C7 /0 id — MOV r/m32, imm32: a 32-bit constant to memory. */
  movMI32(m: X64Mem, imm: number): void {
    this.memInsn(0xc7, 0, m, false, 4, sfield(imm, 32, "imm32"), this.withListing && `mov dword ptr ${memText(m)}, ${imm}`);
  }

  /** 66 REX.W 0F 6E /r — MOVQ xmm, r/m64: a general register's 64 bits into an SSE register (upper half zeroed). */
  movqFR(dst: X64Xmm, src: X64Gp): void {
    x64Reg(src, 64, "movq source");
    this.regInsn(0x48 | (dst.id >= 8 ? 4 : 0) | (src.id >= 8 ? 1 : 0), 0x660f6e, 0xc0 | ((dst.id & 7) << 3) | (src.id & 7), 0, 0, this.withListing && `movq ${dst.name}, ${src.name}`);
  }

  /** 66 REX.W 0F 7E /r — MOVQ r/m64, xmm: an SSE register's low 64 bits into a general register. */
  movqRF(dst: X64Gp, src: X64Xmm): void {
    x64Reg(dst, 64, "movq destination");
    this.regInsn(0x48 | (src.id >= 8 ? 4 : 0) | (dst.id >= 8 ? 1 : 0), 0x660f7e, 0xc0 | ((src.id & 7) << 3) | (dst.id & 7), 0, 0, this.withListing && `movq ${dst.name}, ${src.name}`);
  }

  /** F3 0F 7F /r — MOVDQU m128, xmm: all 128 bits of an SSE register to memory (any alignment). */
  movdquMF(m: X64Mem, src: X64Xmm): void {
    // The xmm register's number goes where a general register's would (ModRM.reg, REX.R).
    this.memInsn(0xf30f7f, x64Gp(src.id, 64), m, false, 0, 0, this.withListing && `movdqu xmmword ptr ${memText(m)}, ${src.name}`);
  }

  /** F3 0F 6F /r — MOVDQU xmm, m128. */
  movdquFM(dst: X64Xmm, m: X64Mem): void {
    this.memInsn(0xf30f6f, x64Gp(dst.id, 64), m, false, 0, 0, this.withListing && `movdqu ${dst.name}, xmmword ptr ${memText(m)}`);
  }


  /** D1 /4 — SHL r/m32, 1 when the count is 1 (as assemblers pick); else C1 /4 ib — SHL r/m32, imm8. */
  shlRI(dst: X64Gp, count: number): void {
    this.shiftImm(4, "shl", dst, count);
  }
  /** D1 /7 — SAR r/m32, 1; C1 /7 ib — SAR r/m32, imm8 (arithmetic). */
  sarRI(dst: X64Gp, count: number): void {
    this.shiftImm(7, "sar", dst, count);
  }
  /** D1 /5 — SHR r/m32, 1; C1 /5 ib — SHR r/m32, imm8 (logical). */
  shrRI(dst: X64Gp, count: number): void {
    this.shiftImm(5, "shr", dst, count);
  }

  private shiftImm(digit: number, mnemonic: string, dst: X64Gp, count: number): void {
    x64Reg(dst, 32, mnemonic, "operand");
    // Counts 0..31 only: the hardware would mask a larger one, and the listing would then mislead.
    const imm = ufield(count, 5, mnemonic, "count");
    const text = this.withListing && `${mnemonic} ${dst.name}, ${imm}`;
    if (imm === 1) this.rrInsn(0xd1, digit, dst, text);
    else this.regInsn(rexFor(false, digit, dst), 0xc1, modrmReg(digit, dst), 1, imm, text);
  }

  /** 83 /0 ib — ADD r/m32, imm8; 05 id — ADD EAX, imm32; 81 /0 id — ADD r/m32, imm32 (see aluImm); REX.W for r/m64. */
  addRI(dst: X64Gp, imm: number): void {
    this.aluImm(0, 0x05, "add", dst, imm);
  }
  /** 83 /1 ib — OR r/m32, imm8; 0D id — OR EAX, imm32; 81 /1 id — OR r/m32, imm32. */
  orRI(dst: X64Gp, imm: number): void {
    this.aluImm(1, 0x0d, "or", dst, imm);
  }
  /** 83 /4 ib — AND r/m32, imm8; 25 id — AND EAX, imm32; 81 /4 id — AND r/m32, imm32. */
  andRI(dst: X64Gp, imm: number): void {
    this.aluImm(4, 0x25, "and", dst, imm);
  }
  /** 83 /5 ib — SUB r/m32, imm8; 2D id — SUB EAX, imm32; 81 /5 id — SUB r/m32, imm32. */
  subRI(dst: X64Gp, imm: number): void {
    this.aluImm(5, 0x2d, "sub", dst, imm);
  }
  /** 83 /6 ib — XOR r/m32, imm8; 35 id — XOR EAX, imm32; 81 /6 id — XOR r/m32, imm32. */
  xorRI(dst: X64Gp, imm: number): void {
    this.aluImm(6, 0x35, "xor", dst, imm);
  }

  /**
   * The shortest encoding, as assemblers pick: a sign-extended imm8 when the value fits, else the
   * one-byte-shorter accumulator form for eax, else the general imm32 form.
   */
  private aluImm(digit: number, accumulator: number, mnemonic: string, dst: X64Gp, imm: number): void {
    x64Reg(dst, W32_OR_64, mnemonic, "destination"); // REX.W (rexFor) for a 64-bit register; imm32 sign-extended
    const short = Number.isInteger(imm) && imm >= -128 && imm <= 127;
    const w = dst.bits === 64;
    const text = this.withListing && `${mnemonic} ${dst.name}, ${imm}`;
    if (short) this.regInsn(rexFor(w, digit, dst), 0x83, modrmReg(digit, dst), 1, sfield(imm, 8, "imm8"), text);
    else {
      const v = sfield(imm, 32, "imm32");
      if (dst.id === 0) this.regInsn(w ? 0x48 : 0, accumulator, -1, 4, v, text);
      else this.regInsn(rexFor(w, digit, dst), 0x81, modrmReg(digit, dst), 4, v, text);
    }
  }

  /** 6B /r ib — IMUL r32, r/m32, imm8 (sign-extended) when it fits; else 69 /r id — IMUL r32, r/m32, imm32. */
  imulRRI(dst: X64Gp, src: X64Gp, imm: number): void {
    x64Reg(dst, 32, "imul destination");
    x64Reg(src, 32, "imul source");
    const short = Number.isInteger(imm) && imm >= -128 && imm <= 127;
    const value = short ? sfield(imm, 8, "imm8") : sfield(imm, 32, "imm32");
    this.regInsn(rexFor(false, dst, src), short ? 0x6b : 0x69, modrmReg(dst, src), short ? 1 : 4, value, this.withListing && `imul ${dst.name}, ${src.name}, ${imm}`);
  }

  /** 8B /r — MOV r32, r/m32 (REX.W: MOV r64, r/m64) from memory. */
  movRM(dst: X64Gp, m: X64Mem): void {
    x64Reg(dst, W32_OR_64, "mov destination");
    this.memInsn(0x8b, dst, m, dst.bits === 64, 0, 0, this.withListing && `mov ${dst.name}, ${PTR[dst.bits]} ${memText(m)}`);
  }

  /** 88 /r — MOV r/m8, r8; 89 /r — MOV r/m32, r32 (REX.W: r/m64, r64): a register to memory. */
  movMR(m: X64Mem, src: X64Gp): void {
    x64Reg(src, ANY_WIDTH, "mov source");
    this.memInsn(src.bits === 8 ? 0x88 : 0x89, src, m, src.bits === 64, 0, 0, this.withListing && `mov ${PTR[src.bits]} ${memText(m)}, ${src.name}`);
  }

  /** C6 /0 ib — MOV r/m8, imm8: store a byte constant (0..255). */
  movMI8(m: X64Mem, imm: number): void {
    this.memInsn(0xc6, 0, m, false, 1, ufield(imm, 8, "imm8"), this.withListing && `mov byte ptr ${memText(m)}, ${imm}`);
  }

  /** 80 /0 ib — ADD r/m8, imm8: a byte that wraps modulo 256, as a Brainfuck cell does. */
  addMI8(m: X64Mem, imm: number): void {
    this.byteImm(0, "add", m, imm);
  }
  /** 80 /7 ib — CMP r/m8, imm8. */
  cmpMI8(m: X64Mem, imm: number): void {
    this.byteImm(7, "cmp", m, imm);
  }
  private byteImm(digit: number, mnemonic: string, m: X64Mem, imm: number): void {
    this.memInsn(0x80, digit, m, false, 1, ufield(imm, 8, "imm8"), this.withListing && `${mnemonic} byte ptr ${memText(m)}, ${imm}`);
  }

  /** 00 /r — ADD r/m8, r8. */
  addMR(m: X64Mem, src: X64Gp): void {
    x64Reg(src, 8, "add source");
    this.memInsn(0x00, src, m, false, 0, 0, this.withListing && `add byte ptr ${memText(m)}, ${src.name}`);
  }
  /** 28 /r — SUB r/m8, r8. */
  subMR(m: X64Mem, src: X64Gp): void {
    x64Reg(src, 8, "sub source");
    this.memInsn(0x28, src, m, false, 0, 0, this.withListing && `sub byte ptr ${memText(m)}, ${src.name}`);
  }

  /** 0F B6 /r — MOVZX r32, r/m8 from memory: load a byte, zero-extended. */
  movzxRM8(dst: X64Gp, m: X64Mem): void {
    x64Reg(dst, 32, "movzx destination");
    this.memInsn(0x0fb6, dst, m, false, 0, 0, this.withListing && `movzx ${dst.name}, byte ptr ${memText(m)}`);
  }

  /** REX.W 3B /r — CMP r64, r/m64 (flags from dst - memory); 3B /r — CMP r32, r/m32 (an index against an array's length). */
  cmpRM(dst: X64Gp, m: X64Mem): void {
    x64Reg(dst, W32_OR_64, "cmp operand");
    this.memInsn(0x3b, dst, m, dst.bits === 64, 0, 0, this.withListing && `cmp ${dst.name}, ${dst.bits === 64 ? "qword" : "dword"} ptr ${memText(m)}`);
  }

  /** 8D /r — LEA r32, m: the address arithmetic alone, truncated to 32 bits (no flags, no memory access). */
  leaRM(dst: X64Gp, m: X64Mem): void {
    x64Reg(dst, 32, "lea destination");
    this.memInsn(0x8d, dst, m, false, 0, 0, this.withListing && `lea ${dst.name}, ${memText(m)}`);
  }

  /** FF /0 — INC r/m32 (REX.W: r/m64). */
  incR(dst: X64Gp): void {
    x64Reg(dst, W32_OR_64, "inc operand");
    this.regInsn(rexFor(dst.bits === 64, 0, dst), 0xff, modrmReg(0, dst), 0, 0, this.withListing && `inc ${dst.name}`);
  }
}

// ---------------------------------------------------------------------------------------------------
// AArch64 (A64). Every instruction is one little-endian 32-bit word.

/** Condition codes for B.cond / CSET (Arm ARM C1.2.4). */
export const A64_CONDITIONS = {
  eq: 0x0, ne: 0x1, hs: 0x2, lo: 0x3, mi: 0x4, pl: 0x5, vs: 0x6, vc: 0x7,
  hi: 0x8, ls: 0x9, ge: 0xa, lt: 0xb, gt: 0xc, le: 0xd,
} as const;
export type A64Cond = keyof typeof A64_CONDITIONS;
const A64_COND_NAMES: readonly A64Cond[] = (Object.keys(A64_CONDITIONS) as A64Cond[]).sort((a, b) => A64_CONDITIONS[a] - A64_CONDITIONS[b]);
/** Branch forms (CodeBuffer.branch), in the low two bits; the operands above them (see A64Assembler.cbz). */
const A64_B = 0, A64_BCOND = 1, A64_CBZ = 2, A64_BL = 3;

/** The opposite condition: A64 condition codes (below 14) come in pairs differing in the lowest bit. */
export function invertA64(cc: A64Cond): A64Cond {
  return oppositeByCode(A64_CONDITIONS, cc);
}

/** A general register operand; `allow31` says whether number 31 is acceptable here, and as what: "zr" (wzr/xzr), "sp" or "none". */
function a64Reg(r: A64Gp, what: string, allow31: "zr" | "sp" | "none" = "none", role?: string): number {
  if (r.arch !== "arm64") throw new JitError("E_RANGE", `${named(what, role)} must be an arm64 register, got ${r.name}`);
  if (r.id === 31) {
    const isSp = r.name === "sp";
    if (allow31 === "none" || (allow31 === "zr") === isSp) {
      throw new JitError("E_RANGE", `${named(what, role)} cannot be ${r.name}`);
    }
  }
  return r.id;
}

/** sf for operands that must all be the same width: 1 for x registers, 0 for w (no rest array: hot). */
function a64Same(a: A64Gp, b: A64Gp, c?: A64Gp, d?: A64Gp): 0 | 1 {
  const bits = a.bits;
  if (b.bits !== bits || (c !== undefined && c.bits !== bits) || (d !== undefined && d.bits !== bits)) {
    const names = [a, b, c, d].flatMap((r) => (r === undefined ? [] : [r.name]));
    throw new JitError("E_RANGE", `operand widths differ: ${names.join(", ")}`);
  }
  return bits === 64 ? 1 : 0;
}

function hex(v: number): string {
  return `#0x${v.toString(16)}`;
}

/** A double-precision register (a general register has the same shape but for its width). */
function a64DReg(r: A64D, what: string): number {
  if (r.arch !== "arm64" || (r as Partial<A64Gp>).bits !== undefined) throw new JitError("E_RANGE", `${what} must be a d register, got ${r.name}`);
  return r.id;
}

/** The zero register of a width: the first operand of the aliases that read zero (neg, mvn, mov). */
function zr(bits: 32 | 64): A64Gp {
  return bits === 64 ? xzr : wzr;
}

// Each encoding group below packs its bits in one place; its forms and their aliases check the operands
// (which registers may be 31, and as what) and call it.

/** Logical and add/subtract (shifted register), shift 0: sf opc S 01010/01011 00 N Rm 000000 Rn Rd. */
function dataRegWord(sf: number, opcode: number, invert: number, m: number, n: number, d: number): number {
  return ((sf << 31) | (opcode << 24) | (invert << 21) | (m << 16) | (n << 5) | d) >>> 0;
}

/** Data-processing (2 source): sf 0 0 11010110 Rm opcode Rn Rd. */
function twoSourceWord(sf: number, opcode: number, m: number, n: number, d: number): number {
  return ((sf << 31) | (0b0011010110 << 21) | (m << 16) | (opcode << 10) | (n << 5) | d) >>> 0;
}

/** Data-processing (3 source), MADD/MSUB: sf 00 11011 000 Rm o0 Ra Rn Rd. */
function threeSourceWord(sf: number, o0: number, m: number, a: number, n: number, d: number): number {
  return ((sf << 31) | (0b0011011 << 24) | (m << 16) | (o0 << 15) | (a << 10) | (n << 5) | d) >>> 0;
}

/** Add/subtract (immediate): sf op S 100010 0 imm12 Rn Rd. */
function addSubImmWord(sf: number, op: number, s: number, imm12: number, n: number, d: number): number {
  return ((sf << 31) | (op << 30) | (s << 29) | (0b100010 << 23) | (imm12 << 10) | (n << 5) | d) >>> 0;
}

/** Load/store register, 9-bit signed immediate: size 111 0 00 opc 0 imm9 mode Rn Rt (mode 00 unscaled, 01 post-, 11 pre-index). */
function imm9Word(size: number, opc: number, imm9: number, mode: number, n: number, t: number): number {
  return ((size << 30) | (0b111000 << 24) | (opc << 22) | (imm9 << 12) | (mode << 10) | (n << 5) | t) >>> 0;
}

export class A64Assembler extends CodeBuffer {
  readonly arch = "arm64" as const;

  /** MOVZ: sf 10 100101 hw imm16 Rd — Rd = imm16 << (hw*16), other bits zero. */
  movzRI(rd: A64Gp, imm16: number, shift = 0): void {
    this.moveWide(0b10, "movz", rd, imm16, shift);
  }
  /** MOVN: sf 00 100101 hw imm16 Rd — Rd = ~(imm16 << (hw*16)). */
  movnRI(rd: A64Gp, imm16: number, shift = 0): void {
    this.moveWide(0b00, "movn", rd, imm16, shift);
  }
  /** MOVK: sf 11 100101 hw imm16 Rd — replace one 16-bit field of Rd, keep the rest. */
  movkRI(rd: A64Gp, imm16: number, shift = 0): void {
    this.moveWide(0b11, "movk", rd, imm16, shift);
  }

  private moveWide(opc: number, mnemonic: string, rd: A64Gp, imm16: number, shift: number): void {
    const d = a64Reg(rd, mnemonic, "none", "destination");
    const sf = rd.bits === 64 ? 1 : 0;
    if (shift % 16 !== 0 || shift < 0 || shift >= rd.bits) {
      throw new JitError("E_RANGE", `${mnemonic} shift ${shift} is not a multiple of 16 below ${rd.bits}`);
    }
    ufield(imm16, 16, mnemonic, "imm16");
    const w = (sf << 31) | (opc << 29) | (0b100101 << 23) | ((shift / 16) << 21) | (imm16 << 5) | d;
    this.insnWord(w >>> 0, this.withListing && `${mnemonic} ${rd.name}, ${hex(imm16)}${shift ? `, lsl #${shift}` : ""}`);
  }

  /**
   * A sequence, not one form: any 32-bit value into a w register with the fewest instructions, one
   * MOVZ or MOVN when one half is all zeros or all ones, otherwise MOVZ + MOVK.
   */
  movImm32(rd: A64Gp, value: number): void {
    if (rd.bits !== 32) throw new JitError("E_RANGE", `movImm32 needs a w register, got ${rd.name}`);
    const v = sfield(value, 32, "imm32");
    const lo = v & 0xffff;
    const hi = v >>> 16;
    if (hi === 0) this.movzRI(rd, lo);
    else if (hi === 0xffff) this.movnRI(rd, ~lo & 0xffff);
    else if (lo === 0) this.movzRI(rd, hi, 16);
    else if (lo === 0xffff) this.movnRI(rd, ~hi & 0xffff, 16);
    else {
      this.movzRI(rd, lo);
      this.movkRI(rd, hi, 16);
    }
  }

  /** ADD (shifted register): sf 0 0 01011 shift 0 Rm imm6 Rn Rd, with no shift. */
  addRRR(rd: A64Gp, rn: A64Gp, rm: A64Gp): void {
    this.dataReg(0b0001011, "add", rd, rn, rm);
  }
  /** SUB (shifted register): sf 1 0 01011 shift 0 Rm imm6 Rn Rd. */
  subRRR(rd: A64Gp, rn: A64Gp, rm: A64Gp): void {
    this.dataReg(0b1001011, "sub", rd, rn, rm);
  }
  /** AND (shifted register): sf 00 01010 shift 0 Rm imm6 Rn Rd. */
  andRRR(rd: A64Gp, rn: A64Gp, rm: A64Gp): void {
    this.dataReg(0b0001010, "and", rd, rn, rm);
  }
  /** ORR (shifted register): sf 01 01010 shift 0 Rm imm6 Rn Rd. */
  orrRRR(rd: A64Gp, rn: A64Gp, rm: A64Gp): void {
    this.dataReg(0b0101010, "orr", rd, rn, rm);
  }
  /** EOR (shifted register): sf 10 01010 shift 0 Rm imm6 Rn Rd. */
  eorRRR(rd: A64Gp, rn: A64Gp, rm: A64Gp): void {
    this.dataReg(0b1001010, "eor", rd, rn, rm);
  }

  private dataReg(opcode: number, mnemonic: string, rd: A64Gp, rn: A64Gp, rm: A64Gp): void {
    const sf = a64Same(rd, rn, rm);
    const d = a64Reg(rd, mnemonic, "none", "destination");
    const n = a64Reg(rn, mnemonic, "zr", "first operand");
    const m = a64Reg(rm, mnemonic, "zr", "second operand");
    this.insnWord(dataRegWord(sf, opcode, 0, m, n, d), this.withListing && `${mnemonic} ${rd.name}, ${rn.name}, ${rm.name}`);
  }

  /** NEG (alias of SUB Rd, ZR, Rm): sf 1 0 01011 00 0 Rm 000000 11111 Rd. */
  negRR(rd: A64Gp, rm: A64Gp): void {
    this.dataRegFromZero(0b1001011, 0, "neg", rd, rm);
  }
  /** MVN (alias of ORN Rd, ZR, Rm): sf 01 01010 00 1 Rm 000000 11111 Rd. */
  mvnRR(rd: A64Gp, rm: A64Gp): void {
    this.dataRegFromZero(0b0101010, 1, "mvn", rd, rm);
  }
  /** MOV (register, alias of ORR Rd, ZR, Rm): sf 01 01010 00 0 Rm 000000 11111 Rd. */
  movRR(rd: A64Gp, rm: A64Gp): void {
    this.dataRegFromZero(0b0101010, 0, "mov", rd, rm);
  }

  /** The aliases `op Rd, ZR, Rm` of the shifted-register group, written `mnemonic Rd, Rm`. */
  private dataRegFromZero(opcode: number, invert: number, mnemonic: string, rd: A64Gp, rm: A64Gp): void {
    const sf = a64Same(rd, rm);
    const d = a64Reg(rd, mnemonic, "none", "destination");
    const m = a64Reg(rm, mnemonic, "zr", "operand");
    this.insnWord(dataRegWord(sf, opcode, invert, m, zr(rd.bits).id, d), this.withListing && `${mnemonic} ${rd.name}, ${rm.name}`);
  }

  /** CMP (alias of SUBS ZR, Rn, Rm): sf 1 1 01011 00 0 Rm 000000 Rn 11111. */
  cmpRR(rn: A64Gp, rm: A64Gp): void {
    const sf = a64Same(rn, rm);
    const n = a64Reg(rn, "cmp", "zr", "first operand");
    const m = a64Reg(rm, "cmp", "zr", "second operand");
    this.insnWord(dataRegWord(sf, 0b1101011, 0, m, n, zr(rn.bits).id), this.withListing && `cmp ${rn.name}, ${rm.name}`);
  }

  /** CMN (immediate, alias of ADDS ZR, Rn, #imm12): sf 0 1 100010 0 imm12 Rn 11111. */
  cmnRI(rn: A64Gp, imm12: number): void {
    this.compareImm(0, "cmn", rn, imm12);
  }
  /** CMP (immediate, alias of SUBS ZR, Rn, #imm12): sf 1 1 100010 0 imm12 Rn 11111 — flags from Rn - imm12. */
  cmpRI(rn: A64Gp, imm12: number): void {
    this.compareImm(1, "cmp", rn, imm12);
  }

  private compareImm(op: number, mnemonic: string, rn: A64Gp, imm12: number): void {
    const sf = rn.bits === 64 ? 1 : 0;
    const imm = ufield(imm12, 12, mnemonic, "imm12");
    const n = a64Reg(rn, mnemonic, "sp", "operand");
    this.insnWord(addSubImmWord(sf, op, 1, imm, n, 31), this.withListing && `${mnemonic} ${rn.name}, #${imm12}`);
  }

  /** ADD (immediate): sf 0 0 100010 0 imm12 Rn Rd — Rd = Rn + imm12. */
  addRRI(rd: A64Gp, rn: A64Gp, imm12: number): void {
    this.addSubImm(0, "add", rd, rn, imm12);
  }
  /** SUB (immediate): sf 1 0 100010 0 imm12 Rn Rd — Rd = Rn - imm12. */
  subRRI(rd: A64Gp, rn: A64Gp, imm12: number): void {
    this.addSubImm(1, "sub", rd, rn, imm12);
  }

  private addSubImm(op: number, mnemonic: string, rd: A64Gp, rn: A64Gp, imm12: number): void {
    const sf = a64Same(rd, rn);
    const d = a64Reg(rd, mnemonic, "sp", "destination");
    const n = a64Reg(rn, mnemonic, "sp", "operand");
    const imm = ufield(imm12, 12, mnemonic, "imm12");
    this.insnWord(addSubImmWord(sf, op, 0, imm, n, d), this.withListing && `${mnemonic} ${rd.name}, ${rn.name}, #${imm12}`);
  }

  /** MUL (alias of MADD Rd, Rn, Rm, ZR): sf 00 11011 000 Rm 0 11111 Rn Rd — Rd = Rn*Rm. */
  mulRRR(rd: A64Gp, rn: A64Gp, rm: A64Gp): void {
    const sf = a64Same(rd, rn, rm);
    const w = threeSourceWord(sf, 0, a64Reg(rm, "mul operand"), 31, a64Reg(rn, "mul operand"), a64Reg(rd, "mul destination"));
    this.insnWord(w, this.withListing && `mul ${rd.name}, ${rn.name}, ${rm.name}`);
  }
  /** MADD: sf 00 11011 000 Rm 0 Ra Rn Rd — Rd = Ra + Rn*Rm. */
  maddRRRR(rd: A64Gp, rn: A64Gp, rm: A64Gp, ra: A64Gp): void {
    this.threeSource(0, "madd", rd, rn, rm, ra);
  }
  /** MSUB: sf 00 11011 000 Rm 1 Ra Rn Rd — Rd = Ra - Rn*Rm (remainder after SDIV). */
  msubRRRR(rd: A64Gp, rn: A64Gp, rm: A64Gp, ra: A64Gp): void {
    this.threeSource(1, "msub", rd, rn, rm, ra);
  }

  private threeSource(o0: number, mnemonic: string, rd: A64Gp, rn: A64Gp, rm: A64Gp, ra: A64Gp): void {
    const sf = a64Same(rd, rn, rm, ra);
    const w = threeSourceWord(sf, o0, a64Reg(rm, mnemonic, "none", "operand"), a64Reg(ra, mnemonic, "none", "addend"), a64Reg(rn, mnemonic, "none", "operand"), a64Reg(rd, mnemonic, "none", "destination"));
    this.insnWord(w, this.withListing && `${mnemonic} ${rd.name}, ${rn.name}, ${rm.name}, ${ra.name}`);
  }

  /** SDIV: sf 0 0 11010110 Rm 00001 1 Rn Rd — truncates toward zero; never traps (x/0 = 0). */
  sdivRRR(rd: A64Gp, rn: A64Gp, rm: A64Gp): void {
    this.twoSource(0b000011, "sdiv", rd, rn, rm);
  }
  /** LSL (register, alias of LSLV): sf 0 0 11010110 Rm 0010 00 Rn Rd — count taken modulo the width, as JavaScript does. */
  lslRRR(rd: A64Gp, rn: A64Gp, rm: A64Gp): void {
    this.twoSource(0b001000, "lsl", rd, rn, rm);
  }
  /** LSR (register, alias of LSRV): sf 0 0 11010110 Rm 0010 01 Rn Rd. */
  lsrRRR(rd: A64Gp, rn: A64Gp, rm: A64Gp): void {
    this.twoSource(0b001001, "lsr", rd, rn, rm);
  }
  /** ASR (register, alias of ASRV): sf 0 0 11010110 Rm 0010 10 Rn Rd. */
  asrRRR(rd: A64Gp, rn: A64Gp, rm: A64Gp): void {
    this.twoSource(0b001010, "asr", rd, rn, rm);
  }

  private twoSource(opcode: number, mnemonic: string, rd: A64Gp, rn: A64Gp, rm: A64Gp): void {
    const sf = a64Same(rd, rn, rm);
    const w = twoSourceWord(sf, opcode, a64Reg(rm, mnemonic, "none", "operand"), a64Reg(rn, mnemonic, "none", "operand"), a64Reg(rd, mnemonic, "none", "destination"));
    this.insnWord(w, this.withListing && `${mnemonic} ${rd.name}, ${rn.name}, ${rm.name}`);
  }

  /** LSL (immediate, alias of UBFM Rd, Rn, #(-shift mod width), #(width-1-shift)): sf 10 100110 N immr imms Rn Rd. */
  lslRRI(rd: A64Gp, rn: A64Gp, shift: number): void {
    const width = rd.bits;
    const s = this.shiftAmount("lsl", rd, rn, shift);
    this.bitfield(0b10, "lsl", rd, rn, (width - s) % width, width - 1 - s, `#${s}`);
  }
  /** LSR (immediate, alias of UBFM Rd, Rn, #shift, #(width-1)): sf 10 100110 N immr imms Rn Rd. */
  lsrRRI(rd: A64Gp, rn: A64Gp, shift: number): void {
    const s = this.shiftAmount("lsr", rd, rn, shift);
    this.bitfield(0b10, "lsr", rd, rn, s, rd.bits - 1, `#${s}`);
  }
  /** ASR (immediate, alias of SBFM Rd, Rn, #shift, #(width-1)): sf 00 100110 N immr imms Rn Rd. */
  asrRRI(rd: A64Gp, rn: A64Gp, shift: number): void {
    const s = this.shiftAmount("asr", rd, rn, shift);
    this.bitfield(0b00, "asr", rd, rn, s, rd.bits - 1, `#${s}`);
  }

  private shiftAmount(mnemonic: string, rd: A64Gp, rn: A64Gp, shift: number): number {
    a64Same(rd, rn);
    return ufield(shift, rd.bits === 64 ? 6 : 5, mnemonic, "shift");
  }

  /** SXTW (alias of SBFM Xd, Xn, #0, #31): 1 00 100110 1 000000 011111 Rn Rd — sign-extend w to x. */
  sxtwRR(rd: A64Gp, rn: A64Gp): void {
    if (rd.bits !== 64 || rn.bits !== 32) throw new JitError("E_RANGE", `sxtw needs (x, w) registers, got ${rd.name}, ${rn.name}`);
    // SBFM reads Xn: the same register number, named at the destination's width.
    this.bitfield(0b00, "sxtw", rd, rn, 0, 31, undefined);
  }

  /**
   * The bitfield-move group (SBFM opc=00, UBFM opc=10): sf opc 100110 N immr imms Rn Rd, N equal to sf
   * (the destination's width); `operand` is the listing's immediate operand, if the alias has one.
   */
  private bitfield(opc: number, mnemonic: string, rd: A64Gp, rn: A64Gp, immr: number, imms: number, operand: string | undefined): void {
    const sf = rd.bits === 64 ? 1 : 0;
    const w = (sf << 31) | (opc << 29) | (0b100110 << 23) | (sf << 22) | (immr << 16) | (imms << 10) | (a64Reg(rn, mnemonic, "none", "operand") << 5) | a64Reg(rd, mnemonic, "none", "destination");
    this.insnWord(w >>> 0, this.withListing && `${mnemonic} ${rd.name}, ${rn.name}${operand === undefined ? "" : `, ${operand}`}`);
  }

  /** CSET (alias of CSINC Rd, ZR, ZR, invert(cond)): sf 0 0 11010100 11111 cond' 0 1 11111 Rd. */
  csetR(rd: A64Gp, cond: A64Cond): void {
    const sf = rd.bits === 64 ? 1 : 0;
    const inverted = A64_CONDITIONS[invertA64(cond)];
    const w = (sf << 31) | (0b0011010100 << 21) | (31 << 16) | (inverted << 12) | (1 << 10) | (31 << 5) | a64Reg(rd, "cset destination");
    this.insnWord(w >>> 0, this.withListing && `cset ${rd.name}, ${cond}`);
  }

  /** FCVTZU (scalar, to 64-bit integer, from double): 1 00 11110 01 1 11 001 000000 Rn Rd. */
  fcvtzuRF(rd: A64Gp, dn: A64D): void {
    if (rd.bits !== 64) throw new JitError("E_RANGE", `fcvtzu needs an x register, got ${rd.name}`);
    const w = 0x9e790000 | (a64DReg(dn, "fcvtzu source") << 5) | a64Reg(rd, "fcvtzu destination");
    this.insnWord(w >>> 0, this.withListing && `fcvtzu ${rd.name}, ${dn.name}`);
  }

  /** BR: 1101011 0000 11111 000000 Rn 00000 — jump to the address in Rn. */
  brR(rn: A64Gp): void {
    const w = 0xd61f0000 | (a64Reg(rn, "br target") << 5);
    this.insnWord(w >>> 0, this.withListing && `br ${rn.name}`);
  }

  /** RET: 1101011 0 0 10 11111 0000 0 0 Rn 00000, Rn = x30 (the link register). */
  ret(): void {
    this.insnWord(0xd65f03c0, "ret");
  }

  /** B: 0 00101 imm26 — PC-relative, ±128 MiB. */
  b(label: Label): void {
    this.branch(A64_B, label);
  }

  /** NOP: 1101010100 0 00 011 0010 0000 000 11111, `count / 4` times (the padding of align()). */
  protected nops(out: Uint8Array, at: number, count: number): void {
    for (let p = at; p < at + count; p += 4) putLe32(out, p, 0xd503201f);
  }
  protected nopText(count: number): string {
    return Array<string>(count / 4).fill("nop").join("; ");
  }

  /** BL: 1 00101 imm26 — call: x30 = the return address, PC-relative, ±128 MiB. */
  bl(label: Label): void {
    this.branch(A64_BL, label);
  }

  /** BLR: 1101011 0001 11111 000000 Rn 00000 — call the address in Rn. */
  blrR(rn: A64Gp): void {
    if (rn.bits !== 64) throw new JitError("E_RANGE", `blr needs an x register, got ${rn.name}`);
    const w = 0xd63f0000 | (a64Reg(rn, "blr target") << 5);
    this.insnWord(w >>> 0, this.withListing && `blr ${rn.name}`);
  }

  /** STP (64-bit, pre-index): 10 101 0 011 0 imm7 Rt2 Rn Rt — [Xn + imm] = Rt, Rt2, then Xn += imm (a frame record's push). */
  stpRRMpre(rt: A64Gp, rt2: A64Gp, rn: A64Gp, offset: number): void {
    this.pair(0xa9800000, "stp", rt, rt2, rn, offset, "pre");
  }
  /** LDP (64-bit, post-index): 10 101 0 001 1 imm7 Rt2 Rn Rt — Rt, Rt2 = [Xn], then Xn += imm. */
  ldpRRMpost(rt: A64Gp, rt2: A64Gp, rn: A64Gp, offset: number): void {
    this.pair(0xa8c00000, "ldp", rt, rt2, rn, offset, "post");
  }
  /** STP (64-bit, signed offset): 10 101 0 010 0 imm7 Rt2 Rn Rt — [Xn + imm] = Rt, Rt2. */
  stpRRM(rt: A64Gp, rt2: A64Gp, rn: A64Gp, offset = 0): void {
    this.pair(0xa9000000, "stp", rt, rt2, rn, offset, "offset");
  }
  /** LDP (64-bit, signed offset): 10 101 0 010 1 imm7 Rt2 Rn Rt. */
  ldpRRM(rt: A64Gp, rt2: A64Gp, rn: A64Gp, offset = 0): void {
    this.pair(0xa9400000, "ldp", rt, rt2, rn, offset, "offset");
  }
  /** STP (SIMD&FP, 64-bit, signed offset): 01 101 1 010 0 imm7 Rt2 Rn Rt — two d registers to memory. */
  stpFFM(dt: A64D, dt2: A64D, rn: A64Gp, offset = 0): void {
    this.pair(0x6d000000, "stp", dt, dt2, rn, offset, "offset");
  }
  /** LDP (SIMD&FP, 64-bit, signed offset): 01 101 1 010 1 imm7 Rt2 Rn Rt. */
  ldpFFM(dt: A64D, dt2: A64D, rn: A64Gp, offset = 0): void {
    this.pair(0x6d400000, "ldp", dt, dt2, rn, offset, "offset");
  }

  private pair(base: number, mnemonic: string, rt: A64Gp | A64D, rt2: A64Gp | A64D, rn: A64Gp, offset: number, mode: "pre" | "post" | "offset"): void {
    const isD = !("bits" in rt);
    if (!isD && ((rt as A64Gp).bits !== 64 || (rt2 as A64Gp).bits !== 64)) throw new JitError("E_RANGE", `${mnemonic} needs x registers, got ${rt.name}, ${rt2.name}`);
    if (rn.bits !== 64) throw new JitError("E_RANGE", `${mnemonic} base must be an x register or sp, got ${rn.name}`);
    if (offset % 8 !== 0) throw new JitError("E_RANGE", `${mnemonic} offset ${offset} is not a multiple of 8`);
    const imm7 = sfield(offset / 8, 7, mnemonic, "offset/8");
    const t = isD ? rt.id : a64Reg(rt as A64Gp, mnemonic, "zr", "register");
    const t2 = isD ? rt2.id : a64Reg(rt2 as A64Gp, mnemonic, "zr", "register");
    const n = a64Reg(rn, mnemonic, "sp", "base");
    const w = base | (imm7 << 15) | (t2 << 10) | (n << 5) | t;
    const text = this.withListing &&
      (mode === "pre" ? `${mnemonic} ${rt.name}, ${rt2.name}, [${rn.name}, #${offset}]!`
        : mode === "post" ? `${mnemonic} ${rt.name}, ${rt2.name}, [${rn.name}], #${offset}`
        : `${mnemonic} ${rt.name}, ${rt2.name}, [${rn.name}${offset === 0 ? "" : `, #${offset}`}]`);
    this.insnWord(w >>> 0, text);
  }

  /** FMOV (general, 64-bit to double): 1 00 11110 01 1 00 111 000000 Rn Rd — Dd = Xn's bits. */
  fmovFR(dd: A64D, xn: A64Gp): void {
    if (xn.bits !== 64) throw new JitError("E_RANGE", `fmov needs an x register, got ${xn.name}`);
    this.insnWord((0x9e670000 | (a64Reg(xn, "fmov source", "zr") << 5) | dd.id) >>> 0, this.withListing && `fmov ${dd.name}, ${xn.name}`);
  }
  // ---- scalar doubles (the functions chapter's f64): ftype 01 of the floating-point data-processing group ----

  /** FMOV (register): 0 00 11110 01 1 0000 00 10000 Rn Rd — Dd = Dn. */
  fmovFF(dd: A64D, dn: A64D): void {
    this.fp1(0x1e604000, "fmov", dd, dn);
  }
  /** FSQRT (scalar): 0 00 11110 01 1 0000 11 10000 Rn Rd — correctly rounded. */
  fsqrtFF(dd: A64D, dn: A64D): void {
    this.fp1(0x1e61c000, "fsqrt", dd, dn);
  }
  /** FABS (scalar): 0 00 11110 01 1 0000 01 10000 Rn Rd — the sign bit cleared. */
  fabsFF(dd: A64D, dn: A64D): void {
    this.fp1(0x1e60c000, "fabs", dd, dn);
  }
  /** FNEG (scalar): 0 00 11110 01 1 0000 10 10000 Rn Rd — the sign bit flipped. */
  fnegFF(dd: A64D, dn: A64D): void {
    this.fp1(0x1e614000, "fneg", dd, dn);
  }
  /** FADD (scalar): 0 00 11110 01 1 Rm 001 0 10 Rn Rd. */
  faddFFF(dd: A64D, dn: A64D, dm: A64D): void {
    this.fp2(0x1e602800, "fadd", dd, dn, dm);
  }
  /** FSUB (scalar): 0 00 11110 01 1 Rm 001 1 10 Rn Rd. */
  fsubFFF(dd: A64D, dn: A64D, dm: A64D): void {
    this.fp2(0x1e603800, "fsub", dd, dn, dm);
  }
  /** FMUL (scalar): 0 00 11110 01 1 Rm 000 0 10 Rn Rd. */
  fmulFFF(dd: A64D, dn: A64D, dm: A64D): void {
    this.fp2(0x1e600800, "fmul", dd, dn, dm);
  }
  /** FDIV (scalar): 0 00 11110 01 1 Rm 000 1 10 Rn Rd. */
  fdivFFF(dd: A64D, dn: A64D, dm: A64D): void {
    this.fp2(0x1e601800, "fdiv", dd, dn, dm);
  }
  /** FCMP (scalar, register): 0 00 11110 01 1 Rm 00 1000 Rn 00000 — unordered sets NZCV to 0011. */
  fcmpFF(dn: A64D, dm: A64D): void {
    const w = 0x1e602000 | (a64DReg(dm, "fcmp operand") << 16) | (a64DReg(dn, "fcmp operand") << 5);
    this.insnWord(w >>> 0, this.withListing && `fcmp ${dn.name}, ${dm.name}`);
  }
  /** SCVTF (scalar, integer), 32-bit to double: 0 00 11110 01 1 00 010 000000 Rn Rd — exact for every int32. */
  scvtfFR(dd: A64D, wn: A64Gp): void {
    if (wn.bits !== 32) throw new JitError("E_RANGE", `scvtf takes a w register here, got ${wn.name}`);
    const w = 0x1e620000 | (a64Reg(wn, "scvtf source") << 5) | a64DReg(dd, "scvtf destination");
    this.insnWord(w >>> 0, this.withListing && `scvtf ${dd.name}, ${wn.name}`);
  }
  /** FCVTZS (scalar, integer), double to 64-bit: 1 00 11110 01 1 11 000 000000 Rn Rd — truncated, saturating; NaN gives 0. */
  fcvtzsRF(rd: A64Gp, dn: A64D): void {
    if (rd.bits !== 64) throw new JitError("E_RANGE", `fcvtzs needs an x register, got ${rd.name}`);
    const w = 0x9e780000 | (a64DReg(dn, "fcvtzs source") << 5) | a64Reg(rd, "fcvtzs destination");
    this.insnWord(w >>> 0, this.withListing && `fcvtzs ${rd.name}, ${dn.name}`);
  }
  /** LDR (immediate, SIMD&FP, unsigned offset), 64-bit: 11 111 1 01 01 imm12 Rn Rt — Dt = [Xn + imm12*8]. */
  ldrFM(dt: A64D, rn: A64Gp, offset = 0): void {
    this.fpLoadStore(0xfd400000, "ldr", dt, rn, offset);
  }
  /** STR (immediate, SIMD&FP, unsigned offset), 64-bit: 11 111 1 01 00 imm12 Rn Rt — [Xn + imm12*8] = Dt. */
  strFM(dt: A64D, rn: A64Gp, offset = 0): void {
    this.fpLoadStore(0xfd000000, "str", dt, rn, offset);
  }

  private fpLoadStore(base: number, mnemonic: string, dt: A64D, rn: A64Gp, offset: number): void {
    if (rn.bits !== 64) throw new JitError("E_RANGE", `${mnemonic} needs an x base register, got ${rn.name}`);
    if (offset % 8 !== 0) throw new JitError("E_RANGE", `${mnemonic} offset ${offset} is not a multiple of 8`);
    const imm = ufield(offset / 8, 12, mnemonic, "imm12");
    const w = base | (imm << 10) | (a64Reg(rn, `${mnemonic} base`, "sp") << 5) | a64DReg(dt, `${mnemonic} register`);
    this.insnWord(w >>> 0, this.withListing && `${mnemonic} ${dt.name}, [${rn.name}${offset === 0 ? "" : `, #${offset}`}]`);
  }

  private fp1(base: number, mnemonic: string, dd: A64D, dn: A64D): void {
    const w = base | (a64DReg(dn, `${mnemonic} operand`) << 5) | a64DReg(dd, `${mnemonic} destination`);
    this.insnWord(w >>> 0, this.withListing && `${mnemonic} ${dd.name}, ${dn.name}`);
  }

  private fp2(base: number, mnemonic: string, dd: A64D, dn: A64D, dm: A64D): void {
    const w = base | (a64DReg(dm, `${mnemonic} operand`) << 16) | (a64DReg(dn, `${mnemonic} operand`) << 5) | a64DReg(dd, `${mnemonic} destination`);
    this.insnWord(w >>> 0, this.withListing && `${mnemonic} ${dd.name}, ${dn.name}, ${dm.name}`);
  }

  /** FMOV (general, double to 64-bit): 1 00 11110 01 1 00 110 000000 Rn Rd — Xd = Dn's bits. */
  fmovRF(xd: A64Gp, dn: A64D): void {
    if (xd.bits !== 64) throw new JitError("E_RANGE", `fmov needs an x register, got ${xd.name}`);
    this.insnWord((0x9e660000 | (dn.id << 5) | a64Reg(xd, "fmov destination")) >>> 0, this.withListing && `fmov ${xd.name}, ${dn.name}`);
  }

  /** CMP (extended register, alias of SUBS XZR, Xn|SP, Xm, UXTX): 1 1 1 01011 00 1 Rm 011 000 Rn 11111 — compares sp. */
  cmpSpR(rm: A64Gp): void {
    if (rm.bits !== 64) throw new JitError("E_RANGE", `cmp sp needs an x register, got ${rm.name}`);
    const w = 0xeb206000 | (a64Reg(rm, "cmp operand", "zr") << 16) | (31 << 5) | 31;
    this.insnWord(w >>> 0, this.withListing && `cmp sp, ${rm.name}`);
  }

  /** CSEL: sf 0 0 11010100 Rm cond 00 Rn Rd — Rd = cond ? Rn : Rm. */
  cselRRR(rd: A64Gp, rn: A64Gp, rm: A64Gp, cond: A64Cond): void {
    const sf = a64Same(rd, rn, rm);
    const w = (sf << 31) | (0b0011010100 << 21) | (a64Reg(rm, "csel operand", "zr") << 16) | (A64_CONDITIONS[cond] << 12) | (a64Reg(rn, "csel operand", "zr") << 5) | a64Reg(rd, "csel destination");
    this.insnWord(w >>> 0, this.withListing && `csel ${rd.name}, ${rn.name}, ${rm.name}, ${cond}`);
  }

  /** CNEG (alias of CSNEG Rd, Rn, Rn, invert(cond)): sf 1 0 11010100 Rm cond' 01 Rn Rd — Rd = cond ? -Rn : Rn. */
  cnegRR(rd: A64Gp, rn: A64Gp, cond: A64Cond): void {
    const sf = a64Same(rd, rn);
    const n = a64Reg(rn, "cneg operand");
    const w = (sf << 31) | (0b1011010100 << 21) | (n << 16) | (A64_CONDITIONS[invertA64(cond)] << 12) | (1 << 10) | (n << 5) | a64Reg(rd, "cneg destination");
    this.insnWord(w >>> 0, this.withListing && `cneg ${rd.name}, ${rn.name}, ${cond}`);
  }

  /** B.cond: 0101010 0 imm19 0 cond — PC-relative, ±1 MiB. */
  bcond(cond: A64Cond, label: Label): void {
    this.branch(A64_BCOND | (A64_CONDITIONS[cond] << 2), label);
  }

  /** CBZ: sf 011010 0 imm19 Rt — branch if Rt is zero, ±1 MiB. */
  cbzR(rt: A64Gp, label: Label): void {
    this.compareBranch(0, "cbz", rt, label);
  }
  /** CBNZ: sf 011010 1 imm19 Rt — branch if Rt is not zero, ±1 MiB. */
  cbnzR(rt: A64Gp, label: Label): void {
    this.compareBranch(1, "cbnz", rt, label);
  }

  private compareBranch(op: number, mnemonic: string, rt: A64Gp, label: Label): void {
    const t = a64Reg(rt, mnemonic, "none", "operand");
    this.branch(A64_CBZ | (op << 2) | (t << 3) | ((rt.bits === 64 ? 1 : 0) << 8), label);
  }

  // A branch form is a number: A64_B; A64_BCOND with the condition above; A64_CBZ with nonzero, Rt, sf.
  // Beyond ±1 MiB, a conditional branch becomes the opposite test over an unconditional B (±128 MiB),
  // as assemblers relax it: `b.ne L` becomes `b.eq #8; b L`.
  protected branchSize(form: number, long: boolean): number {
    const kind = form & 3;
    return long && kind !== A64_B && kind !== A64_BL ? 8 : 4;
  }

  protected branchFits(form: number, displacement: number): boolean {
    const kind = form & 3;
    return kind === A64_B || kind === A64_BL || fitsImm19(displacement);
  }

  protected encodeBranch(form: number, displacement: number, long: boolean, out: Uint8Array, at: number): void {
    const kind = form & 3;
    if (kind === A64_B || kind === A64_BL) {
      putLe32(out, at, (bWord(displacement) | (kind === A64_BL ? 1 << 31 : 0)) >>> 0);
      return;
    }
    const opposite = form ^ 4; // the inverted condition (B.cond) or CBZ <-> CBNZ: the same bit
    if (!long) {
      putLe32(out, at, conditionalWord(form, displacement));
      return;
    }
    putLe32(out, at, conditionalWord(opposite, 8));
    putLe32(out, at + 4, bWord(displacement - 4));
  }

  protected branchText(form: number, label: string, long: boolean): string {
    const kind = form & 3;
    if (kind === A64_B) return `b ${label}`;
    if (kind === A64_BL) return `bl ${label}`;
    const head = (f: number) =>
      kind === A64_BCOND ? `b.${A64_COND_NAMES[(f >> 2) & 15]}` : `${(f & 4) !== 0 ? "cbnz" : "cbz"} ${(f >> 8) & 1 ? "x" : "w"}${(f >> 3) & 31},`;
    return long ? `${head(form ^ 4)} #8; b ${label}` : `${head(form)} ${label}`;
  }

  /**
   * LDR (immediate, unsigned offset): 1x 111 0 01 01 imm12 Rn Rt — x register: Rt = [Xn + imm12*8]
   * (size 11); w register: Wt = [Xn + imm12*4] (size 10).
   */
  ldrRM(rt: A64Gp, rn: A64Gp, offset = 0): void {
    const x = rt.bits === 64;
    this.loadStoreUnsigned(x ? 0b11 : 0b10, 0b01, "ldr", rt, rn, offset, x ? 8 : 4);
  }
  /** STR (immediate, unsigned offset): 1x 111 0 01 00 imm12 Rn Rt — [Xn + imm12*8] = Xt, or [Xn + imm12*4] = Wt. */
  strRM(rt: A64Gp, rn: A64Gp, offset = 0): void {
    const x = rt.bits === 64;
    this.loadStoreUnsigned(x ? 0b11 : 0b10, 0b00, "str", rt, rn, offset, x ? 8 : 4);
  }
  /** LDRB (immediate, unsigned offset): 00 111 0 01 01 imm12 Rn Rt — Wt = zero-extended byte [Xn + imm12]. */
  ldrbRM(rt: A64Gp, rn: A64Gp, offset = 0): void {
    this.loadStoreUnsigned(0b00, 0b01, "ldrb", rt, rn, offset, 1);
  }
  /** STRB (immediate, unsigned offset): 00 111 0 01 00 imm12 Rn Rt — byte [Xn + imm12] = low 8 bits of Wt. */
  strbRM(rt: A64Gp, rn: A64Gp, offset = 0): void {
    this.loadStoreUnsigned(0b00, 0b00, "strb", rt, rn, offset, 1);
  }

  private loadStoreUnsigned(size: number, opc: number, mnemonic: string, rt: A64Gp, rn: A64Gp, offset: number, scale: 1 | 4 | 8): void {
    if (rt.bits !== (scale === 8 ? 64 : 32)) throw new JitError("E_RANGE", `${mnemonic} needs a ${scale === 8 ? "x" : "w"} register, got ${rt.name}`);
    if (rn.bits !== 64) throw new JitError("E_RANGE", `${mnemonic} base must be an x register or sp, got ${rn.name}`);
    if (offset % scale !== 0) throw new JitError("E_RANGE", `${mnemonic} offset ${offset} is not a multiple of ${scale}`);
    const imm12 = ufield(offset / scale, 12, mnemonic, `offset/${scale}`);
    const t = a64Reg(rt, mnemonic, "zr", "register");
    const n = a64Reg(rn, mnemonic, "sp", "base");
    const w = (size << 30) | (0b111001 << 24) | (opc << 22) | (imm12 << 10) | (n << 5) | t;
    this.insnWord(w >>> 0, this.withListing && `${mnemonic} ${rt.name}, [${rn.name}${offset === 0 ? "" : `, #${offset}`}]`);
  }

  /** LDURB: 00 111 0 00 01 0 imm9 00 Rn Rt — Wt = byte [Xn + simm9] (a negative offset). */
  ldurbRM(rt: A64Gp, rn: A64Gp, offset: number): void {
    this.loadStoreImm9(0b00, 0b01, 0b00, "ldurb", rt, rn, offset);
  }
  /** STURB: 00 111 0 00 00 0 imm9 00 Rn Rt — byte [Xn + simm9] = Wt. */
  sturbRM(rt: A64Gp, rn: A64Gp, offset: number): void {
    this.loadStoreImm9(0b00, 0b00, 0b00, "sturb", rt, rn, offset);
  }
  /** LDRB (immediate, post-index): 00 111 0 00 01 0 imm9 01 Rn Rt — Wt = byte [Xn], then Xn += simm9. */
  ldrbRMpost(rt: A64Gp, rn: A64Gp, step: number): void {
    this.loadStoreImm9(0b00, 0b01, 0b01, "ldrb", rt, rn, step);
  }
  /** STRB (immediate, post-index): 00 111 0 00 00 0 imm9 01 Rn Rt — byte [Xn] = Wt, then Xn += simm9. */
  strbRMpost(rt: A64Gp, rn: A64Gp, step: number): void {
    this.loadStoreImm9(0b00, 0b00, 0b01, "strb", rt, rn, step);
  }
  /** LDR (immediate, post-index), 64-bit: 11 111 0 00 01 0 imm9 01 Rn Rt — Xt = [Xn], then Xn += simm9 (pop: ldr x, [sp], #16). */
  ldrRMpost(rt: A64Gp, rn: A64Gp, step: number): void {
    this.loadStoreImm9(0b11, 0b01, 0b01, "ldr", rt, rn, step);
  }
  /** STR (immediate, pre-index), 64-bit: 11 111 0 00 00 0 imm9 11 Rn Rt — Xn += simm9, then [Xn] = Xt (push: str x, [sp, #-16]! keeps sp 16-aligned). */
  strRMpre(rt: A64Gp, rn: A64Gp, step: number): void {
    this.loadStoreImm9(0b11, 0b00, 0b11, "str", rt, rn, step);
  }

  /** Loads and stores with a signed 9-bit byte offset: unscaled (mode 00), post-index (01), pre-index (11). */
  private loadStoreImm9(size: number, opc: number, mode: number, mnemonic: string, rt: A64Gp, rn: A64Gp, offset: number): void {
    if (rt.bits !== (size === 0b11 ? 64 : 32)) throw new JitError("E_RANGE", `${mnemonic} needs a ${size === 0b11 ? "x" : "w"} register, got ${rt.name}`);
    if (rn.bits !== 64) throw new JitError("E_RANGE", `${mnemonic} base must be an x register or sp, got ${rn.name}`);
    const imm9 = sfield(offset, 9, mnemonic, "offset");
    const t = a64Reg(rt, mnemonic, "zr", "register");
    const n = a64Reg(rn, mnemonic, "sp", "base");
    const text =
      this.withListing &&
      (mode === 0b00 ? `${mnemonic} ${rt.name}, [${rn.name}, #${offset}]` : mode === 0b01 ? `${mnemonic} ${rt.name}, [${rn.name}], #${offset}` : `${mnemonic} ${rt.name}, [${rn.name}, #${offset}]!`);
    this.insnWord(imm9Word(size, opc, imm9, mode, n, t), text);
  }
}

/** Whether a byte displacement fits the 19-bit word offset of B.cond, CBZ and CBNZ (±1 MiB). */
function fitsImm19(displacement: number): boolean {
  return displacement >= -(2 ** 20) && displacement < 2 ** 20;
}

/** B (0 00101 imm26) with a byte displacement. */
function bWord(displacement: number): number {
  return (0b000101 << 26) | sfield(wordOffset(displacement), 26, "b offset");
}

/** B.cond (0101010 0 imm19 0 cond) or CBZ/CBNZ (sf 011010 op imm19 Rt) in branch form `form`. */
function conditionalWord(form: number, displacement: number): number {
  if ((form & 3) === A64_BCOND) return (0b01010100 << 24) | (sfield(wordOffset(displacement), 19, "b.cond offset") << 5) | ((form >> 2) & 15);
  const imm19 = sfield(wordOffset(displacement), 19, "cbz offset");
  return (((form >> 8) & 1) << 31) | (0b011010 << 25) | (((form >> 2) & 1) << 24) | (imm19 << 5) | ((form >> 3) & 31);
}

/** A64 branch offsets count instructions (4 bytes each). */
function wordOffset(displacement: number): number {
  if (displacement % 4 !== 0) throw new JitError("E_INTERNAL", `branch displacement ${displacement} is not a multiple of 4`);
  return displacement / 4;
}

export type Assembler = X64Assembler | A64Assembler;

/** `withListing: false`: bytes only, no assembly text (for code that is run, not read). */
export function newAssembler(arch: Arch, withListing = true): Assembler {
  return arch === "x64" ? new X64Assembler(withListing) : new A64Assembler(withListing);
}
