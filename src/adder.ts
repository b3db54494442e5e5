/** The article's function: add a constant to the first argument and return it. */
import { conventionOf } from "./abi.ts";
import type { Code } from "./emit.ts";
import type { Target } from "./platform.ts";
import { emitter, templateCode } from "./template.ts";

/**
 * x86-64 (the article's 11 bytes; the argument register depends on the calling convention):
 *   mov rax, imm32   ; 48 c7 c0 <imm32>
 *   add rax, rdi     ; 48 01 f8 (Win64: add rax, rcx = 48 01 c8)
 *   ret              ; c3
 * arm64: the shortest movz/movn(+movk) into w9, then add w0, w0, w9 and ret.
 * The sum is computed in 64 (x86) or 32 (arm64) bits and read back as int32 in both cases.
 *
 * On x86-64 the bytes are that template with the term patched in, as the article writes them; the
 * assembler makes the same bytes (test/platform.test.ts) and is run only when the listing is read
 * (see template.ts). arm64 picks its instructions by the term's value, so it always assembles.
 */
export function emitAdder(target: Target, term: number): Code {
  const c = conventionOf(target); // the target check
  if (target.arch !== "x64" || (term | 0) !== term) return assembleAdder(target, term); // the assembler's errors for a bad term
  const bytes = new Uint8Array(11);
  bytes[0] = 0x48;
  bytes[1] = 0xc7;
  bytes[2] = 0xc0;
  bytes[3] = term & 0xff;
  bytes[4] = (term >>> 8) & 0xff;
  bytes[5] = (term >>> 16) & 0xff;
  bytes[6] = term >>> 24;
  bytes[7] = 0x48;
  bytes[8] = 0x01;
  bytes[9] = 0xc0 | ((c.intArgs[0] as number) << 3); // ModRM: reg = the first argument's register, rm = rax
  bytes[10] = 0xc3;
  return templateCode("x64", bytes, () => assembleAdder(target, term));
}

/** The adder from the assembler, with its listing. */
export function assembleAdder(target: Target, term: number): Code {
  const c = conventionOf(target);
  const { a64Gp, newAssembler, x64Gp } = emitter();
  const asm = newAssembler(target.arch);
  const argument = c.intArgs[0] as number;
  if (asm.arch === "x64") {
    const arg = x64Gp(argument, 64);
    const rax = x64Gp(c.intResult, 64);
    asm.comment(`rax = ${term}, the term (rax holds the result)`).movRI(rax, term);
    asm.comment(`${arg.name} holds the argument x (${target.abi === "win64" ? "Win64" : "System V"} ABI)`).addRR(rax, arg);
    asm.comment("return rax (read as int32 by the caller)").ret();
  } else {
    const scratch = a64Gp(c.scratch[0] as number, 32);
    const w0 = a64Gp(argument, 32);
    asm.comment(`w9 = ${term}, the term`).movImm32(scratch, term);
    asm.comment("w0 holds the argument x and, on return, the result").addRRR(a64Gp(c.intResult, 32), w0, scratch);
    asm.comment("return to the address in x30").ret();
  }
  return asm.finish();
}

/** What profilers call an adder (perf.ts): `adder(+5)`, `adder(-4)`. */
export const adderName = (term: number): { name: string } => ({ name: `adder(${term < 0 ? "" : "+"}${term})` });
