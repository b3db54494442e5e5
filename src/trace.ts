/**
 * --trace: an OsMemory that narrates every system call it passes on, with the protection the kernel
 * then reports for the page. A decorator over the real OS layer, so tracing changes nothing it shows.
 */
import type { OsMemory } from "./os.ts";
import { hexBytes } from "./listing.ts";
import type { Platform } from "./platform.ts";

const hex = (n: number): string => `0x${n.toString(16)}`;
/** All of a small function's bytes; the first 32 of a large one (a Brainfuck program's, say). */
const shortHex = (bytes: Uint8Array): string => (bytes.length <= 64 ? hexBytes(bytes) : `${hexBytes(bytes.subarray(0, 32))} ...`);

export function tracingOs(os: OsMemory, log: (line: string) => void, platform: Platform): OsMemory {
  const windows = platform.memory.kind === "windows";
  const kernel = (address: number): string => {
    const reported = os.protection(address);
    return reported === undefined ? "" : `; ${reported.source}: ${reported.perms}`;
  };
  const names = windows
    ? { map: "VirtualAlloc", protect: "VirtualProtect", unmap: "VirtualFree", rw: "PAGE_READWRITE", rx: "PAGE_EXECUTE_READ" }
    : { map: "mmap", protect: "mprotect", unmap: "munmap", rw: "PROT_READ|PROT_WRITE", rx: "PROT_READ|PROT_EXEC" };
  log(`page size: ${os.pageSize} bytes`);
  return {
    pageSize: os.pageSize,
    // Asked once per compiled module; passed through untraced (the --fn trace states the limit it gives).
    ...(os.stackBounds === undefined ? {} : { stackBounds: () => (os.stackBounds as NonNullable<OsMemory["stackBounds"]>)() }),
    map(size, purpose) {
      const address = os.map(size, purpose);
      const why = purpose === undefined ? "" : ` for ${purpose}`;
      log(`${names.map}(${size} bytes, ${names.rw}) = ${hex(address)}${why}${kernel(address)}`);
      return address;
    },
    protect(address, size, access) {
      os.protect(address, size, access);
      log(`${names.protect}(${hex(address)}, ${size}, ${names[access]})${kernel(address)}`);
    },
    unmap(address, size) {
      os.unmap(address, size);
      log(`${names.unmap}(${hex(address)}, ${size})${kernel(address)}`);
    },
    write(address, bytes) {
      os.write(address, bytes);
      log(`wrote ${bytes.length} bytes at ${hex(address)}: ${shortHex(bytes)}`);
    },
    ...(os.patch === undefined
      ? {}
      : {
          patch(address: number, bytes: Uint8Array) {
            const ok = os.patch?.(address, bytes) === true;
            log(`pwrite(/proc/self/mem, ${bytes.length} bytes at ${hex(address)}) ${ok ? "= ok" : "refused"}: ${hexBytes(bytes)}${kernel(address)}`);
            return ok;
          },
        }),
    read: (address, size) => os.read(address, size),
    protection: (address) => os.protection(address),
    flushICache(address, size) {
      os.flushICache(address, size);
      if (platform.icache.kind === "symbol") log(`${platform.icache.symbol}(${hex(address)}, ${size} bytes): instruction cache flushed`);
    },
    callable: (address, signature, target) => os.callable(address, signature, target),
    entry: (address) => os.entry(address),
    view: (address, size) => os.view(address, size),
  };
}
