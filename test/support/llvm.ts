/** The independent assembler: llvm-mc (LLVM 14+), for x86-64 in Intel syntax and for AArch64. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Arch } from "../../src/emit.ts";

const TRIPLE: Record<Arch, string[]> = {
  x64: ["-triple=x86_64", "--x86-asm-syntax=intel", "-output-asm-variant=1"],
  arm64: ["-triple=aarch64"],
};

function run(cmd: string[], input?: string): string {
  const p = Bun.spawnSync(cmd, { stdin: input === undefined ? "ignore" : Buffer.from(input), stderr: "pipe" });
  if (p.exitCode !== 0) throw new Error(`${cmd.join(" ")} failed: ${p.stderr.toString()}`);
  return p.stdout.toString();
}

/** `llvm-mc -show-encoding` for each line (no labels): the encodings as "48 c7 c0 ..." strings, in order. */
export function llvmEncodings(arch: Arch, lines: readonly string[]): string[] {
  const out = run(["llvm-mc", ...TRIPLE[arch], "-show-encoding"], `${lines.join("\n")}\n`);
  const encodings = [...out.matchAll(/encoding: \[([^\]]*)\]/g)].map((m) =>
    (m[1] ?? "")
      .split(",")
      .map((b) => b.trim().replace(/^0x/, "").padStart(2, "0"))
      .join(" "),
  );
  if (encodings.length !== lines.length) {
    throw new Error(`llvm-mc gave ${encodings.length} encodings for ${lines.length} lines:\n${out}`);
  }
  return encodings;
}

/** Assemble a whole program (labels and branches included) to an object file and return its .text bytes. */
export function llvmAssemble(arch: Arch, source: string): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), "babyjit-llvm-"));
  try {
    const src = join(dir, "in.s");
    writeFileSync(src, `${source}\n`);
    run(["llvm-mc", ...TRIPLE[arch], "-filetype=obj", src, "-o", join(dir, "out.o")]);
    run(["llvm-objcopy", "-O", "binary", "--only-section=.text", join(dir, "out.o"), join(dir, "out.bin")]);
    return new Uint8Array(readFileSync(join(dir, "out.bin")));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A listing's lines as assembler source: labels as `name:`, instructions as their text; notes are left out. */
export function listingSource(
  listing: readonly ({ kind: "label"; name: string } | { kind: "insn"; text: string } | { kind: "note"; text: string })[],
): string {
  return listing
    .filter((l) => l.kind !== "note")
    .map((l) => (l.kind === "label" ? `${l.name}:` : l.kind === "insn" ? l.text : ""))
    .join("\n");
}
