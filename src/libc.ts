/**
 * The OS layer: the only file that imports bun:ffi. It binds the handful of system calls babyjit needs
 * (symbol tables below, one per OS family) and exposes them through the small OsMemory interface.
 */
import { CFunction, FFIType, dlopen, ptr as viewAddress, read, toArrayBuffer, type FFIFunction, type Pointer } from "bun:ffi";
import type { Signature } from "./abi.ts";
import { JitError, OsError } from "./errors.ts";
import type { NativeFunction, OsMemory, PerfOs } from "./os.ts";
import type { MemoryApi, Platform } from "./platform.ts";

const { i32, u32, i64, u64, f64, i64_fast: i64Fast, ptr, cstring, void: none } = FFIType;

// What every start-up binds: each symbol costs start-up (see bindPosix). getpagesize joins them only
// where the platform table has no page size; munmap is bound on the first unmap.
const POSIX_SYMBOLS = {
  // i64_fast, not ptr: with ptr, MAP_FAILED ((void*)-1) comes back as a BigInt; this way it is -1.
  mmap: { args: [ptr, u64, i32, i32, i32, i64], returns: i64Fast },
  mprotect: { args: [ptr, u64, i32], returns: i32 },
} as const satisfies Record<string, FFIFunction>;

const GETPAGESIZE = { getpagesize: { args: [], returns: i32 } } as const satisfies Record<string, FFIFunction>;
const MUNMAP = { munmap: { args: [ptr, u64], returns: i32 } } as const satisfies Record<string, FFIFunction>;

const WINDOWS_SYMBOLS = {
  GetSystemInfo: { args: [ptr], returns: none },
  VirtualAlloc: { args: [ptr, u64, u32, u32], returns: i64Fast },
  VirtualProtect: { args: [ptr, u64, u32, ptr], returns: i32 },
  VirtualFree: { args: [ptr, u64, u32], returns: i32 },
  GetLastError: { args: [], returns: u32 },
  FormatMessageA: { args: [u32, ptr, u32, u32, ptr, u32, ptr], returns: u32 },
  FlushInstructionCache: { args: [i64, ptr, u64], returns: i32 },
  VirtualQuery: { args: [ptr, ptr, u64], returns: u64 },
} as const satisfies Record<string, FFIFunction>;

/** dlopen the first library in `candidates` that loads; the error names all of them. */
function openFirst<S extends Record<string, FFIFunction>>(candidates: readonly string[], symbols: S) {
  const failures: string[] = [];
  const missing: string[] = [];
  for (const name of candidates) {
    try {
      return dlopen(name, symbols);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      // Not a missing library but bun:ffi itself: it compiles its calls with JavaScriptCore's JIT, which
      // is off when the process could not reserve address space for JIT code (ulimit -v). Say so, alone.
      if (message.includes("requires the JIT")) {
        throw new JitError("E_UNSUPPORTED", "bun:ffi is unavailable: JavaScriptCore's JIT is off, most likely because it could not reserve address space (is `ulimit -v` set?)");
      }
      if (message.includes("No such file")) missing.push(name);
      else failures.push(`${name}: ${message}`);
    }
  }
  // A library that is not there is one word; a library that failed to load says why.
  if (missing.length > 0) failures.push(`${missing.length === candidates.length ? "none of" : "no"} ${missing.join(", ")}`);
  throw new JitError("E_UNSUPPORTED", `cannot load the system library (${failures.join("; ")})`);
}

