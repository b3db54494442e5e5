import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pkg from "../package.json" with { type: "json" };
import { hostOs } from "../src/jit.ts";
import { main } from "../src/main.ts";
import type { Io } from "../src/program.ts";
import { CLI_CASES, type CliCase, caseName, hostCases } from "./cli-cases.ts";
import { BIN, type Result, buildExecutable, run, runExe, runSource, sh as shell } from "./support/cli.ts";

const onLinuxX64 = process.platform === "linux" && process.arch === "x64";
const cases: CliCase[] = [...CLI_CASES, ...(onLinuxX64 ? hostCases("x64-sysv") : [])];

function expectCase(result: Result, c: CliCase) {
  expect({ stdout: result.stdout, stderr: result.stderr, exitCode: result.exitCode }).toEqual({
    stdout: c.stdout,
    stderr: c.stderr ?? "",
    exitCode: c.exitCode,
  });
}

describe("babyjit from source (bun bin/babyjit.js)", () => {
  test.each(cases.map((c) => [caseName(c), c] as const))("%s", (_name, c) => {
    expectCase(runSource(c.args), c);
  });

  test("--help prints usage on stdout and exits 0", () => {
    const r = runSource(["--help"]);
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toBe("");
    expect(r.stdout).toStartWith("JIT-compile a tiny function to machine code and call it (babyjit v");
    expect(r.stdout).toContain("USAGE babyjit [OPTIONS] [TERM] [INPUTS]");
    expect(r.stdout).toContain("--dump");
    expect(r.stdout).toContain("71 system call failed");
    expect(r.stdout).not.toContain("\x1b["); // piped: no colour
    expect(runSource(["-h"]).stdout).toBe(r.stdout);
  });

  test("--version prints the package version", () => {
    expect(runSource(["--version"])).toEqual({ stdout: `${pkg.version}\n`, stderr: "", exitCode: 0 });
  });

  test("--listing is exact, and plain when piped", () => {
    expect(runSource(["-4", "--listing"]).stdout).toBe(
      [
        "0000  48 c7 c0 fc ff ff ff  mov rax, -4   # rax = -4, the term (rax holds the result)",
        "0007  48 01 f8              add rax, rdi  # rdi holds the argument x (System V ABI)",
        "000a  c3                    ret           # return rax (read as int32 by the caller)",
        "",
      ].join("\n"),
    );
    expect(runSource(["-4", "--listing", "--color"]).stdout).toContain("\x1b[1mmov\x1b[0m rax, -4");
  });

  test.if(process.platform === "linux")("--trace narrates the article: mmap rw-p, write, mprotect r-xp, the calls, munmap", () => {
    const r = runSource(["-4", "--trace"]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe("-3 -2 -1\n");
    const lines = r.stderr.trimEnd().split("\n");
    const hex = "0x[0-9a-f]+";
    const expected = [
      `trace: page size: 4096 bytes`,
      `trace: mmap\\(4096 bytes, PROT_READ\\|PROT_WRITE\\) = (${hex}) for call trampolines and small functions; /proc/self/maps: rw-p`,
      `trace: wrote 7 bytes at ${hex}: f2 48 0f 2c c0 ff e0`,
      `trace: wrote 11 bytes at ${hex}: 48 c7 c0 fc ff ff ff 48 01 f8 c3`,
      `trace: mprotect\\(${hex}, 4096, PROT_READ\\|PROT_EXEC\\); /proc/self/maps: r-xp`,
      `trace: call ${hex}\\(1\\) = -3`,
      `trace: call ${hex}\\(2\\) = -2`,
      `trace: call ${hex}\\(3\\) = -1`,
      `trace: munmap\\(${hex}, 4096\\); /proc/self/maps: unmapped`,
    ];
    expect(lines.length).toBe(expected.length);
    lines.forEach((line, i) => expect(line).toMatch(new RegExp(`^${expected[i]}$`)));
  });

  test("under Node, a one-line message that Bun is needed, exit 69", () => {
    const r = run(["node", BIN, "-4"]);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^babyjit: needs Bun \(https:\/\/bun\.sh\), which has bun:ffi; it was started by node v[0-9.]+\. Try: bunx babyjit -4\n$/);
    expect(r.exitCode).toBe(69);
  });
});

describe("babyjit compiled with bun build --compile (dist/babyjit)", () => {
  beforeAll(() => buildExecutable());
  test.each(cases.map((c) => [caseName(c), c] as const))("%s", (_name, c) => {
    expectCase(runExe(c.args), c);
  });
  test("--version", () => {
    expect(runExe(["--version"]).stdout).toBe(`${pkg.version}\n`);
  });
});

