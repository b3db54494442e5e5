/**
 * Code generation for the functions chapter, the part both architectures share: the state block the
 * code and the runtime agree on, the table of places a run can fail at, the order a module's code is
 * laid out in, and the parallel move that puts arguments in their registers. What the instructions
 * are is each architecture's business (x64.ts, arm64.ts).
 *
 * A module is one piece of code:
 *
 *   function 0 .. function n-1      each: prologue (frame, stack-limit check), blocks, epilogue, and
 *                                    its cold exits (stack overflow, each division by zero)
 *   entry stubs                     one per exported function: what JavaScript calls
 *   unwind                          where every cold exit goes
 *
 * Calls between functions are direct (`call rel32` / `bl`) to labels in the same code. JavaScript never
 * calls a function itself: it writes the arguments into the state block and calls the function's
 * entry stub with the block's address. The stub saves every callee-saved register, keeps the state
 * block's address in a register no function uses (r15, x28), sets the stack limit, and calls the
 * function through a two-instruction "setup" that records the stack pointer and the return address.
 * On an error, the cold exit stores its site number and the unwind resets the stack pointer to the
 * recorded one and returns to the stub, as if the function had returned: the frames in between are
 * dropped, and the stub's own epilogue restores the caller's registers.
 */
import type { Code } from "../emit.ts";
import { conventionOf } from "../abi.ts";
import { JitError } from "../errors.ts";
import type { Abi, Target } from "../platform.ts";
import type { Allocation, Cond, FnIr, Loc, ModuleIr, RegisterDescription, Terminator, VReg } from "./ir.ts";

/** The state block: the fields shared by the generated code and the runtime (compile.ts). */
export const STATE = {
  savedSp: 0, // the stack pointer at the call from the entry stub (x64: pointing at its return address)
  limit: 8, // every function's entry compares its stack pointer with this
  floor: 16, // the lowest limit allowed: the thread's stack bottom plus a margin
  budget: 24, // bytes of stack a call from JavaScript may use (CompileOptions.stackLimit)
  resume: 32, // arm64: the return address into the entry stub (x64 keeps it on the stack)
  site: 40, // int32: -1 while running; the failing site's number after an error
  result: 44, // int32: the function's result
  args: 48, // int32 x 8: the arguments
  aux: 80, // the ABI check stub's buffer (tests only)
  fargs: 88, // f64 x 8: the arguments of type f64 (argument i at fargs + 8i; the i32 ones stay in args)
  fresult: 152, // f64: an f64 function's result
  arrays: 160, // 8 x { u64 address, i32 length, 4 bytes unused }: the typed arrays of this call, by handle
  badIndex: 288, // int32: the index an E_BOUNDS stopped at
  badLength: 292, // int32: and the array's length
  libm: 296, // 8 x u64: the addresses of LIBM's functions (ir.ts), found with dlsym / GetProcAddress
  bytes: 360,
} as const;

/** The most parameters a function may take. */
export const MAX_PARAMS = 8;

/** A place a run can stop at: a function's stack-limit check, or a division's zero check. */
export interface Site {
  readonly kind: "stack" | "div" | "bounds";
  /** The function's index in the module. */
  readonly fn: number;
  readonly line: number;
  readonly col: number;
}

/** What code generation returns: the code and where everything is in it. */
export interface ModuleCode {
  readonly code: Code;
  /** Each function's offset in the code. */
  readonly functions: readonly number[];
  /** The offset of each function's entry stub (-1 for one that is not exported). */
  readonly entries: readonly number[];
  /** The ABI check stub's offset for each function (-1 unless asked for: see CheckStub). */
  readonly checks: readonly number[];
  readonly sites: readonly Site[];
  /** Where each source line's code starts, in increasing offset (empty unless GenerateOptions.lineTable). */
  readonly lines: readonly { readonly offset: number; readonly line: number; readonly column: number }[];
}

/** Register numbers and what they are for, per target (see x64.ts / arm64.ts for the reasoning). */
export interface TargetRegisters extends RegisterDescription {
  /** Holds the state block's address in every function (never allocated, never written). */
  readonly state: number;
}

