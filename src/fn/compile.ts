/**
 * Chapter four's entry points: a module's source text to native code (assembleModule, any target) and
 * to callable functions (compileModule, this host).
 *
 *   using mod = compileModule(source);
 *   mod.fib(30); // 832040
 *
 * What a module owns: its code (read+execute, in CodeMemory like every other function) and one page
 * read+write for its state block (codegen.ts STATE). A call writes the arguments into the block and
 * calls the function's entry stub through bun:ffi with the block's address; the stub returns -1, or the
 * number of the site that stopped the run (a division by zero, the stack limit), which becomes a
 * JitError naming the function, line and column.
 */
import type { Code, ListingLine } from "../emit.ts";
import { type ParamKind, type Signature, int32Signature } from "../abi.ts";
import { badArguments } from "../calls.ts";
import { type PerfEntry, type PerfLine, perfName, profiler } from "../perf.ts";
import { JitError, checkOptions, describeValue, escapeControls } from "../errors.ts";
import { type CodeMemory, type CodeSlot, type JitFunction, canonical, memoryOption } from "../jit.ts";
import type { NativeFunction, OsMemory } from "../os.ts";
import { addressOf, libmAddresses } from "../libc.ts";
import { type Target, hostPlatform, sameTarget, targetArgument } from "../platform.ts";
import { generateArm64, ARM64_REGISTERS } from "./arm64.ts";
import { CHECK, type ModuleCode, type Site, type SourceText, type TargetRegisters, MAX_PARAMS, STATE, checkLayout, checkValue } from "./codegen.ts";
import { type Allocation, LIBM, type ModuleIr } from "./ir.ts";
import { compileFront } from "./lower.ts";
import { allocate } from "./regalloc.ts";
import { X64_REGISTERS, generateX64 } from "./x64.ts";

export interface ModuleOptions {
  /** Where to install the code; defaults to the process-wide host memory. */
  readonly memory?: CodeMemory;
  /**
   * Bytes of stack one call from JavaScript may use (default 8 MiB, DEFAULT_BUDGET), from 4096 to
   * 2^40. Deeper recursion is JitError E_STACK. Whatever the budget, the limit never goes below the
   * thread's real stack (less a 64 KiB margin): the thread's bounds come from the OS.
   */
  readonly stackLimit?: number;
  /** The file name errors and listings name (default "module.ts"). */
  readonly file?: string;
}

/**
 * What only the tests may ask of compileModuleForTests (not exported from the package: a register
 * description that hands out the stack pointer would crash the process, not throw).
 */
export interface ModuleTestOptions extends ModuleOptions {
  /** Also install an ABI check stub per function (ModuleInternals.abiCheck). */
  readonly checks?: boolean;
  /**
   * "win64" on an x86-64 System V host: generate Win64 code (its registers, shadow space, stack
   * arguments and callee-saved set) and run it here, the entry stubs taking their one argument in
   * rdi (the differential and ABI checks of Win64 code without Wine).
   */
  readonly abi?: "win64";
  /**
   * Replace the target's register description (a description that lies about which registers are
   * callee-saved shows that the ABI check stub catches the clobber).
   */
  readonly registers?: TargetRegisters;
}

export interface AssembleModuleOptions {
  readonly target?: Target;
  readonly file?: string;
  /** Also make an ABI check stub per function (for the tests: see test/fn-abi.test.ts). */
  readonly checks?: boolean;
}

/** A module's code for any target, with no memory mapped (for --dump and --listing). */
export interface AssembledModule {
  readonly target: Target;
  readonly ir: ModuleIr;
  readonly allocations: readonly Allocation[];
  readonly code: Code;
  readonly bytes: Uint8Array;
  readonly lines: readonly ListingLine[];
  readonly listing: string;
  /** The offset of each function (by name), and of each exported function's entry stub. */
  readonly offsets: Readonly<Record<string, number>>;
  readonly entries: Readonly<Record<string, number>>;
  readonly sites: readonly Site[];
  /** The internal layout, for the runtime and tests. */
  readonly layout: ModuleCode;
}

