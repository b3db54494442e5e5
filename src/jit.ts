/**
 * Executable memory: map read+write, write the code, protect read+execute, flush the instruction cache,
 * make it callable, unmap when done. A page is never writable and executable at once (W^X).
 *
 * Many small functions share a page (first fit in 16-byte units), so installing one costs two mprotect
 * calls instead of a fresh mmap, 10,000 adders fit in a few dozen pages, and a page goes back to the OS
 * as soon as its last function is disposed. The first page also holds the call trampolines, so it stays
 * mapped (until close()); a compile/dispose loop therefore reuses it instead of mapping a page each time.
 */
import type { Code, ListingLine } from "./emit.ts";
import { JitError, describeValue } from "./errors.ts";
import { bindOs } from "./libc.ts";
import { type Target, hostPlatform, sameTarget } from "./platform.ts";
import type { NativeFunction, OsMemory } from "./os.ts";
import { MAX_ARITY, emitTrampoline } from "./trampoline.ts";

export type { NativeFunction, OsMemory } from "./os.ts";

/**
 * A region babyjit mapped: a page shared by many functions, or one large function's own mapping.
 * Space is handed out in 16-byte units, first fit from `low`.
 */
interface Region {
  readonly base: number;
  readonly size: number;
  readonly used: Uint8Array; // one entry per unit: 1 = taken
  free: number; // free units
  functions: number;
  executable: boolean;
  /** Every unit below this one is taken: a search for room starts here. */
  low: number;
  /** On CodeMemory's list of pages that may have room (see allocate). */
  listed: boolean;
  mapped: boolean;
}

/**
 * A CodeSlot as CodeMemory hands them out: five fields (one is kept per live function, so a million
 * of them count), free() and address on the prototype.
 */
class Slot implements CodeSlot {
  /** Units taken; negative once freed. */
  private units: number;
  constructor(
    private readonly release: (region: Region, unit: number, units: number) => void,
    private readonly region: Region,
    private readonly unit: number,
    units: number,
    readonly size: number,
  ) {
    this.units = units;
  }

  get address(): number {
    return this.region.base + this.unit * UNIT;
  }

  free(): void {
    if (this.units < 0) return;
    this.release(this.region, this.unit, this.units);
    this.units = -this.units;
  }
}

/** Where one installed function lives; free() gives the space back. */
export interface CodeSlot {
  readonly address: number;
  readonly size: number;
  free(): void;
}

/** A mapping of ours, for tests, --trace and the benchmark. */
export interface MappingInfo {
  readonly address: number;
  readonly size: number;
  readonly functions: number;
  readonly trampolines: number;
}

const UNIT = 16; // keeps every function 16-byte aligned, as compilers align function entries

export class CodeMemory {
  readonly os: OsMemory;
  readonly target: Target;
  /** Every mapping of ours, in the order they were made (a Set: removing one is O(1)). */
  private readonly regions = new Set<Region>();
  /**
   * Pages that may have room, most recently listed last. A page joins when it is mapped or when a
   * function on it is freed, and leaves when a search finds it too full: so an install looks at a few
   * pages, never at all of them, however many functions are alive.
   */
  private readonly open: Region[] = [];
  /** Gives units back; every Slot of this memory shares it. */
  private readonly releaser = (region: Region, unit: number, units: number): void => this.release(region, unit, units);
  /** The first page: it holds the call trampolines (and small functions) and stays mapped until close(). */
  private home: Region | undefined;
  private readonly trampolineAddresses = new Map<number, number>();
  private readonly callers = new Map<number, NativeFunction>(); // key: arity * 2 + (i64_fast ? 1 : 0)
  /** Whether the OS layer can still write into read+execute pages directly (see OsMemory.patch). */
  private patching: boolean;
  /** Set once the target is known to be this host's (see checkTarget). */
  private runnable = false;

  constructor(os: OsMemory, target: Target) {
    this.os = os;
    this.target = target;
    this.patching = os.patch !== undefined;
  }

