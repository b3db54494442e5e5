/**
 * Everything from the core, executed for real on the other platforms Bun ships that can run here:
 * arm64 Linux under qemu-aarch64 and Windows x64 under Wine, each with Bun's own build for it, as a
 * script and as an executable from `bun build --compile --target=...`. (macOS cannot run here; its
 * platform choice is unit-tested in test/platform.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { buildFlags } from "../scripts/build-flags.ts";
import { CLI_CASES, type CliCase, caseName, hostCases } from "./cli-cases.ts";
import { BIN, ROOT } from "./support/cli.ts";
import {
  type RunResult,
  compileExe,
  describeOnEmu,
  runArm64,
  runArm64Many,
  runWindows,
  runWindowsExe,
  tempDir,
} from "./support/emu.ts";
import { SEED } from "./support/random.ts";

const LIBRARY_CHECK = join(import.meta.dir, "fixtures", "library-check.ts");
const DIFF = join(import.meta.dir, "support", "differential.ts");
// The same flags as `bun run build`, so the cross-compiled executables are the shipped ones.
const { flags, entry: EXE_ENTRY } = buildFlags();
const BUILD_FLAGS = flags.filter((f) => f !== "--compile");
const tmp = tempDir("babyjit-platforms-");
afterAll(() => tmp.cleanup());

function expectCase(r: RunResult, c: CliCase) {
  expect({ stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode }).toEqual({ stdout: c.stdout, stderr: c.stderr ?? "", exitCode: c.exitCode });
}

function expectLibrary(r: RunResult, platform: string, target: { arch: string; abi: string }) {
  expect(r.stderr).toBe("");
  const report = JSON.parse(r.stdout);
  expect(report).toMatchObject({ platform, target, failures: [] });
  expect(report.liveBytes).toBeLessThanOrEqual(1 << 20);
  expect(r.exitCode).toBe(0);
}

const EXPRESSIONS = `expressions: 3,000 random ones and 1,000 spilling ones against the reference (seed ${SEED})`;

/** The expression differential on the emulated platform: random expressions, then forced spills. */
function expectExpressionsAgree(run: (args: string[], opts: { cwd: string }) => RunResult) {
  for (const [count, registers] of [["3000", []], ["1000", ["2"]]] as const) {
    const r = run([DIFF, "expr", String(SEED), count, ...registers], { cwd: ROOT });
    expect({ stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode }).toEqual({ stdout: `ok ${count}\n`, stderr: "", exitCode: 0 });
  }
}

const named = (cases: CliCase[]) => cases.map((c) => [caseName(c), c] as const);

describeOnEmu("arm64", "arm64 Linux under qemu-aarch64", () => {
  const cases = [...CLI_CASES, ...hostCases("arm64")];
  // About a second a run under qemu: run the table two at a time up front, then check each case.
  let fromSource: RunResult[] = [];
  let fromExe: RunResult[] = [];
  beforeAll(async () => {
    const exe = compileExe("arm64", EXE_ENTRY, join(tmp.path, "babyjit-arm64"), BUILD_FLAGS);
    const jobs = [...cases.map((c) => [null, [BIN, ...c.args]] as [null, string[]]), ...cases.map((c) => [exe, c.args] as [string, string[]])];
    const results = await runArm64Many(jobs, { cwd: ROOT });
    fromSource = results.slice(0, cases.length);
    fromExe = results.slice(cases.length);
  }, 900_000); // the table grew (issue 19's cases): 2 x ~110 runs under qemu outgrew the 240 s default on a loaded machine
  test.each(named(cases).map(([n, c], i) => [n, c, i] as const))("babyjit %s", (_n, c, i) => {
    const r = fromSource[i];
    if (r === undefined) throw new Error("no result");
    expectCase(r, c);
  });
  test.each(named(cases).map(([n, c], i) => [n, c, i] as const))("compiled with --target=bun-linux-arm64: babyjit %s", (_n, c, i) => {
    const r = fromExe[i];
    if (r === undefined) throw new Error("no result");
    expectCase(r, c);
  });

  test("the library contract", () => {
    expectLibrary(runArm64([LIBRARY_CHECK], { cwd: ROOT }), "linux-arm64", { arch: "arm64", abi: "aapcs64" });
  });

  test(EXPRESSIONS, () => expectExpressionsAgree(runArm64));

  test("--trace shows the instruction cache flush and r-xp", () => {
    const r = runArm64([BIN, "-4", "--trace"], { cwd: ROOT });
    expect(r.stdout).toBe("-3 -2 -1\n");
    expect(r.stderr).toMatch(/trace: wrote 12 bytes at 0x[0-9a-f]+: 69 00 80 12 00 00 09 0b c0 03 5f d6\n/);
    expect(r.stderr).toMatch(/trace: mprotect\(0x[0-9a-f]+, 4096, PROT_READ\|PROT_EXEC\); \/proc\/self\/maps: r-xp\ntrace: __clear_cache\(0x[0-9a-f]+, 8 bytes\): instruction cache flushed\ntrace: __clear_cache\(0x[0-9a-f]+, 12 bytes\): instruction cache flushed\n/);
  });

});

describeOnEmu("windows", "Windows x64 under Wine", () => {
  const cases = [...CLI_CASES, ...hostCases("x64-win64")];
  test.each(named(cases))("babyjit %s", (_n, c) => expectCase(runWindows([BIN, ...c.args], { cwd: ROOT }), c));

  test("the library contract", () => {
    expectLibrary(runWindows([LIBRARY_CHECK], { cwd: ROOT }), "win32-x64", { arch: "x64", abi: "win64" });
  });

  test(EXPRESSIONS, () => expectExpressionsAgree(runWindows));

  test("--trace shows VirtualAlloc → VirtualProtect with the protection VirtualQuery reports", () => {
    const r = runWindows([BIN, "-4", "--trace"], { cwd: ROOT });
    expect(r.stdout).toBe("-3 -2 -1\n");
    expect(r.stderr).toMatch(/trace: VirtualAlloc\(4096 bytes, PAGE_READWRITE\) = 0x[0-9a-f]+ for call trampolines and small functions; VirtualQuery: PAGE_READWRITE\n/);
    expect(r.stderr).toMatch(/trace: wrote 11 bytes at 0x[0-9a-f]+: 48 c7 c0 fc ff ff ff 48 01 c8 c3\n/);
    expect(r.stderr).toMatch(/VirtualProtect\(0x[0-9a-f]+, 4096, PAGE_EXECUTE_READ\); VirtualQuery: PAGE_EXECUTE_READ\n/);
    expect(r.stderr).toMatch(/trace: VirtualFree\(0x[0-9a-f]+, 4096\); VirtualQuery: unmapped\n/);
  });

  describe("compiled with --target=bun-windows-x64", () => {
    let exe = "";
    beforeAll(() => {
      exe = compileExe("windows", EXE_ENTRY, join(tmp.path, "babyjit-windows"), BUILD_FLAGS);
    });
    test.each(named(cases))("babyjit %s", (_n, c) => expectCase(runWindowsExe(exe, c.args), c));
  });
});
