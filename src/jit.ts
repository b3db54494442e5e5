/**
 * Executable memory: map read+write, write the code, protect read+execute, flush the instruction cache,
 * make it callable, unmap when done. A page is never writable and executable at once (W^X).
 *
 * Many small functions share a page (a slab allocator with power-of-two slots), so installing one costs
 * two mprotect calls instead of a fresh mmap, 10,000 adders fit in a few dozen pages, and a page goes
 * back to the OS as soon as its last function is disposed.
 */
import type { Code, ListingLine } from "./emit.ts";
import { JitError } from "./errors.ts";
import { type Target, hostPlatform } from "./platform.ts";
import { emitTrampoline } from "./trampoline.ts";
import { formatListing } from "./listing.ts";

/** The system calls babyjit needs, behind one small interface (libc.ts binds the real ones). */
export interface OsMemory {
  readonly pageSize: number;
  /** Map `size` bytes (a multiple of the page size), readable and writable, zero-filled. `purpose` is for --trace. */
  map(size: number, purpose?: string): number;
  protect(address: number, size: number, access: "rw" | "rx"): void;
  unmap(address: number, size: number): void;
  /** Copy bytes into memory that is currently writable. */
  write(address: number, bytes: Uint8Array): void;
  /** Copy bytes out of memory that is currently readable. */
  read(address: number, size: number): Uint8Array;
  flushICache(address: number, size: number): void;
  /**
   * The protection the OS reports for the page holding `address` ("unmapped" when nothing is mapped
   * there), and where that came from; undefined where the OS offers no cheap way to ask (macOS).
   */
  protection(address: number): { readonly source: string; readonly perms: string } | undefined;
  /** A JavaScript function calling native code at `address` with `arity` int32s and then one pointer. */
  callable(address: number, arity: number, returns: "i32" | "i64_fast"): (...args: number[]) => number;
}

/** A region babyjit mapped: one slab page (many functions) or one large function's own mapping. */
interface Region {
  readonly base: number;
  readonly size: number;
  readonly slotSize: number;
  readonly freeSlots: number[]; // slot indices, the lowest on top
  live: number;
  executable: boolean;
}

/** Where one installed function lives; free() gives the slot back. */
export interface CodeSlot {
  readonly address: number;
  readonly size: number;
  free(): void;
}

const MIN_SLOT = 16; // keeps every function 16-byte aligned, as compilers align function entries

export class CodeMemory {
  readonly os: OsMemory;
  readonly target: Target;
  private readonly partial = new Map<number, Region[]>(); // slot size -> regions with a free slot
  private readonly regions = new Set<Region>();
  private readonly trampolines = new Map<string, (...args: number[]) => number>();
  private trampolineRegion: Region | undefined;

  constructor(os: OsMemory, target: Target) {
    this.os = os;
    this.target = target;
  }

  /** Copy machine code into executable memory. */
  install(bytes: Uint8Array): CodeSlot {
    if (bytes.length === 0) throw new JitError("E_INTERNAL", "cannot install empty code");
    const region = this.regionFor(bytes.length);
    const slot = region.freeSlots.pop();
    if (slot === undefined) throw new JitError("E_INTERNAL", "allocator picked a full region");
    if (region.freeSlots.length === 0) this.removePartial(region);
    region.live++;
    const address = region.base + slot * region.slotSize;
    this.writeCode(region, address, bytes);
    let freed = false;
    return {
      address,
      size: bytes.length,
      free: () => {
        if (freed) return;
        freed = true;
        this.release(region, slot);
      },
    };
  }

  /** The regions currently mapped for functions (not the trampoline page), for tests and --trace. */
  mappings(): { address: number; size: number }[] {
    return [...this.regions].map((r) => ({ address: r.base, size: r.size }));
  }

  /** The page holding the call trampolines: mapped once, on first call, and kept for the process's life. */
  trampolinePage(): { address: number; size: number } | undefined {
    const r = this.trampolineRegion;
    return r && { address: r.base, size: r.size };
  }