/**
 * The longest source a module may have, in characters (and, for --fn, in bytes of its file). Compiling
 * takes memory in proportion to the source: measured peaks were 140-230 MB for 1 MiB of dense code
 * (75,000 statements in one function, or 9,000 small exported functions) against 46 MB for a small
 * module, and 1.7 GB for 4.4 MiB; a 39 MB module reached 3 GB. 1 MiB is some 50,000 lines of code.
 */
export const MAX_MODULE_SOURCE = 1024 * 1024;

export function registersFor(target: Target): TargetRegisters {
  if (target.arch === "arm64") return ARM64_REGISTERS;
  if (target.abi === "aapcs64") throw new JitError("E_TARGET", "the aapcs64 calling convention is for arm64 code");
  return X64_REGISTERS[target.abi];
}

/** Parse, check, lower, allocate and generate code for any target. */
export function assembleModule(source: string, options?: AssembleModuleOptions): AssembledModule {
  const given: AssembleModuleOptions = checkOptions(options, "assembleModule(source, options): options");
  const target = given.target === undefined ? hostPlatform().target : targetArgument(given.target, "assembleModule(source, options): options.target");
  return assemble(source, target, fileOption(given.file, "assembleModule"), true, given.checks === true);
}

/** options.file: a string, "module.ts" when absent. */
function fileOption(file: unknown, where: string): string {
  if (file === undefined) return "module.ts";
  if (typeof file !== "string") throw new JitError("E_RANGE", `${where}: options.file must be a string, not ${describeValue(file)}`);
  return file;
}

function assemble(source: string, target: Target, file: string, listing: boolean, checks: boolean, win64OnSysv = false, registers?: TargetRegisters, lineTable = false): AssembledModule {
  if (typeof source !== "string") throw new JitError("E_RANGE", "a module's source must be a string");
  if (source.length > MAX_MODULE_SOURCE) {
    throw new JitError("E_RANGE", `a module's source may hold at most ${MAX_MODULE_SOURCE} characters (1 MiB), not ${source.length}`);
  }
  const regs = registers ?? registersFor(target);
  // The name as messages show it: a control character or U+2028 in it would break their one line.
  const ir = compileFront(source, escapeControls(file));
  const allocations = ir.functions.map((f) => allocate(f, regs));
  const text: SourceText | undefined = listing ? { file, lines: source.split("\n") } : undefined;
  const options = { target, listing, checks, win64OnSysv, lineTable, ...(text === undefined ? {} : { source: text }) };
  const layout = target.arch === "x64" ? generateX64({ ir, allocations }, options) : generateArm64({ ir, allocations }, options);
  const offsets: Record<string, number> = {};
  const entries: Record<string, number> = {};
  ir.functions.forEach((f, i) => {
    offsets[f.name] = layout.functions[i] as number;
    if (f.exported) entries[f.name] = layout.entries[i] as number;
  });
  const code = layout.code;
  return {
    target,
    ir,
    allocations,
    code,
    bytes: code.bytes,
    get lines() {
      return code.listing;
    },
    get listing() {
      return (require("../listing.ts") as typeof import("../listing.ts")).formatListing(code);
    },
    offsets,
    entries,
    sites: layout.sites,
    layout,
  };
}

/** The module compileModule returns: its exported functions as properties, and what it owns. */
export interface ModuleBase {
  /** The exported functions by name (also properties of the module, unless a name is one below). */
  readonly functions: Readonly<Record<string, JitFunction>>;
  readonly target: Target;
  /** A copy of the machine code of the whole module. */
  readonly bytes: Uint8Array;
  /** The listing: every function, labelled by name, each group of instructions under its source line. */
  readonly listing: string;
  readonly disposed: boolean;
  /** Unmap the state block and free the code; calling a function afterwards throws E_DISPOSED. Safe twice. */
  dispose(): void;
  [Symbol.dispose](): void;
  /** The module's state block and layout, for tests (the ABI check). */
  readonly internals: ModuleInternals;
}

