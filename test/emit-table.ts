/**
 * Golden encodings: one row per instruction form the emitter writes (and its boundary values).
 * hex = what the emitter must produce; asm = the listing text it must write, which llvm-mc must encode
 * to the same hex (test/emit.test.ts checks all three).
 */
import {
  type A64Assembler,
  type X64Assembler,
  a64D,
  a64Gp,
  eax,
  ecx,
  edx,
  rax,
  rcx,
  rdi,
  rdx,
  rsp,
  r8,
  r9,
  sp,
  wzr,
  xzr,
  x64Gp,
  x64Mem,
  xmm,
} from "../src/emit.ts";

export interface Row<A> {
  readonly hex: string;
  readonly asm: string;
  readonly emit: (a: A) => void;
}

const w = (n: number) => a64Gp(n, 32);
const x = (n: number) => a64Gp(n, 64);
const r = (n: number, bits: 8 | 32 | 64) => x64Gp(n, bits);
const r9d = x64Gp(9, 32);

/** Bytes of `n` one-byte filler instructions (ret), so a branch row can place its label at a distance. */
const fill = (a: X64Assembler, n: number) => {
  for (let i = 0; i < n; i++) a.ret();
};

export const X64_ROWS: readonly Row<X64Assembler>[] = [
  { hex: "48 c7 c0 00 00 00 00", asm: "mov rax, 0", emit: (a) => a.movRI(rax, 0) },
  { hex: "48 c7 c0 fc ff ff ff", asm: "mov rax, -4", emit: (a) => a.movRI(rax, -4) },
  { hex: "48 c7 c0 ff ff ff 7f", asm: "mov rax, 2147483647", emit: (a) => a.movRI(rax, 2147483647) },
  { hex: "48 c7 c0 00 00 00 80", asm: "mov rax, -2147483648", emit: (a) => a.movRI(rax, -2147483648) },
  { hex: "49 c7 c1 05 00 00 00", asm: "mov r9, 5", emit: (a) => a.movRI(r9, 5) },
  { hex: "b8 01 00 00 00", asm: "mov eax, 1", emit: (a) => a.movRI(eax, 1) },
  { hex: "41 bf ff ff ff ff", asm: "mov r15d, -1", emit: (a) => a.movRI(r(15, 32), -1) },
  { hex: "48 63 c0", asm: "movsxd rax, eax", emit: (a) => a.movsxdRR(rax, eax) },
  { hex: "4d 63 c7", asm: "movsxd r8, r15d", emit: (a) => a.movsxdRR(r8, r(15, 32)) },
  { hex: "89 c8", asm: "mov eax, ecx", emit: (a) => a.movRR(eax, ecx) },
  { hex: "45 89 c8", asm: "mov r8d, r9d", emit: (a) => a.movRR(r(8, 32), r(9, 32)) },
  { hex: "48 89 f8", asm: "mov rax, rdi", emit: (a) => a.movRR(rax, rdi) },
  { hex: "48 01 f8", asm: "add rax, rdi", emit: (a) => a.addRR(rax, rdi) },
  { hex: "48 01 c8", asm: "add rax, rcx", emit: (a) => a.addRR(rax, rcx) },
  { hex: "01 d0", asm: "add eax, edx", emit: (a) => a.addRR(eax, edx) },
  { hex: "44 01 c0", asm: "add eax, r8d", emit: (a) => a.addRR(eax, r(8, 32)) },
  { hex: "29 c8", asm: "sub eax, ecx", emit: (a) => a.subRR(eax, ecx) },
  { hex: "21 c8", asm: "and eax, ecx", emit: (a) => a.andRR(eax, ecx) },
  { hex: "09 c8", asm: "or eax, ecx", emit: (a) => a.orRR(eax, ecx) },
  { hex: "31 c8", asm: "xor eax, ecx", emit: (a) => a.xorRR(eax, ecx) },
  { hex: "39 c8", asm: "cmp eax, ecx", emit: (a) => a.cmpRR(eax, ecx) },
  { hex: "45 39 d9", asm: "cmp r9d, r11d", emit: (a) => a.cmpRR(r(9, 32), r(11, 32)) },
  { hex: "83 f9 ff", asm: "cmp ecx, -1", emit: (a) => a.cmpRI(ecx, -1) },
  { hex: "83 f9 7f", asm: "cmp ecx, 127", emit: (a) => a.cmpRI(ecx, 127) },
  { hex: "81 f9 80 00 00 00", asm: "cmp ecx, 128", emit: (a) => a.cmpRI(ecx, 128) },
  { hex: "3d 80 00 00 00", asm: "cmp eax, 128", emit: (a) => a.cmpRI(eax, 128) },
  { hex: "83 f8 80", asm: "cmp eax, -128", emit: (a) => a.cmpRI(eax, -128) },
  { hex: "41 81 f8 00 00 00 80", asm: "cmp r8d, -2147483648", emit: (a) => a.cmpRI(r(8, 32), -2147483648) },
  { hex: "0f af c1", asm: "imul eax, ecx", emit: (a) => a.imulRR(eax, ecx) },
  { hex: "45 0f af c1", asm: "imul r8d, r9d", emit: (a) => a.imulRR(r(8, 32), r(9, 32)) },
  { hex: "f7 d8", asm: "neg eax", emit: (a) => a.negR(eax) },
  { hex: "41 f7 da", asm: "neg r10d", emit: (a) => a.negR(r(10, 32)) },
  { hex: "f7 d0", asm: "not eax", emit: (a) => a.notR(eax) },
  { hex: "d3 e0", asm: "shl eax, cl", emit: (a) => a.shlRCl(eax) },
  { hex: "d3 f8", asm: "sar eax, cl", emit: (a) => a.sarRCl(eax) },
  { hex: "41 d3 e8", asm: "shr r8d, cl", emit: (a) => a.shrRCl(r(8, 32)) },
  { hex: "99", asm: "cdq", emit: (a) => a.cdq() },
  { hex: "f7 f9", asm: "idiv ecx", emit: (a) => a.idivR(ecx) },
  { hex: "41 f7 fb", asm: "idiv r11d", emit: (a) => a.idivR(r(11, 32)) },
  { hex: "0f 94 c0", asm: "sete al", emit: (a) => a.setccR("e", r(0, 8)) },
  { hex: "0f 9c c1", asm: "setl cl", emit: (a) => a.setccR("l", r(1, 8)) },
  { hex: "40 0f 9f c6", asm: "setg sil", emit: (a) => a.setccR("g", r(6, 8)) },
  { hex: "41 0f 95 c0", asm: "setne r8b", emit: (a) => a.setccR("ne", r(8, 8)) },
  { hex: "0f b6 c0", asm: "movzx eax, al", emit: (a) => a.movzxRR(eax, r(0, 8)) },
  { hex: "40 0f b6 f7", asm: "movzx esi, dil", emit: (a) => a.movzxRR(r(6, 32), r(7, 8)) },
  { hex: "45 0f b6 c0", asm: "movzx r8d, r8b", emit: (a) => a.movzxRR(r(8, 32), r(8, 8)) },
  { hex: "50", asm: "push rax", emit: (a) => a.pushR(rax) },
  { hex: "41 57", asm: "push r15", emit: (a) => a.pushR(r(15, 64)) },
  { hex: "5a", asm: "pop rdx", emit: (a) => a.popR(rdx) },
  { hex: "41 58", asm: "pop r8", emit: (a) => a.popR(r8) },
  { hex: "ff e7", asm: "jmp rdi", emit: (a) => a.jmpR(rdi) },
  { hex: "41 ff e0", asm: "jmp r8", emit: (a) => a.jmpR(r8) },
  { hex: "41 3b 8c 17 a8 00 00 00", asm: "cmp ecx, dword ptr [r15 + rdx + 168]", emit: (a) => a.cmpRM(ecx, x64Mem(r(15, 64), 168, rdx)) },
  { hex: "f2 0f 10 04 0a", asm: "movsd xmm0, qword ptr [rdx + rcx]", emit: (a) => a.movsdFM(xmm(0), x64Mem(rdx, 0, rcx)) },
  { hex: "f2 0f 51 c1", asm: "sqrtsd xmm0, xmm1", emit: (a) => a.sqrtsdFF(xmm(0), xmm(1)) },
  { hex: "f2 45 0f 51 fe", asm: "sqrtsd xmm15, xmm14", emit: (a) => a.sqrtsdFF(xmm(15), xmm(14)) },
  { hex: "0f 57 d2", asm: "xorps xmm2, xmm2", emit: (a) => a.xorpsFF(xmm(2), xmm(2)) },
  { hex: "45 0f 57 c9", asm: "xorps xmm9, xmm9", emit: (a) => a.xorpsFF(xmm(9), xmm(9)) },
  { hex: "0f 28 c1", asm: "movaps xmm0, xmm1", emit: (a) => a.movapsFF(xmm(0), xmm(1)) },
  { hex: "45 0f 28 fe", asm: "movaps xmm15, xmm14", emit: (a) => a.movapsFF(xmm(15), xmm(14)) },
  { hex: "f2 0f 10 c1", asm: "movsd xmm0, xmm1", emit: (a) => a.movsdFF(xmm(0), xmm(1)) },
  { hex: "f2 45 0f 10 fe", asm: "movsd xmm15, xmm14", emit: (a) => a.movsdFF(xmm(15), xmm(14)) },
  { hex: "f2 0f 10 44 24 08", asm: "movsd xmm0, qword ptr [rsp + 8]", emit: (a) => a.movsdFM(xmm(0), x64Mem(rsp, 8)) },
  { hex: "f2 45 0f 10 4f 58", asm: "movsd xmm9, qword ptr [r15 + 88]", emit: (a) => a.movsdFM(xmm(9), x64Mem(r(15, 64), 88)) },
  { hex: "f2 0f 11 54 24 10", asm: "movsd qword ptr [rsp + 16], xmm2", emit: (a) => a.movsdMF(x64Mem(rsp, 16), xmm(2)) },
  { hex: "f2 44 0f 11 a4 24 00 01 00 00", asm: "movsd qword ptr [rsp + 256], xmm12", emit: (a) => a.movsdMF(x64Mem(rsp, 256), xmm(12)) },
  { hex: "f2 0f 58 c1", asm: "addsd xmm0, xmm1", emit: (a) => a.addsdFF(xmm(0), xmm(1)) },
  { hex: "f2 45 0f 58 c1", asm: "addsd xmm8, xmm9", emit: (a) => a.addsdFF(xmm(8), xmm(9)) },
  { hex: "f2 0f 5c da", asm: "subsd xmm3, xmm2", emit: (a) => a.subsdFF(xmm(3), xmm(2)) },
  { hex: "f2 41 0f 5c c7", asm: "subsd xmm0, xmm15", emit: (a) => a.subsdFF(xmm(0), xmm(15)) },
  { hex: "f2 0f 59 e5", asm: "mulsd xmm4, xmm5", emit: (a) => a.mulsdFF(xmm(4), xmm(5)) },
  { hex: "f2 44 0f 59 f8", asm: "mulsd xmm15, xmm0", emit: (a) => a.mulsdFF(xmm(15), xmm(0)) },
  { hex: "f2 0f 5e f7", asm: "divsd xmm6, xmm7", emit: (a) => a.divsdFF(xmm(6), xmm(7)) },
  { hex: "f2 45 0f 5e d3", asm: "divsd xmm10, xmm11", emit: (a) => a.divsdFF(xmm(10), xmm(11)) },
  { hex: "66 0f 2e c1", asm: "ucomisd xmm0, xmm1", emit: (a) => a.ucomisdFF(xmm(0), xmm(1)) },
  { hex: "66 45 0f 2e ee", asm: "ucomisd xmm13, xmm14", emit: (a) => a.ucomisdFF(xmm(13), xmm(14)) },
  { hex: "f2 0f 2a c7", asm: "cvtsi2sd xmm0, edi", emit: (a) => a.cvtsi2sdFR(xmm(0), r(7, 32)) },
  { hex: "f2 45 0f 2a f9", asm: "cvtsi2sd xmm15, r9d", emit: (a) => a.cvtsi2sdFR(xmm(15), r9d) },
  { hex: "48 b8 00 00 00 00 00 00 f0 3f", asm: "movabs rax, 4607182418800017408", emit: (a) => a.movabsRI(rax, 0x3ff0000000000000n) },
  { hex: "49 bb 00 00 00 00 00 00 00 80", asm: "movabs r11, -9223372036854775808", emit: (a) => a.movabsRI(r(11, 64), 0x8000000000000000n) },
  { hex: "48 c1 ea 34", asm: "shr rdx, 52", emit: (a) => a.shrRI64(rdx, 52) },
  { hex: "49 c1 e9 3f", asm: "shr r9, 63", emit: (a) => a.shrRI64(r9, 63) },
  { hex: "f2 48 0f 2c c0", asm: "cvttsd2si rax, xmm0", emit: (a) => a.cvttsd2siRF(rax, xmm(0)) },
  { hex: "f2 48 0f 2c c3", asm: "cvttsd2si rax, xmm3", emit: (a) => a.cvttsd2siRF(rax, xmm(3)) },
  { hex: "f2 4d 0f 2c c7", asm: "cvttsd2si r8, xmm15", emit: (a) => a.cvttsd2siRF(r8, xmm(15)) },
  { hex: "f2 48 0f 2c 44 24 28", asm: "cvttsd2si rax, qword ptr [rsp + 40]", emit: (a) => a.cvttsd2siRM(rax, x64Mem(rsp, 40)) },
  { hex: "f2 4c 0f 2c 4c 24 08", asm: "cvttsd2si r9, qword ptr [rsp + 8]", emit: (a) => a.cvttsd2siRM(r9, x64Mem(rsp, 8)) },
  { hex: "ff e0", asm: "jmp rax", emit: (a) => a.jmpR(rax) },
  { hex: "c3", asm: "ret", emit: (a) => a.ret() },
  // Branches: short (rel8) when the target is within reach, rel32 otherwise; backwards too.
  {
    hex: "eb 00",
    asm: "jmp .L0\n.L0:",
    emit: (a) => {
      const l = a.newLabel();
      a.jmp(l);
      a.bind(l);
    },
  },
  {
    hex: `e9 80 00 00 00 ${"c3 ".repeat(128).trim()}`,
    asm: `jmp .L0\n${"ret\n".repeat(128)}.L0:`,
    emit: (a) => {
      const l = a.newLabel();
      a.jmp(l);
      fill(a, 128);
      a.bind(l);
    },
  },
  {
    hex: `${"c3 ".repeat(126)}eb 80`,
    asm: `.L0:\n${"ret\n".repeat(126)}jmp .L0`,
    emit: (a) => {
      const l = a.newLabel();
      a.bind(l);
      fill(a, 126);
      a.jmp(l);
    },
  },
  {
    hex: `${"c3 ".repeat(127)}e9 7c ff ff ff`,
    asm: `.L0:\n${"ret\n".repeat(127)}jmp .L0`,
    emit: (a) => {
      const l = a.newLabel();
      a.bind(l);
      fill(a, 127);
      a.jmp(l);
    },
  },
  {
    hex: "74 01 c3",
    asm: "je .L0\nret\n.L0:",
    emit: (a) => {
      const l = a.newLabel();
      a.jcc("e", l);
      a.ret();
      a.bind(l);
    },
  },
  {
    hex: `0f 8c 80 00 00 00 ${"c3 ".repeat(128).trim()}`,
    asm: `jl .L0\n${"ret\n".repeat(128)}.L0:`,
    emit: (a) => {
      const l = a.newLabel();
      a.jcc("l", l);
      fill(a, 128);
      a.bind(l);
    },
  },
  ...(["o", "no", "b", "ae", "e", "ne", "be", "a", "s", "ns", "p", "np", "l", "ge", "le", "g"] as const).map((cc, i) => ({
    hex: `${(0x70 + i).toString(16)} 00`,
    asm: `j${cc} .L0\n.L0:`,
    emit: (a: X64Assembler) => {
      const l = a.newLabel();
      a.jcc(cc, l);
      a.bind(l);
    },
  })),
  // Immediate forms, each at the boundaries where the encoding an assembler picks changes.
  { hex: "d1 e0", asm: "shl eax, 1", emit: (a) => a.shlRI(eax, 1) },
  { hex: "41 c1 e1 05", asm: "shl r9d, 5", emit: (a) => a.shlRI(r9d, 5) },
  { hex: "c1 f9 1f", asm: "sar ecx, 31", emit: (a) => a.sarRI(ecx, 31) },
  { hex: "d1 e8", asm: "shr eax, 1", emit: (a) => a.shrRI(eax, 1) },
  { hex: "41 c1 eb 00", asm: "shr r11d, 0", emit: (a) => a.shrRI(r(11, 32), 0) },
  { hex: "83 c0 02", asm: "add eax, 2", emit: (a) => a.addRI(eax, 2) },
  { hex: "05 e8 03 00 00", asm: "add eax, 1000", emit: (a) => a.addRI(eax, 1000) },
  { hex: "41 81 c0 7f ff ff ff", asm: "add r8d, -129", emit: (a) => a.addRI(r(8, 32), -129) },
  { hex: "0d 80 00 00 00", asm: "or eax, 128", emit: (a) => a.orRI(eax, 128) },
  { hex: "25 ff 00 00 00", asm: "and eax, 255", emit: (a) => a.andRI(eax, 255) },
  { hex: "41 83 e2 ff", asm: "and r10d, -1", emit: (a) => a.andRI(r(10, 32), -1) },
  { hex: "2d 00 00 00 80", asm: "sub eax, -2147483648", emit: (a) => a.subRI(eax, -2147483648) },
  { hex: "83 ee 7f", asm: "sub esi, 127", emit: (a) => a.subRI(r(6, 32), 127) },
  { hex: "35 00 00 01 00", asm: "xor eax, 65536", emit: (a) => a.xorRI(eax, 65536) },
  { hex: "41 83 f7 80", asm: "xor r15d, -128", emit: (a) => a.xorRI(r(15, 32), -128) },
  { hex: "6b c7 03", asm: "imul eax, edi, 3", emit: (a) => a.imulRRI(eax, r(7, 32), 3) },
  { hex: "44 69 c1 e8 03 00 00", asm: "imul r8d, ecx, 1000", emit: (a) => a.imulRRI(r(8, 32), ecx, 1000) },
  { hex: "6b c0 80", asm: "imul eax, eax, -128", emit: (a) => a.imulRRI(eax, eax, -128) },
  { hex: "45 69 e5 80 00 00 00", asm: "imul r12d, r13d, 128", emit: (a) => a.imulRRI(r(12, 32), r(13, 32), 128) },
  // Memory operands, as the Brainfuck back end addresses the tape ([r9 + r10 + offset]) and its state ([r8 + field]).
  { hex: "43 80 44 11 05 ff", asm: "add byte ptr [r9 + r10 + 5], 255", emit: (a) => a.addMI8(x64Mem(r9, 5, r(10, 64)), 255) },
  { hex: "43 80 84 11 d4 fe ff ff 01", asm: "add byte ptr [r9 + r10 - 300], 1", emit: (a) => a.addMI8(x64Mem(r9, -300, r(10, 64)), 1) },
  { hex: "43 c6 04 11 00", asm: "mov byte ptr [r9 + r10], 0", emit: (a) => a.movMI8(x64Mem(r9, 0, r(10, 64)), 0) },
  { hex: "43 0f b6 44 11 ff", asm: "movzx eax, byte ptr [r9 + r10 - 1]", emit: (a) => a.movzxRM8(eax, x64Mem(r9, -1, r(10, 64))) },
  { hex: "0f b6 08", asm: "movzx ecx, byte ptr [rax]", emit: (a) => a.movzxRM8(ecx, x64Mem(rax)) },
  { hex: "0f b6 45 00", asm: "movzx eax, byte ptr [rbp]", emit: (a) => a.movzxRM8(eax, x64Mem(r(5, 64))) },
  { hex: "41 88 03", asm: "mov byte ptr [r11], al", emit: (a) => a.movMR(x64Mem(r(11, 64)), r(0, 8)) },
  { hex: "41 88 45 00", asm: "mov byte ptr [r13], al", emit: (a) => a.movMR(x64Mem(r(13, 64)), r(0, 8)) },
  { hex: "41 88 44 24 04", asm: "mov byte ptr [r12 + 4], al", emit: (a) => a.movMR(x64Mem(r(12, 64), 4), r(0, 8)) },
  { hex: "43 88 0c 11", asm: "mov byte ptr [r9 + r10], cl", emit: (a) => a.movMR(x64Mem(r9, 0, r(10, 64)), r(1, 8)) },
  { hex: "4d 89 50 08", asm: "mov qword ptr [r8 + 8], r10", emit: (a) => a.movMR(x64Mem(r8, 8), r(10, 64)) },
  { hex: "49 8b 40 30", asm: "mov rax, qword ptr [r8 + 48]", emit: (a) => a.movRM(rax, x64Mem(r8, 48)) },
  { hex: "4d 8b 08", asm: "mov r9, qword ptr [r8]", emit: (a) => a.movRM(r9, x64Mem(r8)) },
  { hex: "45 8b 50 08", asm: "mov r10d, dword ptr [r8 + 8]", emit: (a) => a.movRM(r(10, 32), x64Mem(r8, 8)) },
  { hex: "4d 3b 58 18", asm: "cmp r11, qword ptr [r8 + 24]", emit: (a) => a.cmpRM(r(11, 64), x64Mem(r8, 24)) },
  { hex: "43 80 7c 11 03 00", asm: "cmp byte ptr [r9 + r10 + 3], 0", emit: (a) => a.cmpMI8(x64Mem(r9, 3, r(10, 64)), 0) },
  { hex: "43 00 44 11 07", asm: "add byte ptr [r9 + r10 + 7], al", emit: (a) => a.addMR(x64Mem(r9, 7, r(10, 64)), r(0, 8)) },
  { hex: "43 28 4c 11 07", asm: "sub byte ptr [r9 + r10 + 7], cl", emit: (a) => a.subMR(x64Mem(r9, 7, r(10, 64)), r(1, 8)) },
  { hex: "41 8d 42 05", asm: "lea eax, [r10 + 5]", emit: (a) => a.leaRM(eax, x64Mem(r(10, 64), 5)) },
  { hex: "41 8d 82 00 01 00 00", asm: "lea eax, [r10 + 256]", emit: (a) => a.leaRM(eax, x64Mem(r(10, 64), 256)) },
  { hex: "49 ff c3", asm: "inc r11", emit: (a) => a.incR(r(11, 64)) },
  { hex: "49 83 c2 fc", asm: "add r10, -4", emit: (a) => a.addRI(r(10, 64), -4) },
  { hex: "49 81 c2 00 10 00 00", asm: "add r10, 4096", emit: (a) => a.addRI(r(10, 64), 4096) },
  { hex: "48 05 00 10 00 00", asm: "add rax, 4096", emit: (a) => a.addRI(rax, 4096) },
  { hex: "41 81 fa 30 75 00 00", asm: "cmp r10d, 30000", emit: (a) => a.cmpRI(r(10, 32), 30000) },
  // Chapter four: calls, frames, stack-limit checks, and the ABI check stub's SSE moves.
  { hex: "ff d0", asm: "call rax", emit: (a) => a.callR(rax) },
  { hex: "41 ff d3", asm: "call r11", emit: (a) => a.callR(r(11, 64)) },
  { hex: "85 c0", asm: "test eax, eax", emit: (a) => a.testRR(eax, eax) },
  { hex: "45 85 d1", asm: "test r9d, r10d", emit: (a) => a.testRR(r9d, r(10, 32)) },
  { hex: "48 85 c0", asm: "test rax, rax", emit: (a) => a.testRR(rax, rax) },
  { hex: "0f 4c c1", asm: "cmovl eax, ecx", emit: (a) => a.cmovccRR("l", eax, ecx) },
  { hex: "45 0f 48 c1", asm: "cmovs r8d, r9d", emit: (a) => a.cmovccRR("s", r(8, 32), r9d) },
  { hex: "48 0f 42 c1", asm: "cmovb rax, rcx", emit: (a) => a.cmovccRR("b", rax, rcx) },
  { hex: "49 2b 47 10", asm: "sub rax, qword ptr [r15 + 16]", emit: (a) => a.subRM(rax, x64Mem(r(15, 64), 16)) },
  { hex: "c7 44 24 08 fb ff ff ff", asm: "mov dword ptr [rsp + 8], -5", emit: (a) => a.movMI32(x64Mem(rsp, 8), -5) },
  { hex: "c7 04 24 a0 86 01 00", asm: "mov dword ptr [rsp], 100000", emit: (a) => a.movMI32(x64Mem(rsp), 100000) },
  { hex: "66 48 0f 6e f0", asm: "movq xmm6, rax", emit: (a) => a.movqFR(xmm(6), rax) },
  { hex: "66 4d 0f 6e f9", asm: "movq xmm15, r9", emit: (a) => a.movqFR(xmm(15), r9) },
  { hex: "66 48 0f 7e f0", asm: "movq rax, xmm6", emit: (a) => a.movqRF(rax, xmm(6)) },
  { hex: "66 4d 0f 7e e2", asm: "movq r10, xmm12", emit: (a) => a.movqRF(r(10, 64), xmm(12)) },
  { hex: "f3 0f 7f 74 24 10", asm: "movdqu xmmword ptr [rsp + 16], xmm6", emit: (a) => a.movdquMF(x64Mem(rsp, 16), xmm(6)) },
  { hex: "f3 44 0f 7f bc 24 a0 00 00 00", asm: "movdqu xmmword ptr [rsp + 160], xmm15", emit: (a) => a.movdquMF(x64Mem(rsp, 160), xmm(15)) },
  { hex: "f3 0f 6f 74 24 10", asm: "movdqu xmm6, xmmword ptr [rsp + 16]", emit: (a) => a.movdquFM(xmm(6), x64Mem(rsp, 16)) },
  { hex: "f3 45 0f 6f 30", asm: "movdqu xmm14, xmmword ptr [r8]", emit: (a) => a.movdquFM(xmm(14), x64Mem(r8)) },
  { hex: "49 8b 67 08", asm: "mov rsp, qword ptr [r15 + 8]", emit: (a) => a.movRM(rsp, x64Mem(r(15, 64), 8)) },
  { hex: "49 89 67 08", asm: "mov qword ptr [r15 + 8], rsp", emit: (a) => a.movMR(x64Mem(r(15, 64), 8), rsp) },
  { hex: "49 3b 67 18", asm: "cmp rsp, qword ptr [r15 + 24]", emit: (a) => a.cmpRM(rsp, x64Mem(r(15, 64), 24)) },
  { hex: "44 89 64 24 04", asm: "mov dword ptr [rsp + 4], r12d", emit: (a) => a.movMR(x64Mem(rsp, 4), r(12, 32)) },
  { hex: "8b 9c 24 c8 00 00 00", asm: "mov ebx, dword ptr [rsp + 200]", emit: (a) => a.movRM(r(3, 32), x64Mem(rsp, 200)) },
  { hex: "44 8b 6d 30", asm: "mov r13d, dword ptr [rbp + 48]", emit: (a) => a.movRM(r(13, 32), x64Mem(r(5, 64), 48)) },
  { hex: "48 83 ec 28", asm: "sub rsp, 40", emit: (a) => a.subRI(rsp, 40) },
  { hex: "48 81 c4 00 10 00 00", asm: "add rsp, 4096", emit: (a) => a.addRI(rsp, 4096) },
  {
    hex: "e8 01 00 00 00 c3",
    asm: "call .L0\nret\n.L0:",
    emit: (a) => {
      const l = a.newLabel();
      a.call(l);
      a.ret();
      a.bind(l);
    },
  },
  {
    hex: "c3 e8 fa ff ff ff",
    asm: ".L0:\nret\ncall .L0",
    emit: (a) => {
      const l = a.newLabel();
      a.bind(l);
      a.ret();
      a.call(l);
    },
  },
  // align(): no-ops up to the boundary, sized where the code lands (here after a ret, and on a boundary already).
  {
    hex: `c3 ${"90 ".repeat(15)}c3`,
    asm: `ret\n${Array(15).fill("nop").join("\n")}\nret`,
    emit: (a) => {
      a.ret();
      a.align(16);
      a.ret();
    },
  },
  {
    hex: "c3",
    asm: "ret",
    emit: (a) => {
      a.align(32);
      a.ret();
    },
  },
  {
    hex: `eb 1e c3 ${"90 ".repeat(29)}c3`,
    asm: `jmp .L0\nret\n${Array(29).fill("nop").join("\n")}\n.L0:\nret`,
    emit: (a) => {
      const l = a.newLabel();
      a.jmp(l);
      a.ret();
      a.align(32);
      a.bind(l);
      a.ret();
    },
  },
];

