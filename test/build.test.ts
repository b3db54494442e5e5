/** `bun run build:all`: an executable for every platform, each of the right kind (run where possible). */
import { beforeAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, run } from "./support/cli.ts";

beforeAll(() => {
  const p = Bun.spawnSync([process.execPath, "run", "build:all"], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
  if (p.exitCode !== 0) throw new Error(`bun run build:all failed: ${p.stderr.toString()}`);
});

/** The first bytes that name a file's format and CPU: ELF e_machine, Mach-O cputype, PE machine. */
function kind(file: string): string {
  const b = readFileSync(join(ROOT, "dist", file));
  if (b.readUInt32BE(0) === 0x7f454c46) return `ELF ${({ 0x3e: "x86-64", 0xb7: "aarch64" } as Record<number, string>)[b.readUInt16LE(18)]}`;
  if (b.readUInt32LE(0) === 0xfeedfacf) return `Mach-O ${({ 0x01000007: "x86-64", 0x0100000c: "arm64" } as Record<number, string>)[b.readUInt32LE(4)]}`;
  if (b.toString("latin1", 0, 2) === "MZ") {
    const pe = b.readUInt32LE(0x3c);
    return `PE ${({ 0x8664: "x86-64" } as Record<number, string>)[b.readUInt16LE(pe + 4)]}`;
  }
  return "unknown";
}

test.each([
  ["babyjit-linux-x64", "ELF x86-64"],
  ["babyjit-linux-arm64", "ELF aarch64"],
  ["babyjit-darwin-x64", "Mach-O x86-64"],
  ["babyjit-darwin-arm64", "Mach-O arm64"],
  ["babyjit-windows-x64.exe", "PE x86-64"],
])("dist/%s is %s", (file, expected) => {
  expect(kind(file)).toBe(expected);
});

test.if(process.platform === "linux" && process.arch === "x64")("the linux-x64 one runs here", () => {
  expect(run([join(ROOT, "dist", "babyjit-linux-x64"), "-4"])).toEqual({ stdout: "-3 -2 -1\n", stderr: "", exitCode: 0 });
});