export type JitModule = ModuleBase & Readonly<Record<string, JitFunction>>;

export interface ModuleInternals {
  readonly assembled: AssembledModule;
  readonly codeAddress: number;
  readonly stateAddress: number;
  readonly os: OsMemory;
  /** The floor and default budget the module computed from the thread's stack. */
  readonly floor: number;
  readonly budget: number;
  /**
   * Call function `name` (exported or not) through its ABI check stub (compiled with `checks: true`):
   * every callee-saved register holds a known value across the call; returns the site (-1 when the
   * call returned), the result, and the registers (and stack pointer) that came back changed: after
   * a return, from the function or the entry stub; after an unwind, as the entry stub's caller sees them.
   */
  abiCheck(name: string, args: readonly number[]): { site: number; result: number; changed: string[] };
}

/** A module's code starts on a 64-byte boundary, so that the alignment of its loops (codegen.ts) holds in memory. */
const MODULE_ALIGN = 64;

/** Stack kept below the limit: room for a frame's pushes before its check, and for the OS. */
export const STACK_MARGIN = 64 * 1024;
/**
 * The default budget: a Linux main thread's whole stack, and never more than the thread has (a
 * Worker's is 4 MiB). Windows threads may reserve far more (Windows on ARM64 ran a million frames
 * without reaching its end), and a runaway recursion should stop in milliseconds, not eat 64 MiB:
 * a deeper budget is the stackLimit option's to give.
 */
export const DEFAULT_BUDGET = 8 * 1024 * 1024;
/** Without the OS's word on the thread's stack (an OS layer without stackBounds), this budget. */
export const FALLBACK_BUDGET = 256 * 1024;

interface Resources {
  slot: CodeSlot;
  os: OsMemory;
  state: number;
  page: number;
  entries: (NativeFunction | undefined)[];
  checks: Map<number, NativeFunction>;
}

function release(r: Resources): void {
  for (const e of r.entries) e?.close?.();
  for (const e of r.checks.values()) e.close?.();
  r.slot.free();
  r.os.unmap(r.state, r.page);
}

const collector = new FinalizationRegistry<Resources>(release);

const RESERVED = new Set(["functions", "target", "bytes", "listing", "disposed", "dispose", "internals", "then", "constructor", "__proto__"]);

/** Compile a module for this host and install it: its exported functions become callable. */
export function compileModule(source: string, options?: ModuleOptions): JitModule {
  const given: ModuleOptions = checkOptions(options, "compileModule(source, options): options");
  // Only the public options are read: the tests' knobs are compileModuleForTests's.
  const { memory, stackLimit, file } = given;
  return compile(source, { memory, stackLimit, file });
}

/** compileModule with the tests' options (ModuleTestOptions); not part of the package's API. */
export function compileModuleForTests(source: string, options: ModuleTestOptions = {}): JitModule {
  return compile(source, options);
}

