/**
 * The floors, bound here with bun:ffi directly (not through babyjit's libc.ts), so that what babyjit
 * does is compared with the cheapest way Bun can do the same thing.
 */
import { FFIType, dlopen, toArrayBuffer, type Pointer } from "bun:ffi";
import { hostPlatform } from "../src/platform.ts";

const { i32, u32, u64, i64, i64_fast: i64Fast, ptr } = FFIType;

function openFirst<S extends Parameters<typeof dlopen>[1]>(names: readonly string[], symbols: S) {
  const errors: string[] = [];
  for (const name of names) {
    try {
      return dlopen(name, symbols).symbols;
    } catch (error) {
      errors.push(`${name}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  throw new Error(`bench: cannot dlopen libc (${errors.join("; ")})`);
}

/** libc `abs` through a plain bun:ffi binding: the cheapest native call Bun offers. */
export function bindAbs(): (x: number) => number {
  const memory = hostPlatform().memory;
  const names = memory.kind === "posix" ? memory.libc : ["ucrtbase.dll", "msvcrt.dll"];
  const { abs } = openFirst(names, { abs: { args: [i32], returns: i32 } });
  return abs as (x: number) => number;
}

export interface PageOps {
  readonly pageSize: number;
  /** map one page RW, make it RX, unmap it: the system calls one install must make, done bare. */
  cycle(): number;
  /** The same, writing one byte before protecting: adds the first-touch page fault a real install pays. */
  cycleTouched(): number;
}

/** Bare map → protect RX → unmap of one page, with the same argument types libc.ts declares. */
export function bindPageOps(pageSize: number): PageOps {
  const memory = hostPlatform().memory;
  if (memory.kind === "posix") {
    const libc = openFirst(memory.libc, {
      mmap: { args: [ptr, u64, i32, i32, i32, i64], returns: i64Fast },
      mprotect: { args: [ptr, u64, i32], returns: i32 },
      munmap: { args: [ptr, u64], returns: i32 },
      memset: { args: [ptr, i32, u64], returns: ptr },
    });
    const rw = memory.PROT_READ | memory.PROT_WRITE;
    const rx = memory.PROT_READ | memory.PROT_EXEC;
    const flags = memory.MAP_PRIVATE | memory.MAP_ANON;
    return {
      pageSize,
      cycle() {
        const p = libc.mmap(null, pageSize, rw, flags, -1, 0) as number;
        if (p === -1) throw new Error("bench: mmap failed");
        const a = libc.mprotect(p as Pointer, pageSize, rx);
        const b = libc.munmap(p as Pointer, pageSize);
        return a | b;
      },
      cycleTouched() {
        const p = libc.mmap(null, pageSize, rw, flags, -1, 0) as number;
        if (p === -1) throw new Error("bench: mmap failed");
        libc.memset(p as Pointer, 0xc3, 1);
        const a = libc.mprotect(p as Pointer, pageSize, rx);
        const b = libc.munmap(p as Pointer, pageSize);
        return a | b;
      },
    };
  }
  const k32 = openFirst(["kernel32.dll"], {
    VirtualAlloc: { args: [ptr, u64, u32, u32], returns: i64Fast },
    VirtualProtect: { args: [ptr, u64, u32, ptr], returns: i32 },
    VirtualFree: { args: [ptr, u64, u32], returns: i32 },
  });
  const old = new Uint32Array(1);
  const cycle = (touch: boolean) => {
    const p = k32.VirtualAlloc(null, pageSize, memory.MEM_COMMIT_RESERVE, memory.PAGE_READWRITE) as number;
    if (p === 0) throw new Error("bench: VirtualAlloc failed");
    if (touch) new Uint8Array(toArrayBuffer(p as Pointer, 0, 1))[0] = 0xc3;
    const a = k32.VirtualProtect(p as Pointer, pageSize, memory.PAGE_EXECUTE_READ, old);
    const b = k32.VirtualFree(p as Pointer, 0, memory.MEM_RELEASE);
    return a & b;
  };
  return { pageSize, cycle: () => cycle(false), cycleTouched: () => cycle(true) };
}