export const A64_ROWS: readonly Row<A64Assembler>[] = [
  { hex: "09 00 80 52", asm: "movz w9, #0x0", emit: (a) => a.movzRI(w(9), 0) },
  { hex: "e9 ff 9f 52", asm: "movz w9, #0xffff", emit: (a) => a.movzRI(w(9), 0xffff) },
  { hex: "29 00 a0 52", asm: "movz w9, #0x1, lsl #16", emit: (a) => a.movzRI(w(9), 1, 16) },
  { hex: "49 00 80 12", asm: "movn w9, #0x2", emit: (a) => a.movnRI(w(9), 2) },
  { hex: "e9 ff bf 12", asm: "movn w9, #0xffff, lsl #16", emit: (a) => a.movnRI(w(9), 0xffff, 16) },
  { hex: "89 46 a2 72", asm: "movk w9, #0x1234, lsl #16", emit: (a) => a.movkRI(w(9), 0x1234, 16) },
  { hex: "e1 ff df f2", asm: "movk x1, #0xffff, lsl #32", emit: (a) => a.movkRI(x(1), 0xffff, 32) },
  { hex: "21 00 e0 d2", asm: "movz x1, #0x1, lsl #48", emit: (a) => a.movzRI(x(1), 1, 48) },
  // movImm32, the one sequence: one movz or movn when a half is all zeros or all ones, else movz + movk.
  { hex: "69 00 80 12", asm: "movn w9, #0x3", emit: (a) => a.movImm32(w(9), -4) },
  { hex: "29 00 a0 52", asm: "movz w9, #0x1, lsl #16", emit: (a) => a.movImm32(w(9), 0x10000) },
  { hex: "09 cf 8a 52 89 46 a2 72", asm: "movz w9, #0x5678\nmovk w9, #0x1234, lsl #16", emit: (a) => a.movImm32(w(9), 0x12345678) },
  { hex: "20 01 00 0b", asm: "add w0, w9, w0", emit: (a) => a.addRRR(w(0), w(9), w(0)) },
  { hex: "00 00 09 0b", asm: "add w0, w0, w9", emit: (a) => a.addRRR(w(0), w(0), w(9)) },
  { hex: "20 00 02 8b", asm: "add x0, x1, x2", emit: (a) => a.addRRR(x(0), x(1), x(2)) },
  { hex: "20 00 02 4b", asm: "sub w0, w1, w2", emit: (a) => a.subRRR(w(0), w(1), w(2)) },
  { hex: "20 00 02 0a", asm: "and w0, w1, w2", emit: (a) => a.andRRR(w(0), w(1), w(2)) },
  { hex: "20 00 02 2a", asm: "orr w0, w1, w2", emit: (a) => a.orrRRR(w(0), w(1), w(2)) },
  { hex: "20 00 02 4a", asm: "eor w0, w1, w2", emit: (a) => a.eorRRR(w(0), w(1), w(2)) },
  { hex: "e0 03 01 4b", asm: "neg w0, w1", emit: (a) => a.negRR(w(0), w(1)) },
  { hex: "e0 03 21 2a", asm: "mvn w0, w1", emit: (a) => a.mvnRR(w(0), w(1)) },
  { hex: "e0 03 0f 2a", asm: "mov w0, w15", emit: (a) => a.movRR(w(0), w(15)) },
  { hex: "e0 03 1f 2a", asm: "mov w0, wzr", emit: (a) => a.movRR(w(0), wzr) },
  { hex: "1f 00 01 6b", asm: "cmp w0, w1", emit: (a) => a.cmpRR(w(0), w(1)) },
  { hex: "3f 04 00 31", asm: "cmn w1, #1", emit: (a) => a.cmnRI(w(1), 1) },
  { hex: "3f 01 00 71", asm: "cmp w9, #0", emit: (a) => a.cmpRI(w(9), 0) },
  { hex: "3f fd 3f 71", asm: "cmp w9, #4095", emit: (a) => a.cmpRI(w(9), 4095) },
  { hex: "3f 04 00 f1", asm: "cmp x1, #1", emit: (a) => a.cmpRI(x(1), 1) },
  { hex: "20 09 00 11", asm: "add w0, w9, #2", emit: (a) => a.addRRI(w(0), w(9), 2) },
  { hex: "00 fc 3f 11", asm: "add w0, w0, #4095", emit: (a) => a.addRRI(w(0), w(0), 4095) },
  { hex: "e1 43 00 91", asm: "add x1, sp, #16", emit: (a) => a.addRRI(x(1), sp, 16) },
  { hex: "49 05 00 51", asm: "sub w9, w10, #1", emit: (a) => a.subRRI(w(9), w(10), 1) },
  { hex: "ff 83 00 d1", asm: "sub sp, sp, #32", emit: (a) => a.subRRI(sp, sp, 32) },
  { hex: "00 78 1f 53", asm: "lsl w0, w0, #1", emit: (a) => a.lslRRI(w(0), w(0), 1) },
  { hex: "49 01 01 53", asm: "lsl w9, w10, #31", emit: (a) => a.lslRRI(w(9), w(10), 31) },
  { hex: "41 7c 00 53", asm: "lsl w1, w2, #0", emit: (a) => a.lslRRI(w(1), w(2), 0) },
  { hex: "00 7c 01 53", asm: "lsr w0, w0, #1", emit: (a) => a.lsrRRI(w(0), w(0), 1) },
  { hex: "83 7c 1f 53", asm: "lsr w3, w4, #31", emit: (a) => a.lsrRRI(w(3), w(4), 31) },
  { hex: "20 7c 05 13", asm: "asr w0, w1, #5", emit: (a) => a.asrRRI(w(0), w(1), 5) },
  { hex: "20 7c 1f 13", asm: "asr w0, w1, #31", emit: (a) => a.asrRRI(w(0), w(1), 31) },
  { hex: "20 00 41 d3", asm: "lsl x0, x1, #63", emit: (a) => a.lslRRI(x(0), x(1), 63) },
  { hex: "20 fc 60 d3", asm: "lsr x0, x1, #32", emit: (a) => a.lsrRRI(x(0), x(1), 32) },
  { hex: "62 fc 41 93", asm: "asr x2, x3, #1", emit: (a) => a.asrRRI(x(2), x(3), 1) },
  { hex: "20 7c 02 1b", asm: "mul w0, w1, w2", emit: (a) => a.mulRRR(w(0), w(1), w(2)) },
  { hex: "20 8c 02 1b", asm: "msub w0, w1, w2, w3", emit: (a) => a.msubRRRR(w(0), w(1), w(2), w(3)) },
  { hex: "20 0c c2 1a", asm: "sdiv w0, w1, w2", emit: (a) => a.sdivRRR(w(0), w(1), w(2)) },
  { hex: "20 20 c2 1a", asm: "lsl w0, w1, w2", emit: (a) => a.lslRRR(w(0), w(1), w(2)) },
  { hex: "20 24 c2 1a", asm: "lsr w0, w1, w2", emit: (a) => a.lsrRRR(w(0), w(1), w(2)) },
  { hex: "20 28 c2 1a", asm: "asr w0, w1, w2", emit: (a) => a.asrRRR(w(0), w(1), w(2)) },
  { hex: "00 7c 40 93", asm: "sxtw x0, w0", emit: (a) => a.sxtwRR(x(0), w(0)) },
  { hex: "e0 17 9f 1a", asm: "cset w0, eq", emit: (a) => a.csetR(w(0), "eq") },
  { hex: "e0 a7 9f 1a", asm: "cset w0, lt", emit: (a) => a.csetR(w(0), "lt") },
  { hex: "e9 0f 1f f8", asm: "str x9, [sp, #-16]!", emit: (a) => a.strRMpre(x(9), sp, -16) },
  { hex: "e9 07 41 f8", asm: "ldr x9, [sp], #16", emit: (a) => a.ldrRMpost(x(9), sp, 16) },
  { hex: "80 00 1f d6", asm: "br x4", emit: (a) => a.brR(x(4)) },
  { hex: "20 00 1f d6", asm: "br x1", emit: (a) => a.brR(x(1)) },
  { hex: "00 02 1f d6", asm: "br x16", emit: (a) => a.brR(x(16)) },
  { hex: "10 00 79 9e", asm: "fcvtzu x16, d0", emit: (a) => a.fcvtzuRF(x(16), a64D(0)) },
  { hex: "e9 03 79 9e", asm: "fcvtzu x9, d31", emit: (a) => a.fcvtzuRF(x(9), a64D(31)) },
  { hex: "c0 03 5f d6", asm: "ret", emit: (a) => a.ret() },
  {
    hex: "02 00 00 14 c0 03 5f d6",
    asm: "b .L0\nret\n.L0:",
    emit: (a) => {
      const l = a.newLabel();
      a.b(l);
      a.ret();
      a.bind(l);
    },
  },
  {
    hex: "c0 03 5f d6 ff ff ff 17",
    asm: ".L0:\nret\nb .L0",
    emit: (a) => {
      const l = a.newLabel();
      a.bind(l);
      a.ret();
      a.b(l);
    },
  },
  {
    hex: "4b 00 00 54 c0 03 5f d6",
    asm: "b.lt .L0\nret\n.L0:",
    emit: (a) => {
      const l = a.newLabel();
      a.bcond("lt", l);
      a.ret();
      a.bind(l);
    },
  },
  {
    hex: "49 00 00 34 c0 03 5f d6",
    asm: "cbz w9, .L0\nret\n.L0:",
    emit: (a) => {
      const l = a.newLabel();
      a.cbzR(w(9), l);
      a.ret();
      a.bind(l);
    },
  },
  {
    hex: "49 00 00 35 c0 03 5f d6",
    asm: "cbnz w9, .L0\nret\n.L0:",
    emit: (a) => {
      const l = a.newLabel();
      a.cbnzR(w(9), l);
      a.ret();
      a.bind(l);
    },
  },
  // Loads and stores, as the Brainfuck back end reaches its tape ([x2, #offset]) and its state ([x0, #field]).
  { hex: "01 00 40 f9", asm: "ldr x1, [x0]", emit: (a) => a.ldrRM(x(1), x(0)) },
  { hex: "02 04 40 f9", asm: "ldr x2, [x0, #8]", emit: (a) => a.ldrRM(x(2), x(0), 8) },
  { hex: "02 fc 7f f9", asm: "ldr x2, [x0, #32760]", emit: (a) => a.ldrRM(x(2), x(0), 32760) },
  { hex: "02 04 00 f9", asm: "str x2, [x0, #8]", emit: (a) => a.strRM(x(2), x(0), 8) },
  { hex: "43 00 40 39", asm: "ldrb w3, [x2]", emit: (a) => a.ldrbRM(w(3), x(2)) },
  { hex: "43 fc 7f 39", asm: "ldrb w3, [x2, #4095]", emit: (a) => a.ldrbRM(w(3), x(2), 4095) },
  { hex: "5f 14 00 39", asm: "strb wzr, [x2, #5]", emit: (a) => a.strbRM(wzr, x(2), 5) },
  { hex: "43 00 50 38", asm: "ldurb w3, [x2, #-256]", emit: (a) => a.ldurbRM(w(3), x(2), -256) },
  { hex: "43 f0 1f 38", asm: "sturb w3, [x2, #-1]", emit: (a) => a.sturbRM(w(3), x(2), -1) },
  { hex: "03 16 40 38", asm: "ldrb w3, [x16], #1", emit: (a) => a.ldrbRMpost(w(3), x(16), 1) },
  { hex: "c3 14 00 38", asm: "strb w3, [x6], #1", emit: (a) => a.strbRMpost(w(3), x(6), 1) },
  { hex: "64 10 06 1b", asm: "madd w4, w3, w6, w4", emit: (a) => a.maddRRRR(w(4), w(3), w(6), w(4)) },
  { hex: "42 14 00 91", asm: "add x2, x2, #5", emit: (a) => a.addRRI(x(2), x(2), 5) },
  { hex: "42 fc 3f d1", asm: "sub x2, x2, #4095", emit: (a) => a.subRRI(x(2), x(2), 4095) },
  { hex: "1f 02 05 eb", asm: "cmp x16, x5", emit: (a) => a.cmpRR(x(16), x(5)) },
  // Chapter four: calls, frame records, callee-saved pairs, stack-limit checks, min/max/abs.
  { hex: "00 02 3f d6", asm: "blr x16", emit: (a) => a.blrR(x(16)) },
  { hex: "20 01 3f d6", asm: "blr x9", emit: (a) => a.blrR(x(9)) },
  { hex: "fd 7b bf a9", asm: "stp x29, x30, [sp, #-16]!", emit: (a) => a.stpRRMpre(x(29), x(30), sp, -16) },
  { hex: "fd 7b a0 a9", asm: "stp x29, x30, [sp, #-512]!", emit: (a) => a.stpRRMpre(x(29), x(30), sp, -512) },
  { hex: "fd 7b c1 a8", asm: "ldp x29, x30, [sp], #16", emit: (a) => a.ldpRRMpost(x(29), x(30), sp, 16) },
  { hex: "fd 7b c6 a8", asm: "ldp x29, x30, [sp], #96", emit: (a) => a.ldpRRMpost(x(29), x(30), sp, 96) },
  { hex: "f3 53 01 a9", asm: "stp x19, x20, [sp, #16]", emit: (a) => a.stpRRM(x(19), x(20), sp, 16) },
  { hex: "fb 73 00 a9", asm: "stp x27, x28, [sp]", emit: (a) => a.stpRRM(x(27), x(28), sp) },
  { hex: "f3 53 41 a9", asm: "ldp x19, x20, [sp, #16]", emit: (a) => a.ldpRRM(x(19), x(20), sp, 16) },
  { hex: "35 d9 5f a9", asm: "ldp x21, x22, [x9, #504]", emit: (a) => a.ldpRRM(x(21), x(22), x(9), 504) },
  { hex: "e8 27 01 6d", asm: "stp d8, d9, [sp, #16]", emit: (a) => a.stpFFM(a64D(8), a64D(9), sp, 16) },
  { hex: "ee 3f 60 6d", asm: "ldp d14, d15, [sp, #-512]", emit: (a) => a.ldpFFM(a64D(14), a64D(15), sp, -512) },
  { hex: "28 01 67 9e", asm: "fmov d8, x9", emit: (a) => a.fmovFR(a64D(8), x(9)) },
  { hex: "20 40 60 1e", asm: "fmov d0, d1", emit: (a) => a.fmovFF(a64D(0), a64D(1)) },
  { hex: "df 43 60 1e", asm: "fmov d31, d30", emit: (a) => a.fmovFF(a64D(31), a64D(30)) },
  { hex: "20 c0 61 1e", asm: "fsqrt d0, d1", emit: (a) => a.fsqrtFF(a64D(0), a64D(1)) },
  { hex: "ff c3 61 1e", asm: "fsqrt d31, d31", emit: (a) => a.fsqrtFF(a64D(31), a64D(31)) },
  { hex: "62 c0 60 1e", asm: "fabs d2, d3", emit: (a) => a.fabsFF(a64D(2), a64D(3)) },
  { hex: "df c3 60 1e", asm: "fabs d31, d30", emit: (a) => a.fabsFF(a64D(31), a64D(30)) },
  { hex: "41 40 61 1e", asm: "fneg d1, d2", emit: (a) => a.fnegFF(a64D(1), a64D(2)) },
  { hex: "ff 43 61 1e", asm: "fneg d31, d31", emit: (a) => a.fnegFF(a64D(31), a64D(31)) },
  { hex: "20 28 62 1e", asm: "fadd d0, d1, d2", emit: (a) => a.faddFFF(a64D(0), a64D(1), a64D(2)) },
  { hex: "df 2b 7d 1e", asm: "fadd d31, d30, d29", emit: (a) => a.faddFFF(a64D(31), a64D(30), a64D(29)) },
  { hex: "83 38 65 1e", asm: "fsub d3, d4, d5", emit: (a) => a.fsubFFF(a64D(3), a64D(4), a64D(5)) },
  { hex: "10 3a 71 1e", asm: "fsub d16, d16, d17", emit: (a) => a.fsubFFF(a64D(16), a64D(16), a64D(17)) },
  { hex: "e6 08 68 1e", asm: "fmul d6, d7, d8", emit: (a) => a.fmulFFF(a64D(6), a64D(7), a64D(8)) },
  { hex: "bc 0b 7b 1e", asm: "fmul d28, d29, d27", emit: (a) => a.fmulFFF(a64D(28), a64D(29), a64D(27)) },
  { hex: "49 19 6b 1e", asm: "fdiv d9, d10, d11", emit: (a) => a.fdivFFF(a64D(9), a64D(10), a64D(11)) },
  { hex: "fe 1b 7f 1e", asm: "fdiv d30, d31, d31", emit: (a) => a.fdivFFF(a64D(30), a64D(31), a64D(31)) },
  { hex: "00 20 61 1e", asm: "fcmp d0, d1", emit: (a) => a.fcmpFF(a64D(0), a64D(1)) },
  { hex: "c0 23 7f 1e", asm: "fcmp d30, d31", emit: (a) => a.fcmpFF(a64D(30), a64D(31)) },
  { hex: "00 00 62 1e", asm: "scvtf d0, w0", emit: (a) => a.scvtfFR(a64D(0), w(0)) },
  { hex: "df 02 62 1e", asm: "scvtf d31, w22", emit: (a) => a.scvtfFR(a64D(31), w(22)) },
  { hex: "10 00 78 9e", asm: "fcvtzs x16, d0", emit: (a) => a.fcvtzsRF(x(16), a64D(0)) },
  { hex: "e9 03 78 9e", asm: "fcvtzs x9, d31", emit: (a) => a.fcvtzsRF(x(9), a64D(31)) },
  { hex: "00 03 40 fd", asm: "ldr d0, [x24]", emit: (a) => a.ldrFM(a64D(0), x(24)) },
  { hex: "fe ff 7f fd", asm: "ldr d30, [sp, #32760]", emit: (a) => a.ldrFM(a64D(30), sp, 32760) },
  { hex: "81 2f 00 fd", asm: "str d1, [x28, #88]", emit: (a) => a.strFM(a64D(1), x(28), 88) },
  { hex: "ef 07 00 fd", asm: "str d15, [sp, #8]", emit: (a) => a.strFM(a64D(15), sp, 8) },
  { hex: "ef 03 67 9e", asm: "fmov d15, xzr", emit: (a) => a.fmovFR(a64D(15), xzr) },
  { hex: "09 01 66 9e", asm: "fmov x9, d8", emit: (a) => a.fmovRF(x(9), a64D(8)) },
  { hex: "e0 01 66 9e", asm: "fmov x0, d15", emit: (a) => a.fmovRF(x(0), a64D(15)) },
  { hex: "ff 63 30 eb", asm: "cmp sp, x16", emit: (a) => a.cmpSpR(x(16)) },
  { hex: "ff 63 21 eb", asm: "cmp sp, x1", emit: (a) => a.cmpSpR(x(1)) },
  { hex: "20 b0 82 1a", asm: "csel w0, w1, w2, lt", emit: (a) => a.cselRRR(w(0), w(1), w(2), "lt") },
  { hex: "10 22 91 9a", asm: "csel x16, x16, x17, hs", emit: (a) => a.cselRRR(x(16), x(16), x(17), "hs") },
  { hex: "20 54 81 5a", asm: "cneg w0, w1, mi", emit: (a) => a.cnegRR(w(0), w(1), "mi") },
  { hex: "63 a4 83 5a", asm: "cneg w3, w3, lt", emit: (a) => a.cnegRR(w(3), w(3), "lt") },
  { hex: "80 1b 40 b9", asm: "ldr w0, [x28, #24]", emit: (a) => a.ldrRM(w(0), x(28), 24) },
  { hex: "e9 03 40 b9", asm: "ldr w9, [sp]", emit: (a) => a.ldrRM(w(9), sp) },
  { hex: "e9 ff 7f b9", asm: "ldr w9, [sp, #16380]", emit: (a) => a.ldrRM(w(9), sp, 16380) },
  { hex: "e9 07 00 b9", asm: "str w9, [sp, #4]", emit: (a) => a.strRM(w(9), sp, 4) },
  { hex: "3f 08 00 b9", asm: "str wzr, [x1, #8]", emit: (a) => a.strRM(wzr, x(1), 8) },
  {
    hex: "02 00 00 94 c0 03 5f d6",
    asm: "bl .L0\nret\n.L0:",
    emit: (a) => {
      const l = a.newLabel();
      a.bl(l);
      a.ret();
      a.bind(l);
    },
  },
  {
    hex: "c0 03 5f d6 ff ff ff 97",
    asm: ".L0:\nret\nbl .L0",
    emit: (a) => {
      const l = a.newLabel();
      a.bind(l);
      a.ret();
      a.bl(l);
    },
  },
  // align(): nop instructions up to the boundary.
  {
    hex: "c0 03 5f d6 1f 20 03 d5 1f 20 03 d5 1f 20 03 d5 c0 03 5f d6",
    asm: "ret\nnop\nnop\nnop\nret",
    emit: (a) => {
      a.ret();
      a.align(16);
      a.ret();
    },
  },
];