// Every command's stdout, not only --bf's: a write that fails is exit 74 (EX_IOERR), as --help says.
describe.if(process.platform === "linux")("output errors", () => {
  beforeAll(() => buildExecutable());
  const tmp = mkdtempSync(join(tmpdir(), "babyjit-output-"));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  const sh = (command: string) => shell(command, { env: { TMPDIR_BJ: tmp } });
  const FULL = { stdout: "", stderr: "babyjit: cannot write the output: No space left on device\n", exitCode: 74 };
  const runs = [["bun bin/babyjit.js", "$BJ"], ["the compiled executable", '"$BJEXE"']] as const;
  test.each(runs.flatMap(([who, bj]) => ["-4", "--expr 'x * 2' 3", "--listing -4", "--dump -4", "--help", "--version"].map((args) => [who, args, bj] as const)))(
    "%s %s > /dev/full: exit 74",
    (_who, args, bj) => expect(sh(`${bj} ${args} > /dev/full`)).toEqual(FULL),
  );
  test.each(runs)("%s --bf FILE --listing > /dev/full: exit 74", (_who, bj) => {
    expect(sh(`printf '+.' > "$TMPDIR_BJ/p.b"; ${bj} --bf "$TMPDIR_BJ/p.b" --listing > /dev/full`)).toEqual(FULL);
  });
  // Bun.write appends NUL bytes before more than 1 KiB on a descriptor opened with O_APPEND
  // (oven-sh/bun#41685): --help (2 KB) goes through writeSync, results through Bun.write.
  test.each(runs.flatMap(([who, bj]) => ["--help", "-4", "--listing --expr 'x * x * x - 2 * x * x + 5 * x - 7 + x * 3'"].map((args) => [who, args, bj] as const)))(
    "%s %s >> a file: appended exactly after what was there",
    (_who, args, bj) => {
      const alone = sh(`${bj} ${args}`).stdout;
      const r = sh(`f="$TMPDIR_BJ/log-$RANDOM"; echo first > "$f"; ${bj} ${args} >> "$f"; echo "exit $?" >> "$f"; cat "$f"`);
      expect(r).toEqual({ stdout: `first\n${alone}exit 0\n`, stderr: "", exitCode: 0 });
    },
  );
  test.each(runs)("%s: a slow reader gets all of a 100 KB listing", (_who, bj) => {
    const expr = Array.from({ length: 400 }, (_, i) => `x * ${i + 1}`).join(" + ");
    const alone = sh(`${bj} --listing --expr '${expr}'`).stdout;
    expect(alone.length).toBeGreaterThan(20_000);
    expect(sh(`${bj} --listing --expr '${expr}' | (sleep 0.3; cat)`)).toEqual({ stdout: alone, stderr: "", exitCode: 0 });
  });
  test.each(runs)("%s: a reader that has gone (a closed pipe) ends the output quietly, exit 0", (_who, bj) => {
    // `true` exits at once; babyjit starts writing only after it has, so the write meets a closed pipe.
    expect(sh(`(sleep 0.2; ${bj} --listing -4; echo "exit $?" >&2) | true`)).toEqual({ stdout: "", stderr: "exit 0\n", exitCode: 0 });
  });
});

describe("system call failures exit 71 (EX_OSERR) like err(EX_OSERR, \"mmap\")", () => {
  function capture(): Io & { text: () => { out: string; err: string } } {
    let out = "";
    let err = "";
    return {
      out: (t) => void (out += `${t}\n`),
      err: (t) => void (err += `${t}\n`),
      color: false,
      text: () => ({ out, err }),
    };
  }
  // The real OS layer, asked for an impossible mapping: the kernel itself refuses with ENOMEM.
  const impossibleMmap = () => ({ ...hostOs(), map: () => hostOs().map(2 ** 47) });

  test.if(process.platform === "linux")("mmap: Cannot allocate memory", async () => {
    const io = capture();
    expect(await main(["-4"], io, impossibleMmap())).toBe(71);
    expect(io.text()).toEqual({ out: "", err: "babyjit: mmap: Cannot allocate memory\n" });
  });

  test.if(process.platform === "linux")("mprotect: Invalid argument (through the citty path too)", async () => {
    const os = hostOs();
    const io = capture();
    const misaligned = { ...os, protect: (a: number, s: number, p: "rw" | "rx") => os.protect(a + 1, s, p) };
    expect(await main(["-4", "--trace"], io, misaligned)).toBe(71);
    const { out, err } = io.text();
    expect(out).toBe("");
    expect(err.trimEnd().split("\n").at(-1)).toBe("babyjit: mprotect: Invalid argument");
  });
});

