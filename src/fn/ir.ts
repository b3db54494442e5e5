/**
 * The functions chapter's intermediate representation: what the front end (lower.ts) hands to the
 * register allocator (regalloc.ts) and the code generators (x64.ts, arm64.ts).
 *
 * Three-address code over virtual registers, in explicit basic blocks (Cranelift's and LuaJIT's
 * shape, without SSA): a virtual register is a numbered variable that may be assigned more than once
 * (a source variable is one virtual register for its whole life; a temporary is assigned once).
 * Every block ends in exactly one terminator, so loops and branches are edges, not nesting.
 *
 * Meaning: every value is an int32 (booleans are 0 or 1). Arithmetic wraps (JavaScript's `| 0`);
 * shifts use the low 5 bits of the count; `div` truncates toward zero and `rem` takes the dividend's
 * sign, with -2147483648 / -1 = -2147483648 and -2147483648 % -1 = 0 (x86's idiv faults on both: the
 * back end must not let it); a zero divisor is the run-time error E_DIV_ZERO at `at`.
 *
 * Room for later (issue 21): `VType` grows "f64" and "ptr", each virtual register keeps one type for
 * its life, and the register description gets one register file per class. Nothing here assumes that
 * an operand is an integer except the opcodes themselves.
 */

/** A virtual register: an index into FnIr.types, 0 <= v < FnIr.vregs. */
export type VReg = number;

/** A block's index in FnIr.blocks (which is also its layout order). */
export type BlockId = number;

/** The type of a virtual register. Only "i32" today. */
export type VType = "i32" | "f64";

/** The source position an instruction came from (1-based line and column), for listings and errors. */
export interface Site {
  readonly line: number;
  readonly col: number;
}

/** A right operand: a virtual register or an int32 immediate. */
export type Operand =
  | { readonly kind: "reg"; readonly reg: VReg }
  | { readonly kind: "imm"; readonly value: number };

/**
 * Two-operand ALU operations that cannot fail. `mul` is Math.imul (the low 32 bits); shl/sar/shr are
 * << >> >>> (an immediate count is 0..31); min/max are Math.min/Math.max, signed.
 */
export type BinOp = "add" | "sub" | "mul" | "and" | "or" | "xor" | "shl" | "sar" | "shr" | "min" | "max";

/** neg: -a | 0 (wraps at -2^31); not: ~a; abs: Math.abs(a) | 0 (so abs(-2^31) = -2^31). */
export type UnOp = "neg" | "not" | "abs";

/** Signed comparisons. */
export type Cond = "eq" | "ne" | "lt" | "le" | "gt" | "ge";

/**
 * Instructions. `dst` is written after every operand is read, and the allocator may give `dst` the
 * same register as an operand whose life ends at this instruction: a two-address back end (x86) must
 * handle `dst == b` (for `sub`, shifts, `div`, ...) without clobbering b before it is read.
 */