  /**
   * Copy a function's machine code into executable memory, with the trampoline that calls functions of
   * its arity (made on first need, on the same write as the function when both land on a fresh page).
   */
  install(bytes: Uint8Array, arity: number, returns: "i32" | "i64_fast"): { slot: CodeSlot; call: NativeFunction } {
    if (!this.runnable) this.checkTarget();
    if (bytes.length === 0) throw new JitError("E_INTERNAL", "cannot install empty code");
    const writes: Write[] = [];
    const trampoline = this.trampolineAddresses.has(arity) ? undefined : this.placeTrampoline(arity, writes);
    const units = Math.ceil(bytes.length / UNIT);
    const { region, unit } = this.allocate(units);
    region.functions++;
    const address = region.base + unit * UNIT;
    writes.push({ region, address, bytes });
    this.write(writes);
    // Recorded once written: after a failed install the arity has no trampoline, and gets it next time.
    if (trampoline !== undefined) this.trampolineAddresses.set(arity, trampoline);
    return { slot: new Slot(this.releaser, region, unit, units, bytes.length), call: this.caller(arity, returns) };
  }

  /**
   * Copy machine code into executable memory on its own, with no trampoline: for code that gets a
   * bun:ffi function of its own (OsMemory.entry), like a Brainfuck program.
   */
  installCode(bytes: Uint8Array, align = UNIT): CodeSlot {
    if (!this.runnable) this.checkTarget();
    if (bytes.length === 0) throw new JitError("E_INTERNAL", "cannot install empty code");
    if (!(align >= UNIT && align <= 4096 && (align & (align - 1)) === 0)) throw new JitError("E_INTERNAL", `cannot align code to ${align} bytes`);
    const units = Math.ceil(bytes.length / UNIT);
    // align: the code's address is a multiple of it (a module whose loops are laid out for 64-byte
    // fetch boundaries needs its base on one: see fn/codegen.ts loopTops).
    const { region, unit } = this.allocate(units, align / UNIT);
    region.functions++;
    const address = region.base + unit * UNIT;
    try {
      this.write([{ region, address, bytes }]);
    } catch (error) {
      region.used.fill(0, unit, unit + units);
      region.free += units;
      region.functions--;
      throw error;
    }
    return new Slot(this.releaser, region, unit, units, bytes.length);
  }

  /**
   * Whatever is installed here gets called, so a memory made for another target (arm64 code on an
   * x86-64 host, Win64 code on Linux) refuses to install anything: E_TARGET, before a byte is mapped.
   * Asked on the first install, not in the constructor, so that a memory can be made (and its
   * mappings() read) where hostPlatform() is unsupported.
   */
  private checkTarget(): void {
    const host = hostPlatform().target;
    if (!sameTarget(this.target, host)) {
      throw new JitError(
        "E_TARGET",
        `this CodeMemory was made for ${this.target.arch}/${this.target.abi} code, which cannot run on this ${host.arch}/${host.abi} host; ` +
          "the assemble functions generate code for any target without running it",
      );
    }
    this.runnable = true;
  }

  mappings(): MappingInfo[] {
    return Array.from(this.regions, (r) => ({
      address: r.base,
      size: r.size,
      functions: r.functions,
      trampolines: r === this.home ? this.trampolineAddresses.size : 0, // they all live on the home page
    }));
  }

  /**
   * Unmap the home page once no function is left (the CLI does this on exit, so --trace shows every
   * mapping go). Throws if functions are still installed: their callers would jump into unmapped memory.
   */
  close(): void {
    for (const region of this.regions) {
      if (region.functions > 0) {
        // The caller's mistake, not a bug of ours: E_BUSY, like running a program from its own callback.
        throw new JitError("E_BUSY", `this CodeMemory still holds ${region.functions} function${region.functions === 1 ? "" : "s"} in one of its mappings; dispose() them before close()`);
      }
    }
    for (const region of [...this.regions]) this.unmapRegion(region);
    this.home = undefined;
    this.trampolineAddresses.clear();
    this.callers.clear();
  }