describe("a platform babyjit does not support", () => {
  // A test-only preload makes Bun report another OS; the shipped CLI has no switch for this.
  test.each([
    ["freebsd", "x64"],
    ["linux", "riscv64"],
  ])("%s-%s: a clear message and exit 69, never wrong code", (platform, arch) => {
    const preload = `${import.meta.dir}/fixtures/fake-platform.ts`;
    const r = run([process.execPath, "--preload", preload, BIN, "-4"], { ...process.env, FAKE_PLATFORM: platform, FAKE_ARCH: arch });
    expect(r).toEqual({
      stdout: "",
      stderr: `babyjit: ${platform}-${arch} is not supported: babyjit generates code for linux-x64, linux-arm64, darwin-x64, darwin-arm64, win32-x64, win32-arm64\n`,
      exitCode: 69,
    });
    // Reading code for a real target still works there: nothing touches the host's memory.
    const dump = run([process.execPath, "--preload", preload, BIN, "-4", "--dump", "--arch", "x64"], { ...process.env, FAKE_PLATFORM: platform, FAKE_ARCH: arch });
    expect(dump.stdout).toBe("48 c7 c0 fc ff ff ff 48 01 f8 c3\n");
  });
});

// Issue 19: Bun drops a `--` right after the script's name, so through bin/babyjit.js `babyjit -- 5 -- 6`
// printed 11 and `babyjit -- -- 1` printed 2 3 4, while the compiled executable said 64. The same
// arguments must mean the same through every entry (the installed package: test/package.test.ts).
describe.if(process.platform === "linux")("the first `--` means the same through every entry", () => {
  beforeAll(() => buildExecutable());
  const HINT = "Try 'babyjit --help' for more information.\n";
  const RANGE = "expected a decimal 32-bit integer (-2147483648..2147483647)";
  const cases = [
    [["--", "5", "--", "6"], { stdout: "", stderr: `babyjit: invalid input '--': ${RANGE}\n${HINT}`, exitCode: 64 }],
    [["--", "--", "1"], { stdout: "", stderr: `babyjit: invalid term '--': ${RANGE}\n${HINT}`, exitCode: 64 }],
    [["--", "--listing", "1"], { stdout: "", stderr: `babyjit: invalid term '--listing': ${RANGE}\n${HINT}`, exitCode: 64 }],
    [["--", "-4", "1"], { stdout: "-3\n", stderr: "", exitCode: 0 }],
    [["5", "--", "6"], { stdout: "11\n", stderr: "", exitCode: 0 }],
  ] as const;
  test.each(cases.flatMap(([args, want]) => [["bun bin/babyjit.js", args, want], ["the compiled executable", args, want]] as const))("%s %p", (who, args, want) => {
    expect(who === "bun bin/babyjit.js" ? runSource([...args]) : runExe([...args])).toEqual(want);
  });
});

// Issue 19: resource limits give one line with the cause and a sysexits code, not Bun's messages.
describe.if(process.platform === "linux")("resource limits", () => {
  beforeAll(() => buildExecutable());
  const limited = (limit: string, command: string) => shell(`${limit}; ${command}`);
  test.each(["$BJ", '"$BJEXE"'])("ulimit -v 2000000, %s 1: the JIT is off, said in one line, exit 69", (bj) => {
    expect(limited("ulimit -v 2000000", `${bj} 1`)).toEqual({
      stdout: "",
      stderr: "babyjit: bun:ffi is unavailable: JavaScriptCore's JIT is off, most likely because it could not reserve address space (is `ulimit -v` set?)\n",
      exitCode: 69,
    });
  });
  test("ulimit -n 7, the source bin with --expr: the command-line parser cannot be loaded, exit 71", () => {
    const r = limited("ulimit -n 7", "$BJ --expr x 1");
    // Bun's resolver also logs the files it could not open; babyjit's own line comes first.
    expect([r.stdout, r.stderr.split("\n")[0], r.exitCode]).toEqual(["", "babyjit: cannot load the command-line parser: Too many open files (ulimit -n)", 71]);
  });
  test("ulimit -n 8 is enough for --expr and --bf from source", () => {
    expect(limited("ulimit -n 8", "$BJ --expr 'x * 2' 21 && $BJ --bf test/fixtures/bf/hello.b")).toEqual({ stdout: "42\nHello World!\n", stderr: "", exitCode: 0 });
  });
});
