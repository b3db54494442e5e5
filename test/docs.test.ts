/**
 * The book's examples, executed: README.md and every docs/*.md page.
 *
 * What counts as an example, and how it is checked:
 * - An example lives in a fenced code block (``` or ~~~). A line starting with "$ " is a command; the
 *   lines after it, up to the next "$ " line or the end of the block, are what it prints: stdout and
 *   stderr together, in the order printed (the command runs with 2>&1).
 * - If the last of those lines is "[exit N]", N is the expected exit status; without it the command must
 *   exit 0. So an example of an error always shows its code.
 * - The command line runs in bash, in the repository root (file arguments are relative to it), with
 *   stdin from /dev/null (give input with `<`, `<<<` or a pipe), and `babyjit` defined as a shell
 *   function that runs `bun bin/babyjit.js` with this test's Bun, as the installed `babyjit` would.
 * - Every "$ " command must call babyjit; a command that is not an example is written without the
 *   "$ " prompt (the quick start's `npx ...` lines, for instance).
 * - Output compares exactly, except that spaces at the end of a line and blank lines at the end are
 *   ignored (editors strip them, and a code block cannot show a final newline).
 * - A command with --trace compares each address (0x followed by 4 or more hex digits) by its offset in
 *   its page, the last three hex digits: 0x7f73de700050 matches 0x55d1c2a3b050 but not 0x7f73de700010.
 *   Where the kernel puts the page changes every run; where babyjit puts code on it does not.
 * - An example must finish within 20 seconds.
 * - Examples whose command has --bf (chapter 3) are counted apart: the book needs at least 15 others,
 *   and chapter 3 at least 10 of its own.
 * - Chapter 3's IR listings are checked too. In any fenced block, a line "bun docs/examples/ir.ts ARGS"
 *   (no prompt: it is not a babyjit command) is run with this test's Bun, in the repository root; the
 *   lines after it, up to the next such line or the end of the block, blank lines at the end dropped,
 *   are what it prints. A last line "..." means the page shows only the start of the output.
 *
 * The same file checks the rest of what the pages claim: docs/reading-order.md's line counts (within
 * ±15% of `wc -l`; `BABYJIT_UPDATE_DOCS=1 bun test test/docs.test.ts` writes the current ones into the
 * page), relative links and their #anchors, the README's size and quick start against .ci/run, and
 * where the words a learner looks for appear.
 *
 * The examples show this machine's output (x86-64 Linux, System V); on any other host this file skips.
 */
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const ROOT = join(import.meta.dir, "..");
const BIN = join(ROOT, "bin", "babyjit.js");
const onLinuxX64 = process.platform === "linux" && process.arch === "x64";

export interface Example {
  /** Page, relative to the repository root. */
  readonly page: string;
  /** 1-based line of the "$ " command. */
  readonly line: number;
  readonly command: string;
  /** The lines shown after the command, "[exit N]" removed. */
  readonly output: readonly string[];
  /** The exit status shown, or 0. */
  readonly exitCode: number;
}

