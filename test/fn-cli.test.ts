/**
 * `babyjit --fn FILE NAME [ARGS...]` as a user runs it: the real CLI, exact stdout, stderr and exit
 * codes for every error of the chapter.
 */
import { describe, expect, test } from "bun:test";
import { BIN, ROOT } from "./support/cli.ts";

const F = "test/fixtures/fn/cli/";
const EXPORTED = "exported: fib, gcd, ratio, down, tick, viaHelper";

function babyjit(args: string): { stdout: string; stderr: string; exitCode: number } {
  const p = Bun.spawnSync(["bash", "-c", `"${process.execPath}" "${BIN}" ${args}`], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: "1" },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  return { stdout: p.stdout.toString(), stderr: p.stderr.toString(), exitCode: p.exitCode ?? -1 };
}

const ok = (stdout: string) => ({ stdout, stderr: "", exitCode: 0 });
const err = (stderr: string, exitCode: number) => ({ stdout: "", stderr: `babyjit: ${stderr}\n`, exitCode });

const CASES: [string, string, ReturnType<typeof ok>][] = [
  ["fib 30", `--fn ${F}fib.ts fib 30`, ok("832040\n")],
  ["gcd 84 36", `--fn ${F}fib.ts gcd 84 36`, ok("12\n")],
  ["a negative argument", `--fn ${F}fib.ts viaHelper -7`, ok("-6\n")],
  ["a void function prints nothing", `--fn ${F}fib.ts tick 5`, ok("")],
  ["division by zero names the function, line and column", `--fn ${F}fib.ts ratio 7 0`, err(`${F}fib.ts:14:12: division by zero in ratio`, 65)],
  ["out of stack names the function", `--fn ${F}fib.ts down 1000000`, err(`${F}fib.ts:17:17: out of stack in down: the calls went deeper than the stack limit`, 65)],
  ["a syntax error", `--fn ${F}syntax.txt f 1`, err(`${F}syntax.txt:2:13: expected an expression, found ';'`, 65)],
  ["a type error", `--fn ${F}type.txt f 1`, err(`${F}type.txt:2:13: strings are not supported (values are i32)`, 65)],
  ["a missing file", `--fn ${F}missing.ts f 1`, err(`${F}missing.ts: No such file or directory`, 66)],
  ["a directory", `--fn ${F} f 1`, err(`${F}: Is a directory`, 66)],
  ["a file that never ends", "--fn /dev/zero f 1", err("/dev/zero: a program may hold at most 256 MiB (268435456 bytes); this one holds more", 65)],
  ["an unknown function", `--fn ${F}fib.ts nope`, err(`${F}fib.ts has no function 'nope' (${EXPORTED})`, 64)],
  ["a function that is not exported", `--fn ${F}fib.ts helper 1`, err(`${F}fib.ts does not export 'helper' (${EXPORTED})`, 64)],
  ["no function named", `--fn ${F}fib.ts`, err(`--fn ${F}fib.ts needs the name of a function to call (${EXPORTED})`, 64)],
  ["too few arguments", `--fn ${F}fib.ts fib`, err(`${F}fib.ts: fib takes 1 argument, got 0`, 64)],
  ["too many arguments", `--fn ${F}fib.ts gcd 1 2 3`, err(`${F}fib.ts: gcd takes 2 arguments, got 3`, 64)],
  ["an argument out of range", `--fn ${F}fib.ts fib 2147483648`, err(`${F}fib.ts: argument 1 of fib '2147483648' is out of range: expected -2147483648..2147483647`, 64)],
  ["an argument that is no integer", `--fn ${F}fib.ts fib x`, err(`${F}fib.ts: invalid argument 1 of fib 'x': expected a decimal 32-bit integer (-2147483648..2147483647)`, 64)],
];

describe("babyjit --fn", () => {
  test.each(CASES)("%s", (_name, args, want) => {
    const got = babyjit(args);
    expect(got).toEqual(want);
  });

  test("--listing: every function, labelled by name, each group under its source line", () => {
    const r = babyjit(`--fn ${F}fib.ts fib 30 --listing`);
    expect(r.exitCode).toBe(0);
    const lines = r.stdout.split("\n");
    const marker = process.arch === "arm64" ? "//" : "#";
    for (const heading of ["export function fib (", "export function gcd (", "function helper (", "entry stub for fib", "unwind"]) {
      expect(lines.some((l) => l.startsWith(`${marker} `) && l.includes(heading))).toBe(true);
    }
    expect(r.stdout).toContain(`${marker} ${F}fib.ts:4: if (n < 2) return n;`);
    expect(r.stdout).toContain(`${marker} ${F}fib.ts:5: return fib(n - 1) + fib(n - 2);`);
  });

  test("--dump --arch arm64 and --abi win64 work from any machine", () => {
    const arm = babyjit(`--fn ${F}fib.ts --dump --arch arm64`);
    expect(arm.exitCode).toBe(0);
    expect(arm.stdout.startsWith("90 07 40 f9 ff 63 30 eb")).toBe(true); // ldr x16, [x28, #8]; cmp sp, x16: the stack check first
    expect(arm.stdout).toContain("fd 7b bf a9 fd 03 00 91"); // stp x29, x30, [sp, #-16]!; mov x29, sp: a frame record
    const win = babyjit(`--fn ${F}fib.ts --listing --abi win64`);
    expect(win.exitCode).toBe(0);
    expect(win.stdout).toContain("mov r15, rcx"); // the state block arrives in rcx on Win64
  });

  test("--trace narrates the mappings and the call", () => {
    const r = babyjit(`--fn ${F}fib.ts gcd 84 36 --trace`);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe("12\n");
    if (process.platform !== "linux") return;
    expect(r.stderr).toMatch(/trace: mmap\(4096 bytes, PROT_READ\|PROT_WRITE\) = 0x[0-9a-f]+ for the module's state block/);
    expect(r.stderr).toMatch(/trace: stack: each call from JavaScript may go down to max\(sp - \d+ KiB, 0x[0-9a-f]+\), the thread's stack bottom \+ 64 KiB\n/);
    expect(r.stderr).toMatch(/trace: call gcd\(84, 36\) at 0x[0-9a-f]+ = 12\n/);
    expect(r.stderr).toMatch(/trace: munmap\(/);
  });

  test("--fn with --expr is a usage error", () => {
    const r = babyjit(`--fn ${F}fib.ts fib 1 --expr x`);
    expect(r.exitCode).toBe(64);
    expect(r.stderr.split("\n")[0]).toBe("babyjit: --fn and --expr both name the program to compile: choose one");
  });
});