function compile(source: string, options: ModuleTestOptions): JitModule {
  const memory = memoryOption(options.memory, "compileModule");
  const win64OnSysv = options.abi === "win64" && memory.target.arch === "x64" && memory.target.abi === "sysv";
  const target: Target = win64OnSysv ? { arch: "x64", abi: "win64" } : memory.target;
  if (!sameTarget(memory.target, hostPlatform().target)) {
    throw new JitError("E_TARGET", `cannot run ${target.arch}/${target.abi} code on this host; assembleModule generates it without running it`);
  }
  const file = fileOption(options.file, "compileModule");
  const stackLimit = options.stackLimit;
  if (stackLimit !== undefined && !(typeof stackLimit === "number" && Number.isInteger(stackLimit) && stackLimit >= 4096 && stackLimit <= 2 ** 40)) {
    throw new JitError("E_RANGE", `compileModule: options.stackLimit must be a whole number of bytes from 4096 to 1099511627776 (2^40), not ${describeValue(stackLimit)}`);
  }
  const checks = options.checks === true;
  const perf = profiler();
  const assembled = assemble(source, target, file, false, checks, win64OnSysv, options.registers, perf !== undefined);
  const os = memory.os;
  const bounds = os.stackBounds?.();
  const floor = bounds === undefined ? 0 : bounds.low + STACK_MARGIN;
  const whole = bounds === undefined ? FALLBACK_BUDGET : bounds.high - bounds.low;
  const budget = Math.min(stackLimit ?? DEFAULT_BUDGET, whole);

  const page = os.pageSize;
  const state = os.map(page, "the module's state block");
  let slot: CodeSlot;
  try {
    slot = memory.installCode(assembled.code.bytes, MODULE_ALIGN);
  } catch (error) {
    os.unmap(state, page);
    throw error;
  }
  if (perf !== undefined) {
    const path = options.file === undefined ? file : (require("node:path") as typeof import("node:path")).resolve(file);
    perf.record(modulePieces(assembled, slot.address, file, path));
  }
  const view = os.view(state, STATE.bytes);
  const words = new Int32Array(view.buffer, view.byteOffset, STATE.bytes / 4);
  const doubles = new Float64Array(view.buffer, view.byteOffset, STATE.bytes / 8);
  const fields = new DataView(view.buffer, view.byteOffset, STATE.bytes);
  fields.setBigUint64(STATE.floor, BigInt(floor), true);
  fields.setBigUint64(STATE.budget, BigInt(budget), true);
  if (assembled.ir.functions.some((f) => f.blocks.some((b) => b.insts.some((i) => i.op === "ccall")))) {
    libmAddresses(LIBM).forEach((address, k) => fields.setBigUint64(STATE.libm + 8 * k, BigInt(address), true));
  }

  const fns = assembled.ir.functions;
  const resources: Resources = { slot, os, state, page, entries: fns.map(() => undefined), checks: new Map() };
  let disposed = false;
  const mod = {} as Record<string, unknown>;
  const functions: Record<string, JitFunction> = {};

  const shown = escapeControls(file);
  const fail = (site: number): never => {
    const s = assembled.sites[site];
    if (s === undefined) throw new JitError("E_INTERNAL", `the code stopped at unknown site ${site}`);
    const f = fns[s.fn];
    const name = f?.name ?? "?";
    if (s.kind === "bounds") {
      const index = words[STATE.badIndex / 4] as number, length = words[STATE.badLength / 4] as number;
      throw new JitError("E_BOUNDS", `${shown}:${s.line}:${s.col}: index ${index} is out of bounds in ${name} (length ${length})`, { line: s.line, column: s.col });
    }
    if (s.kind === "div") {
      throw new JitError("E_DIV_ZERO", `${shown}:${s.line}:${s.col}: division by zero in ${name}`, { line: s.line, column: s.col });
    }
    throw new JitError(
      "E_STACK",
      `${shown}:${s.line}:${s.col}: out of stack in ${name}: the calls went deeper than the stack limit`,
      { line: s.line, column: s.col },
    );
  };

  fns.forEach((f, index) => {
    if (!f.exported) return;
    const arity = f.params.length;
    const entryAddress = slot.address + (assembled.layout.entries[index] as number);
    const name = f.name;
    const voidResult = f.result === "void";
    const entry = (): NativeFunction => {
      let e = resources.entries[index];
      if (e === undefined) {
        e = os.entry(entryAddress);
        resources.entries[index] = e;
      }
      return e;
    };
    const A = STATE.args / 4;
    // The library's one rule for arguments (calls.ts): exactly `arity` of them, each a number that is
    // an int32 (an f64 parameter: any number), checked with typeof first so that a BigInt or a Symbol
    // is E_RANGE, not a TypeError, and an object's valueOf never runs.
    const names = f.paramNames;
    const define = (call: object, signature: Signature): void => defineFunction(call, name, arity, entryAddress, signature);
    // "i32", "f64", or an array's "[]" and element kind
    const kinds = f.params.map((v, k) => { const e = f.arrays?.[k]; return e == null ? (f.types[v] as string) : `[]${e}`; });
    if (kinds.some((k) => k !== "i32") || f.result === "f64") {
      // With f64 or typed-array parameters or an f64 result: each argument by its kind (a typed array
      // must be the very kind the parameter declares; calls.ts's rule takes any view for a "ptr").
      const signature = canonical({ params: kinds.map((k): ParamKind => (k === "i32" || k === "f64" ? k : "ptr")), result: f.result });
      const bad = (args: ArrayLike<unknown>): never => badArguments(signature, names, args);
      const F = STATE.fargs / 8;
      const f64Result = f.result === "f64";
      const paramIndices = f.params.map((_, k) => k);
      const general = function jit(...args: number[]): number {
        if (disposed) throw new JitError("E_DISPOSED", "this module was disposed; its code memory is gone");
        if (new.target !== undefined) throw new TypeError("a JIT'd function is not a constructor");
        if (args.length !== arity) bad(args);
        let handles = 0;
        for (const k of paramIndices) {
          const a = args[k] as number;
          const kind = kinds[k];
          if (kind === "f64") {
            if (typeof a !== "number") bad(args);
            doubles[F + k] = a;
          } else if (kind === "i32") {
            if (typeof a !== "number" || (a | 0) !== a) bad(args);
            words[A + k] = a;
          } else {
            // A typed array: its address and length go into the table, its handle into the argument.
            const want = ARRAYS[(kind as string).slice(2)]!;
            if (!((a as unknown as object) instanceof want.type)) {
              throw new JitError("E_RANGE", `argument ${k + 1} of ${name} ('${names[k] ?? "?"}') must be ${want.name}, got ${describeArg(a)}`);
            }
            const view = a as unknown as ArrayBufferView;
            if (view.byteLength > 0x7fffffff) throw new JitError("E_RANGE", `argument ${k + 1} of ${name} ('${names[k] ?? "?"}') is larger than 2^31 - 1 bytes`);
            const address = addressOf(view);
            const at = (STATE.arrays >> 2) + 4 * handles;
            words[at] = address % 0x100000000 | 0;
            words[at + 1] = Math.floor(address / 0x100000000);
            words[at + 2] = (view as unknown as { length: number }).length;
            words[A + k] = handles++;
          }
        }
        const site = (resources.entries[index] ?? entry())(state);
        if (site !== -1) fail(site);
        if (voidResult) return undefined as unknown as number;
        return f64Result ? (doubles[STATE.fresult / 8] as number) : (words[STATE.result / 4] as number);
      };
      define(general, signature);
      return;
    }
    const signature = int32Signature(arity);
    const bad = (args: ArrayLike<unknown>): never => badArguments(signature, names, args);
    // Named parameters, not ...args: a rest array is made on every call (measured: 4 arguments took
    // 67 ns a call that way, against 7 ns for one). Missing ones are undefined and fail the check.
    const call = function jit(a: number, b: number, c: number, d: number, e: number, f: number, g: number, h: number): number {
      if (disposed) throw new JitError("E_DISPOSED", "this module was disposed; its code memory is gone");
      if (new.target !== undefined) throw new TypeError("a JIT'd function is not a constructor");
      if (arguments.length !== arity) bad(arguments);
      if (arity > 0) {
        if (typeof a !== "number" || (a | 0) !== a) bad(arguments);
        words[A] = a;
        if (arity > 1) {
          if (typeof b !== "number" || (b | 0) !== b) bad(arguments);
          words[A + 1] = b;
          if (arity > 2) {
            if (typeof c !== "number" || (c | 0) !== c) bad(arguments);
            words[A + 2] = c;
            if (arity > 3) {
              if (typeof d !== "number" || (d | 0) !== d) bad(arguments);
              words[A + 3] = d;
              if (arity > 4) {
                if (typeof e !== "number" || (e | 0) !== e) bad(arguments);
                if (arity > 5 && (typeof f !== "number" || (f | 0) !== f)) bad(arguments);
                if (arity > 6 && (typeof g !== "number" || (g | 0) !== g)) bad(arguments);
                if (arity > 7 && (typeof h !== "number" || (h | 0) !== h)) bad(arguments);
                words[A + 4] = e;
                words[A + 5] = f;
                words[A + 6] = g;
                words[A + 7] = h;
              }
            }
          }
        }
      }
      const site = (resources.entries[index] ?? entry())(state);
      if (site !== -1) fail(site);
      return voidResult ? (undefined as unknown as number) : (words[STATE.result / 4] as number);
    };
    define(call, canonical({ params: signature.params, result: voidResult ? "void" : "i32" }));
  });

  function defineFunction(call: object, name: string, arity: number, entryAddress: number, signature: Signature): void {
    Object.defineProperties(call, {
      address: { get: () => (disposed ? 0 : entryAddress) },
      bytes: { get: () => assembled.code.bytes.slice() },
      lines: { get: () => assembleModule(source, { target, file }).lines },
      listing: { get: () => assembleModule(source, { target, file }).listing },
      target: { value: target },
      arity: { value: arity },
      signature: { value: signature },
      disposed: { get: () => disposed },
      dispose: { value: () => dispose() },
      [Symbol.dispose]: { value: () => dispose() },
      // The function keeps its module alive: the module's finalizer frees the code they share.
      module: { value: mod },
    });
    functions[name] = call as unknown as JitFunction;
    if (!RESERVED.has(name)) mod[name] = call;
  }

  const dispose = (): void => {
    if (disposed) return;
    disposed = true;
    collector.unregister(resources);
    release(resources);
  };
  const abiCheck = (name: string, args: readonly number[]) => {
    if (!checks) throw new JitError("E_INTERNAL", "compiled without ABI check stubs");
    if (disposed) throw new JitError("E_DISPOSED", "this module was disposed; its code memory is gone");
    const index = fns.findIndex((f) => f.name === name);
    if (index < 0) throw new JitError("E_RANGE", `no function ${name}`);
    return runCheck(os, state, slot.address + (assembled.layout.checks[index] as number), target, args, words, resources);
  };
  const internals: ModuleInternals = { assembled, codeAddress: slot.address, stateAddress: state, os, floor, budget, abiCheck };
  Object.defineProperties(mod, {
    functions: { value: Object.freeze(functions), enumerable: false },
    target: { value: target, enumerable: false },
    bytes: { get: () => assembled.code.bytes.slice(), enumerable: false },
    listing: { get: () => assembleModule(source, { target, file }).listing, enumerable: false },
    disposed: { get: () => disposed, enumerable: false },
    dispose: { value: dispose, enumerable: false },
    [Symbol.dispose]: { value: dispose, enumerable: false },
    internals: { value: internals, enumerable: false },
  });
  collector.register(mod, resources, resources);
  return mod as JitModule;
}

