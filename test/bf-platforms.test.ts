/**
 * Brainfuck on the other platforms Bun ships that run here: arm64 Linux under qemu-aarch64, Windows
 * x64 under Wine and Windows on ARM under arm64 Wine under qemu, each with Bun's own build: a sample
 * of the random-program differential (a fresh seed every run) and the CLI's run and error paths.
 */
import { afterAll, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { BIN, ROOT } from "./support/cli.ts";
import { type RunResult, describeOnEmu, runArm64, runWinArm64, runWindows, tempDir } from "./support/emu.ts";
import { SEED } from "./support/random.ts";

const DIFF = join(import.meta.dir, "support", "differential.ts");
const F = (name: string) => join("test", "fixtures", "bf", name);
const tmp = tempDir("babyjit-bf-platforms-");
afterAll(() => tmp.cleanup());
/** A loop whose arm64 code is over 1 MiB long: its ] and its exits need the long branch forms. */
const FAR = join(tmp.path, "far.b");
writeFileSync(FAR, `+[${">+".repeat(100_000)}${"<".repeat(100_000)}.-]`);

const platforms: [Parameters<typeof describeOnEmu>[0], string, (args: string[], opts: { cwd: string; stdin?: string }) => RunResult, number][] = [
  ["arm64", "arm64 Linux under qemu-aarch64", runArm64, 2000],
  ["windows", "Windows x64 under Wine", runWindows, 2000],
  ["winarm64", "Windows on ARM under arm64 Wine and qemu", runWinArm64, 1000],
];

for (const [kind, name, run, count] of platforms) {
  describeOnEmu(kind, `Brainfuck on ${name}`, () => {
    test(`${count} random programs agree with the reference (seed ${SEED})`, () => {
      const r = run([DIFF, "bf", String(SEED), String(count)], { cwd: ROOT });
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
    test("a loop over 1 MiB of code long (arm64's long branch forms, run for real)", () => {
      const r = run([BIN, "--bf", FAR, "--tape", "200000"], { cwd: ROOT });
      expect({ stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode }).toEqual({ stdout: "\x01", stderr: "", exitCode: 0 });
    });
    test("1 MiB of output", () => {
      const r = run([BIN, "--bf", F("mebibyte.b")], { cwd: ROOT });
      expect([r.stdout.length, r.exitCode, r.stderr]).toEqual([1 << 20, 0, ""]);
    });
  });
}
