/**
 * The functions chapter on every target we run: the same checks (test/fixtures/fn/emu-check.ts:
 * programs, errors, the stack limit on the main thread and in a Worker, the ABI check stub over a
 * seeded sample of generated modules, W^X) natively, on arm64 Linux under qemu, on Windows x64 under
 * Wine and on Windows on ARM64. Run under the emulator lock:
 *   flock /tmp/babyjit-emu.lock bun test --timeout 240000 test/fn-platforms.test.ts
 */
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { BIN, ROOT } from "./support/cli.ts";
import { type RunResult, describeOnEmu, runArm64, runWinArm64, runWindows } from "./support/emu.ts";

const CHECK = join(ROOT, "test", "fixtures", "fn", "emu-check.ts");

function expected(perms: string): string {
  return [
    "fib(25) = 75025",
    "gcd(1071, 462) = 21",
    "ackermann(2, 3) = 9",
    "isEven(10001) = 0, odd(9999) = 1",
    "loop(100000) = 216774731",
    "eight(1..8) = -36, callsEight(5) = -968",
    "divide(-2147483648, -1) = -2147483648, remainder(-2147483648, -1) = 0",
    "mathOps(-2147483648, 7) = -1879048135, spills(9) = 428",
    "divide(1, 0): E_DIV_ZERO programs.ts:71:13: division by zero in divide",
    "deep(1000000): E_STACK programs.ts:56:17: out of stack in deep: the calls went deeper than the stack limit",
    "deep(1000000) again: E_STACK programs.ts:56:17: out of stack in deep: the calls went deeper than the stack limit",
    "after: deep(5000) = 5000, fib(20) = 6765",
    "ABI check, 16 functions: every callee-saved register kept",
    `generated modules: ${SAMPLE}, mismatches: 0`,
    perms,
    "Worker: deep(1000000): E_STACK programs.ts:56:17: out of stack in deep: the calls went deeper than the stack limit; after: fib(20) = 6765",
    "",
  ].join("\n");
}

const SAMPLE = 25;
const env = { FN_SAMPLE: String(SAMPLE) };

/** The CLI on each target: a result, and an error's one line and exit code. */
const CLI: [string[], { stdout: string; stderr: string; exitCode: number }][] = [
  [["--fn", "docs/examples/fib.ts", "fib", "20"], { stdout: "6765\n", stderr: "", exitCode: 0 }],
  [["--fn", "docs/examples/fn-errors.ts", "down", "1000000"], { stdout: "", stderr: "babyjit: docs/examples/fn-errors.ts:7:17: out of stack in down: the calls went deeper than the stack limit\n", exitCode: 65 }],
  [["--fn", "docs/examples/fn-errors.ts", "ratio", "7", "0"], { stdout: "", stderr: "babyjit: docs/examples/fn-errors.ts:4:12: division by zero in ratio\n", exitCode: 65 }],
];

function expectCli(run: (args: string[]) => RunResult): void {
  for (const [args, want] of CLI) {
    const r = run([BIN, ...args]);
    expect([args.join(" "), { stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode }]).toEqual([args.join(" "), want]);
  }
}

function expectRun(r: RunResult, perms: string): void {
  expect({ stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode }).toEqual({ stdout: expected(perms), stderr: "", exitCode: 0 });
}

describe("natively", () => {
  test("babyjit --fn", () =>
    expectCli((args) => {
      const p = Bun.spawnSync([process.execPath, ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: "1" }, stdout: "pipe", stderr: "pipe" });
      return { stdout: p.stdout.toString(), stderr: p.stderr.toString(), rawStderr: "", exitCode: p.exitCode ?? -1, signal: null, timedOut: false, ms: 0 };
    }));
  test("the functions chapter's checks", () => {
    const p = Bun.spawnSync([process.execPath, CHECK], { cwd: ROOT, env: { ...process.env, ...env }, stdout: "pipe", stderr: "pipe" });
    const perms = process.platform === "linux" ? "code r-xp, state rw-p" : process.platform === "win32" ? "code PAGE_EXECUTE_READ, state PAGE_READWRITE" : "code ?, state ?";
    expectRun({ stdout: p.stdout.toString(), stderr: p.stderr.toString(), rawStderr: "", exitCode: p.exitCode ?? -1, signal: null, timedOut: false, ms: 0 }, perms);
  });
});

describeOnEmu("arm64", "arm64 Linux under qemu", () => {
  test("the functions chapter's checks", () => expectRun(runArm64([CHECK], { cwd: ROOT, env }), "code r-xp, state rw-p"));
  test("babyjit --fn", () => expectCli((args) => runArm64(args, { cwd: ROOT })));
});

describeOnEmu("windows", "Windows x64 under Wine", () => {
  test("the functions chapter's checks", () => expectRun(runWindows([CHECK], { cwd: ROOT, env }), "code PAGE_EXECUTE_READ, state PAGE_READWRITE"));
  test("babyjit --fn", () => expectCli((args) => runWindows(args, { cwd: ROOT })));
});

describeOnEmu("winarm64", "Windows on ARM64 (arm64 Wine under qemu)", () => {
  test("the functions chapter's checks", () => expectRun(runWinArm64([CHECK], { cwd: ROOT, env }), "code PAGE_EXECUTE_READ, state PAGE_READWRITE"));
  test("babyjit --fn", () => expectCli((args) => runWinArm64(args, { cwd: ROOT })));
});