const FENCE = /^\s*(```|~~~)/;
const EXIT_LINE = /^\[exit (\d+)\]$/;

/** The examples of one page's markdown text. */
export function extractExamples(page: string, markdown: string): Example[] {
  const lines = markdown.split("\n");
  const examples: Example[] = [];
  let fence: string | undefined;
  let current: { line: number; command: string; output: string[] } | undefined;
  const finish = () => {
    if (current === undefined) return;
    const output = [...current.output];
    while (output.length > 0 && output[output.length - 1]?.trim() === "") output.pop();
    const exit = EXIT_LINE.exec(output[output.length - 1] ?? "");
    if (exit !== null) output.pop();
    examples.push({ page, line: current.line, command: current.command, output, exitCode: exit === null ? 0 : Number(exit[1]) });
    current = undefined;
  };
  let indent = 0; // a fence indented in a list item: its lines are indented as much
  lines.forEach((raw, i) => {
    const marker = FENCE.exec(raw)?.[1];
    if (fence === undefined) {
      if (marker !== undefined) {
        fence = marker;
        indent = raw.length - raw.trimStart().length;
      }
      return;
    }
    if (marker === fence && raw.trim() === marker) {
      finish();
      fence = undefined;
      return;
    }
    const text = raw.slice(Math.min(indent, raw.length - raw.trimStart().length));
    if (text.startsWith("$ ")) {
      finish();
      current = { line: i + 1, command: text.slice(2), output: [] };
    } else {
      current?.output.push(text);
    }
  });
  finish();
  return examples;
}

/** `babyjit` as a command word: at the start, or after a pipe, `;`, `&&`, `||` or `(`. */
const CALLS_BABYJIT = /(^|[|;&(]\s*)babyjit(\s|$)/;

const ADDRESS = /0x[0-9a-f]{4,}/g;
/** --trace output: addresses by their page offset (see the top of this file). */
const maskAddresses = (text: string) => text.replace(ADDRESS, (a) => `0x…${a.slice(-3)}`);

function normalize(lines: readonly string[], trace: boolean): string {
  const out = lines.map((l) => l.replace(/[ \t]+$/, ""));
  while (out.length > 0 && out[out.length - 1] === "") out.pop();
  const text = out.join("\n");
  return trace ? maskAddresses(text) : text;
}

/** An example that runs longer than this fails (a Brainfuck program waiting forever, say). */
const EXAMPLE_TIMEOUT_S = 20;

export interface Ran {
  readonly output: string;
  readonly exitCode: number;
}

/** Run one command line as the top of this file says: bash, repository root, 2>&1, babyjit = bun bin/babyjit.js. */
export function runCommand(command: string, limitSeconds = EXAMPLE_TIMEOUT_S): Ran {
  const script = [`babyjit() { "$BABYJIT_BUN" "$BABYJIT_BIN" "$@"; }`, "exec 2>&1", command, ""].join("\n");
  const env: Record<string, string | undefined> = { ...process.env, BABYJIT_BUN: process.execPath, BABYJIT_BIN: BIN };
  delete env.FORCE_COLOR;
  // coreutils timeout signals the whole process group it leads, so nothing the example started outlives it.
  const limit = ["timeout", "--kill-after=2", String(limitSeconds)];
  const p = Bun.spawnSync([...limit, "bash", "-c", script], { cwd: ROOT, env, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const output = p.stdout.toString() + p.stderr.toString();
  if (p.exitCode === 124 || p.exitCode === 137) return { output: `${output}\n[did not finish within ${limitSeconds} s]`, exitCode: -1 };
  if (p.exitCode !== null) return { output, exitCode: p.exitCode };
  return { output: `${output}\n[killed by ${p.signalCode}]`, exitCode: -1 };
}

/** undefined if the example shows what the command does; otherwise what differs. */
export function checkExample(example: Example, run: (command: string) => Ran = runCommand): string | undefined {
  if (!CALLS_BABYJIT.test(example.command)) {
    return `"$ ${example.command}" does not call babyjit: every "$ " line is run, so write other commands without the prompt`;
  }
  const trace = example.command.includes("--trace");
  const ran = run(example.command);
  const actual = normalize(ran.output.split("\n"), trace);
  const expected = normalize(example.output, trace);
  const problems: string[] = [];
  if (actual !== expected) problems.push(`the page shows:\n${expected}\n--- babyjit prints:\n${actual}`);
  if (ran.exitCode !== example.exitCode) {
    problems.push(`exit status ${ran.exitCode}, the page shows ${example.exitCode === 0 ? "none (so 0)" : `[exit ${example.exitCode}]`}`);
  }
  return problems.length === 0 ? undefined : `${example.page}:${example.line}: $ ${example.command}\n${problems.join("\n")}`;
}

function pages(): string[] {
  const docs = existsSync(join(ROOT, "docs")) ? readdirSync(join(ROOT, "docs")).filter((f) => f.endsWith(".md")).sort() : [];
  return ["README.md", ...docs.map((f) => `docs/${f}`)];
}

const read = (page: string) => readFileSync(join(ROOT, page), "utf8");
const isBrainfuck = (e: Example) => /(^|\s)--bf(\s|=|$)/.test(e.command);

describe.skipIf(!onLinuxX64)("docs: the checker checks", () => {
  const page = [
    "Some prose.",
    "",
    "```console",
    "$ babyjit -4",
    "-3 -2 -1",
    "$ babyjit abc",
    "babyjit: invalid term 'abc': expected a decimal 32-bit integer (-2147483648..2147483647)",
    "Try 'babyjit --help' for more information.",
    "[exit 64]",
    "```",
    "",
    "```",
    "$ babyjit 2",
    "3 4 6",
    "```",
    "",
    "- In a list item:",
    "",
    "  ```console",
    "  $ babyjit 1 5",
    "  6",
    "  ```",
  ].join("\n");

  test("it finds the examples, their output and exit codes", () => {
    const found = extractExamples("self-test.md", page);
    expect(found.map((e) => [e.line, e.command, e.output.length, e.exitCode])).toEqual([
      [4, "babyjit -4", 1, 0],
      [6, "babyjit abc", 2, 64],
      [13, "babyjit 2", 1, 0],
      [20, "babyjit 1 5", 1, 0],
    ]);
    expect(found[3]?.output).toEqual(["6"]);
  });

  test("true examples pass; a deliberately wrong one fails, naming what babyjit printed", () => {
    const [right, error, wrong] = extractExamples("self-test.md", page);
    expect(right && checkExample(right)).toBeUndefined();
    expect(error && checkExample(error)).toBeUndefined();
    const problem = wrong && checkExample(wrong);
    expect(problem).toContain("self-test.md:13: $ babyjit 2");
    expect(problem).toContain("3 4 6");
    expect(problem).toContain("--- babyjit prints:\n3 4 5");
  });

  test("a wrong or missing exit status fails", () => {
    const shown = { page: "self-test.md", line: 1, command: "babyjit", exitCode: 0 };
    const usage = [
      "babyjit: missing <term>: expected a decimal 32-bit integer, or --expr <expression>",
      "Try 'babyjit --help' for more information.",
    ];
    expect(checkExample({ ...shown, output: usage, exitCode: 64 })).toBeUndefined();
    expect(checkExample({ ...shown, output: usage })).toContain("exit status 64, the page shows none (so 0)");
    expect(checkExample({ ...shown, output: usage, exitCode: 65 })).toContain("exit status 64, the page shows [exit 65]");
  });

  test("stderr counts: an example that leaves out the second line of a usage error fails", () => {
    const example = { page: "self-test.md", line: 1, command: "babyjit 0x10", exitCode: 64 };
    const output = ["babyjit: invalid term '0x10': expected a decimal 32-bit integer (-2147483648..2147483647)"];
    expect(checkExample({ ...example, output })).toContain("Try 'babyjit --help'");
  });

  test("--trace: another page base passes, another offset in the page fails", () => {
    const traced = runCommand("babyjit -4 --trace");
    expect(traced.exitCode).toBe(0);
    const lines = traced.output.split("\n");
    const example = { page: "self-test.md", line: 1, command: "babyjit -4 --trace", exitCode: 0 };
    const otherBase = lines.map((l) => l.replace(ADDRESS, (a) => `0x55d1c2a3b${a.slice(-3)}`));
    expect(checkExample({ ...example, output: otherBase })).toBeUndefined();
    // The calls as if the function sat 16 bytes further on in its page.
    const moved = (a: string) => `${a.slice(0, -3)}${((parseInt(a.slice(-3), 16) + 0x10) & 0xfff).toString(16).padStart(3, "0")}`;
    const otherOffset = lines.map((l) => (l.startsWith("trace: call ") ? l.replace(ADDRESS, moved) : l));
    expect(otherOffset).not.toEqual(lines);
    expect(checkExample({ ...example, output: otherOffset })).toContain("--- babyjit prints:");
  });

  test("a '$ ' line that does not call babyjit is refused, not run", () => {
    let ran = false;
    const problem = checkExample({ page: "p.md", line: 1, command: "echo -3 -2 -1", output: ["-3 -2 -1"], exitCode: 0 }, () => {
      ran = true;
      return { output: "", exitCode: 0 };
    });
    expect(problem).toContain("does not call babyjit");
    expect(ran).toBe(false);
  });

  test("commands run in the repository root, with stdin from /dev/null unless the command gives some", () => {
    expect(runCommand("babyjit -4 --dump > /dev/null; cat package.json | head -c 1")).toEqual({ output: "{", exitCode: 0 });
    expect(runCommand("babyjit 1 >/dev/null; wc -c").output.trim()).toBe("0");
    expect(runCommand("babyjit 1 >/dev/null; wc -c <<< 'abc'").output.trim()).toBe("4");
  });
  test("a command that does not finish in time fails, and leaves nothing running", () => {
    const ran = runCommand("babyjit 1; sleep 30", 1);
    expect(ran).toEqual({ output: "2 3 4\n\n[did not finish within 1 s]", exitCode: -1 });
  });
});

