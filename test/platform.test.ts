/** The platform table: what babyjit would do on each OS and architecture, including those not run here. */
import { expect, test } from "bun:test";
import { JitError, platformFor, targetFor } from "../src/index.ts";
import { emitAdder } from "../src/adder.ts";
import { hexBytes } from "../src/listing.ts";

const rows = [
  // os, arch, abi, memory kind, libc/kernel32 names, MAP_ANON, icache flush, adder bytes
  ["linux", "x64", "sysv", "posix", "libc.so.6", 0x20, "coherent", "48 c7 c0 fc ff ff ff 48 01 f8 c3"],
  ["linux", "arm64", "aapcs64", "posix", "libc.so.6", 0x20, "__clear_cache", "69 00 80 12 00 00 09 0b c0 03 5f d6"],
  ["darwin", "x64", "sysv", "posix", "libSystem.B.dylib", 0x1000, "coherent", "48 c7 c0 fc ff ff ff 48 01 f8 c3"],
  ["darwin", "arm64", "aapcs64", "posix", "libSystem.B.dylib", 0x1000, "sys_icache_invalidate", "69 00 80 12 00 00 09 0b c0 03 5f d6"],
  ["win32", "x64", "win64", "windows", "kernel32.dll", undefined, "FlushInstructionCache", "48 c7 c0 fc ff ff ff 48 01 c8 c3"],
] as const;

test.each(rows)("%s-%s: %s ABI, %s memory", (os, arch, abi, kind, library, mapAnon, flush, adder) => {
  const p = platformFor(os, arch);
  expect(p.os).toBe(os);
  expect(p.target).toEqual({ arch, abi });
  expect(p.memory.kind).toBe(kind);
  if (p.memory.kind === "posix") {
    expect(p.memory.libc[0]).toBe(library);
    expect(p.memory.MAP_ANON).toBe(mapAnon ?? -1);
    expect([p.memory.PROT_READ, p.memory.PROT_WRITE, p.memory.PROT_EXEC, p.memory.MAP_PRIVATE]).toEqual([1, 2, 4, 2]);
    expect(p.memory.errnoSymbol).toBe(os === "darwin" ? "__error" : "__errno_location");
  } else {
    expect(p.memory).toEqual({ kind: "windows", MEM_COMMIT_RESERVE: 0x3000, MEM_RELEASE: 0x8000, PAGE_READWRITE: 0x04, PAGE_EXECUTE_READ: 0x20 });
  }
  expect(p.icache.kind === "coherent" ? "coherent" : p.icache.symbol).toBe(flush);
  expect(hexBytes(emitAdder(p.target, -4).bytes)).toBe(adder);
});

test.each([
  ["freebsd", "x64"],
  ["linux", "ia32"],
  ["linux", "riscv64"],
  ["win32", "arm64"],
  ["aix", "ppc64"],
])("%s-%s is refused with E_UNSUPPORTED, naming the platform", (os, arch) => {
  expect(() => platformFor(os, arch)).toThrow(
    new JitError(
      "E_UNSUPPORTED",
      `${os}-${arch} is not supported: babyjit generates code for linux-x64, linux-arm64, darwin-x64, darwin-arm64, win32-x64`,
    ),
  );
});

test("targetFor rejects a calling convention that does not exist for the architecture", () => {
  expect(targetFor("arm64")).toEqual({ arch: "arm64", abi: "aapcs64" });
  expect(targetFor("x64", "win64")).toEqual({ arch: "x64", abi: "win64" });
  expect(() => targetFor("x64", "aapcs64")).toThrow("the aapcs64 calling convention does not exist for x64");
});