  /** The bun:ffi function that calls code with this many int32 arguments (see trampoline.ts). */
  private caller(arity: number, returns: "i32" | "i64_fast"): NativeFunction {
    const key = arity * 2 + (returns === "i32" ? 0 : 1);
    let call = this.callers.get(key);
    if (call === undefined) {
      const address = this.trampolineAddresses.get(arity);
      if (address === undefined) throw new JitError("E_INTERNAL", `no trampoline for arity ${arity}`);
      call = this.os.callable(address, arity, returns, true);
      this.callers.set(key, call);
    }
    return call;
  }

  /**
   * Queue the trampoline for `arity` into its unit on the home page (mapping the page if needed). The
   * page's first units are kept for the trampolines, one per arity, so however full small functions
   * have made the page, a function of a new arity still finds its trampoline's place.
   */
  private placeTrampoline(arity: number, writes: Write[]): number {
    const bytes = emitTrampoline(this.target, arity).bytes; // throws E_RANGE for an arity it has no trampoline for
    if (bytes.length > UNIT) throw new JitError("E_INTERNAL", `a ${bytes.length}-byte trampoline does not fit its ${UNIT}-byte unit`);
    if (this.home === undefined) {
      this.home = this.mapRegion(this.os.pageSize, "call trampolines and small functions");
      take(this.home, 0, MAX_ARITY + 1);
      this.list(this.home);
    }
    const address = this.home.base + arity * UNIT;
    writes.push({ region: this.home, address, bytes });
    return address;
  }

  /**
   * Put code into its regions, keeping W^X. A fresh region is written while it is still read+write and
   * then made read+execute, as in the article. A region that is already executable is written through
   * OsMemory.patch where the OS layer has it (the page stays read+execute throughout, and no permission
   * change means no TLB shootdown); otherwise it is flipped to read+write, written and flipped back.
   * JavaScript runs one thing at a time per thread, so nothing can call into a region while it is flipped.
   */
  private write(writes: readonly Write[]): void {
    // Index loops rather than map/filter/every/Set: this runs on every start-up's first install, and
    // the first call of Array.prototype.map alone measured a quarter of a millisecond there.
    for (let i = 0; i < writes.length; i++) {
      const region = (writes[i] as Write).region;
      if (firstOf(writes, region) !== i) continue; // each region once, with all of its writes
      if (region.executable && this.patching) {
        let patched = true;
        for (let k = i; k < writes.length && patched; k++) {
          const w = writes[k] as Write;
          if (w.region === region) patched = this.os.patch?.(w.address, w.bytes) === true;
        }
        if (patched) {
          this.flushWrites(writes, region);
          continue;
        }
        this.patching = false; // refused once (e.g. a hardened kernel): use mprotect from now on
      }
      if (region.executable) this.os.protect(region.base, region.size, "rw");
      for (let k = i; k < writes.length; k++) {
        const w = writes[k] as Write;
        if (w.region === region) this.os.write(w.address, w.bytes);
      }
      this.os.protect(region.base, region.size, "rx");
      region.executable = true;
      this.flushWrites(writes, region);
    }
  }

  private flushWrites(writes: readonly Write[], region: Region): void {
    for (let k = 0; k < writes.length; k++) {
      const w = writes[k] as Write;
      if (w.region === region) this.os.flushICache(w.address, w.bytes.length);
    }
  }

  /**
   * First fit on the most recently listed page that has room; a new page (or a large function's own
   * mapping) otherwise. A listed page too full for this request leaves the list (it rejoins when a
   * function on it is freed), so each page is looked at once per change: O(1) per install, amortized.
   */
  private allocate(units: number, step = 1): { region: Region; unit: number } {
    const page = this.os.pageSize;
    if (units * UNIT <= page) {
      const open = this.open;
      while (open.length > 0) {
        const region = open[open.length - 1] as Region;
        const unit = region.mapped && region.free >= units ? findRun(region, units, step) : -1;
        if (unit >= 0) {
          take(region, unit, units);
          if (region.free === 0) this.unlist(region);
          return { region, unit };
        }
        this.unlist(region);
      }
    }
    const size = Math.ceil((units * UNIT) / page) * page;
    const region = this.mapRegion(size, size > page ? "one large function" : "functions");
    take(region, 0, units);
    if (size === page && region.free > 0) this.list(region);
    return { region, unit: 0 };
  }