/** Bind the OS layer for a platform. Throws E_UNSUPPORTED when its libraries cannot be loaded. */
export function bindOs(platform: Platform): OsMemory {
  const memory = platform.memory;
  const flush = bindICacheFlush(platform);
  const common = {
    write(address: number, bytes: Uint8Array): void {
      new Uint8Array(toArrayBuffer(address as Pointer, 0, bytes.length)).set(bytes);
    },
    read(address: number, size: number): Uint8Array {
      return new Uint8Array(toArrayBuffer(address as Pointer, 0, size)).slice();
    },
    view(address: number, size: number): Uint8Array {
      return new Uint8Array(toArrayBuffer(address as Pointer, 0, size));
    },
    flushICache: flush,
    callable: makeCallable,
    entry(address: number): NativeFunction {
      return CFunction({ ptr: address as Pointer, args: [ptr], returns: i32 }) as unknown as NativeFunction;
    },
  };
  if (memory.kind === "windows") return { ...bindWindows(memory), ...common, stackBounds: windowsStack() };
  const linux = platform.os === "linux";
  const posix = bindPosix(memory, platform.pageSize);
  return {
    ...posix,
    ...common,
    ...(platform.patch === "/proc/self/mem" ? { patch: procSelfMemWriter(memory.libc, posix.pageSize, common.read) } : {}),
    stackBounds: linux ? pthreadStack(memory.libc) : darwinStack(memory.libc),
    protection(address: number) {
      // maps.ts is loaded on first use: only --trace and the tests ask the kernel, not the common path.
      const perms = linux ? (require("./maps.ts") as typeof import("./maps.ts")).protectionAt(address) : undefined;
      return perms === undefined ? undefined : { source: "/proc/self/maps", perms };
    },
  };
}

function bindPosix(memory: Extract<MemoryApi, { kind: "posix" }>, fixedPageSize: number | undefined) {
  // One dlopen of the symbols every start-up calls, and as few as can be: each one costs start-up
  // (the compiled `babyjit 2` against bench/minimal-jit.js, fresh builds, 300 paired runs three
  // times: 1.188-1.194x -> 1.176-1.179x for not binding munmap and getpagesize). munmap gets a dlopen of its own on the first unmap, which the
  // command never does (its one function lives on the page that holds the trampolines). errno is
  // thread-local: glibc/musl expose its address through __errno_location, macOS through __error; it
  // stays in the first dlopen because it must be read right after a failure, before another dlopen
  // could overwrite errno. Only the platform's name is bound (dlopen fails on a missing symbol); the
  // type lists both, and only that one is read.
  const errnoEntry = { args: [], returns: ptr } as const;
  const table = (fixedPageSize === undefined
    ? { ...POSIX_SYMBOLS, ...GETPAGESIZE, [memory.errnoSymbol]: errnoEntry }
    : { ...POSIX_SYMBOLS, [memory.errnoSymbol]: errnoEntry }) as typeof POSIX_SYMBOLS & Partial<typeof GETPAGESIZE> &
    Record<"__errno_location" | "__error", typeof errnoEntry>;
  const { symbols: libc } = openFirst(memory.libc, table);
  const errnoLocation = libc[memory.errnoSymbol];

  const fail = (syscall: string): never => {
    // Read errno before anything else can overwrite it; only then bind strerror (failures are rare).
    const location = errnoLocation();
    const errno = location === null ? 0 : read.i32(location, 0);
    const { symbols: text } = openFirst(memory.libc, { strerror: { args: [i32], returns: cstring } });
    throw new OsError(syscall, errno, String(text.strerror(errno)));
  };
  const prot = { rw: memory.PROT_READ | memory.PROT_WRITE, rx: memory.PROT_READ | memory.PROT_EXEC };
  let munmap: ((address: Pointer, size: number) => number) | undefined;

  return {
    pageSize: fixedPageSize ?? (libc.getpagesize as unknown as () => number)(),
    map(size: number): number {
      const address = libc.mmap(null, size, prot.rw, memory.MAP_PRIVATE | memory.MAP_ANON, -1, 0);
      if (address === -1) fail("mmap");
      return Number(address);
    },
    protect(address: number, size: number, access: "rw" | "rx"): void {
      if (libc.mprotect(address as Pointer, size, prot[access]) !== 0) fail("mprotect");
    },
    unmap(address: number, size: number): void {
      munmap ??= openFirst(memory.libc, MUNMAP).symbols.munmap;
      if (munmap(address as Pointer, size) !== 0) fail("munmap");
    },
  };
}

const PAGE_NAMES: Record<number, string> = {
  0x01: "PAGE_NOACCESS",
  0x02: "PAGE_READONLY",
  0x04: "PAGE_READWRITE",
  0x10: "PAGE_EXECUTE",
  0x20: "PAGE_EXECUTE_READ",
  0x40: "PAGE_EXECUTE_READWRITE",
};

/**
 * Writes into our own read+execute pages through /proc/self/mem: the kernel does the store (as it does
 * for a debugger's breakpoint), so the page is never writable from user space and its protection never
 * changes. Bound on first use; the first write is read back to prove it landed. Returns false (and the
 * caller falls back to mprotect) where the kernel refuses, as hardened kernels may.
 */