/**
 * The allocator's description of a target, from the convention's facts in src/abi.ts (arguments,
 * result, callee-saved set, registers never named) and what this chapter keeps for itself: `kept`
 * (scratch, the state block's register, frame and stack registers). Allocatable registers come in
 * `order` (caller-saved first: cheap for a value no call crosses); any register the convention does not
 * call callee-saved is caller-saved.
 */
export function describeTarget(target: Target, order: readonly number[], scratch: readonly number[], state: number, kept: readonly number[], names: readonly string[]): TargetRegisters {
  const c = conventionOf(target);
  const never = new Set([...scratch, state, ...kept, ...c.reserved]);
  const allocatable = order.filter((r) => !never.has(r));
  if (allocatable.length !== order.length) throw new JitError("E_INTERNAL", `a register babyjit keeps for itself is in ${target.abi}'s allocation order`);
  const saved = new Set(c.calleeSaved);
  return {
    allocatable,
    callerSaved: allocatable.filter((r) => !saved.has(r)),
    calleeSaved: allocatable.filter((r) => saved.has(r)),
    args: c.intArgs,
    result: c.intResult,
    scratch,
    names,
    state,
  };
}

// ---------------------------------------------------------------------------------------------------
// Move locations: a register, a spill slot, an incoming stack argument or an outgoing one, packed in
// one number (kind in the low two bits) so that a move list is cheap to build and compare.

export const REG = 0, SLOT = 1, IN_ARG = 2, OUT_ARG = 3;
export const reg = (r: number): number => r * 4 + REG;
export const slotLoc = (s: number): number => s * 4 + SLOT;
export const inArg = (i: number): number => i * 4 + IN_ARG;
export const outArg = (i: number): number => i * 4 + OUT_ARG;
export const kindOf = (loc: number): number => loc & 3;
export const indexOf = (loc: number): number => loc >> 2;

/** An allocated virtual register's location as a move location. */
export function locOf(l: Loc): number {
  return l.kind === "reg" ? reg(l.reg) : slotLoc(l.slot);
}

/**
 * Perform moves that all happen "at once" (every source read before any destination is written),
 * one at a time: a move whose destination no other pending move reads goes first; when only cycles
 * are left, one register of a cycle is copied to `scratch` and the moves that read it read the copy.
 * Destinations are distinct, and a memory destination is never a source. Memory-to-memory moves go
 * first: they read only memory no move writes, and `emit` may pass them through `scratch`, which
 * holds nothing yet (every argument register may still hold a value another move needs).
 */
export function parallelMove(dsts: number[], srcs: number[], scratch: number, emit: (dst: number, src: number) => void): void {
  let n = 0;
  for (let i = 0; i < dsts.length; i++) {
    if (kindOf(dsts[i] as number) !== REG && kindOf(srcs[i] as number) !== REG) {
      emit(dsts[i] as number, srcs[i] as number);
      continue;
    }
    if (dsts[i] !== srcs[i]) {
      dsts[n] = dsts[i] as number;
      srcs[n] = srcs[i] as number;
      n++;
    }
  }
  dsts.length = n;
  srcs.length = n;
  const done = new Uint8Array(n);
  let left = n;
  while (left > 0) {
    let progress = false;
    for (let i = 0; i < n; i++) {
      if (done[i]) continue;
      const d = dsts[i] as number;
      let blocked = false;
      for (let j = 0; j < n; j++) {
        if (j !== i && !done[j] && srcs[j] === d) {
          blocked = true;
          break;
        }
      }
      if (blocked) continue;
      emit(d, srcs[i] as number);
      done[i] = 1;
      left--;
      progress = true;
    }
    if (progress) continue;
    // Only cycles are left (of registers: a memory destination is never a source). Free one register.
    let i = 0;
    while (done[i]) i++;
    const d = dsts[i] as number;
    emit(scratch, d);
    for (let j = 0; j < n; j++) if (!done[j] && srcs[j] === d) srcs[j] = scratch;
  }
}