  /** Give a function's units back (CodeSlot.free): the page rejoins the list, or goes once empty. */
  private release(region: Region, unit: number, units: number): void {
    region.used.fill(0, unit, unit + units);
    region.free += units;
    region.functions--;
    if (unit < region.low) region.low = unit;
    if (region.functions === 0 && region !== this.home) this.unmapRegion(region);
    else if (!region.listed && region.size === this.os.pageSize) this.list(region);
  }

  private list(region: Region): void {
    region.listed = true;
    this.open.push(region);
  }

  /** Take the last listed page off the list. */
  private unlist(region: Region): void {
    region.listed = false;
    this.open.pop();
  }

  private mapRegion(size: number, purpose: string): Region {
    const base = this.os.map(size, purpose);
    const units = size / UNIT;
    const region: Region = { base, size, used: new Uint8Array(units), free: units, functions: 0, executable: false, low: 0, listed: false, mapped: true };
    this.regions.add(region);
    return region;
  }

  private unmapRegion(region: Region): void {
    // A listed page stays on the list until a search reaches it and sees it is no longer mapped.
    region.mapped = false;
    this.regions.delete(region);
    this.os.unmap(region.base, region.size);
  }
}

interface Write {
  readonly region: Region;
  readonly address: number;
  readonly bytes: Uint8Array;
}

function take(region: Region, unit: number, units: number): { region: Region; unit: number } {
  region.used.fill(1, unit, unit + units);
  region.free -= units;
  if (unit === region.low) region.low = unit + units;
  return { region, unit };
}

/** The index of the first write into `region`. */
function firstOf(writes: readonly Write[], region: Region): number {
  for (let k = 0; k < writes.length; k++) if ((writes[k] as Write).region === region) return k;
  return -1;
}

/** The first run of `units` free units in a region, starting at a multiple of `step` units, or -1. */
function findRun(region: Region, units: number, step = 1): number {
  const used = region.used;
  let run = 0;
  for (let i = region.low; i < used.length; i++) {
    if (used[i] !== 0) run = 0;
    else if (run > 0 || i % step === 0) run++;
    if (run === units) return i - units + 1;
  }
  return -1;
}

// ---------------------------------------------------------------------------------------------------
// JitFunction: what the library hands out.

export interface JitFunction {
  (...args: number[]): number;
  /** Where the code lives (0 once disposed). */
  readonly address: number;
  /** A copy of the machine code (made again from the function's recipe, when it has one: see InstallOptions). */
  readonly bytes: Uint8Array;
  /**
   * The listing written by the emitter alongside the bytes: offset, bytes, assembly, comment. A function
   * with a recipe keeps none and makes it again on each read.
   */
  readonly lines: readonly ListingLine[];
  /** The listing as plain text, one instruction per line. */
  readonly listing: string;
  readonly target: Target;
  /** How many int32 arguments it takes. */
  readonly arity: number;
  readonly disposed: boolean;
  /**
   * Give the code memory back. Calling afterwards throws JitError E_DISPOSED. Safe to call twice.
   * Throws E_FROZEN, and keeps the code, for a function made frozen or sealed (Object.freeze/seal).
   */
  dispose(): void;
  [Symbol.dispose](): void;
}

/**
 * `checked` code reports a division by zero by returning a value outside the int32 range in the full
 * 64-bit return register (see expr/codegen.ts); unchecked code returns a plain int32.
 */
export interface InstallOptions<T = unknown> {
  readonly arity: number;
  readonly checked: boolean;
  /**
   * How the code was made, to make it again: with a recipe and its input (an adder's term, an
   * expression's text), the JitFunction keeps those two instead of the Code (whose listing alone is
   * kilobytes of small objects), and `bytes`, `lines` and `listing` rebuild it when read. Without one,
   * the Code is kept.
   */
  readonly recipe?: Recipe<T>;
  readonly input?: T;
}