function procSelfMemWriter(libcNames: readonly string[], pageSize: number, readBack: (a: number, n: number) => Uint8Array) {
  let state: { pwrite: (fd: number, bytes: Uint8Array, n: number, at: number) => number | bigint; fd: number; verified: boolean } | false | undefined;
  const O_RDWR_CLOEXEC = 0o2 | 0o2000000;
  return (address: number, bytes: Uint8Array): boolean => {
    if (state === undefined) {
      const { symbols } = openFirst(libcNames, {
        open: { args: [cstring, i32], returns: i32 },
        pwrite: { args: [i32, ptr, u64, i64], returns: i64Fast },
      });
      const fd = symbols.open(Buffer.from("/proc/self/mem\0") as unknown as Pointer, O_RDWR_CLOEXEC);
      state = fd < 0 ? false : { pwrite: (f, b, n, at) => symbols.pwrite(f, b, n, at), fd, verified: false };
    }
    if (state === false || bytes.length > pageSize) return false;
    if (Number(state.pwrite(state.fd, bytes, bytes.length, address)) !== bytes.length) return false;
    if (!state.verified) {
      const back = readBack(address, bytes.length);
      if (!back.every((b, i) => b === bytes[i])) {
        state = false;
        return false;
      }
      state.verified = true;
    }
    return true;
  };
}

function bindWindows(memory: Extract<MemoryApi, { kind: "windows" }>) {
  const { symbols: k32 } = openFirst(["kernel32.dll"], WINDOWS_SYMBOLS);
  const fail = (call: string): never => {
    const code = k32.GetLastError();
    const text = new Uint8Array(512);
    // FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS
    const length = k32.FormatMessageA(0x1000 | 0x200, null, code, 0, text, text.length, null);
    const message = new TextDecoder().decode(text.subarray(0, length)).trim() || `error ${code}`;
    throw new OsError(call, code, message);
  };
  const systemInfo = new Uint8Array(64); // SYSTEM_INFO is 48 bytes; dwPageSize is the u32 at offset 4
  k32.GetSystemInfo(systemInfo);
  const pageSize = new DataView(systemInfo.buffer).getUint32(4, true);
  const oldProtection = new Uint32Array(1);
  const access = { rw: memory.PAGE_READWRITE, rx: memory.PAGE_EXECUTE_READ };

  return {
    pageSize,
    map(size: number): number {
      const address = k32.VirtualAlloc(null, size, memory.MEM_COMMIT_RESERVE, memory.PAGE_READWRITE);
      if (address === 0) fail("VirtualAlloc");
      return Number(address);
    },
    protect(address: number, size: number, kind: "rw" | "rx"): void {
      if (k32.VirtualProtect(address as Pointer, size, access[kind], oldProtection) === 0) fail("VirtualProtect");
    },
    unmap(address: number, _size: number): void {
      if (k32.VirtualFree(address as Pointer, 0, memory.MEM_RELEASE) === 0) fail("VirtualFree");
    },
    protection(address: number) {
      // MEMORY_BASIC_INFORMATION (the same 48 bytes on x64 and arm64): State is the u32 at offset 32, Protect at 36.
      const info = new Uint8Array(48);
      if (Number(k32.VirtualQuery(address as Pointer, info, info.length)) === 0) return undefined;
      const view = new DataView(info.buffer);
      const MEM_FREE = 0x10000;
      const perms = view.getUint32(32, true) === MEM_FREE ? "unmapped" : (PAGE_NAMES[view.getUint32(36, true)] ?? `0x${view.getUint32(36, true).toString(16)}`);
      return { source: "VirtualQuery", perms };
    },
  };
}

function bindICacheFlush(platform: Platform): (address: number, size: number) => void {
  const icache = platform.icache;
  if (icache.kind === "coherent") return () => {};
  if (icache.symbol === "FlushInstructionCache") {
    const { symbols } = openFirst(icache.library, { FlushInstructionCache: WINDOWS_SYMBOLS.FlushInstructionCache });
    // -1 is GetCurrentProcess()'s pseudo-handle for this process.
    return (address, size) => void symbols.FlushInstructionCache(-1, address as Pointer, size);
  }
  if (icache.symbol === "__clear_cache") {
    const { symbols } = openFirst(icache.library, { __clear_cache: { args: [ptr, ptr], returns: none } });
    return (address, size) => symbols.__clear_cache(address as Pointer, (address + size) as Pointer);
  }
  const { symbols } = openFirst(icache.library, { sys_icache_invalidate: { args: [ptr, u64], returns: none } });
  return (address, size) => symbols.sys_icache_invalidate(address as Pointer, size);
}