/** Whether `x op v` is x itself (what `| 0` in the source becomes): both back ends make it a move. */
export function isIdentity(op: string, v: number): boolean {
  if (v === 0) return op === "add" || op === "sub" || op === "or" || op === "xor" || op === "shl" || op === "sar" || op === "shr";
  return (v === -1 && op === "and") || (v === 1 && op === "mul");
}

/**
 * A function that starts by comparing its parameters and, one way, returns a parameter (or nothing)
 * right away: `if (n < 2) return n;`. That way needs no frame and no callee-saved register, so the
 * code tests it before building the frame (the simplest case of what compilers call shrink-wrapping):
 * in fib, half of all calls take it. The test reads the parameters where they arrive.
 */
export interface QuickExit {
  /** Take the exit when `param[a] cond b` holds. */
  readonly cond: Cond;
  readonly a: number;
  readonly b: { readonly kind: "imm"; readonly value: number } | { readonly kind: "param"; readonly index: number };
  /** The parameter returned, or null (a void return). */
  readonly value: number | null;
  /** The block the entry goes on to when the exit is not taken (the body after the frame is built). */
  readonly other: number;
  /** The exit's own block, when nothing else leads to it: the code need not write it at all. */
  readonly dead: number;
}

const INVERSE: Readonly<Record<Cond, Cond>> = { eq: "ne", ne: "eq", lt: "ge", ge: "lt", le: "gt", gt: "le" };

/** The function's quick exit, if it has one whose parameters all arrive in registers (`regArgs` of them). */
export function quickExit(fn: FnIr, regArgs: number): QuickExit | undefined {
  const entry = fn.blocks[0];
  if (entry === undefined || entry.insts.length > 0 || entry.term.op !== "br") return undefined;
  const t = entry.term;
  const param = (v: VReg): number => {
    const i = fn.params.indexOf(v);
    return i >= 0 && i < regArgs ? i : -1;
  };
  const a = param(t.a);
  if (a < 0) return undefined;
  let b: QuickExit["b"];
  if (t.b.kind === "imm") b = { kind: "imm", value: t.b.value };
  else {
    const i = param(t.b.reg);
    if (i < 0) return undefined;
    b = { kind: "param", index: i };
  }
  for (const [target, cond, other] of [[t.then, t.cond, t.else], [t.else, INVERSE[t.cond], t.then]] as const) {
    const block = fn.blocks[target];
    if (block === undefined || block.insts.length > 0 || block.term.op !== "ret") continue;
    const v = block.term.value;
    const dead = fn.blocks.some((x) => x.id !== 0 && leadsTo(x.term, target)) ? -1 : target;
    if (v === null) return { cond, a, b, value: null, other, dead };
    const i = param(v);
    if (i >= 0) return { cond, a, b, value: i, other, dead };
  }
  return undefined;
}

/**
 * For each block, whether its last instruction may compute straight into the result register: the
 * block returns that instruction's result, nothing else reads it, and the instruction does not read
 * it either. (Saves the move into the result register that would follow.)
 */
export function returnsInPlace(fn: FnIr): boolean[] {
  const uses = new Uint32Array(fn.vregs);
  const use = (v: VReg | null) => {
    if (v !== null) uses[v] = (uses[v] as number) + 1;
  };
  for (const b of fn.blocks) {
    for (const i of b.insts) {
      if (i.op === "mov") use(i.src);
      else if (i.op === "unary") use(i.a);
      else if (i.op === "binary" || i.op === "cmp") {
        use(i.a);
        if (i.b.kind === "reg") use(i.b.reg);
      } else if (i.op === "div" || i.op === "rem") {
        use(i.a);
        use(i.b);
      } else if (i.op === "call") for (const a of i.args) use(a);
    }
    const t = b.term;
    if (t.op === "br") {
      use(t.a);
      if (t.b.kind === "reg") use(t.b.reg);
    } else if (t.op === "ret") use(t.value);
  }
  return fn.blocks.map((b) => {
    const last = b.insts[b.insts.length - 1];
    if (last === undefined || b.term.op !== "ret") return false;
    const v = "dst" in last ? last.dst : null;
    if (v === null || b.term.value !== v || uses[v] !== 1) return false;
    if (fn.params.includes(v)) return false;
    return true;
  });
}

