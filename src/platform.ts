/**
 * Which code to generate and which system calls make it executable, per OS and architecture.
 * Pure data: no bun:ffi here, so the choice for every platform (macOS too) is testable anywhere.
 */
import type { Arch } from "./emit.ts";
import { JitError, describeValue } from "./errors.ts";

/** How integer arguments reach a function: System V (rdi, rsi, ...), Win64 (rcx, rdx, ...), AAPCS64 (w0, w1, ...). */
export type Abi = "sysv" | "win64" | "aapcs64";

/** What code is generated for: an instruction set and a calling convention. */
export interface Target {
  readonly arch: Arch;
  readonly abi: Abi;
}

export type MemoryApi =
  | {
      readonly kind: "posix";
      /** dlopen candidates, tried in order (glibc first, then musl's). */
      readonly libc: readonly string[];
      readonly errnoSymbol: "__errno_location" | "__error";
      readonly PROT_READ: number;
      readonly PROT_WRITE: number;
      readonly PROT_EXEC: number;
      readonly MAP_PRIVATE: number;
      readonly MAP_ANON: number;
    }
  | {
      readonly kind: "windows";
      readonly MEM_COMMIT_RESERVE: number;
      readonly MEM_RELEASE: number;
      readonly PAGE_READWRITE: number;
      readonly PAGE_EXECUTE_READ: number;
    };

/** How the instruction cache is made to see freshly written code. */
export type ICacheFlush =
  | { readonly kind: "coherent" } // x86-64: the hardware keeps instruction fetch coherent with stores
  | { readonly kind: "symbol"; readonly library: readonly string[]; readonly symbol: "__clear_cache" | "sys_icache_invalidate" | "FlushInstructionCache" };

export interface Platform {
  readonly os: "linux" | "darwin" | "win32";
  readonly target: Target;
  readonly memory: MemoryApi;
  readonly icache: ICacheFlush;
  /**
   * How code is added to a page that is already read+execute: "mprotect" flips it to read+write and
   * back; "/proc/self/mem" has the kernel write into it while it stays read+execute (falling back to
   * mprotect if the kernel refuses). The latter is used only where it is tested natively (x86-64 Linux):
   * under qemu such writes bypass the emulator's view of the code, so arm64 Linux keeps mprotect.
   */
  readonly patch: "mprotect" | "/proc/self/mem";
  /**
   * The page size where the architecture fixes it, so start-up need not ask: x86-64 has 4 KiB base
   * pages (huge pages are opt-in). Undefined: ask the OS (getpagesize, GetSystemInfo), as arm64
   * kernels use 4, 16 or 64 KiB pages. Start-up binds one symbol fewer (see libc.ts bindPosix);
   * test/platform.test.ts checks the value against getpagesize.
   */
  readonly pageSize?: number;
}

const LINUX_MEMORY: MemoryApi = {
  kind: "posix",
  libc: ["libc.so.6", "/usr/lib/libc.so", "/lib/libc.musl-x86_64.so.1", "/lib/libc.musl-aarch64.so.1"],
  errnoSymbol: "__errno_location",
  PROT_READ: 1,
  PROT_WRITE: 2,
  PROT_EXEC: 4,
  MAP_PRIVATE: 0x02,
  MAP_ANON: 0x20,
};

const DARWIN_MEMORY: MemoryApi = {
  kind: "posix",
  libc: ["libSystem.B.dylib", "/usr/lib/libSystem.B.dylib"],
  errnoSymbol: "__error",
  PROT_READ: 1,
  PROT_WRITE: 2,
  PROT_EXEC: 4,
  MAP_PRIVATE: 0x02,
  MAP_ANON: 0x1000, // not Linux's 0x20
};

const WINDOWS_MEMORY: MemoryApi = {
  kind: "windows",
  MEM_COMMIT_RESERVE: 0x3000,
  MEM_RELEASE: 0x8000,
  PAGE_READWRITE: 0x04,
  PAGE_EXECUTE_READ: 0x20,
};

const COHERENT: ICacheFlush = { kind: "coherent" };
/** Windows' documented way to make written code visible: needed on arm64, harmless on x86-64. */
const WINDOWS_ICACHE: ICacheFlush = { kind: "symbol", library: ["kernel32.dll"], symbol: "FlushInstructionCache" };

/**
 * The platform table. Apple Silicon: we keep plain RW -> RX mprotect instead of MAP_JIT with
 * pthread_jit_write_protect_np, because that toggle flips the whole thread between writable and
 * executable JIT memory, and JavaScriptCore's own JIT runs on the same thread; the Bun binary carries
 * the allow-unsigned-executable-memory entitlement that makes RW -> RX legal.
 */