const FFI_KINDS = { i32, f64, ptr, void: none } as const;

/** A bun:ffi CFunction for native code at `address`: the signature's parameters, then the target address. */
function makeCallable(address: number, signature: Signature, target: "f64" | "u64"): NativeFunction {
  // A loop, not map(): JavaScriptCore compiles a builtin like map on its first call, and this runs on
  // every start-up's path (see program.ts).
  const args: FFIType[] = [];
  for (let i = 0; i < signature.params.length; i++) args.push(FFI_KINDS[signature.params[i] as keyof typeof FFI_KINDS]);
  args.push(target === "f64" ? f64 : u64);
  return CFunction({ ptr: address as Pointer, args, returns: FFI_KINDS[signature.result] }) as unknown as NativeFunction;
}

/**
 * Windows: the process's command line as the OS holds it (GetCommandLineW), one string, which main.ts
 * commandArgs splits. Bound only when it is read (a command that is not just integers), never at
 * start-up. Not shell32's CommandLineToArgvW: its array must be given back with LocalFree, and calling
 * LocalFree through bun:ffi crashed Bun under Wine on arm64 (segmentation fault, even on memory from
 * LocalAlloc).
 */
export function windowsCommandLine(): string {
  const { symbols } = openFirst(["kernel32.dll"], { GetCommandLineW: { args: [], returns: ptr } });
  const line = symbols.GetCommandLineW();
  if (!line) throw new OsError("GetCommandLineW", 0, "returned NULL");
  return utf16z(Number(line) as Pointer);
}

/** A NUL-terminated UTF-16LE string at `address`. */
function utf16z(address: Pointer): string {
  let units = 0;
  while (read.u16(address, units * 2) !== 0) units++;
  return units === 0 ? "" : new TextDecoder("utf-16le").decode(toArrayBuffer(address, 0, units * 2));
}

/**
 * The OS calls of `--perf=jitdump` (Linux only): clock_gettime, gettid and an mmap of the dump file.
 * Bound on the first use of jitdump, never at start-up.
 */
export function bindPerfOs(platform: Platform): PerfOs {
  const memory = platform.memory;
  if (platform.os !== "linux" || memory.kind !== "posix") throw new JitError("E_UNSUPPORTED", "jitdump is Linux-only");
  const { symbols } = openFirst(memory.libc, {
    clock_gettime: { args: [i32, ptr], returns: i32 },
    gettid: { args: [], returns: i32 },
    mmap: POSIX_SYMBOLS.mmap,
    [memory.errnoSymbol]: { args: [], returns: ptr },
  } as const);
  const CLOCK_MONOTONIC = 1;
  const time = new BigInt64Array(2); // struct timespec: tv_sec, tv_nsec (64-bit on both architectures)
  return {
    monotonicNs(): bigint {
      if (symbols.clock_gettime(CLOCK_MONOTONIC, time) !== 0) throw new OsError("clock_gettime", 0, "failed");
      return (time[0] as bigint) * 1_000_000_000n + (time[1] as bigint);
    },
    threadId: () => symbols.gettid(),
    mapMarker(fd: number, size: number): number {
      const address = symbols.mmap(null, size, memory.PROT_READ | memory.PROT_EXEC, memory.MAP_PRIVATE, fd, 0);
      if (address === -1) {
        const location = (symbols as unknown as Record<string, () => Pointer | null>)[memory.errnoSymbol]?.();
        const errno = location === null || location === undefined ? 0 : read.i32(location, 0);
        const { symbols: text } = openFirst(memory.libc, { strerror: { args: [i32], returns: cstring } });
        throw new OsError("mmap", errno, String(text.strerror(errno)));
      }
      return Number(address);
    },
  };
}

/**
 * The thread's stack through pthread_getattr_np (glibc and musl): the attributes of the running
 * thread, whose stack address is its lowest byte. For the main thread glibc reports the stack as the
 * rlimit allows it to grow. Bound on first call, per thread's module instance (a Worker has its own).
 */
