// The least any bun:ffi JIT can do for `babyjit <term>`: bind mmap and mprotect, write the adder's bytes
// into a fresh page, make it read+execute, wrap it in a CFunction and call it three times. No encoder, no
// checks, no allocator, no clean-up. The start-up bench runs it as a reference point: what babyjit costs
// beyond this is babyjit's own; what this costs beyond bare Bun is bun:ffi's. x86-64 System V only.
const { dlopen, CFunction, toArrayBuffer } = require("bun:ffi");

if (process.arch !== "x64" || process.platform === "win32") throw new Error("minimal-jit.js is for x86-64 System V hosts");
const term = Number(process.argv[2]);
const libc = process.platform === "darwin" ? "libc.dylib" : "libc.so.6";
const { symbols } = dlopen(libc, {
  mmap: { args: ["ptr", "u64", "i32", "i32", "i32", "i64"], returns: "i64_fast" },
  mprotect: { args: ["ptr", "u64", "i32"], returns: "i32" },
});
const PROT_RW = 3, PROT_RX = 5, MAP_PRIVATE_ANON = process.platform === "darwin" ? 0x1002 : 0x22;
const page = symbols.mmap(null, 4096, PROT_RW, MAP_PRIVATE_ANON, -1, 0);
// mov eax, imm32 (b8 id); add eax, edi (01 f8); ret (c3)
const code = new Uint8Array(toArrayBuffer(page, 0, 8));
code.set([0xb8, term & 0xff, (term >>> 8) & 0xff, (term >>> 16) & 0xff, term >>> 24, 0x01, 0xf8, 0xc3]);
symbols.mprotect(page, 4096, PROT_RX);
const add = CFunction({ ptr: page, args: ["i32"], returns: "i32" });
console.log([add(1), add(2), add(3)].join(" "));