const PLATFORMS: Readonly<Record<string, Platform>> = {
  "linux-x64": { os: "linux", target: { arch: "x64", abi: "sysv" }, memory: LINUX_MEMORY, icache: COHERENT, patch: "/proc/self/mem", pageSize: 4096 },
  "linux-arm64": {
    os: "linux",
    target: { arch: "arm64", abi: "aapcs64" },
    memory: LINUX_MEMORY,
    icache: { kind: "symbol", library: ["libgcc_s.so.1"], symbol: "__clear_cache" },
    patch: "mprotect",
  },
  "darwin-x64": { os: "darwin", target: { arch: "x64", abi: "sysv" }, memory: DARWIN_MEMORY, icache: COHERENT, patch: "mprotect", pageSize: 4096 },
  "darwin-arm64": {
    os: "darwin",
    target: { arch: "arm64", abi: "aapcs64" },
    memory: DARWIN_MEMORY,
    icache: { kind: "symbol", library: ["libSystem.B.dylib", "/usr/lib/libSystem.B.dylib"], symbol: "sys_icache_invalidate" },
    patch: "mprotect",
  },
  "win32-x64": {
    os: "win32",
    target: { arch: "x64", abi: "win64" },
    memory: WINDOWS_MEMORY,
    // Not needed on x86-64 for correctness, but it is the documented contract for code writers on Windows.
    icache: WINDOWS_ICACHE,
    patch: "mprotect",
  },
  /**
   * Windows on ARM64 passes integer arguments as AAPCS64 does (x0-x7, the result in w0/x0), so the
   * arm64 code generators serve it unchanged; what differs is the OS around them. x18 holds the
   * thread's TEB there and must never be written: no arm64 code path of babyjit touches it (checked
   * over generated code by test/platform.test.ts). Unlike x86-64, arm64 needs the instruction cache
   * flushed after every write of code, which FlushInstructionCache does.
   */
  "win32-arm64": {
    os: "win32",
    target: { arch: "arm64", abi: "aapcs64" },
    memory: WINDOWS_MEMORY,
    icache: WINDOWS_ICACHE,
    patch: "mprotect",
  },
};

export const SUPPORTED_PLATFORMS: readonly string[] = Object.keys(PLATFORMS);

/** The platform for an OS and architecture as Node/Bun name them (`process.platform`, `process.arch`). */
export function platformFor(os: string, arch: string): Platform {
  const platform = PLATFORMS[`${os}-${arch}`];
  if (platform === undefined) {
    throw new JitError(
      "E_UNSUPPORTED",
      `${os}-${arch} is not supported: babyjit generates code for ${SUPPORTED_PLATFORMS.join(", ")}`,
    );
  }
  return platform;
}

export function hostPlatform(): Platform {
  return platformFor(process.platform, process.arch);
}

/** The default calling convention for code of an architecture on an OS (used for --arch without --abi). */
export function targetFor(arch: Arch, abi?: Abi): Target {
  if (arch !== "x64" && arch !== "arm64") throw new JitError("E_RANGE", `targetFor(arch): arch must be "x64" or "arm64", not ${describeValue(arch)}`);
  if (abi !== undefined && abi !== "sysv" && abi !== "win64" && abi !== "aapcs64") {
    throw new JitError("E_RANGE", `targetFor(arch, abi): abi must be "sysv", "win64" or "aapcs64", not ${describeValue(abi)}`);
  }
  const chosen = abi ?? (arch === "arm64" ? "aapcs64" : process.platform === "win32" ? "win64" : "sysv");
  if ((arch === "arm64") !== (chosen === "aapcs64")) {
    throw new JitError("E_TARGET", `the ${chosen} calling convention does not exist for ${arch}`);
  }
  return { arch, abi: chosen };
}

/** A target given to a public entry point: one targetFor() would make, or E_RANGE naming `where`. */
export function targetArgument(value: unknown, where: string): Target {
  const t = value as Partial<Target> | null;
  if (typeof value !== "object" || t === null || (t.arch !== "x64" && t.arch !== "arm64") || (t.abi !== "sysv" && t.abi !== "win64" && t.abi !== "aapcs64")) {
    throw new JitError("E_RANGE", `${where} must be a target ({ arch, abi }, as targetFor() makes), not ${describeValue(value)}`);
  }
  return targetFor(t.arch, t.abi);
}

export function sameTarget(a: Target, b: Target): boolean {
  return a.arch === b.arch && a.abi === b.abi;
}
