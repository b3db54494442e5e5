/**
 * `babyjit --bf FILE` as a user runs it: the real CLI (from source and as the compiled executable),
 * real pipes, exact stdout, stderr and exit codes.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { BIN, ROOT, buildExecutable, sh as shell } from "./support/cli.ts";

const F = (name: string) => join("test", "fixtures", "bf", name);
const linux = process.platform === "linux";

const sh = (command: string, stdin?: string) => shell(command, stdin === undefined ? {} : { stdin });

const HINT = "Try 'babyjit --help' for more information.\n";
type Case = [string, string, string | undefined, { stdout: string; stderr: string; exitCode: number }];
const CASES: Case[] = [
  ["hello world", `--bf ${F("hello.b")}`, undefined, { stdout: "Hello World!\n", stderr: "", exitCode: 0 }],
  ["cat", `--bf ${F("cat.b")}`, "one\ntwo\n", { stdout: "one\ntwo\n", stderr: "", exitCode: 0 }],
  ["unmatched [", `--bf ${F("open.b")}`, undefined, { stdout: "", stderr: `babyjit: ${F("open.b")}:2:2: unmatched '['\n`, exitCode: 65 }],
  ["unmatched ]", `--bf ${F("close.b")}`, undefined, { stdout: "", stderr: `babyjit: ${F("close.b")}:1:2: unmatched ']'\n`, exitCode: 65 }],
  ["left of cell 0: output first, then the error", `--bf ${F("left.b")}`, undefined, { stdout: "\x01", stderr: `babyjit: ${F("left.b")}:3:3: the pointer left the tape (cell -1)\n`, exitCode: 65 }],
  [
    "past the last cell, with the hint",
    `--bf ${F("right.b")} --tape 100`,
    undefined,
    { stdout: "", stderr: `babyjit: ${F("right.b")}:1:3: the pointer left the tape (cell 100, past the last cell 99); raise --tape (now 100 cells)\n`, exitCode: 65 },
  ],
  ["a missing file", "--bf test/fixtures/bf/missing.b", undefined, { stdout: "", stderr: "babyjit: test/fixtures/bf/missing.b: No such file or directory\n", exitCode: 66 }],
  ["a directory", "--bf test/fixtures/bf", undefined, { stdout: "", stderr: "babyjit: test/fixtures/bf: Is a directory\n", exitCode: 66 }],
  ["positional inputs", `--bf ${F("hello.b")} 1 2`, undefined, { stdout: "", stderr: `babyjit: --bf runs the program with stdin as its input; unexpected argument '1'\n${HINT}`, exitCode: 64 }],
  ["--tape 0", `--bf ${F("hello.b")} --tape 0`, undefined, { stdout: "", stderr: `babyjit: invalid --tape '0': expected a number of cells from 1 to 1073741824\n${HINT}`, exitCode: 64 }],
  ["--tape x", `--bf ${F("hello.b")} --tape=x`, undefined, { stdout: "", stderr: `babyjit: invalid --tape 'x': expected a number of cells from 1 to 1073741824\n${HINT}`, exitCode: 64 }],
  ["--eof 1", `--bf ${F("hello.b")} --eof 1`, undefined, { stdout: "", stderr: `babyjit: invalid --eof '1': expected 0, -1 or unchanged\n${HINT}`, exitCode: 64 }],
  ["--tape without --bf", "--tape 5 -4", undefined, { stdout: "", stderr: `babyjit: --tape is for Brainfuck programs: use it with --bf FILE\n${HINT}`, exitCode: 64 }],
  ["--eof=-1 stores 255", `--bf ${F("eof.b")} --eof=-1 --tape 16777216 | od -An -tx1`, "ab", { stdout: " 61 62 ff\n", stderr: "", exitCode: 0 }],
  ["--eof 0 stores 0", `--bf ${F("eof.b")} --eof 0 | od -An -tx1`, "ab", { stdout: " 61 62 00\n", stderr: "", exitCode: 0 }],
  // Issue 19: names a person can read, a byte-order mark that is not a column, the largest tape.
  ["an empty file name", "--bf ''", undefined, { stdout: "", stderr: "babyjit: '' (an empty file name): No such file or directory\n", exitCode: 66 }],
  ["control characters in a file name are escaped", "--bf $'x\\e[31m\\n'", undefined, { stdout: "", stderr: "babyjit: x\\e[31m\\n: No such file or directory\n", exitCode: 66 }],
  ["a UTF-8 byte-order mark is not a column", `--bf ${F("bom.b")}`, undefined, { stdout: "", stderr: `babyjit: ${F("bom.b")}:1:1: unmatched '['\n`, exitCode: 65 }],
  [
    "past the last cell of the largest tape: no hint to raise it",
    `--bf ${F("right.b")} --tape 1073741824`,
    undefined,
    { stdout: "", stderr: `babyjit: ${F("right.b")}:1:3: the pointer left the tape (cell 1073741824, past the last cell 1073741823); the tape is at its largest (1073741824 cells)\n`, exitCode: 65 },
  ],
  ...(linux
    ? ([
        // Files that never end are refused once they pass the limit, in a fraction of a second.
        ...["/dev/zero", "/dev/full", "/dev/urandom"].map((file) => [
          `${file} is too large a program`,
          `--bf ${file}`,
          undefined,
          { stdout: "", stderr: `babyjit: ${file}: a program may hold at most 256 MiB (268435456 bytes); this one holds more\n`, exitCode: 65 },
        ]),
        // setsid: a session with no controlling terminal, where opening /dev/tty fails with ENXIO.
        ["/dev/tty without a terminal", "--bf /dev/tty", undefined, { stdout: "", stderr: "babyjit: /dev/tty: No such device or address\n", exitCode: 66 }],
      ] as Case[])
    : []),
];

describe("babyjit --bf, from source", () => {
  test.each(CASES)("%s", (_name, args, stdin, want) => expect(sh(`${args.includes("/dev/tty") ? "setsid -w " : ""}$BJ ${args}`, stdin)).toEqual(want));
});

describe("babyjit --bf, the compiled executable", () => {
  beforeAll(() => buildExecutable(), 120_000);
  test.each(CASES)("%s", (_name, args, stdin, want) => expect(sh(`${args.includes("/dev/tty") ? "setsid -w " : ""}"$BJEXE" ${args}`, stdin)).toEqual(want));
});

describe("babyjit --bf and pipes", () => {
  test("1 MiB of output through a pipe, whole", () => {
    expect(sh(`$BJ --bf ${F("mebibyte.b")} | wc -c; echo "\${PIPESTATUS[0]}"`)).toEqual({ stdout: "1048576\n0\n", stderr: "", exitCode: 0 });
  });
  test("a reader that stops early: babyjit stops quietly", () => {
    expect(sh(`$BJ --bf ${F("yes.b")} | head -c 6; echo " \${PIPESTATUS[0]}"`)).toEqual({ stdout: "y\ny\ny\n 0\n", stderr: "", exitCode: 0 });
  });
  test.if(linux)("an output error other than a closed pipe is exit 74", () => {
    expect(sh(`$BJ --bf ${F("hello.b")} > /dev/full`)).toEqual({ stdout: "", stderr: "babyjit: cannot write the output: No space left on device\n", exitCode: 74 });
  });
  test("the prompt appears before babyjit waits for input", async () => {
    const p = Bun.spawn([process.execPath, BIN, "--bf", F("prompt.b")], { cwd: ROOT, stdin: "pipe", stdout: "pipe", stderr: "pipe" });
    const reader = p.stdout.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toBe("?"); // written while babyjit waits for stdin
    p.stdin.write("answer\n");
    await p.stdin.end();
    let rest = "";
    for (;;) {
      const chunk = await reader.read();
      if (chunk.done) break;
      rest += new TextDecoder().decode(chunk.value);
    }
    expect(rest).toBe("answer\n");
    expect(await p.exited).toBe(0);
  });
  test("--trace narrates the tape's and the code's mappings, protections and each flush", () => {
    const r = sh(`$BJ --bf ${F("hello.b")} --trace`);
    expect(r.stdout).toBe("Hello World!\n");
    expect(r.exitCode).toBe(0);
    if (linux) {
      expect(r.stderr).toMatch(/trace: mmap\(36864 bytes, PROT_READ\|PROT_WRITE\) = 0x[0-9a-f]+ for the tape \(30000 cells, and 1 zero cell beyond each end for scans to stop on\); \/proc\/self\/maps: rw-p\n/);
      expect(r.stderr).toMatch(/trace: mprotect\(0x[0-9a-f]+, 4096, PROT_READ\|PROT_EXEC\); \/proc\/self\/maps: r-xp\ntrace: flush: 13 bytes of output\n/);
      expect(r.stderr).toMatch(/trace: munmap\(0x[0-9a-f]+, 36864\); \/proc\/self\/maps: unmapped\n/);
    }
  });
  test("--dump and --listing for every target, from any host", () => {
    for (const target of ["--arch x64 --abi sysv", "--arch x64 --abi win64", "--arch arm64"]) {
      const dump = sh(`$BJ --bf ${F("hello.b")} --dump ${target}`);
      expect(dump.exitCode).toBe(0);
      expect(dump.stdout).toMatch(/^([0-9a-f]{2} )+[0-9a-f]{2}\n$/);
      const listing = sh(`$BJ --bf ${F("hello.b")} --listing ${target}`);
      expect(listing.stdout).toContain(target.includes("arm64") ? "// 1:1 ++++++++" : "# 1:1 ++++++++");
    }
  });
});

describe.if(linux)("babyjit --bf and files that are not files", () => {
  test("a Unix socket: strerror's words, exit 66", async () => {
    const { createServer } = await import("node:net");
    const { tmpdir } = await import("node:os");
    const path = join(tmpdir(), `babyjit-socket-${process.pid}`);
    const server = createServer().listen(path);
    await new Promise((resolve) => server.once("listening", resolve));
    try {
      expect(sh(`$BJ --bf ${path}`)).toEqual({ stdout: "", stderr: `babyjit: ${path}: No such device or address\n`, exitCode: 66 });
    } finally {
      server.close();
    }
  });
});