/**
 * Where functions start: a multiple of this many bytes (and a module's code starts on a 64-byte
 * boundary, compile.ts), so that a module's code lands the same way every time it is installed.
 * Aligning loop tops too was tried and measured no better (see the chapter's measurements).
 */
export const CODE_ALIGN = 16;

function leadsTo(t: Terminator, target: number): boolean {
  return (t.op === "jmp" && t.target === target) || (t.op === "br" && (t.then === target || t.else === target));
}

// ---------------------------------------------------------------------------------------------------
// Listings: a note per function, and one per source line the instructions below came from.

/** Where the listing's source-line notes come from; absent when the code is not going to be read. */
export interface SourceText {
  readonly file: string;
  readonly lines: readonly string[];
}

/** The listing heading for a function. */
export function functionNote(fn: FnIr, file: string): string {
  return `${fn.exported ? "export " : ""}function ${fn.name} (${file}:${fn.at.line})`;
}

/** The listing heading for the instructions a source line became. */
export function lineNote(source: SourceText, line: number): string {
  const text = (source.lines[line - 1] ?? "").trim();
  return `${source.file}:${line}: ${text.length > 100 ? `${text.slice(0, 100)}…` : text}`;
}

/**
 * The largest frame: the stack-limit check runs once the frame is allocated, so the margin below the
 * limit (compile.ts STACK_MARGIN) must cover one; and arm64 reaches its slots with 12-bit offsets.
 */
export const MAX_FRAME = 16 * 1024;

export function frameTooBig(fn: FnIr, bytes: number): never {
  throw new JitError("E_RANGE", `function ${fn.name} needs a ${bytes}-byte frame; babyjit allows ${MAX_FRAME} (too many values live at once)`);
}

/** What both back ends take. */
export interface GenerateOptions {
  readonly target: Target;
  readonly listing: boolean;
  readonly source?: SourceText;
  /** Record where each source line's code starts (ModuleCode.lines), for profilers (perf.ts). */
  readonly lineTable?: boolean;
  /** Make an ABI check stub for every function (tests: ModuleInternals.abiCheck). */
  readonly checks?: boolean;
  /**
   * Win64 code whose entry stubs take the state block's address in rdi (System V's first argument)
   * instead of rcx: the whole module is Win64 code, run natively on a System V host (tests).
   */
  readonly win64OnSysv?: boolean;
}

/** Per-module generation input: the IR and an allocation per function. */
export interface ModuleInput {
  readonly ir: ModuleIr;
  readonly allocations: readonly Allocation[];
}

/** The registers the ABI check stub fills and reads back, by name, in the order of its buffer (CHECK). */
export interface CheckLayout {
  readonly gp: readonly string[];
  readonly vec: readonly string[];
}

export function checkLayout(abi: Abi): CheckLayout {
  if (abi === "sysv") return { gp: ["rbx", "rbp", "r12", "r13", "r14", "r15"], vec: [] };
  if (abi === "win64") return { gp: ["rbx", "rbp", "rsi", "rdi", "r12", "r13", "r14", "r15"], vec: ["xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15"] };
  return { gp: ["x19", "x20", "x21", "x22", "x23", "x24", "x25", "x26", "x27", "x28", "x29"], vec: ["d8", "d9", "d10", "d11", "d12", "d13", "d14", "d15"] };
}

/** The known value the check stub puts in register number k of its layout (vectors after the general ones). */
export function checkValue(k: number): bigint {
  return 0x5a5a_0000_0000_0000n + BigInt(k) * 0x0101_0101n + 0x11n;
}

/**
 * The ABI check stub's buffer (its address in the state block's aux field): the values the stub puts
 * in the callee-saved registers before the call (general registers, then vector registers' low 64 bits,
 * in checkLayout's order; r15/x28 hold the state block's address instead), the values it finds there
 * after the call, and the stack pointer before and after; then the same seen by the check wrapper
 * around the entry stub (`outer`), after the stub's epilogue, whether the function returned or unwound.
 */
export const CHECK = { in: 0, out: 160, spBefore: 320, spAfter: 328, outer: 336, outerSpBefore: 496, outerSpAfter: 504, bytes: 512 } as const;