/** Makes code from a small input; called again with the same input, it returns the same bytes and listing. */
export type Recipe<T> = (input: T, target: Target) => Code;

/** The `memory` option of a compile function: undefined (the host memory) or a CodeMemory, else E_RANGE. */
export function memoryOption(memory: unknown, where: string): CodeMemory {
  if (memory === undefined) return hostMemory();
  if (!(memory instanceof CodeMemory)) throw new JitError("E_RANGE", `${where}: options.memory must be a CodeMemory, not ${describeValue(memory)}`);
  return memory;
}

let boundOs: OsMemory | undefined;
let defaultMemory: CodeMemory | undefined;

/** The real OS layer for this host, bound on first use (E_UNSUPPORTED on a platform babyjit lacks). */
export function hostOs(): OsMemory {
  if (boundOs === undefined) {
    // Imported at the top (every Bun has bun:ffi, and every run needs it), bound only here: dumping
    // and listing code never calls dlopen. A lazy require() made libc.ts a chunk of its own in the
    // compiled executable, which measured 0.2 ms of start-up.
    boundOs = bindOs(hostPlatform());
  }
  return boundOs;
}

/** The process-wide code memory for this host. */
export function hostMemory(): CodeMemory {
  defaultMemory ??= new CodeMemory(hostOs(), hostPlatform().target);
  return defaultMemory;
}

/**
 * Undisposed functions: their code is freed once the function is collected. The registry holds a
 * number, not the slot: a registration stays until the event loop runs the cleanup, even for a
 * function disposed long before, and one holding the slot kept every slot of a synchronous
 * compile/dispose loop alive (3,000,000 of them: 0.8-1.1 GB). A number costs the registry ~17 bytes
 * until then; the slot is found in LIVE, which dispose() empties at once. (An unregister token instead
 * doubled the memory of a live adder, 326 -> 645 B, and made compiling 30% slower.)
 */
const LIVE = new Map<number, CodeSlot>();
let lastId = 0;
const collector = new FinalizationRegistry<number>((id) => {
  const slot = LIVE.get(id);
  if (slot === undefined) return;
  LIVE.delete(id);
  slot.free();
});

/**
 * The host memory's callers of one-argument functions, plain and checked. The properties are added on
 * first use and replaced only if the host memory is closed and makes new ones (see install).
 */
const HOST_CALLERS: { plain?: NativeFunction; checked?: NativeFunction } = {};

function notConstructor(): never {
  // What JavaScript itself throws for `new` on an arrow function, which JitFunctions used to be.
  throw new TypeError("a JIT'd function is not a constructor");
}

function disposedError(): never {
  throw new JitError("E_DISPOSED", "this JIT'd function was disposed; its code memory is gone");
}

function badArgument(value: unknown): never {
  throw new JitError("E_RANGE", `argument ${String(value)} is not a 32-bit integer (-2147483648..2147483647)`);
}

function divisionByZero(): never {
  throw new JitError("E_DIV_ZERO", "division by zero");
}

/**
 * Where a JitFunction keeps its code's address: an own property of the function object, read inside the
 * function through its own name (a named function expression's name is the callee). Where the caller
 * knows which JitFunction it calls (`const add = compileAdder(5)`, then `add(x)`), JavaScriptCore then
 * folds the read into a constant, because the property is written once; a closure variable it must
 * load on every call, since all JitFunctions share the closure's code (measured: 2.4 ns a call instead
 * of 2.6). dispose() deletes the property, so the read finds the prototype's 0 (or nothing at all, if
 * someone swapped the prototype): replacing the value instead would make JavaScriptCore stop folding it
 * in every JitFunction. (A symbol is no secret: code that sets it can make the function jump anywhere,
 * as any code with bun:ffi can.)
 */
const ADDRESS = Symbol("babyjit.address");
type Addressed = { [ADDRESS]?: number };

