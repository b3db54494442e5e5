/**
 * `bun run build:all`: an executable for every platform, each of the right kind, and run wherever this
 * machine can: linux-x64 natively, linux-arm64 under qemu, windows-x64 under Wine, windows-arm64 under
 * arm64 Wine under qemu (test/support/emu.ts). The two macOS ones cannot run here.
 */
import { beforeAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, run } from "./support/cli.ts";
import { describeOnEmu, runArm64Exe, runWinArm64Exe, runWindowsExe } from "./support/emu.ts";

beforeAll(() => {
  const p = Bun.spawnSync([process.execPath, "run", "build:all"], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
  if (p.exitCode !== 0) throw new Error(`bun run build:all failed: ${p.stderr.toString()}`);
}, 300_000);

const dist = (file: string) => join(ROOT, "dist", file);

/** The first bytes that name a file's format and CPU: ELF e_machine, Mach-O cputype, PE optional-header magic and machine. */
function kind(file: string): string {
  const b = readFileSync(dist(file));
  if (b.readUInt32BE(0) === 0x7f454c46) return `ELF ${({ 0x3e: "x86-64", 0xb7: "aarch64" } as Record<number, string>)[b.readUInt16LE(18)]}`;
  if (b.readUInt32LE(0) === 0xfeedfacf) return `Mach-O ${({ 0x01000007: "x86-64", 0x0100000c: "arm64" } as Record<number, string>)[b.readUInt32LE(4)]}`;
  if (b.toString("latin1", 0, 2) === "MZ") {
    const pe = b.readUInt32LE(0x3c);
    if (b.toString("latin1", pe, pe + 4) !== "PE\0\0") return "MZ without a PE header";
    const format = ({ 0x10b: "PE32", 0x20b: "PE32+" } as Record<number, string>)[b.readUInt16LE(pe + 24)] ?? "PE?";
    return `${format} ${({ 0x8664: "x86-64", 0xaa64: "ARM64" } as Record<number, string>)[b.readUInt16LE(pe + 4)]}`;
  }
  return "unknown";
}

test.each([
  ["babyjit-linux-x64", "ELF x86-64"],
  ["babyjit-linux-arm64", "ELF aarch64"],
  ["babyjit-darwin-x64", "Mach-O x86-64"],
  ["babyjit-darwin-arm64", "Mach-O arm64"],
  ["babyjit-windows-x64.exe", "PE32+ x86-64"],
  ["babyjit-windows-arm64.exe", "PE32+ ARM64"],
])("dist/%s is %s", (file, expected) => {
  expect(kind(file)).toBe(expected);
});

const ADDER = { stdout: "-3 -2 -1\n", stderr: "", exitCode: 0 };
const outcome = (r: { stdout: string; stderr: string; exitCode: number }) => ({ stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode });

test.if(process.platform === "linux" && process.arch === "x64")("the linux-x64 one runs here", () => {
  expect(run([dist("babyjit-linux-x64"), "-4"])).toEqual(ADDER);
  // It has one path, the sources built into it, and does not read BABYJIT_DEBUG_LOADER (src/standalone.ts:
  // the first read of process.env costs start-up).
  expect(run([dist("babyjit-linux-x64"), "-4"], { ...process.env, BABYJIT_DEBUG_LOADER: "1" })).toEqual(ADDER);
});

describeOnEmu("arm64", "under qemu-aarch64", () => {
  test("the linux-arm64 one runs", () => expect(outcome(runArm64Exe(dist("babyjit-linux-arm64"), ["-4"]))).toEqual(ADDER));
});

describeOnEmu("windows", "under Wine", () => {
  test("the windows-x64 one runs", () => expect(outcome(runWindowsExe(dist("babyjit-windows-x64.exe"), ["-4"]))).toEqual(ADDER));
});

describeOnEmu("winarm64", "under arm64 Wine under qemu-aarch64", () => {
  test("the windows-arm64 one runs, adds and guards division", () => {
    expect(outcome(runWinArm64Exe(dist("babyjit-windows-arm64.exe"), ["-4"]))).toEqual(ADDER);
    expect(outcome(runWinArm64Exe(dist("babyjit-windows-arm64.exe"), ["-e", "12 / x", "4", "0"]))).toEqual({
      stdout: "",
      stderr: "babyjit: division by zero (x = 0)\n",
      exitCode: 65,
    });
  });
});