export { MAX_PARAMS };

/**
 * What profilers call a module's code (perf.ts): each function `fn:FILE:NAME`, from its start to the
 * next one's, with the source line each stretch of its code came from; the entry stubs, check stubs
 * and the unwind after the last function as `fn:FILE:(stubs)`. FILE is the name as given; `path` is
 * the file for the line tables (absolute, so that perf annotate can open it).
 */
export function modulePieces(assembled: AssembledModule, address: number, file: string, path: string): PerfEntry[] {
  const { layout } = assembled;
  const bytes = layout.code.bytes;
  const starts = layout.functions;
  const stubs = Math.min(bytes.length, ...layout.entries.filter((e) => e >= 0), ...layout.checks.filter((e) => e >= 0));
  const pieces: PerfEntry[] = [];
  let mark = 0;
  assembled.ir.functions.forEach((f, i) => {
    const from = starts[i] as number;
    const to = i + 1 < starts.length ? (starts[i + 1] as number) : stubs;
    const lines: PerfLine[] = [];
    while (mark < layout.lines.length && (layout.lines[mark]?.offset as number) < to) {
      const l = layout.lines[mark++] as { offset: number; line: number; column: number };
      if (l.offset >= from) lines.push({ offset: l.offset - from, line: l.line, column: l.column });
    }
    const entry: PerfEntry = { address: address + from, bytes: bytes.subarray(from, to), name: perfName(`fn:${file}:${f.name}`) };
    pieces.push(lines.length === 0 ? entry : { ...entry, source: { file: path, lines } });
  });
  if (stubs < bytes.length) pieces.push({ address: address + stubs, bytes: bytes.subarray(stubs), name: perfName(`fn:${file}:(stubs)`) });
  return pieces;
}