export type Inst =
  | { readonly op: "const"; readonly dst: VReg; readonly value: number; readonly at: Site }
  | { readonly op: "mov"; readonly dst: VReg; readonly src: VReg; readonly at: Site }
  | { readonly op: "unary"; readonly un: UnOp; readonly dst: VReg; readonly a: VReg; readonly at: Site }
  | { readonly op: "binary"; readonly bin: BinOp; readonly dst: VReg; readonly a: VReg; readonly b: Operand; readonly at: Site }
  /** dst = a / b or a % b; E_DIV_ZERO at `at` (the operator's position) when b is 0. */
  | { readonly op: "div" | "rem"; readonly dst: VReg; readonly a: VReg; readonly b: VReg; readonly at: Site }
  /** dst = (a cond b) ? 1 : 0 */
  | { readonly op: "cmp"; readonly cond: Cond; readonly dst: VReg; readonly a: VReg; readonly b: Operand; readonly at: Site }
  /**
   * dst = functions[callee](...args). `dst` is null for a void callee or an unused result. `id`
   * numbers the function's calls 0..calls-1 in block order (Allocation.callSaves is indexed by it).
   */
  /** f64 (issue 21): dst = the double `value`. */
  | { readonly op: "fconst"; readonly dst: VReg; readonly value: number; readonly at: Site }
  /** dst = a op b on doubles (IEEE 754, round to nearest: JavaScript's + - * /). */
  | { readonly op: "fbinary"; readonly fbin: FBinOp; readonly dst: VReg; readonly a: VReg; readonly b: VReg; readonly at: Site }
  /** dst = -a (the sign bit flipped: -0.0 from 0.0, NaN stays NaN). */
  | { readonly op: "fneg"; readonly dst: VReg; readonly a: VReg; readonly at: Site }
  /** Math.sqrt (correctly rounded, as IEEE 754 requires) and Math.abs (the sign bit cleared) of a double. */
  | { readonly op: "fsqrt" | "fabs"; readonly dst: VReg; readonly a: VReg; readonly at: Site }
  /** dst (i32) = (a cond b) ? 1 : 0 on doubles; every comparison with NaN is false but `ne`. */
  | { readonly op: "fcmp"; readonly cond: Cond; readonly dst: VReg; readonly a: VReg; readonly b: VReg; readonly at: Site }
  /** dst (f64) = the i32 a, exactly. */
  | { readonly op: "i2f"; readonly dst: VReg; readonly a: VReg; readonly at: Site }
  /** dst (i32) = ToInt32(a): truncated, modulo 2^32; NaN and the infinities give 0. */
  | { readonly op: "f2i"; readonly dst: VReg; readonly a: VReg; readonly at: Site }
  /**
   * Typed arrays (issue 21). `arr` holds the array's handle (an i32: its number in the state block's
   * array table, filled when JavaScript calls in). aload: dst = arr[index]; astore: arr[index] = value;
   * an index outside 0..length-1 is E_BOUNDS at `at` (nothing is read or written), unless `unchecked`:
   * the lowering proved the index in range (a loop's counter below the length). alen: dst = length.
   */
  | { readonly op: "aload"; readonly elem: Elem; readonly dst: VReg; readonly arr: VReg; readonly index: VReg; readonly at: Site; readonly unchecked?: true }
  | { readonly op: "astore"; readonly elem: Elem; readonly dst: null; readonly arr: VReg; readonly index: VReg; readonly value: VReg; readonly at: Site; readonly unchecked?: true }
  | { readonly op: "alen"; readonly dst: VReg; readonly arr: VReg; readonly at: Site }
  /**
   * dst = a C library function of doubles (LIBM), a real call through the address JavaScript put in
   * the state block: numbered with the calls (`id`), so the allocator saves what lives across it.
   */
  | { readonly op: "ccall"; readonly id: number; readonly dst: VReg; readonly fn: LibmFn; readonly args: readonly VReg[]; readonly at: Site }
  | { readonly op: "call"; readonly id: number; readonly dst: VReg | null; readonly callee: number; readonly args: readonly VReg[]; readonly at: Site };

/** An element's kind: Int32Array, Float64Array (an f64), Uint8Array (stores wrap to 8 bits). */
export type Elem = "i32" | "f64" | "u8";

export type FBinOp = "add" | "sub" | "mul" | "div";

export type CallInst = Extract<Inst, { op: "call" }>;

/** The C library's functions a module may call (Math.sin ... and fmod for % on doubles), by their index in LIBM. */
export const LIBM = ["sin", "cos", "tan", "atan2", "exp", "log", "pow", "fmod"] as const;
export type LibmFn = (typeof LIBM)[number];

export type Terminator =
  | { readonly op: "jmp"; readonly target: BlockId; readonly at: Site }
  /** if (a cond b) goto then else goto else */
  | { readonly op: "br"; readonly cond: Cond; readonly a: VReg; readonly b: Operand; readonly then: BlockId; readonly else: BlockId; readonly at: Site }
  /** if (a cond b) goto then else goto else, on doubles (NaN: only `ne` holds) */
  | { readonly op: "fbr"; readonly cond: Cond; readonly a: VReg; readonly b: VReg; readonly then: BlockId; readonly else: BlockId; readonly at: Site }
  /** Returns `value` (null in a void function). */
  | { readonly op: "ret"; readonly value: VReg | null; readonly at: Site };

