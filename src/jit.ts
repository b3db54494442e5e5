/**
 * Executable memory: map read+write, write the code, protect read+execute, flush the instruction cache,
 * make it callable, unmap when done. A page is never writable and executable at once (W^X).
 *
 * Many small functions share a page (first fit in 16-byte units), so installing one costs two mprotect
 * calls instead of a fresh mmap, 10,000 adders fit in a few dozen pages, and a page goes back to the OS
 * as soon as its last function is disposed. The first page also holds the call trampolines, so it stays
 * mapped (until close()); a compile/dispose loop therefore reuses it instead of mapping a page each time.
 */
import { MAX_PARAMS, addressLocation, type Signature, TRAMPOLINES, checkSignature, int32Signature, signatureKey, trampolineIndex } from "./abi.ts";
import type { Code, ListingLine } from "./emit.ts";
import { JitError, describeValue } from "./errors.ts";
import { bindOs } from "./libc.ts";
import { type Target, hostPlatform, sameTarget, targetArgument } from "./platform.ts";
import type { NativeFunction, OsMemory } from "./os.ts";
import { type PerfSource, profiler } from "./perf.ts";
import { emitTrampoline } from "./trampoline.ts";

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
  /** Trampoline addresses by abi.ts trampolineIndex: signatures whose address lands in one place share one. */
  private readonly trampolineAddresses = new Map<number, number>();
  /** The bun:ffi function calling through a trampoline, by signature (install() passes one object per signature). */
  private readonly callers = new Map<Signature, NativeFunction>();
  /** Where each signature's trampoline lives (abi.ts trampolineIndex), by canonical signature. */
  private readonly indices = new Map<Signature, number>();
  /** The status block (see statusBlock), mapped on first need. */
  private status: StatusBlock | undefined;
  /** Whether the OS layer can still write into read+execute pages directly (see OsMemory.patch). */
  private patching: boolean;
  /** Set once the target is known to be this host's (see checkTarget). */
  private runnable = false;

  constructor(os: OsMemory, target: Target) {
    if (typeof os !== "object" || os === null || typeof os.map !== "function" || typeof os.pageSize !== "number") {
      throw new JitError("E_RANGE", `new CodeMemory(os, target): os must be an OsMemory (hostOs() gives this host's), not ${describeValue(os)}`);
    }
    this.os = os;
    this.target = targetArgument(target, "new CodeMemory(os, target): target");
    this.patching = os.patch !== undefined;
  }

  /**
   * Copy a function's machine code into executable memory, with the trampoline that calls functions of
   * its signature (made on first need, on the same write as the function when both land on a fresh
   * page). `signature` is the native one: a status block's pointer, if the code takes one, included.
   */
  install(bytes: Uint8Array, signature: Signature): { slot: CodeSlot; call: NativeFunction } {
    if (!this.runnable) this.checkTarget();
    if (bytes.length === 0) throw new JitError("E_INTERNAL", "cannot install empty code");
    let index = this.indices.get(signature);
    if (index === undefined) {
      index = trampolineIndex(this.target, signature);
      this.indices.set(signature, index);
    }
    const writes: Write[] = [];
    const trampoline = this.trampolineAddresses.has(index) ? undefined : this.placeTrampoline(index, signature, writes);
    const units = Math.ceil(bytes.length / UNIT);
    const { region, unit } = this.allocate(units);
    region.functions++;
    const address = region.base + unit * UNIT;
    writes.push({ region, address, bytes });
    this.write(writes);
    // Recorded once written: after a failed install the place has no trampoline, and gets it next time.
    if (trampoline !== undefined) {
      this.trampolineAddresses.set(index, trampoline);
      if (profiler() !== undefined) this.nameTrampoline(trampoline, (writes[0] as Write).bytes, signature);
    }
    return { slot: new Slot(this.releaser, region, unit, units, bytes.length), call: this.caller(index, signature) };
  }

  /**
   * The bun:ffi function that calls code of `signature` (as install() keeps signatures: one object per
   * key), writing its trampoline first if this memory has none for it yet.
   */
  callerFor(signature: Signature): NativeFunction {
    let index = this.indices.get(signature);
    if (index === undefined) {
      index = trampolineIndex(this.target, signature);
      this.indices.set(signature, index);
    }
    if (!this.trampolineAddresses.has(index)) {
      const writes: Write[] = [];
      const address = this.placeTrampoline(index, signature, writes);
      this.write(writes);
      this.trampolineAddresses.set(index, address);
      if (profiler() !== undefined) this.nameTrampoline(address, (writes[0] as Write).bytes, signature);
    }
    return this.caller(index, signature);
  }

  /**
   * Name a trampoline for profilers (perf.ts) by where it finds the address it jumps to, which is what
   * tells one trampoline from another: `trampoline(address in xmm0)`, `trampoline(address in d1)`.
   */
  private nameTrampoline(address: number, bytes: Uint8Array, signature: Signature): void {
    const at = addressLocation(this.target, signature);
    const where = at.kind === "fp" ? `${this.target.arch === "arm64" ? "d" : "xmm"}${at.reg}` : at.kind === "int" ? "an integer register" : `the stack at +${at.offset}`;
    profiler()?.record([{ address, bytes, name: `trampoline(address in ${where})` }]);
  }

  /**
   * The memory's status block: STATUS_BYTES of read+write memory (never executable) whose address code
   * that can fail is given as a hidden last parameter (InstallOptions.status). The code stores a nonzero
   * status code in its first 8 bytes and returns; the JitFunction reads it after the call, clears it
   * and throws (STATUS_ERRORS). The other 8 bytes are the code's own during a call (say, the stack
   * pointer at entry, to unwind from a stack overflow). Native code never calls back into JavaScript,
   * so one block per memory serves every call. Mapped on first need, unmapped by close().
   */
  statusBlock(): StatusBlock {
    if (this.status === undefined) {
      const size = this.os.pageSize;
      const address = this.os.map(size, "status block");
      this.status = { address, size, word: new Int32Array(this.os.view(address, STATUS_BYTES).buffer, 0, 2) };
    }
    return this.status;
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
    // While a perf map is written, the pages stay mapped, so that no later mapping gets their addresses.
    if (profiler()?.keepsDisposedSpace !== true) for (const region of [...this.regions]) this.unmapRegion(region);
    else this.regions.clear();
    if (this.status !== undefined) {
      const { address, size } = this.status;
      this.status = undefined;
      this.os.unmap(address, size);
    }
    this.home = undefined;
    this.trampolineAddresses.clear();
    this.callers.clear();
    this.indices.clear();
  }

  /** The bun:ffi function that calls code of this signature through its trampoline (see trampoline.ts). */
  private caller(index: number, signature: Signature): NativeFunction {
    let call = this.callers.get(signature);
    if (call === undefined) {
      const address = this.trampolineAddresses.get(index);
      if (address === undefined) throw new JitError("E_INTERNAL", `no trampoline for ${signatureKey(signature)}`);
      call = this.os.callable(address, signature, addressLocation(this.target, signature).kind === "int" ? "u64" : "f64");
      this.callers.set(signature, call);
    }
    return call;
  }

  /**
   * Queue the trampoline for place `index` into its unit on the home page (mapping the page if needed).
   * The page's first units are kept for the trampolines, one per place the address can arrive in, so
   * however full small functions have made the page, a function of a new signature still finds its
   * trampoline's place.
   */
  private placeTrampoline(index: number, signature: Signature, writes: Write[]): number {
    const bytes = emitTrampoline(this.target, signature).bytes;
    if (bytes.length > UNIT) throw new JitError("E_INTERNAL", `a ${bytes.length}-byte trampoline does not fit its ${UNIT}-byte unit`);
    if (this.home === undefined) {
      this.home = this.mapRegion(this.os.pageSize, "call trampolines and small functions");
      take(this.home, 0, TRAMPOLINES);
      this.list(this.home);
    }
    const address = this.home.base + index * UNIT;
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
    if (profiler()?.keepsDisposedSpace === true) {
      // A perf map cannot say when code came or went, and perf names an address by one of its lines,
      // not the latest: so while a map is written, disposed space is never handed out again (perf.ts).
      region.functions--;
      return;
    }
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

/** See CodeMemory.statusBlock. */
export interface StatusBlock {
  readonly address: number;
  /** The mapping's size (a page). */
  readonly size: number;
  /** The status word's low and high halves, live. */
  readonly word: Int32Array;
}

/** The status block's bytes that code may use: the status word, then 8 bytes of the code's own. */
export const STATUS_BYTES = 16;

/** The status codes generated code stores (calls.ts STATUS_ERRORS says what each becomes). */
export const STATUS_DIV_ZERO = 1;
export const STATUS_STACK_OVERFLOW = 2;

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
  /**
   * Call the code. Arguments are checked against the signature, never converted: exactly as many as it
   * has parameters, an int32 for `i32`, a number for `f64`, a typed array or DataView for `ptr`;
   * anything else throws JitError E_RANGE naming the parameter. A `void` function returns undefined.
   */
  (...args: (number | ArrayBufferView)[]): number;
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
  /** How many arguments it takes. */
  readonly arity: number;
  /** Its parameter and result kinds. */
  readonly signature: Signature;
  readonly disposed: boolean;
  /**
   * Give the code memory back. Calling afterwards throws JitError E_DISPOSED. Safe to call twice.
   * Throws E_FROZEN, and keeps the code, for a function made frozen or sealed (Object.freeze/seal).
   */
  dispose(): void;
  [Symbol.dispose](): void;
}

