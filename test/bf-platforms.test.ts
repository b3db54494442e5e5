/**
 * Brainfuck on the other platforms Bun ships that run here: arm64 Linux under qemu-aarch64, Windows
 * x64 under Wine and Windows on ARM under arm64 Wine under qemu, each with Bun's own build: a sample
 * of the random-program differential (a fresh seed every run) and the CLI's run and error paths.
 */
import { expect, test } from "bun:test";
import { join } from "node:path";
import { BIN, ROOT } from "./support/cli.ts";
import { type RunResult, describeOnEmu, runArm64, runWinArm64, runWindows } from "./support/emu.ts";

const DIFF = join(import.meta.dir, "fixtures", "bf-diff.ts");
const SEED = process.env.BABYJIT_SEED ?? String(Date.now() % 1_000_000);
const F = (name: string) => join("test", "fixtures", "bf", name);

const platforms: [Parameters<typeof describeOnEmu>[0], string, (args: string[], opts: { cwd: string; stdin?: string }) => RunResult, number][] = [
  ["arm64", "arm64 Linux under qemu-aarch64", runArm64, 2000],
  ["windows", "Windows x64 under Wine", runWindows, 2000],
  ["winarm64", "Windows on ARM under arm64 Wine and qemu", runWinArm64, 1000],
];

for (const [kind, name, run, count] of platforms) {
  describeOnEmu(kind, `Brainfuck on ${name}`, () => {
    test(`${count} random programs agree with the reference (seed ${SEED})`, () => {
      const r = run([DIFF, SEED, String(count)], { cwd: ROOT });
      expect({ stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode }).toEqual({ stdout: `ok ${count}\n`, stderr: "", exitCode: 0 });
    });
    test("babyjit --bf: hello world, cat, and a pointer off the tape", () => {
      const hello = run([BIN, "--bf", F("hello.b")], { cwd: ROOT });
      expect({ stdout: hello.stdout, stderr: hello.stderr, exitCode: hello.exitCode }).toEqual({ stdout: "Hello World!\n", stderr: "", exitCode: 0 });
      const cat = run([BIN, "--bf", F("cat.b")], { cwd: ROOT, stdin: "one\ntwo\n" });
      expect({ stdout: cat.stdout, exitCode: cat.exitCode }).toEqual({ stdout: "one\ntwo\n", exitCode: 0 });
      const left = run([BIN, "--bf", F("left.b")], { cwd: ROOT });
      expect({ stdout: left.stdout, exitCode: left.exitCode }).toEqual({ stdout: "\x01", exitCode: 65 });
      expect(left.stderr).toMatch(/^babyjit: .*left\.b:3:3: the pointer left the tape \(cell -1\)\n$/);
    });
    test("1 MiB of output", () => {
      const r = run([BIN, "--bf", F("mebibyte.b")], { cwd: ROOT });
      expect([r.stdout.length, r.exitCode, r.stderr]).toEqual([1 << 20, 0, ""]);
    });
  });
}