describe.skipIf(!onLinuxX64)("docs: every example prints what its page shows", () => {
  const all = pages().flatMap((page) => extractExamples(page, read(page)));

  test("there are at least 15 examples besides Brainfuck ones", () => {
    expect(all.filter((e) => !isBrainfuck(e)).length).toBeGreaterThanOrEqual(15);
  });

  test("chapter 3 has at least 10 Brainfuck examples", () => {
    expect(all.filter((e) => e.page === "docs/03-brainfuck.md" && isBrainfuck(e)).length).toBeGreaterThanOrEqual(10);
  });

  for (const page of pages()) {
    const examples = all.filter((e) => e.page === page);
    if (examples.length === 0) continue;
    describe(page, () => {
      test.each(examples.map((e) => [`line ${e.line}: $ ${e.command}`, e] as const))("%s", (_name, example) => {
        const problem = checkExample(example);
        if (problem !== undefined) throw new Error(problem);
      });
    });
  }
});

// ---------------------------------------------------------------------------------------------------
// Chapter 3's IR listings: `bun docs/examples/ir.ts ARGS` lines and what they print.

const IR_COMMAND = /^bun (docs\/examples\/ir\.ts(\s.*)?)$/;

export interface IrExample {
  readonly page: string;
  readonly line: number;
  /** The command line after "bun ". */
  readonly command: string;
  readonly output: readonly string[];
  /** The page ends the output with "...": compare only the lines shown. */
  readonly prefix: boolean;
}