/** How to install code as a JitFunction: see install(). */
export interface InstallOptions<T = unknown> {
  /** The parameters and result as a JavaScript caller sees them (abi.ts; at most MAX_PARAMS parameters). */
  readonly signature: Signature;
  /**
   * The code can fail: it takes the memory's status block's address as one more `ptr` parameter after
   * its own, and reports a failure by storing a STATUS_ERRORS code in the block's first 8 bytes before
   * it returns (see CodeMemory.statusBlock). The JitFunction checks the word after every call.
   */
  readonly status?: boolean;
  /** Parameter names, for error messages ("parameter 2 (y) must be ..."). */
  readonly names?: readonly string[];
  /**
   * How the code was made, to make it again: with a recipe and its input (an adder's term, an
   * expression's text), the JitFunction keeps those two instead of the Code (whose listing alone is
   * kilobytes of small objects), and `bytes`, `lines` and `listing` rebuild it when read. Without one,
   * the Code is kept.
   */
  readonly recipe?: Recipe<T>;
  readonly input?: T;
  /** What profilers call the code (perf.ts): asked only when profiling is on, with `input`. */
  readonly describe?: Describe<T>;
}

/** A piece of code's name for profilers, and optionally its source lines (see perf.ts). */
export type Describe<T> = (input: T) => { readonly name: string; readonly source?: PerfSource };

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
 * The host memory's callers of one-argument functions, plain and with a status block, and that block.
 * The properties are added on first use and replaced only if the host memory is closed and makes new
 * ones (see install).
 */
