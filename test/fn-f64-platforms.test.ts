/**
 * Doubles and typed arrays on every target we run (test/fixtures/fn/f64-emu-check.ts: every operator over pairs of edge
 * doubles, ToInt32 at random doubles, mixed calls, the ABI check stub), natively, on arm64 Linux under
 * qemu, on Windows x64 under Wine and on Windows on ARM64. Run under the emulator lock:
 *   flock /tmp/babyjit-emu.lock bun test --timeout 240000 test/fn-f64-platforms.test.ts
 */
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { ROOT } from "./support/cli.ts";
import { type RunResult, describeOnEmu, runArm64, runWinArm64, runWindows } from "./support/emu.ts";

const CHECK = join(ROOT, "test", "fixtures", "fn", "f64-emu-check.ts");
const EXPECTED = "f64: 7426 checks, mismatches: 0\nABI check, 42 functions: every callee-saved register kept\narrays: 29 checks, mismatches: 0\n";

function expectRun(r: RunResult): void {
  expect({ stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode }).toEqual({ stdout: EXPECTED, stderr: "", exitCode: 0 });
}

describe("natively", () => {
  test("the f64 checks", () => {
    const p = Bun.spawnSync([process.execPath, CHECK], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
    expect({ stdout: p.stdout.toString(), stderr: p.stderr.toString(), exitCode: p.exitCode }).toEqual({ stdout: EXPECTED, stderr: "", exitCode: 0 });
  });
});

describeOnEmu("arm64", "arm64 Linux under qemu", () => {
  test("the f64 checks", () => expectRun(runArm64([CHECK], { cwd: ROOT })));
});

describeOnEmu("windows", "Windows x64 under Wine", () => {
  test("the f64 checks", () => expectRun(runWindows([CHECK], { cwd: ROOT })));
});

describeOnEmu("winarm64", "Windows on ARM64 (arm64 Wine under qemu)", () => {
  test("the f64 checks", () => expectRun(runWinArm64([CHECK], { cwd: ROOT })));
});
