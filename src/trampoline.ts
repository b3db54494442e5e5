/**
 * The call trampoline: a tiny native stub that turns one bun:ffi CFunction into a way to call any
 * JIT'd function of one signature.
 *
 * Making a CFunction costs microseconds (it compiles a JavaScript-to-C stub), more than the system calls
 * that install a function. So babyjit makes one CFunction per signature, around this stub, and passes the
 * target address as an extra argument placed *after* the real ones. The real arguments are then already
 * where the JIT'd function expects them, and the stub only converts the address and jumps (a tail
 * call: the JIT'd function returns straight to bun:ffi).
 *
 * The address travels as a double (exact: user-space addresses are below 2^53). A double is the cheapest
 * value bun:ffi passes (measured: as cheap as a call without it; a pointer argument costs a quarter of a
 * nanosecond more). Where it lands is abi.ts's addressLocation: a floating-point register no parameter
 * uses, or on Win64 its position (the stack from the fifth argument on); with eight f64 parameters on
 * System V or AAPCS64 it is an integer in the first integer register instead.
 *
 * Every trampoline is one of a few fixed byte strings, so installing one copies its template (see
 * template.ts); the assembler makes the same bytes (test/platform.test.ts) and is run only for the
 * listing.
 */
import { type Location, type Signature, addressLocation, conventionOf, int32Signature } from "./abi.ts";
import type { Assembler, Code } from "./emit.ts";
import type { Target } from "./platform.ts";
import { emitter, templateCode } from "./template.ts";

/** The most int32 parameters a JIT'd function may take (abi.ts MAX_PARAMS). */
export { MAX_PARAMS as MAX_ARITY } from "./abi.ts";

/** A signature, or a number n for n i32 parameters and an i32 result. */
export type SignatureLike = Signature | number;

function locate(target: Target, signature: SignatureLike): Location {
  conventionOf(target); // the target check first
  return addressLocation(target, typeof signature === "number" ? int32Signature(signature) : signature);
}

export function emitTrampoline(target: Target, signature: SignatureLike): Code {
  const at = locate(target, signature);
  let bytes: number[];
  if (target.arch === "arm64") {
    bytes = at.kind === "fp"
      ? [0x10 | ((at.reg & 7) << 5), (at.reg >> 3) & 3, 0x79, 0x9e, 0x00, 0x02, 0x1f, 0xd6] // fcvtzu x16, d<n>; br x16
      : [((at.kind === "int" ? at.reg : 0) << 5) & 0xff, (at.kind === "int" ? at.reg : 0) >> 3, 0x1f, 0xd6]; // br x<n>
  } else if (at.kind === "fp") bytes = [0xf2, 0x48, 0x0f, 0x2c, 0xc0 + at.reg, 0xff, 0xe0]; // cvttsd2si rax, xmm<n>; jmp rax
  else if (at.kind === "stack") bytes = [0xf2, 0x48, 0x0f, 0x2c, 0x44, 0x24, at.offset, 0xff, 0xe0]; // cvttsd2si rax, qword ptr [rsp + d]; jmp rax
  else bytes = [at.reg >= 8 ? 0x41 : 0x40, 0xff, 0xe0 | (at.reg & 7)].slice(at.reg >= 8 ? 0 : 1); // jmp r<n>
  return templateCode(target.arch, new Uint8Array(bytes), () => assembleTrampoline(target, signature));
}

/** The trampoline from the assembler, with its listing. */
export function assembleTrampoline(target: Target, signature: SignatureLike): Code {
  const at = locate(target, signature);
  const { a64D, a64Gp, newAssembler, rax, rsp, x64Gp, x64Mem, xmm } = emitter();
  const asm: Assembler = newAssembler(target.arch);
  if (asm.arch === "arm64") {
    if (at.kind === "fp") {
      // x16 is the intra-procedure-call scratch register, there for veneers like this one.
      const x16 = a64Gp(16, 64);
      asm.comment(`d${at.reg} holds the JIT'd function's address, as a double`).fcvtzuRF(x16, a64D(at.reg));
      asm.brR(x16);
    } else {
      const reg = at.kind === "int" ? at.reg : 0;
      asm.comment(`x${reg} holds the JIT'd function's address (every d register holds a parameter)`).brR(a64Gp(reg, 64));
    }
  } else {
    if (at.kind === "fp") {
      asm.comment(`xmm${at.reg} holds the JIT'd function's address, as a double`).cvttsd2siRF(rax, xmm(at.reg));
      asm.jmpR(rax);
    } else if (at.kind === "stack") {
      // Win64's fifth and later arguments live above the return address and the 32-byte shadow space.
      asm.comment("the address (a double) is on the stack, after the parameters").cvttsd2siRM(rax, x64Mem(rsp, at.offset));
      asm.jmpR(rax);
    } else {
      const reg = x64Gp(at.reg, 64);
      asm.comment(`${reg.name} holds the JIT'd function's address (every xmm argument register holds a parameter)`).jmpR(reg);
    }
  }
  return asm.finish();
}