const HOST_CALLERS: { plain?: NativeFunction; checked?: NativeFunction; status?: StatusBlock } = {};

function notConstructor(): never {
  // What JavaScript itself throws for `new` on an arrow function, which JitFunctions used to be.
  throw new TypeError("a JIT'd function is not a constructor");
}

function disposedError(): never {
  throw new JitError("E_DISPOSED", "this JIT'd function was disposed; its code memory is gone");
}

/** The cold half of calling (calls.ts): loaded on the first multi-parameter install or the first error. */
let coldCalls: typeof import("./calls.ts") | undefined;
function cold(): typeof import("./calls.ts") {
  coldCalls ??= require("./calls.ts") as typeof import("./calls.ts");
  return coldCalls;
}

/** The E_RANGE for a call with the wrong number of arguments or a wrong one (see calls.ts). */
function badCall(fn: unknown, args: ArrayLike<unknown>): never {
  const state = stateOf(fn);
  return cold().badArguments(state.signature, state.names, args);
}

/** Read and clear a nonzero status word, and throw what it means (see calls.ts). */
function statusError(block: StatusBlock): never {
  return cold().statusError(block);
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

/**
 * Signatures as install() keeps them: one frozen object per key, so that caches can go by identity and
 * a caller changing its object afterwards changes nothing. CANONICAL maps each to its key.
 */
const CANONICAL = new WeakMap<Signature, string>();
const BY_KEY = new Map<string, Signature>();
const ALIASES = new WeakMap<Signature, Signature>();
/** The native signature of code with a status block: the block's pointer after the parameters. */
const WITH_STATUS = new WeakMap<Signature, Signature>();

/** The one frozen object install() keeps for a signature; E_RANGE for one babyjit cannot call. */
export function canonical(signature: Signature): Signature {
  if (CANONICAL.has(signature)) return signature;
  const alias = ALIASES.get(signature);
  if (alias !== undefined) return alias;
  if (typeof signature !== "object" || signature === null) throw new JitError("E_RANGE", `a signature is { params, result }, not ${String(signature)}`);
  const key = checkSignature(signature);
  const frozen = Object.isFrozen(signature) && Object.isFrozen(signature.params);
  let made = BY_KEY.get(key);
  if (made === undefined) {
    made = frozen ? signature : Object.freeze({ params: Object.freeze([...signature.params]), result: signature.result });
    BY_KEY.set(key, made);
    CANONICAL.set(made, key);
  }
  // A frozen object cannot change, so it can stand for its canonical one from now on.
  if (frozen && made !== signature) ALIASES.set(signature, made);
  return made;
}

/** The native signature of code with a status block: its parameters, then the block's address. */
export function withStatus(signature: Signature): Signature {
  let native = WITH_STATUS.get(signature);
  if (native === undefined) {
    if (signature.params.length >= MAX_PARAMS) {
      throw new JitError("E_RANGE", `code with a status block takes at most ${MAX_PARAMS - 1} parameters of its own, not ${signature.params.length}`);
    }
    native = canonical({ params: [...signature.params, "ptr"], result: signature.result });
    WITH_STATUS.set(signature, native);
  }
  return native;
}

const UNARY_I32 = canonical(int32Signature(1));

/**
 * Install code and wrap it as a JitFunction: the way every chapter turns machine code into something
 * JavaScript calls. The code follows the target's calling convention for `options.signature` (abi.ts),
 * plus the status block's address after its parameters when `options.status` is set.
 */
export function install<T>(memory: CodeMemory, code: Code, options: InstallOptions<T>): JitFunction {
  const signature = canonical(options.signature);
  const status = options.status === true ? memory.statusBlock() : undefined;
  const { slot, call } = memory.install(code.bytes, status === undefined ? signature : withStatus(signature));
  const fn = wrap(memory, slot, call, code, signature, status, options);
  const perf = profiler();
  if (perf !== undefined) {
    const named = options.describe?.(options.input as T) ?? { name: `jit(${signatureKey(signature)})` };
    perf.record([{ address: slot.address, bytes: code.bytes, ...named }]);
  }
  return fn;
}

/** Make the JitFunction for installed code (install(), and module.ts for each export). */
export function wrap<T>(
  memory: CodeMemory,
  slot: CodeSlot,
  call: NativeFunction,
  code: Code,
  signature: Signature,
  status: StatusBlock | undefined,
  options: { readonly names?: readonly string[]; readonly recipe?: Recipe<T>; readonly input?: T },
): JitFunction {
  // One shared trampoline CFunction per signature keeps the call inside monomorphic, and the address
  // rides along as its last argument. (A bun:ffi stub per function was measured slower once several
  // functions exist, 2.9 ns a call and 7 ns from a call site that calls two of them, besides costing
  // microseconds to make.) Each wrapper checks the address first: 0 (or none) means disposed. Three
  // makers, so that a start-up links the code of the one it uses only.
  const fn = signature !== UNARY_I32 ? cold().general(CALL_CONTEXT, call, signature, status) : memory === defaultMemory ? hostUnary(call, status) : unary(call, status);

  // One shared prototype instead of per-function property definitions: defining nine properties on
  // each new function took longer than the system call that installs it. Every JitFunction gets its
  // two own properties in the same order, so they all share one shape.
  const recipe = options.recipe as Recipe<unknown> | undefined;
  const names = options.names;
  const id = ++lastId;
  const state = recipe === undefined
    ? new JitState(fn, slot, id, code, undefined, undefined, memory.target, signature, names)
    : new JitState(fn, slot, id, undefined, recipe, options.input, memory.target, signature, names);
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

type Wrapper = (...args: never[]) => number;

/**
 * One int32 argument, the host memory's trampoline: the article's shape, kept as lean as possible (this
 * is the path the call-cost budget measures). The caller is read from HOST_CALLERS, a module-level
 * object written once, which JavaScriptCore also treats as a constant. The argument check is one test
 * on the fast path: `arguments.length` is a register read, and for an int32 `typeof` is decided by the
 * type JavaScriptCore already speculated; badCall works out what was wrong.
 */
function hostUnary(call: NativeFunction, status: StatusBlock | undefined): Wrapper {
  if (status !== undefined) {
    if (HOST_CALLERS.checked !== call) HOST_CALLERS.checked = call;
    if (HOST_CALLERS.status !== status) HOST_CALLERS.status = status;
    return function jit(a: number): number {
      const address = (jit as unknown as Addressed)[ADDRESS];
      if (!address) disposedError();
      if (new.target !== undefined) notConstructor();
      if (arguments.length !== 1 || typeof a !== "number" || (a | 0) !== a) badCall(jit, arguments);
      const block = HOST_CALLERS.status as StatusBlock;
      const r = (HOST_CALLERS.checked as NativeFunction)(a, block.address, address);
      return block.word[0] === 0 ? r : statusError(block);
    };
  }
  if (HOST_CALLERS.plain !== call) HOST_CALLERS.plain = call;
  return function jit(a: number): number {
    const address = (jit as unknown as Addressed)[ADDRESS];
    if (!address) disposedError();
    if (new.target !== undefined) notConstructor();
    if (arguments.length !== 1 || typeof a !== "number" || (a | 0) !== a) badCall(jit, arguments);
    return (HOST_CALLERS.plain as NativeFunction)(a, address);
  };
}

/** One int32 argument, another memory's trampoline (its caller from the closure). */
function unary(call: NativeFunction, status: StatusBlock | undefined): Wrapper {
  return status !== undefined
    ? function jit(a: number): number {
        const address = (jit as unknown as Addressed)[ADDRESS];
        if (!address) disposedError();
        if (new.target !== undefined) notConstructor();
        if (arguments.length !== 1 || typeof a !== "number" || (a | 0) !== a) badCall(jit, arguments);
        const r = call(a, status.address, address);
        return status.word[0] === 0 ? r : statusError(status);
      }
    : function jit(a: number): number {
        const address = (jit as unknown as Addressed)[ADDRESS];
        if (!address) disposedError();
        if (new.target !== undefined) notConstructor();
        if (arguments.length !== 1 || typeof a !== "number" || (a | 0) !== a) badCall(jit, arguments);
        return call(a, address);
      };
}

/** What calls.ts's wrappers need from here, passed in (calls.ts does not import jit.ts). */
const CALL_CONTEXT = { address: ADDRESS, disposedError, notConstructor, badCall };

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
    readonly signature: Signature,
    readonly names: readonly string[] | undefined,
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
  arity: { get: function (this: unknown) { return stateOf(this).signature.params.length; } },
  signature: { get: function (this: unknown) { return stateOf(this).signature; } },
  disposed: { get: function (this: unknown) { return addressOf(this) === 0; } },
  dispose: { value: function (this: unknown) { dispose(this); } },
  [Symbol.dispose]: { value: function (this: unknown) { dispose(this); } },
});