export function extractIrExamples(page: string, markdown: string): IrExample[] {
  const found: IrExample[] = [];
  let fenced = false;
  let current: { line: number; command: string; output: string[] } | undefined;
  const finish = () => {
    if (current === undefined) return;
    const output = [...current.output];
    while (output.length > 0 && output[output.length - 1]?.trim() === "") output.pop();
    const prefix = output[output.length - 1] === "...";
    if (prefix) output.pop();
    found.push({ page, line: current.line, command: current.command, output, prefix });
    current = undefined;
  };
  markdown.split("\n").forEach((raw, i) => {
    if (FENCE.test(raw)) {
      finish();
      fenced = !fenced;
      return;
    }
    if (!fenced) return;
    const m = IR_COMMAND.exec(raw);
    if (m?.[1] !== undefined) {
      finish();
      current = { line: i + 1, command: m[1], output: [] };
    } else current?.output.push(raw);
  });
  finish();
  return found;
}

export function checkIrExample(example: IrExample): string | undefined {
  const script = [`"$BABYJIT_BUN" ${example.command}`, ""].join("\n");
  const env: Record<string, string | undefined> = { ...process.env, BABYJIT_BUN: process.execPath };
  const p = Bun.spawnSync(["timeout", "--kill-after=2", String(EXAMPLE_TIMEOUT_S), "bash", "-c", script], { cwd: ROOT, env, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const printed = (p.stdout.toString() + p.stderr.toString()).split("\n");
  const actual = normalize(example.prefix ? printed.slice(0, example.output.length) : printed, false);
  const expected = normalize(example.output, false);
  const problems: string[] = [];
  if (actual !== expected) problems.push(`the page shows:\n${expected}${example.prefix ? "\n..." : ""}\n--- it prints:\n${normalize(printed, false)}`);
  if (p.exitCode !== 0) problems.push(`exit status ${p.exitCode}`);
  return problems.length === 0 ? undefined : `${example.page}:${example.line}: bun ${example.command}\n${problems.join("\n")}`;
}

describe("docs: chapter 3's IR listings are what docs/examples/ir.ts prints", () => {
  test("the extractor finds commands, output and a trailing ...", () => {
    const page = ["```text", "bun docs/examples/ir.ts '+'", "add  [0] 1", "", "bun docs/examples/ir.ts '+.' none", "add  [0] 1", "...", "```"].join("\n");
    const found = extractIrExamples("p.md", page);
    expect(found.map((e) => [e.line, e.command, e.output, e.prefix])).toEqual([
      [2, "docs/examples/ir.ts '+'", ["add  [0] 1"], false],
      [5, "docs/examples/ir.ts '+.' none", ["add  [0] 1"], true],
    ]);
    expect(checkIrExample({ page: "p.md", line: 1, command: "docs/examples/ir.ts '+-+' none", output: ["add  [0] 2"], prefix: false })).toContain("--- it prints:\nadd  [0] 1");
  });

  const examples = extractIrExamples("docs/03-brainfuck.md", read("docs/03-brainfuck.md"));
  test("there are some", () => expect(examples.length).toBeGreaterThanOrEqual(8));
  test.each(examples.map((e) => [`line ${e.line}: bun ${e.command}`, e] as const))("%s", (_name, example) => {
    const problem = checkIrExample(example);
    if (problem !== undefined) throw new Error(problem);
  });
});

// ---------------------------------------------------------------------------------------------------
// What else the pages claim.

/** The anchors GitHub gives a page's headings: lower case, punctuation dropped, spaces as hyphens. */
function anchors(markdown: string): Set<string> {
  const out = new Set<string>();
  let fenced = false;
  for (const line of markdown.split("\n")) {
    if (FENCE.test(line)) fenced = !fenced;
    const heading = fenced ? null : /^#{1,6}\s+(.*)$/.exec(line);
    if (heading?.[1] === undefined) continue;
    const slug = heading[1].trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, "").replace(/\s/g, "-");
    let unique = slug;
    for (let n = 1; out.has(unique); n++) unique = `${slug}-${n}`;
    out.add(unique);
  }
  return out;
}

const countLines = (path: string) => (readFileSync(join(ROOT, path), "utf8").match(/\n/g) ?? []).length;

/** A row of docs/reading-order.md: `| n | [`path`](…) | lines | … |`. */
const ROW = /^(\|\s*\d+\s*\|\s*\[`([^`]+)`\]\([^)]*\)\s*\|\s*)(\d+)(\s*\|.*)$/;

function readingOrder(): { path: string; lines: number }[] {
  const rows: { path: string; lines: number }[] = [];
  for (const line of read("docs/reading-order.md").split("\n")) {
    const m = ROW.exec(line);
    if (m?.[2] !== undefined) rows.push({ path: m[2], lines: Number(m[3]) });
  }
  return rows;
}

/** BABYJIT_UPDATE_DOCS=1: write the current `wc -l` counts into docs/reading-order.md. */
function updateReadingOrder(): void {
  const page = join(ROOT, "docs", "reading-order.md");
  const text = readFileSync(page, "utf8")
    .split("\n")
    .map((line) => {
      const m = ROW.exec(line);
      if (m?.[2] === undefined || !existsSync(join(ROOT, m[2]))) return line;
      return `${m[1]}${countLines(m[2])}${m[4]}`;
    })
    .join("\n");
  writeFileSync(page, text);
}

describe("docs: the pages' other claims", () => {
  test("docs/reading-order.md lists files that exist, with line counts within ±15% of wc -l", () => {
    if (process.env.BABYJIT_UPDATE_DOCS === "1") updateReadingOrder();
    const rows = readingOrder();
    expect(rows.length).toBeGreaterThan(10);
    const missing = rows.filter((r) => !existsSync(join(ROOT, r.path))).map((r) => r.path);
    expect(missing).toEqual([]);
    const stale = rows.filter((r) => Math.abs(countLines(r.path) - r.lines) > 0.15 * countLines(r.path));
    const current = stale.map((r) => `${r.path}: the page says ${r.lines}, wc -l says ${countLines(r.path)}`);
    if (current.length > 0) current.push("to write the current counts: BABYJIT_UPDATE_DOCS=1 bun test test/docs.test.ts");
    expect(current).toEqual([]);
  });

  test("relative links point at files that exist, and #anchors at headings of the page they name", () => {
    const broken: string[] = [];
    for (const page of pages()) {
      for (const m of read(page).matchAll(/\]\(([^)\s]+)\)/g)) {
        const link = m[1] ?? "";
        if (/^[a-z]+:/.test(link)) continue;
        const [file = "", anchor] = link.split("#");
        const path = file === "" ? join(ROOT, page) : resolve(dirname(join(ROOT, page)), file);
        if (!existsSync(path)) broken.push(`${page}: ${link} (no file ${relative(ROOT, path)})`);
        else if (anchor !== undefined && path.endsWith(".md") && !anchors(readFileSync(path, "utf8")).has(anchor)) {
          broken.push(`${page}: ${link} (no heading with that anchor)`);
        }
      }
    }
    expect(broken).toEqual([]);
  });

  test("README.md is a front page of at most 12 KB", () => {
    expect(Buffer.byteLength(read("README.md"))).toBeLessThanOrEqual(12 * 1024);
  });

  test("the README's quick start is what .ci/run runs, with package.json's Bun", () => {
    const ci = readFileSync(join(ROOT, ".ci", "run"), "utf8");
    const testCommand = ci.split("\n").find((l) => /^npx .* run test$/.test(l.trim()))?.trim();
    expect(testCommand).toBeDefined();
    const readme = read("README.md");
    expect(readme).toContain(testCommand ?? "?");
    const bun = (JSON.parse(read("package.json")) as { packageManager: string }).packageManager;
    for (const m of readme.matchAll(/bun@(\d+\.\d+\.\d+)/g)) expect(`bun@${m[1]}`).toBe(bun);
    expect(readme).toContain(`npx -y ${bun} install && npx -y ${bun} bin/babyjit.js -4`);
  });

  test("the words a learner looks for are where they would look", () => {
    const where: Record<string, string[]> = {
      "README.md": ["mmap", "mprotect", "W^X", "calling convention", "Brainfuck"],
      "docs/01-the-adder.md": ["mmap", "mprotect", "W^X"],
      "docs/02-expressions.md": ["calling convention"],
      "docs/03-brainfuck.md": ["Brainfuck"],
      "docs/04-platforms.md": ["mmap", "mprotect", "W^X", "calling convention"],
      "docs/06-reference.md": ["mmap", "mprotect", "calling convention"],
    };
    const missing: string[] = [];
    for (const [page, words] of Object.entries(where)) {
      const text = read(page);
      for (const word of words) if (!text.includes(word)) missing.push(`${page}: ${word}`);
    }
    expect(missing).toEqual([]);
  });
});