export interface Block {
  readonly id: BlockId;
  readonly insts: readonly Inst[];
  readonly term: Terminator;
}

export interface FnIr {
  readonly name: string;
  readonly exported: boolean;
  /** Parameter i arrives in params[i] (distinct registers, defined on entry). */
  readonly params: readonly VReg[];
  /** The parameters' names as declared (for the messages of a call from JavaScript). */
  readonly paramNames: readonly string[];
  readonly result: "i32" | "f64" | "void";
  /**
   * blocks[0] is the entry and no edge leads back to it; the array order is the layout the allocator
   * numbered (a back end may lay blocks out differently: the allocation does not depend on the order).
   * Every block is reachable.
   */
  readonly blocks: readonly Block[];
  /** Number of virtual registers; types[v] for each. */
  readonly vregs: number;
  readonly types: readonly VType[];
  /** For each parameter, a typed array's element kind (its register holds the array's handle) or null. */
  readonly arrays?: readonly (Elem | null)[];
  /** Number of call instructions (their ids are 0..calls-1). */
  readonly calls: number;
  /** The declaration's position (of the name). */
  readonly at: Site;
}

export interface ModuleIr {
  /** The file name the positions refer to (for messages). */
  readonly file: string;
  /** Calls name their callee by index into this array; every name is distinct. */
  readonly functions: readonly FnIr[];
}

// ---- Register allocation (regalloc.ts) ----

/**
 * What a back end tells the allocator about its registers. Registers are the target's own numbers
 * (as src/abi.ts and emit.ts number them); the allocator only compares and copies them.
 */
export interface RegisterDescription {
  /** Registers the allocator may assign, in order of preference. Never includes `scratch`. */
  readonly allocatable: readonly number[];
  /** The allocatable registers a call clobbers (the rest of `allocatable` are callee-saved). */
  readonly callerSaved: readonly number[];
  /** The allocatable registers a function must preserve (saved in its prologue if used). */
  readonly calleeSaved: readonly number[];
  /** Integer argument registers in order (arguments past the end are on the stack): used as hints. */
  readonly args: readonly number[];
  /** Where an i32 result is returned: used as a hint. */
  readonly result: number;
  /** Registers the back end keeps for itself (spilled operands, immediates, shuffles); never assigned. */
  readonly scratch: readonly number[];
  /** Register names for listings, indexed by register number. */
  readonly names: readonly string[];
  /** The floating-point registers (f64 values), described the same way; absent where f64 is not generated yet. */
  readonly fp?: RegisterDescription;
}

/** Where a virtual register lives for its whole life: a register, or a spill slot in the frame. */
export type Loc = { readonly kind: "reg"; readonly reg: number } | { readonly kind: "slot"; readonly slot: number };

export interface Allocation {
  /** locs[v] for every virtual register; null for one no instruction mentions. */
  readonly locs: readonly (Loc | null)[];
  /** Spill slots used (each 4 bytes of i32; the back end decides their size and place). */
  readonly slots: number;
  /** The callee-saved registers assigned to some virtual register: the prologue saves exactly these. */
  readonly calleeSavedUsed: readonly number[];
  /**
   * callSaves[id]: the caller-saved registers holding a value that lives across call `id` (read
   * after it). The back end saves exactly these before the call (after nothing else: argument
   * moves come after the saves) and restores them after it (after moving the result to dst).
   * A call's own dst and arguments read only by the call are never in the list.
   */
  readonly callSaves: readonly (readonly number[])[];
  /**
   * The same three for the f64 registers (the second register class: xmm / d registers), whose
   * numbers are their own (xmm0 is 0): f64 values have slots of their own, 8 bytes each.
   */
  readonly fslots: number;
  readonly fcalleeSavedUsed: readonly number[];
  readonly fcallSaves: readonly (readonly number[])[];
}
