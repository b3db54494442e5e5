/**
 * The one Win64-on-System-V shim: Win64 code run natively on an x86-64 System V host, so its
 * differential tests run here, not only under Wine.
 *
 *   const runnable = win64OnSysv(code);        // a Code whose bytes start with the shim
 *   runnable.labelOffset(l) === code.labelOffset(l) + WIN64_SHIM_BYTES
 *
 * The shim moves the first four integer arguments from System V's rdi, rsi, rdx, rcx to Win64's
 * rcx, rdx, r8, r9 (the fourth first, so nothing is overwritten before it is read), then falls into
 * the code. It clobbers only caller-saved registers. Enough for code that makes no calls and takes
 * no stack arguments (expressions, Brainfuck): Win64's shadow space and its callee-saved rsi/rdi are
 * then no concern of the caller's. The listing stays the code's own.
 */
import { type Code, X64Assembler, r8, r9, rcx, rdi, rdx, rsi } from "../../src/emit.ts";

function shimBytes(): Uint8Array {
  const shim = new X64Assembler(false);
  shim.movRR(r9, rcx);
  shim.movRR(r8, rdx);
  shim.movRR(rdx, rsi);
  shim.movRR(rcx, rdi);
  return shim.finish().bytes;
}

const SHIM = shimBytes();

/** How far the shim moves every offset in the code. */
export const WIN64_SHIM_BYTES = SHIM.length;

export function win64OnSysv(code: Code): Code {
  if (code.arch !== "x64") throw new Error(`the Win64 shim runs x86-64 code, not ${code.arch}`);
  const bytes = new Uint8Array(SHIM.length + code.bytes.length);
  bytes.set(SHIM);
  bytes.set(code.bytes, SHIM.length);
  return {
    arch: "x64",
    bytes,
    get listing() {
      return code.listing;
    },
    labelOffset: (label) => SHIM.length + code.labelOffset(label),
  };
}
