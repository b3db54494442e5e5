/**
 * The OS layer's interface: what babyjit needs from the operating system, as data types only. libc.ts
 * binds the real calls; trace.ts decorates them; tests substitute failing ones. Kept apart from jit.ts
 * so that libc.ts and jit.ts do not import each other.
 */
import type { Signature } from "./abi.ts";

/** The system calls babyjit needs, behind one small interface (libc.ts binds the real ones). */
export interface OsMemory {
  readonly pageSize: number;
  /** Map `size` bytes (a multiple of the page size), readable and writable, zero-filled. `purpose` is for --trace. */
  map(size: number, purpose?: string): number;
  protect(address: number, size: number, access: "rw" | "rx"): void;
  unmap(address: number, size: number): void;
  /** Copy bytes into memory that is currently writable. */
  write(address: number, bytes: Uint8Array): void;
  /**
   * Optional: write into memory that is read+execute, without ever making it writable (Linux x86-64:
   * through /proc/self/mem, the way a debugger plants a breakpoint). Returns false if the OS refuses.
   */
  patch?(address: number, bytes: Uint8Array): boolean;
  /** Copy bytes out of memory that is currently readable. */
  read(address: number, size: number): Uint8Array;
  flushICache(address: number, size: number): void;
  /**
   * The protection the OS reports for the page holding `address` ("unmapped" when nothing is mapped
   * there), and where that came from; undefined where the OS offers no cheap way to ask (macOS).
   */
  protection(address: number): { readonly source: string; readonly perms: string } | undefined;
  /**
   * A JavaScript function calling native code at `address` (a trampoline) with the signature's
   * parameters, followed by the JIT'd function's address: a double, or a 64-bit integer where
   * abi.ts addressLocation puts it in an integer register (see trampoline.ts).
   */
  callable(address: number, signature: Signature, target: "f64" | "u64"): NativeFunction;
  /**
   * The calling thread's stack: its lowest usable address and the address just above its top, from
   * the OS (glibc/musl pthread_getattr_np, macOS pthread_get_stackaddr_np, Windows
   * GetCurrentThreadStackLimits). Bound on first use. Native code called through bun:ffi runs on
   * this stack, below the frames JavaScriptCore already uses.
   */
  stackBounds?(): { readonly low: number; readonly high: number };
  /**
   * A JavaScript function calling native code at `address` with one pointer argument, returning an
   * int32: the Brainfuck chapter's entry, which gets the address of its state block.
   */
  entry(address: number): NativeFunction;
  /**
   * A live view of `size` bytes of memory we mapped read+write (a Brainfuck tape or I/O buffer): no
   * copy. It must not be touched once the memory is unmapped.
   */
  view(address: number, size: number): Uint8Array;
}

/** A bun:ffi function; close() frees its stub. */
export type NativeFunction = ((...args: number[]) => number) & { close?(): void };

/** What `--perf=jitdump` needs of the OS (Linux only; libc.ts bindPerfOs). */
export interface PerfOs {
  /** CLOCK_MONOTONIC in nanoseconds: the clock `perf record -k mono` stamps its samples with. */
  monotonicNs(): bigint;
  /** The calling thread's id (gettid). */
  threadId(): number;
  /**
   * Map the first `size` bytes of the open file `fd` read+execute (MAP_PRIVATE), and leave them mapped:
   * the marker through which `perf record` notices the jitdump file (an executable mapping is recorded
   * as an MMAP event with the file's name). Returns the address.
   */
  mapMarker(fd: number, size: number): number;
}
