/**
 * Windows on ARM64, executed for real: Bun's windows-aarch64 bun.exe under Debian's arm64 Wine, which
 * runs under qemu-aarch64 on this x86-64 host (.ci/setup-winarm64.sh, test/support/emu.ts). Both are
 * emulators: they check the calling convention, the Windows memory API and W^X as Wine enforces it,
 * not a real Snapdragon's caches (qemu has none to flush). Everything the other platforms run: the CLI
 * table from source and compiled with --target=bun-windows-arm64, the library contract, random
 * expressions against the reference, --trace.
 *
 * A run costs about a second of two cores' time (more on a loaded machine), so the runs that need no
 * stdin go in one batch, two at a time, in beforeAll, and the tests then check their results. The
 * whole table runs from source; the compiled executable runs a sample of it that takes every path
 * (each exit code, the fast and the citty argument paths, expressions, usage carets).
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildFlags } from "../scripts/build-flags.ts";
import { CLI_CASES, type CliCase, caseName } from "./cli-cases.ts";
import { BIN, ROOT } from "./support/cli.ts";
import { type RunResult, compileExe, describeOnEmu, runWinArm64, runWinArm64Many, tempDir, winPath, wineRetries } from "./support/emu.ts";
import { SEED } from "./support/random.ts";

const FIXTURES = join(import.meta.dir, "fixtures");
const LIBRARY_CHECK = join(FIXTURES, "library-check.ts");
const DIFF = join(import.meta.dir, "support", "differential.ts");
// The same flags as `bun run build`, so the cross-compiled executable is the shipped one.
const { flags, entry: EXE_ENTRY } = buildFlags();
const BUILD_FLAGS = flags.filter((f) => f !== "--compile");
const tmp = tempDir("babyjit-winarm64-");
afterAll(() => tmp.cleanup());

/** Small Brainfuck programs of our own, for the fourth chapter: output, input, and leaving the tape. */
const BF = {
  abc: ["++++++++[>++++++++<-]>+.+.+.[-]++++++++++.", "ABC\n"],
  cat: [",[.,]", ""],
  left: [">>+[<+]", ""],
} as const;
const bfFile = (name: keyof typeof BF) => join(tmp.path, `${name}.b`);
for (const [name, [source]] of Object.entries(BF)) writeFileSync(bfFile(name as keyof typeof BF), source);

const HINT = "Try 'babyjit --help' for more information.\n";

/** The cases whose text depends on the host: arm64 code by default, and x64 means Win64 on Windows. */
const HOST_CASES: readonly CliCase[] = [
  { args: ["-4", "--dump"], stdout: "69 00 80 12 00 00 09 0b c0 03 5f d6\n", exitCode: 0 },
  { args: ["-4", "--dump", "--arch", "x64"], stdout: "48 c7 c0 fc ff ff ff 48 01 c8 c3\n", exitCode: 0 },
  {
    args: ["-4", "--arch", "x64"],
    stdout: "",
    stderr: `babyjit: cannot run x64 (win64) code on this arm64 (aapcs64) host; use --dump or --listing to read code for another target\n${HINT}`,
    exitCode: 64,
  },
  { args: ["-e", "x / (x - 1)", "3", "-1", "1"], stdout: "", stderr: "babyjit: division by zero (x = 1)\n", exitCode: 65 },
];
const CASES = [...CLI_CASES, ...HOST_CASES];
const EXE_SAMPLE = new Set([
  "-4",
  "2147483647",
  "-- -4 -1",
  "-4 --dump",
  "-e x * x - 3 * x + 2",
  "-e -2147483648 / x -1 7",
  "-e 100 / x 5 0 1",
  "-e x + 1",
  "abc",
  "1 99999999999999999999",
  "--frobnicate",
  "-4 --arch x64",
  "-e x / (x - 1) 3 -1 1",
]);
const EXE_CASES = CASES.filter((c) => EXE_SAMPLE.has(caseName(c)));

const EXPRESSION_RUNS = [
  ["2000", []],
  ["1000", ["2"]],
] as const;

function expectCase(r: RunResult | undefined, c: CliCase) {
  if (r === undefined) throw new Error("no result: the batch in beforeAll did not run");
  expect({ stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode }).toEqual({ stdout: c.stdout, stderr: c.stderr ?? "", exitCode: c.exitCode });
}

