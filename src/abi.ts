/**
 * The facts of each calling convention babyjit generates code for, in one place (the role of
 * Cranelift's ABIMachineSpec): where arguments and results live, which registers a function must
 * preserve, which it may use freely, how the stack is aligned. The code generators (adder.ts,
 * trampoline.ts, expr/, bf/) read their registers from here, and jit.ts its call signatures.
 *
 * Registers are numbers: x86-64 general-purpose 0-15 (rax=0, rcx=1, rdx=2, rbx=3, rsp=4, rbp=5, rsi=6,
 * rdi=7, r8-r15) and xmm0-15; arm64 x0-x30 and d0-d31. The encoder (emit.ts) turns them into operands.
 *
 * Sources: the System V AMD64 psABI (section 3.2), Microsoft's "x64 calling convention", Arm's
 * "Procedure Call Standard for the Arm 64-bit Architecture" with Apple's and Microsoft's notes on it.
 */
import { JitError } from "./errors.ts";
import type { Target } from "./platform.ts";

/** What a parameter is: a 32-bit integer, a double, or the address of a typed array's bytes. */
export type ParamKind = "i32" | "f64" | "ptr";
/** What a function returns. */
export type ResultKind = "i32" | "f64" | "void";

/** A function's parameter and result kinds: what a JitFunction checks and how bun:ffi passes them. */
export interface Signature {
  readonly params: readonly ParamKind[];
  readonly result: ResultKind;
}

/** The most parameters a JIT'd function takes, on every target (Win64 passes the fifth and later on the stack). */
export const MAX_PARAMS = 8;

export interface Convention {
  readonly target: Target;
  /** Integer and pointer arguments, in order (System V, AAPCS64: counted apart from floating-point ones). */
  readonly intArgs: readonly number[];
  /** Floating-point arguments, in order. */
  readonly fpArgs: readonly number[];
  /**
   * Win64 numbers arguments by position: argument i goes in intArgs[i] or fpArgs[i], whichever its kind,
   * and the others are counted per class.
   */
  readonly positional: boolean;
  readonly intResult: number;
  readonly fpResult: number;
  /** Integer registers a function must give back as it found them (besides the stack pointer). */
  readonly calleeSaved: readonly number[];
  /** Floating-point registers a function must preserve (AAPCS64: only the low 64 bits of v8-v15). */
  readonly fpCalleeSaved: readonly number[];
  /** Caller-saved integer registers that carry no argument: free at entry, clobbered by any call. */
  readonly scratch: readonly number[];
  /** Registers generated code never names (AAPCS64's x18: Windows keeps the TEB there, Apple reserves it). */
  readonly reserved: readonly number[];
  /** The stack pointer is a multiple of this at every call. */
  readonly stackAlign: number;
  /** Bytes below the stack pointer a leaf function may use without moving it. */
  readonly redZone: number;
  /** Bytes the caller reserves above the return address for the first four register arguments (Win64). */
  readonly shadowSpace: number;
  /** Where the first stack-passed argument is, relative to the stack pointer at entry. */
  readonly firstStackArg: number;
}

const SYSV: Convention = {
  target: { arch: "x64", abi: "sysv" },
  intArgs: [7, 6, 2, 1, 8, 9], // rdi, rsi, rdx, rcx, r8, r9
  fpArgs: [0, 1, 2, 3, 4, 5, 6, 7],
  positional: false,
  intResult: 0, // rax
  fpResult: 0, // xmm0
  calleeSaved: [3, 5, 12, 13, 14, 15], // rbx, rbp, r12-r15
  fpCalleeSaved: [],
  scratch: [0, 10, 11], // rax, r10, r11
  reserved: [],
  stackAlign: 16,
  redZone: 128,
  shadowSpace: 0,
  firstStackArg: 8, // above the return address
};