/**
 * The calling thread's stack bounds, asked of the OS once per thread: module state is per thread (a
 * Worker loads its own copy of this file), and a thread's stack does not move. glibc's
 * pthread_getattr_np reads /proc/self/maps for the main thread on every call, which made each
 * compileModule cost time growing with the number of mappings (so a loop of compiles was quadratic).
 */
let threadStack: { low: number; high: number } | undefined;

function cachedStack(ask: () => { low: number; high: number }): () => { low: number; high: number } {
  return () => (threadStack ??= Object.freeze(ask()));
}

function pthreadStack(libcNames: readonly string[]): () => { low: number; high: number } {
  return cachedStack(() => {
    const { symbols } = openFirst(libcNames, {
      pthread_self: { args: [], returns: ptr },
      pthread_getattr_np: { args: [ptr, ptr], returns: i32 },
      pthread_attr_getstack: { args: [ptr, ptr, ptr], returns: i32 },
      pthread_attr_destroy: { args: [ptr], returns: i32 },
    });
    const attr = new Uint8Array(256); // pthread_attr_t: 56 bytes on x86-64 glibc, 64 on arm64
    const where = new BigUint64Array(1);
    const size = new BigUint64Array(1);
    if (symbols.pthread_getattr_np(symbols.pthread_self(), attr) !== 0) throw new JitError("E_OS", "pthread_getattr_np failed");
    try {
      if (symbols.pthread_attr_getstack(attr, where, size) !== 0) throw new JitError("E_OS", "pthread_attr_getstack failed");
    } finally {
      symbols.pthread_attr_destroy(attr);
    }
    const low = Number(where[0]);
    return { low, high: low + Number(size[0]) };
  });
}

/** macOS: pthread_get_stackaddr_np gives the top of the stack (it grows down), pthread_get_stacksize_np its size. */
function darwinStack(libcNames: readonly string[]): () => { low: number; high: number } {
  return cachedStack(() => {
    const { symbols } = openFirst(libcNames, {
      pthread_self: { args: [], returns: ptr },
      pthread_get_stackaddr_np: { args: [ptr], returns: u64 },
      pthread_get_stacksize_np: { args: [ptr], returns: u64 },
    });
    const self = symbols.pthread_self();
    const high = Number(symbols.pthread_get_stackaddr_np(self));
    return { low: high - Number(symbols.pthread_get_stacksize_np(self)), high };
  });
}

/** Windows: GetCurrentThreadStackLimits (kernel32, Windows 8 and later) writes the reserved range. */
function windowsStack(): () => { low: number; high: number } {
  return cachedStack(() => {
    const { symbols } = openFirst(["kernel32.dll"], { GetCurrentThreadStackLimits: { args: [ptr, ptr], returns: none } });
    const low = new BigUint64Array(1);
    const high = new BigUint64Array(1);
    symbols.GetCurrentThreadStackLimits(low, high);
    return { low: Number(low[0]), high: Number(high[0]) };
  });
}

/** Where a typed array's first element is (0 for an empty one, which has no memory to point at). */
export function addressOf(view: ArrayBufferView): number {
  return view.byteLength === 0 ? 0 : (viewAddress(view as Uint8Array) as number);
}

/**
 * The addresses of the C library's double functions a compiled module calls (src/fn/ir.ts LIBM, in
 * that order), found by the dynamic linker: dlopen and dlsym (libm on Linux, libSystem on macOS), or
 * LoadLibrary and GetProcAddress on Windows (ucrtbase.dll, the C runtime every Windows 10 has).
 */
let libmCache: readonly number[] | undefined;
export function libmAddresses(names: readonly string[]): readonly number[] {
  if (libmCache !== undefined) return libmCache;
  const candidates = process.platform === "win32" ? ["ucrtbase.dll"] : process.platform === "darwin" ? ["libSystem.B.dylib"] : ["libm.so.6", "libm.so"];
  const table: Record<string, FFIFunction> = {};
  for (const name of names) table[name] = { args: name === "atan2" || name === "pow" || name === "fmod" ? [f64, f64] : [f64], returns: f64 };
  const { symbols } = openFirst(candidates, table);
  libmCache = names.map((name) => (symbols as unknown as Record<string, { ptr: number }>)[name]!.ptr);
  return libmCache;
}