/** Install code and wrap it as a JitFunction. */
export function install<T>(memory: CodeMemory, code: Code, options: InstallOptions<T>): JitFunction {
  const { arity, checked } = options;
  const { slot, call } = memory.install(code.bytes, arity, checked ? "i64_fast" : "i32");
  // One shared trampoline CFunction per arity keeps the call inside monomorphic, and the address rides
  // along as its last argument. (A bun:ffi stub per function was measured slower once several functions
  // exist, 2.9 ns a call and 7 ns from a call site that calls two of them, besides costing microseconds
  // to make.) Each wrapper checks the address first: 0 (or none) means disposed. Three makers, so that
  // a start-up links the code of the one it uses only.
  const fn = arity !== 1 ? anyArity(call, arity, checked) : memory === defaultMemory ? hostUnary(call, checked) : unary(call, checked);

  // One shared prototype instead of per-function property definitions: defining nine properties on
  // each new function took longer than the system call that installs it. Every JitFunction gets its
  // two own properties in the same order, so they all share one shape.
  const recipe = options.recipe as Recipe<unknown> | undefined;
  const id = ++lastId;
  const state = recipe === undefined
    ? new JitState(fn, slot, id, code, undefined, undefined, memory.target, arity)
    : new JitState(fn, slot, id, undefined, recipe, options.input, memory.target, arity);
  Object.setPrototypeOf(fn, JIT_FUNCTION_PROTOTYPE);
  // The state first, read-only: Object.assign(otherJitFunction, fn) then fails on it, before it gets
  // to the address (own symbols are copied in the order they were added). The address has the
  // attributes of a plain property, because deleting one is cheap (a property with other attributes
  // measured 0.3 µs to delete), and JavaScriptCore folds it all the same as long as nothing writes it
  // again. It is defined, not assigned, so that a frozen prototype's read-only 0 cannot stop it.
  Object.defineProperty(fn, STATE, { value: state, enumerable: true });
  Object.defineProperty(fn, ADDRESS, { value: slot.address, writable: true, enumerable: true, configurable: true });
  LIVE.set(id, slot);
  collector.register(fn, id);
  return fn as JitFunction;
}

type Wrapper = (...args: number[]) => number;

/**
 * One argument, the host memory's trampoline: the article's shape, kept as lean as possible (this is
 * the path the call-cost budget measures). The caller is read from HOST_CALLERS, a module-level object
 * written once, which JavaScriptCore also treats as a constant.
 */
function hostUnary(call: NativeFunction, checked: boolean): Wrapper {
  if (checked) {
    if (HOST_CALLERS.checked !== call) HOST_CALLERS.checked = call;
    return function jit(a: number): number {
      const address = (jit as unknown as Addressed)[ADDRESS];
      if (!address) disposedError();
      if (new.target !== undefined) notConstructor();
      if ((a | 0) !== a) badArgument(a);
      const r = (HOST_CALLERS.checked as NativeFunction)(a, address);
      return r === (r | 0) ? r : divisionByZero();
    };
  }
  if (HOST_CALLERS.plain !== call) HOST_CALLERS.plain = call;
  return function jit(a: number): number {
    const address = (jit as unknown as Addressed)[ADDRESS];
    if (!address) disposedError();
    if (new.target !== undefined) notConstructor();
    if ((a | 0) !== a) badArgument(a);
    return (HOST_CALLERS.plain as NativeFunction)(a, address);
  };
}

/** One argument, another memory's trampoline (its caller from the closure). */
function unary(call: NativeFunction, checked: boolean): Wrapper {
  return checked
    ? function jit(a: number): number {
        const address = (jit as unknown as Addressed)[ADDRESS];
        if (!address) disposedError();
        if (new.target !== undefined) notConstructor();
        if ((a | 0) !== a) badArgument(a);
        const r = call(a, address);
        return r === (r | 0) ? r : divisionByZero();
      }
    : function jit(a: number): number {
        const address = (jit as unknown as Addressed)[ADDRESS];
        if (!address) disposedError();
        if (new.target !== undefined) notConstructor();
        if ((a | 0) !== a) badArgument(a);
        return call(a, address);
      };
}