  /**
   * Unmap the trampoline page once no function is left (the CLI does this on exit, so --trace shows every
   * mapping go). Throws if functions are still installed: their callers would jump into unmapped memory.
   */
  close(): void {
    if (this.regions.size > 0) throw new JitError("E_INTERNAL", "close() with functions still installed");
    const region = this.trampolineRegion;
    if (region === undefined) return;
    this.trampolineRegion = undefined;
    this.trampolines.clear();
    this.trampolineAddresses.clear();
    this.os.unmap(region.base, region.size);
  }

  /** The bun:ffi function that calls code with this many int32 arguments (see trampoline.ts). */
  caller(arity: number, returns: "i32" | "i64_fast"): (...args: number[]) => number {
    const key = `${arity}:${returns}`;
    let call = this.trampolines.get(key);
    if (call === undefined) {
      const address = this.trampolineAddress(arity);
      call = this.os.callable(address, arity, returns);
      this.trampolines.set(key, call);
    }
    return call;
  }

  private readonly trampolineAddresses = new Map<number, number>();

  private trampolineAddress(arity: number): number {
    const known = this.trampolineAddresses.get(arity);
    if (known !== undefined) return known;
    const code = emitTrampoline(this.target, arity).bytes;
    // All trampolines share one page outside the slab, so no function's page is pinned by them.
    let region = this.trampolineRegion;
    if (region === undefined) {
      const base = this.os.map(this.os.pageSize, "call trampolines");
      region = { base, size: this.os.pageSize, slotSize: MIN_SLOT, freeSlots: [], live: 0, executable: false };
      this.trampolineRegion = region;
    }
    const address = region.base + this.trampolineAddresses.size * MIN_SLOT;
    this.writeCode(region, address, code);
    this.trampolineAddresses.set(arity, address);
    return address;
  }

  /** W^X: the region is writable only while we write, then read+execute before anyone can call it. */
  private writeCode(region: Region, address: number, bytes: Uint8Array): void {
    if (region.executable) {
      this.os.protect(region.base, region.size, "rw");
      region.executable = false;
    }
    this.os.write(address, bytes);
    this.os.protect(region.base, region.size, "rx");
    region.executable = true;
    this.os.flushICache(address, bytes.length);
  }

  private regionFor(size: number): Region {
    const page = this.os.pageSize;
    if (size > page / 2) {
      // A large function gets a mapping of its own, rounded up to whole pages.
      return this.mapRegion(Math.ceil(size / page) * page, Math.ceil(size / page) * page);
    }
    let slotSize = MIN_SLOT;
    while (slotSize < size) slotSize *= 2;
    const candidates = this.partial.get(slotSize);
    const region = candidates?.[candidates.length - 1];
    if (region !== undefined) return region;
    const fresh = this.mapRegion(page, slotSize);
    this.partial.set(slotSize, [...(candidates ?? []), fresh]);
    return fresh;
  }

  private mapRegion(size: number, slotSize: number): Region {
    const base = this.os.map(size, slotSize === size ? "one function" : `${slotSize}-byte function slots`);
    const count = size / slotSize;
    const freeSlots = Array.from({ length: count }, (_, i) => count - 1 - i);
    const region: Region = { base, size, slotSize, freeSlots, live: 0, executable: false };
    this.regions.add(region);
    return region;
  }

  private release(region: Region, slot: number): void {
    region.live--;
    if (region.live === 0) {
      this.removePartial(region);
      this.regions.delete(region);
      this.os.unmap(region.base, region.size);
      return;
    }
    if (region.freeSlots.length === 0 && region.size === this.os.pageSize) {
      this.partial.get(region.slotSize)?.push(region);
    }
    region.freeSlots.push(slot);
  }

  private removePartial(region: Region): void {
    const list = this.partial.get(region.slotSize);
    const index = list?.indexOf(region) ?? -1;
    if (list !== undefined && index >= 0) list.splice(index, 1);
  }
}

// ---------------------------------------------------------------------------------------------------
// JitFunction: what the library hands out.