describeOnEmu("winarm64", "Windows on ARM64 under arm64 Wine under qemu-aarch64", () => {
  let exe = "";
  const results = new Map<string, RunResult>();
  const result = (key: string): RunResult => {
    const r = results.get(key);
    if (r === undefined) throw new Error(`no result for ${key}: the batch in beforeAll did not run`);
    return r;
  };

  beforeAll(async () => {
    exe = compileExe("winarm64", EXE_ENTRY, join(tmp.path, "babyjit-winarm64"), BUILD_FLAGS);
    const jobs: [string, string | null, string[]][] = [
      ["smoke", null, [join(FIXTURES, "emu-winarm64.ts")]],
      ["library", null, [LIBRARY_CHECK]],
      ...EXPRESSION_RUNS.map(([count, registers]): [string, null, string[]] => [`expr ${count}`, null, [DIFF, "expr", String(SEED), count, ...registers]]),
      ["trace", null, [BIN, "-4", "--trace"]],
      ["trace expr", null, [BIN, "-e", "100 / x", "--trace", "4", "0"]],
      ["bf abc", null, [BIN, "--bf", bfFile("abc")]],
      ["bf left", null, [BIN, "--bf", bfFile("left")]],
      ["bf trace", null, [BIN, "--bf", bfFile("abc"), "--trace"]],
      ...CASES.map((c, i): [string, null, string[]] => [`source ${i}`, null, [BIN, ...c.args]]),
      ...EXE_CASES.map((c, i): [string, string, string[]] => [`exe ${i}`, exe, c.args]),
    ];
    const start = performance.now();
    const done = await runWinArm64Many(jobs.map(([, file, args]) => [file, args]), { cwd: ROOT });
    jobs.forEach(([key], i) => {
      const r = done[i];
      if (r !== undefined) results.set(key, r);
    });
    const seconds = (performance.now() - start) / 1000;
    const times = done.map((r) => r.ms).sort((a, b) => a - b);
    const median = ((times[Math.floor(times.length / 2)] ?? 0) / 1000).toFixed(2);
    console.log(`Windows on ARM64: ${jobs.length} runs, two at a time, in ${seconds.toFixed(1)} s (median run ${median} s)`);
    for (const retry of wineRetries) console.log(`Windows on ARM64: run again, ${retry}`);
  }, 900_000);

  test("bun.exe is win32 arm64; kernel32 reports ARM64, 4 KiB pages and x64's MEMORY_BASIC_INFORMATION layout", () => {
    const r = result("smoke");
    expect({ stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode }).toEqual({
      stdout: "win32 arm64\nprocessor_architecture=12 pagesize=4096\nmbi_size=48 state=0x1000 protect=0x4 type=0x20000\n",
      stderr: "",
      exitCode: 0,
    });
  });

  test("cwd is Z:\\..., argv, env, stdin, stderr and exit code pass through", () => {
    const r = runWinArm64([join(FIXTURES, "emu-conventions.ts"), "300", "a b"], { cwd: tmp.path, env: { BABYJIT_EMU_PROBE: "probe" }, stdin: "in\nput\n" });
    expect(JSON.parse(r.stdout)).toEqual({ cwd: winPath(tmp.path), argv: ["300", "a b"], env: "probe", stdin: "in\nput\n" });
    expect(r.stderr).toBe("to-stderr\n");
    expect(r.exitCode).toBe(300 & 0xff);
  });

  test.each(CASES.map((c, i) => [caseName(c), c, i] as const))("babyjit %s", (_n, c, i) => expectCase(results.get(`source ${i}`), c));

  test("the compiled executable's sample covers every exit code", () => {
    expect(EXE_CASES.length).toBe(EXE_SAMPLE.size);
    expect([...new Set(EXE_CASES.map((c) => c.exitCode))].sort()).toEqual([0, 64, 65]);
  });

  test.each(EXE_CASES.map((c, i) => [caseName(c), c, i] as const))("compiled with --target=bun-windows-arm64: babyjit %s", (_n, c, i) =>
    expectCase(results.get(`exe ${i}`), c),
  );

  test("the library contract", () => {
    const r = result("library");
    expect(r.stderr).toBe("");
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({ platform: "win32-arm64", target: { arch: "arm64", abi: "aapcs64" }, pageSize: 4096, maps: true, failures: [] });
    expect(report.liveBytes).toBeLessThanOrEqual(1 << 20);
    expect(r.exitCode).toBe(0);
  });

  test(`expressions: 2,000 random ones and 1,000 spilling ones against the reference (seed ${SEED})`, () => {
    for (const [count] of EXPRESSION_RUNS) {
      const r = result(`expr ${count}`);
      expect({ stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode }).toEqual({ stdout: `ok ${count}\n`, stderr: "", exitCode: 0 });
    }
  });

  test("--trace: VirtualAlloc → write → VirtualProtect → FlushInstructionCache for each write → calls → VirtualFree", () => {
    const r = result("trace");
    expect(r.stdout).toBe("-3 -2 -1\n");
    const hex = "0x[0-9a-f]+";
    const expected = [
      "trace: page size: 4096 bytes",
      `trace: VirtualAlloc\\(4096 bytes, PAGE_READWRITE\\) = (${hex}) for call trampolines and small functions; VirtualQuery: PAGE_READWRITE`,
      `trace: wrote 8 bytes at (${hex}): 10 00 79 9e 00 02 1f d6`,
      `trace: wrote 12 bytes at (${hex}): 69 00 80 12 00 00 09 0b c0 03 5f d6`,
      `trace: VirtualProtect\\(\\1, 4096, PAGE_EXECUTE_READ\\); VirtualQuery: PAGE_EXECUTE_READ`,
      "trace: FlushInstructionCache\\(\\2, 8 bytes\\): instruction cache flushed",
      "trace: FlushInstructionCache\\(\\3, 12 bytes\\): instruction cache flushed",
      "trace: call \\3\\(1\\) = -3",
      "trace: call \\3\\(2\\) = -2",
      "trace: call \\3\\(3\\) = -1",
      "trace: VirtualFree\\(\\1, 4096\\); VirtualQuery: unmapped",
      "",
    ];
    expect(r.stderr).toMatch(new RegExp(`^${expected.join("\n")}$`));
    expect(r.exitCode).toBe(0);
  });

  test("--trace with the division guard: the checked code runs, then exit 65 after VirtualFree", () => {
    const r = result("trace expr");
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/trace: call 0x[0-9a-f]+\(4\) = 25\n/);
    expect(r.stderr).toMatch(/trace: VirtualFree\(0x[0-9a-f]+, 4096\); VirtualQuery: unmapped\nbabyjit: division by zero \(x = 0\)\n$/);
    expect(r.exitCode).toBe(65);
  });

  test("Brainfuck: a program's output, and leaving the tape is reported with its place (exit 65)", () => {
    const abc = result("bf abc");
    expect({ stdout: abc.stdout, stderr: abc.stderr, exitCode: abc.exitCode }).toEqual({ stdout: BF.abc[1], stderr: "", exitCode: 0 });
    const left = result("bf left");
    expect({ stdout: left.stdout, stderr: left.stderr, exitCode: left.exitCode }).toEqual({
      stdout: "",
      stderr: `babyjit: ${bfFile("left")}:1:5: the pointer left the tape (cell -1)\n`,
      exitCode: 65,
    });
  });

  test.each(["trace", "trace expr", "bf trace"])("--trace (%s): every write of code is followed by FlushInstructionCache of exactly it, after VirtualProtect", (key) => {
    const lines = result(key).stderr.split("\n");
    const writes = lines.flatMap((line, i) => {
      const m = /^trace: wrote (\d+) bytes at (0x[0-9a-f]+): /.exec(line);
      return m === null ? [] : [{ i, size: m[1], address: m[2] }];
    });
    expect(writes.length).toBeGreaterThan(0);
    for (const w of writes) {
      const flush = lines.findIndex((line, j) => j > w.i && line === `trace: FlushInstructionCache(${w.address}, ${w.size} bytes): instruction cache flushed`);
      expect({ write: lines[w.i], flushed: flush > w.i }).toEqual({ write: lines[w.i], flushed: true });
      const protect = lines.findIndex((line, j) => j > w.i && line.startsWith("trace: VirtualProtect("));
      expect(protect).toBeGreaterThan(w.i);
      expect(protect).toBeLessThan(flush);
    }
  });

  test("Brainfuck: standard input through ',' (--eof 0 ends the copy)", () => {
    const r = runWinArm64([BIN, "--bf", bfFile("cat"), "--eof", "0"], { cwd: ROOT, stdin: "hello\nworld\n" });
    expect({ stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode }).toEqual({ stdout: "hello\nworld\n", stderr: "", exitCode: 0 });
  });
});