/** Any other number of arguments (0, 2, 3, 4), checked one by one. */
function anyArity(call: NativeFunction, arity: number, checked: boolean): Wrapper {
  return function jit(...args: number[]): number {
    const address = (jit as unknown as Addressed)[ADDRESS];
    if (!address) disposedError();
    if (new.target !== undefined) notConstructor();
    if (args.length !== arity) {
      throw new JitError("E_RANGE", `this function takes ${arity} arguments, got ${args.length}`);
    }
    for (const a of args) if ((a | 0) !== a) badArgument(a);
    const r = call(...args, address);
    return !checked || r === (r | 0) ? r : divisionByZero();
  };
}

const STATE = Symbol("babyjit.state");

/** What a JitFunction keeps besides its address: one object of one shape for every function. */
class JitState {
  constructor(
    /**
     * The function this state belongs to: dispose() acts on it, never on `this` (an object that
     * inherits from the function, a Proxy of it, or another object the method was called on).
     */
    readonly fn: object,
    /** The code's place in executable memory; dispose() frees it. */
    readonly slot: CodeSlot,
    /** Its key in LIVE, which the finalizer is given. */
    readonly id: number,
    /** The code itself, unless there is a recipe to make it again (InstallOptions.recipe). */
    private readonly code: Code | undefined,
    private readonly recipe: Recipe<unknown> | undefined,
    private readonly input: unknown,
    readonly target: Target,
    readonly arity: number,
  ) {}

  codeNow(): Code {
    if (this.code !== undefined) return this.code;
    if (this.recipe === undefined) throw new JitError("E_INTERNAL", "a JitFunction with neither code nor recipe");
    return this.recipe(this.input, this.target);
  }
}

function codeOf(state: JitState): Code {
  return state.codeNow();
}

function stateOf(fn: unknown): JitState {
  const state = (fn as { [STATE]?: JitState })[STATE];
  if (state === undefined) throw new JitError("E_INTERNAL", "not a JitFunction");
  return state;
}

/** The address of a JitFunction's code, 0 once disposed. */
function addressOf(fn: unknown): number {
  const owner = stateOf(fn).fn as Addressed;
  return Object.hasOwn(owner, ADDRESS) ? (owner[ADDRESS] as number) : 0;
}

/** Free the code once, and delete the function's address. */
function dispose(fn: unknown): void {
  const state = stateOf(fn);
  const owner = state.fn as Addressed;
  if (!Object.hasOwn(owner, ADDRESS)) return;
  // Object.freeze or Object.seal makes the address permanent: then the code must stay, or a later call
  // would jump into freed memory. The garbage collector still frees it once the function is gone.
  if (!Reflect.deleteProperty(owner, ADDRESS)) {
    throw new JitError("E_FROZEN", "this JIT'd function is frozen or sealed, so dispose() cannot take its address away; its code stays until the function is garbage-collected");
  }
  LIVE.delete(state.id);
  state.slot.free();
}

const JIT_FUNCTION_PROTOTYPE: object = Object.create(Function.prototype, {
  // What a disposed function reads. Found on the prototype, the read stays as cheap for the others as
  // before; with nothing to find, calling one disposed function made every call of the others 3x slower.
  [ADDRESS]: { value: 0 },
  address: { get: function (this: unknown) { return addressOf(this); } },
  bytes: { get: function (this: unknown) { return codeOf(stateOf(this)).bytes.slice(); } },
  lines: { get: function (this: unknown) { return codeOf(stateOf(this)).listing; } },
  listing: {
    get: function (this: unknown) {
      return (require("./listing.ts") as typeof import("./listing.ts")).formatListing(codeOf(stateOf(this)));
    },
  },
  target: { get: function (this: unknown) { return stateOf(this).target; } },
  arity: { get: function (this: unknown) { return stateOf(this).arity; } },
  disposed: { get: function (this: unknown) { return addressOf(this) === 0; } },
  dispose: { value: function (this: unknown) { dispose(this); } },
  [Symbol.dispose]: { value: function (this: unknown) { dispose(this); } },
});