/** Where the ABI check buffer lives: in the state block's page, after the block. */
const CHECK_AT = 512;

function runCheck(os: OsMemory, state: number, address: number, target: Target, args: readonly number[], words: Int32Array, resources: Resources) {
  const layout = checkLayout(target.abi);
  const names = [...layout.gp, ...layout.vec];
  const buffer = os.view(state + CHECK_AT, CHECK.bytes);
  const values = new BigUint64Array(buffer.buffer, buffer.byteOffset, CHECK.bytes / 8);
  const stateReg = target.arch === "x64" ? "r15" : "x28";
  names.forEach((_, k) => {
    values[(CHECK.in >> 3) + k] = checkValue(k);
  });
  new DataView(words.buffer, words.byteOffset).setBigUint64(STATE.aux, BigInt(state + CHECK_AT), true);
  args.forEach((a, i) => {
    words[STATE.args / 4 + i] = a;
  });
  let entry = resources.checks.get(address);
  if (entry === undefined) {
    entry = os.entry(address);
    resources.checks.set(address, entry);
  }
  const site = entry(state);
  // After a return, the function itself must have kept every register (`out`, read right after it),
  // and the entry stub too (`outer`, read by the wrapper around the stub). After an unwind the
  // function's frames never restored theirs: only what the stub's caller sees counts.
  const changed = new Set<string>();
  const compare = (at: number, spBefore: number, spAfter: number) => {
    names.forEach((name, k) => {
      const expected = name === stateReg ? BigInt(state) : checkValue(k);
      if (values[(at >> 3) + k] !== expected) changed.add(name);
    });
    if (values[spBefore >> 3] !== values[spAfter >> 3]) changed.add(target.arch === "x64" ? "rsp" : "sp");
  };
  if (site === -1) compare(CHECK.out, CHECK.spBefore, CHECK.spAfter);
  compare(CHECK.outer, CHECK.outerSpBefore, CHECK.outerSpAfter);
  return { site, result: words[STATE.result / 4] as number, changed: [...changed] };
}

/** The typed arrays a parameter may be, by element kind. */
const ARRAYS: Readonly<Record<string, { type: new (n: number) => object; name: string }>> = {
  i32: { type: Int32Array, name: "an Int32Array" },
  f64: { type: Float64Array, name: "a Float64Array" },
  u8: { type: Uint8Array, name: "a Uint8Array" },
};

function describeArg(a: unknown): string {
  if (a === null) return "null";
  if (typeof a === "object") return `a ${(a as object).constructor?.name ?? "object"}`;
  return `a ${typeof a}`;
}