export interface JitFunction {
  (...args: number[]): number;
  /** Where the code lives (0 once disposed). */
  readonly address: number;
  /** A copy of the machine code. */
  readonly bytes: Uint8Array;
  /** The listing written by the emitter alongside the bytes: offset, bytes, assembly, comment. */
  readonly lines: readonly ListingLine[];
  /** The listing as plain text, one instruction per line. */
  readonly listing: string;
  readonly target: Target;
  /** How many int32 arguments it takes. */
  readonly arity: number;
  readonly disposed: boolean;
  /** Give the code memory back. Calling afterwards throws JitError E_DISPOSED. Safe to call twice. */
  dispose(): void;
  [Symbol.dispose](): void;
}

/**
 * `checked` code reports a division by zero by returning a value outside the int32 range in the full
 * 64-bit return register (see expr/codegen.ts); unchecked code returns a plain int32.
 */
export interface InstallOptions {
  readonly arity: number;
  readonly checked: boolean;
}

let boundOs: OsMemory | undefined;
let defaultMemory: CodeMemory | undefined;

/** The real OS layer for this host, bound on first use (E_UNSUPPORTED on a platform babyjit lacks). */
export function hostOs(): OsMemory {
  if (boundOs === undefined) {
    // Loaded here, not at the top: dumping and listing code needs no bun:ffi at all.
    const { bindOs } = require("./libc.ts") as typeof import("./libc.ts");
    boundOs = bindOs(hostPlatform());
  }
  return boundOs;
}

/** The process-wide code memory for this host. */
export function hostMemory(): CodeMemory {
  defaultMemory ??= new CodeMemory(hostOs(), hostPlatform().target);
  return defaultMemory;
}

const collector = new FinalizationRegistry<CodeSlot>((slot) => slot.free());

function disposedError(): never {
  throw new JitError("E_DISPOSED", "this JIT'd function was disposed; its code memory is gone");
}

function badArgument(value: unknown): never {
  throw new JitError("E_RANGE", `argument ${String(value)} is not a 32-bit integer (-2147483648..2147483647)`);
}

function divisionByZero(): never {
  throw new JitError("E_DIV_ZERO", "division by zero");
}

/** Install code and wrap it as a JitFunction. */
export function install(memory: CodeMemory, code: Code, options: InstallOptions): JitFunction {
  const { arity, checked } = options;
  const call = memory.caller(arity, checked ? "i64_fast" : "i32");
  const slot = memory.install(code.bytes);
  // `address` doubles as the liveness flag: dispose() sets it to 0, and every call checks it first.
  let address = slot.address;
  const result = (r: number): number => (r === (r | 0) ? r : divisionByZero());
  const int = (v: number): number => ((v | 0) === v ? v : badArgument(v));

  let fn: (...args: number[]) => number;
  switch (arity) {
    case 0:
      fn = () => (address === 0 ? disposedError() : checked ? result(call(address)) : call(address));
      break;
    case 1:
      fn = checked
        ? (a: number) => (address === 0 ? disposedError() : result(call(int(a), address)))
        : (a: number) => {
            if (address === 0) disposedError();
            if ((a | 0) !== a) badArgument(a);
            return call(a, address);
          };
      break;
    default:
      fn = (...args: number[]) => {
        if (address === 0) disposedError();
        if (args.length !== arity) {
          throw new JitError("E_RANGE", `this function takes ${arity} arguments, got ${args.length}`);
        }
        for (const a of args) int(a);
        const r = call(...args, address);
        return checked ? result(r) : r;
      };
  }

  const dispose = (): void => {
    if (address === 0) return;
    address = 0;
    collector.unregister(slot);
    slot.free();
  };
  const jit = Object.defineProperties(fn, {
    address: { get: () => address, enumerable: true },
    bytes: { get: () => code.bytes.slice(), enumerable: true },
    lines: { value: code.listing, enumerable: true },
    listing: { get: () => formatListing(code), enumerable: true },
    target: { value: memory.target, enumerable: true },
    arity: { value: arity, enumerable: true },
    disposed: { get: () => address === 0, enumerable: true },
    dispose: { value: dispose },
    [Symbol.dispose]: { value: dispose },
  }) as JitFunction;
  collector.register(jit, slot, slot);
  return jit;
}
