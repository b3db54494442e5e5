/**
 * Immediate legalization, in one place: which constants an instruction's immediate field can hold, and
 * the instruction (or short sequence) that applies one that does. The code generators ask here instead
 * of each knowing the field widths.
 *
 * arm64 add, sub, cmp and cmn take an unsigned 12-bit immediate (0..4095); the sign of a constant picks
 * the opcode (x + -5 is x - 5, a comparison with -5 is cmn #5). x86-64 ALU instructions take a sign-
 * extended 8-bit or 32-bit immediate; the encoder picks the shorter form itself.
 */
import type { A64Assembler, A64Gp } from "./emit.ts";

const A64_IMM12 = 4095;

/** Whether `value` fits arm64's add/sub/cmp/cmn immediate, once its sign picks the opcode. */
export function a64AddSubImmediate(value: number): boolean {
  return value >= -A64_IMM12 && value <= A64_IMM12;
}

/** rd = rn + value (`add`) or rn - value (not `add`), for a value a64AddSubImmediate accepts. */
export function a64AddImmediate(asm: A64Assembler, add: boolean, rd: A64Gp, rn: A64Gp, value: number): void {
  if (add === value >= 0) asm.addRRI(rd, rn, Math.abs(value));
  else asm.subRRI(rd, rn, Math.abs(value));
}

/** The flags of rn - value, for a value a64AddSubImmediate accepts. */
export function a64CompareImmediate(asm: A64Assembler, rn: A64Gp, value: number): void {
  if (value >= 0) asm.cmpRI(rn, value);
  else asm.cmnRI(rn, -value);
}

/** Whether `value` fits x86-64's sign-extended 8-bit immediate (the short ALU and cmp forms). */
export function x64Imm8(value: number): boolean {
  return value >= -128 && value <= 127;
}
