/**
 * The call trampoline: a tiny native stub that turns one bun:ffi CFunction into a way to call any
 * JIT'd function.
 *
 * Making a CFunction costs microseconds (it compiles a JavaScript-to-C stub), more than the system calls
 * that install a function. So babyjit makes one CFunction per arity, around this stub, and passes the
 * target address as an extra argument placed *after* the real ones. The real arguments are then already
 * in the registers the JIT'd function expects, and the stub only converts the address and jumps (a tail
 * call: the JIT'd function returns straight to bun:ffi).
 *
 * The address travels as a double (exact: user-space addresses are below 2^53). A double is the cheapest
 * value bun:ffi passes (measured: as cheap as a call without it; a pointer argument costs a quarter of a
 * nanosecond more), and it arrives in a floating-point register that no integer argument uses.
 *
 * Every trampoline is one of a few fixed byte strings, so installing one copies its template (see
 * template.ts); the assembler makes the same bytes (test/platform.test.ts) and is run only for the
 * listing.
 */
import type { Assembler, Code } from "./emit.ts";
import { JitError } from "./errors.ts";
import type { Target } from "./platform.ts";
import { emitter, templateCode } from "./template.ts";

/** The most parameters a JIT'd function may take: every one, plus the address, in registers or (Win64) the first stack slot. */
export const MAX_ARITY = 4;

export function emitTrampoline(target: Target, arity: number): Code {
  checkArity(target, arity);
  let bytes: number[];
  if (target.arch === "arm64") bytes = [0x10, 0x00, 0x79, 0x9e, 0x00, 0x02, 0x1f, 0xd6]; // fcvtzu x16, d0; br x16
  else if (target.abi === "sysv") bytes = [0xf2, 0x48, 0x0f, 0x2c, 0xc0, 0xff, 0xe0]; // cvttsd2si rax, xmm0; jmp rax
  else if (arity < 4) bytes = [0xf2, 0x48, 0x0f, 0x2c, 0xc0 + arity, 0xff, 0xe0]; // cvttsd2si rax, xmm<arity>; jmp rax
  else bytes = [0xf2, 0x48, 0x0f, 0x2c, 0x44, 0x24, 0x28, 0xff, 0xe0]; // cvttsd2si rax, qword ptr [rsp + 40]; jmp rax
  return templateCode(target.arch, new Uint8Array(bytes), () => assembleTrampoline(target, arity));
}

function checkArity(target: Target, arity: number): void {
  if (!Number.isInteger(arity) || arity < 0 || arity > MAX_ARITY) {
    throw new JitError("E_RANGE", `a JIT'd function takes 0..${MAX_ARITY} arguments, not ${arity}`);
  }
  if (target.arch === "x64" && target.abi === "aapcs64") throw new JitError("E_TARGET", "the aapcs64 calling convention is for arm64 code");
}

/** The trampoline from the assembler, with its listing. */
export function assembleTrampoline(target: Target, arity: number): Code {
  checkArity(target, arity);
  const { a64D, a64Gp, newAssembler, rax, rsp, x64Mem, xmm } = emitter();
  const asm: Assembler = newAssembler(target.arch);
  if (asm.arch === "arm64") {
    // AAPCS64 counts floating-point arguments apart from integer ones: the address is always in d0.
    // x16 is the intra-procedure-call scratch register, there for veneers like this one.
    const x16 = a64Gp(16, 64);
    asm.comment("d0 holds the JIT'd function's address, as a double").fcvtzuRF(x16, a64D(0));
    asm.brR(x16);
  } else {
    if (target.abi === "sysv") {
      // System V also counts floating-point arguments apart: the address is always in xmm0.
      asm.comment("xmm0 holds the JIT'd function's address, as a double").cvttsd2siRF(rax, xmm(0));
    } else if (arity < 4) {
      // Win64 numbers arguments by position: argument `arity` (0-based) is in xmm<arity>.
      asm.comment(`xmm${arity} holds the JIT'd function's address, as a double`).cvttsd2siRF(rax, xmm(arity));
    } else {
      // Win64's fifth argument lives above the return address and the 32-byte shadow space.
      asm.comment("the fifth argument (the address, a double) is on the stack").cvttsd2siRM(rax, x64Mem(rsp, 40));
    }
    asm.jmpR(rax);
  }
  return asm.finish();
}