const WIN64: Convention = {
  target: { arch: "x64", abi: "win64" },
  intArgs: [1, 2, 8, 9], // rcx, rdx, r8, r9
  fpArgs: [0, 1, 2, 3],
  positional: true,
  intResult: 0,
  fpResult: 0,
  calleeSaved: [3, 5, 6, 7, 12, 13, 14, 15], // System V's, plus rsi and rdi
  fpCalleeSaved: [6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
  scratch: [0, 10, 11],
  reserved: [],
  stackAlign: 16,
  redZone: 0,
  shadowSpace: 32,
  firstStackArg: 40, // above the return address and the 32-byte shadow space
};

/**
 * Linux, macOS and Windows on ARM alike for the signatures babyjit calls (no variadic functions, no
 * arguments narrower than a slot on the stack). macOS grants a 128-byte red zone; Linux and Windows do
 * not, so none is assumed.
 */
const AAPCS64: Convention = {
  target: { arch: "arm64", abi: "aapcs64" },
  intArgs: [0, 1, 2, 3, 4, 5, 6, 7],
  fpArgs: [0, 1, 2, 3, 4, 5, 6, 7],
  positional: false,
  intResult: 0,
  fpResult: 0,
  calleeSaved: [19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30], // and x29 (frame pointer), x30 (link register)
  fpCalleeSaved: [8, 9, 10, 11, 12, 13, 14, 15],
  scratch: [9, 10, 11, 12, 13, 14, 15, 16, 17], // x16, x17 are the intra-procedure-call registers veneers use
  reserved: [18],
  stackAlign: 16,
  redZone: 0,
  shadowSpace: 0,
  firstStackArg: 0,
};

/**
 * The convention of a target, after the one target check: a calling convention exists for one
 * architecture only (System V and Win64 for x86-64, AAPCS64 for arm64).
 */
export function conventionOf(target: Target): Convention {
  if (target.arch === "arm64") {
    if (target.abi === "aapcs64") return AAPCS64;
  } else if (target.arch === "x64") {
    if (target.abi === "sysv") return SYSV;
    if (target.abi === "win64") return WIN64;
  }
  throw new JitError("E_TARGET", `the ${String(target.abi)} calling convention does not exist for ${String(target.arch)}`);
}

/** Throws E_TARGET unless the target's calling convention exists for its architecture. */
export function checkTarget(target: Target): void {
  conventionOf(target);
}

/** Where one argument arrives: a register of its class, or a stack slot at `offset` from the entry stack pointer. */
export type Location =
  | { readonly kind: "int"; readonly reg: number }
  | { readonly kind: "fp"; readonly reg: number }
  | { readonly kind: "stack"; readonly offset: number };

/**
 * Where each of `kinds` arrives, in order. Stack slots are 8 bytes each, in argument order (every
 * stack-passed value babyjit passes is 8 bytes wide, so Apple's packing of narrower ones never applies).
 */
export function argumentLocations(target: Target, kinds: readonly (ParamKind | "address")[]): Location[] {
  const c = conventionOf(target);
  const out: Location[] = [];
  let ints = 0;
  let fps = 0;
  let stack = 0;
  for (let i = 0; i < kinds.length; i++) {
    const fp = kinds[i] === "f64" || kinds[i] === "address";
    if (c.positional) {
      const reg = fp ? c.fpArgs[i] : c.intArgs[i];
      out.push(reg !== undefined ? { kind: fp ? "fp" : "int", reg } : { kind: "stack", offset: c.firstStackArg + 8 * stack++ });
      continue;
    }
    const reg = fp ? c.fpArgs[fps] : c.intArgs[ints];
    if (fp) fps++;
    else ints++;
    out.push(reg !== undefined ? { kind: fp ? "fp" : "int", reg } : { kind: "stack", offset: c.firstStackArg + 8 * stack++ });
  }
  return out;
}

/**
 * Where the call trampoline finds the JIT'd function's address, which bun:ffi passes after the
 * signature's own parameters: as a double after the floating-point parameters on System V and AAPCS64
 * (so in a register no parameter uses), at its position on Win64 (xmm0-3, or the stack from the fifth
 * on). With all eight floating-point registers taken (eight f64 parameters), System V and AAPCS64 get
 * it as a 64-bit integer instead, in the first integer register, which is then free: never on the stack.
 */
export function addressLocation(target: Target, signature: Signature): Location {
  // Counted here rather than through argumentLocations: this runs on the start-up path, and spreading
  // a frozen array goes through the iterator builtins, which JavaScriptCore compiles on first use.
  const c = conventionOf(target);
  const params = signature.params;
  const n = params.length;
  if (c.positional) {
    const reg = c.fpArgs[n];
    return reg !== undefined ? { kind: "fp", reg } : { kind: "stack", offset: c.firstStackArg + 8 * (n - c.fpArgs.length) };
  }
  let fps = 0;
  for (let i = 0; i < n; i++) if (params[i] === "f64") fps++;
  const reg = c.fpArgs[fps];
  if (reg !== undefined) return { kind: "fp", reg };
  const ints = n - fps; // every f64 register holds a parameter: the integer registers have room
  return { kind: "int", reg: c.intArgs[ints] as number };
}

/**
 * The trampoline's place among a memory's trampolines: one per distinct address location. System V and
 * AAPCS64: a double in fp register 0-7, or 8 for an integer; Win64: positions 0-3 in xmm0-3, 4-8 on the
 * stack.
 */
export function trampolineIndex(target: Target, signature: Signature): number {
  const at = addressLocation(target, signature);
  if (at.kind === "fp") return at.reg;
  if (at.kind === "int") return 8;
  return 4 + (at.offset - conventionOf(target).firstStackArg) / 8;
}

/** How many trampolines a memory may need at most: the indices trampolineIndex returns are 0..TRAMPOLINES-1. */
export const TRAMPOLINES = 9;

// Comparisons, not Array.prototype.includes: this runs on the start-up path, where a builtin's first call costs.
const isParamKind = (k: unknown): boolean => k === "i32" || k === "f64" || k === "ptr";
const isResultKind = (k: unknown): boolean => k === "i32" || k === "f64" || k === "void";

/** Throws E_RANGE for a signature babyjit cannot call; returns its key (for caches), e.g. "i32,f64:i32". */
export function checkSignature(signature: Signature): string {
  const params = (signature as { params?: unknown }).params;
  if (!Array.isArray(params) || params.length > MAX_PARAMS) {
    throw new JitError("E_RANGE", `a JIT'd function takes 0..${MAX_PARAMS} parameters, not ${Array.isArray(params) ? params.length : String(params)}`);
  }
  for (let i = 0; i < params.length; i++) {
    const p: unknown = params[i];
    if (!isParamKind(p)) throw new JitError("E_RANGE", `a parameter kind is i32, f64 or ptr, not ${String(p)}`);
  }
  if (!isResultKind(signature.result)) throw new JitError("E_RANGE", `a result kind is i32, f64 or void, not ${String(signature.result)}`);
  return signatureKey(signature);
}

export function signatureKey(signature: Signature): string {
  return `${signature.params.join(",")}:${signature.result}`;
}

const INT32_SIGNATURES: Signature[] = [];

/** `arity` i32 parameters and an i32 result: the adder's and the expressions' signature (one object per arity). */
export function int32Signature(arity: number): Signature {
  if (!Number.isInteger(arity) || arity < 0 || arity > MAX_PARAMS) {
    throw new JitError("E_RANGE", `a JIT'd function takes 0..${MAX_PARAMS} arguments, not ${arity}`);
  }
  let made = INT32_SIGNATURES[arity];
  if (made === undefined) {
    const params: ParamKind[] = [];
    for (let i = 0; i < arity; i++) params.push("i32"); // not fill(): a builtin compiled on first call, on the start-up path
    made = Object.freeze({ params: Object.freeze(params), result: "i32" as const });
    INT32_SIGNATURES[arity] = made;
  }
  return made;
}
