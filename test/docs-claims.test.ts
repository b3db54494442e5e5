/**
 * What the book says about the code and about its measurements, checked (test/docs.test.ts runs its
 * examples; this file checks its words):
 *
 * - Every path the pages name under src/, test/, bench/, scripts/, bin/, docs/ or .ci/ (outside
 *   fenced code blocks, whose commands the example runner checks) exists.
 * - Every backticked identifier the pages name as a function, class or constant exists in the code,
 *   exported or not: `name()` or `name(args)` and camelCase names are functions, methods or variables;
 *   PascalCase names are classes, interfaces or types; UPPER_CASE names are constants (or string
 *   codes such as `E_RANGE`). `A.b` names a member b of A. A name from outside the project (libc,
 *   Windows, sysexits.h, JavaScript, Bun) is listed in EXTERNAL below, with where it comes from.
 *   Plain lowercase words (`mov`, `add`, `tape`) are left alone: mnemonics, IR ops and fields.
 * - Each measured figure is stated in one place: the performance chapter's current table, made from
 *   bench/RESULTS.md (between the `results` markers; `BABYJIT_UPDATE_DOCS=1 bun test
 *   test/docs-claims.test.ts` writes it). No other page states a time, a throughput or a ratio, and
 *   the chapter states each figure of its table only in the table. Other pages link to the chapter.
 */
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const ROOT = join(import.meta.dir, "..");
const read = (path: string) => readFileSync(join(ROOT, path), "utf8");

/** The book: the README, every chapter, and the maintenance notes. */
function pages(): string[] {
  const docs = readdirSync(join(ROOT, "docs")).filter((f) => f.endsWith(".md")).sort();
  return ["README.md", "CONTRIBUTING.md", ...docs.map((f) => `docs/${f}`)].filter((p) => existsSync(join(ROOT, p)));
}

const PERFORMANCE = "docs/06-performance.md";
const FENCE = /^\s*(```|~~~)/;

/** The page's text outside fenced code blocks and HTML comments, as lines (numbered from 1). */
function prose(markdown: string): { line: number; text: string }[] {
  const out: { line: number; text: string }[] = [];
  let fence: string | undefined;
  let comment = false;
  markdown.split("\n").forEach((raw, i) => {
    const marker = FENCE.exec(raw)?.[1];
    if (fence !== undefined) {
      if (marker === fence && raw.trim() === marker) fence = undefined;
      return;
    }
    if (marker !== undefined) {
      fence = marker;
      return;
    }
    let text = raw;
    if (comment) {
      const end = text.indexOf("-->");
      if (end < 0) return;
      text = text.slice(end + 3);
      comment = false;
    }
    text = text.replace(/<!--.*?-->/g, "");
    const open = text.indexOf("<!--");
    if (open >= 0) {
      text = text.slice(0, open);
      comment = true;
    }
    out.push({ line: i + 1, text });
  });
  return out;
}

/** The inline code spans of a line of prose. */
const spans = (text: string) => [...text.matchAll(/`([^`]+)`/g)].map((m) => m[1] ?? "");

// ---------------------------------------------------------------------------------------------------
// Paths

const PATH = /(?<![\w./-])((?:src|test|bench|scripts|bin|docs|\.ci)\/[\w./-]*[\w/])/g;

export function namedPaths(markdown: string): { line: number; path: string }[] {
  const found: { line: number; path: string }[] = [];
  for (const { line, text } of prose(markdown)) {
    // Link targets are the link checker's (test/docs.test.ts); their text and the prose are ours.
    const words = text.replace(/\]\([^)]*\)/g, "]");
    for (const m of words.matchAll(PATH)) found.push({ line, path: (m[1] ?? "").replace(/\/$/, "") });
  }
  return found;
}

// ---------------------------------------------------------------------------------------------------
// Names

/**
 * Names the book uses that the project does not define, by where they come from. A name here must
 * not be defined in the code too (then it is the project's, and the check covers it).
 */
const EXTERNAL: Record<string, string> = {
  // The C tutorial, libc and the kernel (mman.h, sysexits.h, errno.h)
  MAP_FAILED: "mman.h",
  MAP_ANON: "mman.h",
  MAP_PRIVATE: "mman.h",
  MAP_JIT: "macOS mman.h",
  MADV_HUGEPAGE: "mman.h",
  PROT_READ: "mman.h",
  PROT_WRITE: "mman.h",
  PROT_EXEC: "mman.h",
  NULL: "C",
  EX_OSERR: "sysexits.h",
  EX_UNAVAILABLE: "sysexits.h",
  EPIPE: "errno.h",
  EAGAIN: "errno.h",
  REX: "Intel SDM (the REX prefix)",
  // Windows
  GetSystemInfo: "kernel32.dll",
  LoadLibrary: "kernel32.dll",
  GetProcAddress: "kernel32.dll",
  libSystem: "macOS (libSystem.B.dylib, its C library)",
  Infinity: "JavaScript",
  FormatMessageA: "kernel32.dll",
  GetLastError: "kernel32.dll",
  PAGE_EXECUTE_READ: "Windows",
  PAGE_READWRITE: "Windows",
  MEM_RELEASE: "Windows",
  MEM_COMMIT: "Windows",
  MEM_RESERVE: "Windows",
  ProcessPrng: "bcryptprimitives.dll",
  dwPageSize: "Windows SYSTEM_INFO",
  // JavaScript and Bun
  CFunction: "bun:ffi",
  Object: "JavaScript",
  Symbol: "JavaScript",
  Proxy: "JavaScript",
  TypedArray: "JavaScript",
  Uint8Array: "JavaScript",
  Int32Array: "JavaScript",
  TypeError: "JavaScript",
  BigInt: "JavaScript",
  FinalizationRegistry: "JavaScript",
  TextDecoder: "JavaScript",
  Worker: "JavaScript (web workers)",
  Math: "JavaScript",
  Number: "JavaScript",
  Array: "JavaScript",
  ArrayBuffer: "JavaScript",
  DataView: "JavaScript",
  Float64Array: "JavaScript",
  Promise: "JavaScript",
  Error: "JavaScript",
  JSON: "JavaScript",
  Date: "JavaScript",
  performance: "JavaScript",
  globalThis: "JavaScript",
  RtlAddFunctionTable: "Windows (ntdll)",
  JIT_CODE_LOAD: "perf's jitdump-specification.txt",
  JIT_CODE_DEBUG_INFO: "perf's jitdump-specification.txt",
  JIT_CODE_MOVE: "perf's jitdump-specification.txt",
  JIT_CODE_CLOSE: "perf's jitdump-specification.txt",
  JIT_CODE_UNWINDING_INFO: "perf's jitdump-specification.txt",
  transfer: "JavaScript (ArrayBuffer.prototype.transfer)",
  Map: "JavaScript",
  Set: "JavaScript",
  Bun: "Bun",
  process: "Node and Bun",
  console: "JavaScript",
  parseArgs: "node:util",
  copyWithin: "JavaScript (TypedArray)",
  writeSync: "node:fs",
  NO_COLOR: "an environment variable (no-color.org)",
  TERM: "an environment variable",
  CI: "an environment variable",
};

const IDENT = "[A-Za-z_$][\\w$]*";
/** A span that names something: `a`, `a.b`, `a()`, `a.b(x, y)`, `A#b`. */
const NAME_SPAN = new RegExp(`^(${IDENT}(?:[.#]${IDENT})*)(\\(.*\\))?$`);
const isPascal = (s: string) => /^[A-Z][a-z0-9]+[A-Za-z0-9]*$/.test(s) && /[a-z]/.test(s);
const isUpper = (s: string) => /^[A-Z][A-Z0-9_]+$/.test(s) && /[A-Z]/.test(s.slice(1));
const isCamel = (s: string) => /^[a-z_$][\w$]*$/.test(s) && /[a-z0-9][A-Z]/.test(s);

/** What a span names, and what kind of name it is; undefined for anything else. */
export function namedThing(span: string): { names: string[]; kind: "function" | "class" | "constant" } | undefined {
  const m = NAME_SPAN.exec(span.trim());
  if (m?.[1] === undefined) return undefined;
  const parts = m[1].split(/[.#]/);
  const called = m[2] !== undefined;
  const last = parts[parts.length - 1] ?? "";
  const first = parts[0] ?? "";
  if (EXTERNAL[first] !== undefined || EXTERNAL[last] !== undefined) return undefined;
  if (parts.length > 1 && /^(ts|js|md|b|c|sh|json|jsc)$/.test(last)) return undefined; // a file name
  // The receiver of a method is a variable of the example (`ops.kind(i)`), unless it is a class or constant.
  const names = parts.length > 1 && (isPascal(first) || isUpper(first)) ? [first, last] : [last];
  if (called || isCamel(last)) return { names, kind: "function" };
  if (isPascal(last)) return { names, kind: "class" };
  if (isUpper(last)) return { names, kind: "constant" };
  if (parts.length > 1 && (isPascal(first) || isUpper(first))) return { names, kind: "function" };
  return undefined;
}

function codeFiles(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(join(ROOT, dir))) {
    const path = join(dir, entry);
    if (entry === "node_modules" || entry.startsWith(".git")) continue;
    if (statSync(join(ROOT, path)).isDirectory()) codeFiles(path, out);
    else if (/\.(ts|js|c|sh)$/.test(entry) || dir === ".ci") out.push(path);
  }
  return out;
}

export interface Known {
  /** Every name the code defines: declarations, members, object keys. */
  readonly defined: Set<string>;
  /** Names the code uses as quoted strings (error codes such as "E_RANGE"). */
  readonly quoted: Set<string>;
  /** For each class and interface, the names defined in its body. */
  readonly members: Map<string, Set<string>>;
}

const MEMBER = /^[ \t]*(?:(?:export|default|public|private|protected|static|readonly|async|get|set|override|declare|abstract)\s+)*#?([A-Za-z_$][\w$]*)\s*[?!]?\s*[(:=<]/gm;

/** What the code defines (see Known). */
function definedNames(): Known {
  const defined = new Set<string>();
  const quoted = new Set<string>();
  const members = new Map<string, Set<string>>();
  const roots = ["src", "bin", "bench", "scripts", "test", "docs/examples", ".ci"].filter((d) => existsSync(join(ROOT, d)));
  for (const file of roots.flatMap((d) => codeFiles(d))) {
    const code = read(file);
    const add = (re: RegExp, into = defined) => {
      for (const m of code.matchAll(re)) if (m[1] !== undefined) into.add(m[1]);
    };
    add(/\b(?:function\*?|class|interface|type|enum|namespace|const|let|var)\s+([A-Za-z_$][\w$]*)/g);
    add(MEMBER);
    // A class or interface body runs to the first line that is a lone closing brace (formatted code).
    for (const m of code.matchAll(/^(?:export\s+)?(?:abstract\s+)?(?:class|interface)\s+([A-Za-z_$][\w$]*)[^\n]*\{\n([\s\S]*?)^\}/gm)) {
      const own = members.get(m[1] ?? "") ?? new Set<string>();
      for (const member of (m[2] ?? "").matchAll(MEMBER)) if (member[1] !== undefined) own.add(member[1]);
      members.set(m[1] ?? "", own);
    }
    add(/[{,(]\s*(?:readonly\s+)?([A-Za-z_$][\w$]*)\s*[?]?\s*[:(]/g);
    add(/,\s*([A-Z_][A-Z0-9_]*)\s*=/g); // const A = 0, B = 1
    for (const m of code.matchAll(/\b(?:const|let|var)\s*\{([^}]*)\}\s*=/g)) {
      for (const part of (m[1] ?? "").split(",")) {
        const name = /(?::\s*)?([A-Za-z_$][\w$]*)\s*(?:=.*)?$/.exec(part.trim())?.[1];
        if (name !== undefined) defined.add(name);
      }
    }
    add(/["']([A-Za-z_$][\w$]*)["']/g, quoted);
    add(/\benv\.([A-Z_][A-Z0-9_]*)/g); // environment variables the code reads
    add(/\b(BABYJIT_[A-Z0-9_]+)/g);
  }
  return { defined, quoted, members };
}

export interface Unknown {
  readonly page: string;
  readonly line: number;
  readonly span: string;
  readonly missing: string;
}

function unknownNames(page: string, markdown: string, known: Known): Unknown[] {
  const found: Unknown[] = [];
  for (const { line, text } of prose(markdown)) {
    for (const span of spans(text)) {
      const thing = namedThing(span);
      if (thing === undefined) continue;
      const [owner, member] = thing.names;
      const body = member === undefined ? undefined : known.members.get(owner ?? "");
      if (body !== undefined && member !== undefined) {
        // `CodeMemory.write`: a member of that class or interface, not merely a name defined somewhere.
        if (!body.has(member)) found.push({ page, line, span, missing: `${owner}.${member}` });
        continue;
      }
      for (const name of thing.names) {
        const exists = known.defined.has(name) || (thing.kind === "constant" && known.quoted.has(name));
        if (!exists) found.push({ page, line, span, missing: name });
      }
    }
  }
  return found;
}

// ---------------------------------------------------------------------------------------------------
// Figures

/** A measured figure: a time, a throughput, or a ratio such as 1.31× (or 1.5x); not the hex prefix 0x. */
const FIGURE = /(?<![\w.])\d[\d,]*(?:\.\d+)?(?:[–-]\d[\d,]*(?:\.\d+)?)?(?:\s?(?:ns|µs|us|ms|s|MB\/s)\b|×|x(?![\w.]))/g;

export function figures(text: string): string[] {
  return [...text.matchAll(FIGURE)].map((m) => m[0]).filter((f) => f !== "0x");
}

const BEGIN = "<!-- results: begin (made from bench/RESULTS.md by test/docs-claims.test.ts) -->";
const END = "<!-- results: end -->";

/** The current table, made from bench/RESULTS.md: its machine, and every row that has a budget. */
export function resultsTable(results: string): string {
  const lines = results.split("\n");
  const cells = (l: string) => l.slice(1, -1).split(/(?<!\\)\|/).map((c) => c.trim());
  const machine = lines.filter((l) => l.startsWith("| ") && cells(l).length === 2 && !l.startsWith("| Machine"));
  const rows = lines.filter((l) => /^\| \d /.test(l)).map(cells).filter((c) => (c[6] ?? "") !== "");
  return [
    "| machine | |",
    "|---|---|",
    ...machine.map((l) => `| ${cells(l).join(" | ")} |`),
    "",
    "| measurement | value | compared with (same run) | ratio | budget | verdict |",
    "|---|---:|---|---:|---|---|",
    ...rows.map((c) => `| ${[c[1], c[2], c[4], c[5], c[6], c[7]].join(" | ")} |`),
  ].join("\n");
}

function currentTable(chapter: string): { table: string; before: string; after: string } | undefined {
  const begin = chapter.indexOf(BEGIN);
  const end = chapter.indexOf(END);
  if (begin < 0 || end < begin) return undefined;
  return { table: chapter.slice(begin + BEGIN.length, end).trim(), before: chapter.slice(0, begin), after: chapter.slice(end + END.length) };
}

// ---------------------------------------------------------------------------------------------------

describe("docs claims: the checker checks", () => {
  test("it finds paths outside code blocks and link targets", () => {
    const page = ["See `src/jit.ts` and [the encoder](../src/emit.ts), src/nope.ts.", "```", "src/in-a-block.ts", "```"].join("\n");
    expect(namedPaths(page).map((p) => p.path)).toEqual(["src/jit.ts", "src/nope.ts"]);
  });

  test("it tells functions, classes and constants from words", () => {
    expect(namedThing("emitAdder")).toEqual({ names: ["emitAdder"], kind: "function" });
    expect(namedThing("sfield()")).toEqual({ names: ["sfield"], kind: "function" });
    expect(namedThing("CodeMemory.write")).toEqual({ names: ["CodeMemory", "write"], kind: "function" });
    expect(namedThing("bf.site(id)")).toEqual({ names: ["site"], kind: "function" });
    expect(namedThing("JitError")).toEqual({ names: ["JitError"], kind: "class" });
    expect(namedThing("STRIDE")).toEqual({ names: ["STRIDE"], kind: "constant" });
    for (const word of ["mov", "add [at] d", "x * x", "--trace", "Object.freeze", "r10", "W^X", "PROT_READ"]) {
      expect(namedThing(word)).toBeUndefined();
    }
  });

  test("a name the code does not define is reported", () => {
    const known: Known = {
      defined: new Set(["emitAdder", "CodeMemory", "write", "grow"]),
      quoted: new Set(["E_RANGE"]),
      members: new Map([["CodeMemory", new Set(["write"])]]),
    };
    const page = "`emitAdder`, `CodeMemory.write`, `E_RANGE`, `putLe32()`, `CodeMemory.grow`, `SEVEN_FIELDS`.";
    expect(unknownNames("p.md", page, known).map((u) => u.missing)).toEqual(["putLe32", "CodeMemory.grow", "SEVEN_FIELDS"]);
  });

  test("it reads a class's members from its body", () => {
    const { members } = definedNames();
    expect(members.get("CodeMemory")?.has("mapRegion")).toBe(true);
    expect(members.get("CodeMemory")?.has("dead")).toBe(false);
    expect(members.get("OsMemory")?.has("protect")).toBe(true);
  });

  test("it finds figures, and leaves counts and sizes alone", () => {
    expect(figures("2.08 ns, 844 ns: 0.62×, 1.11–1.18×, 14.0 MB/s, 5.38 ms, 1.5–3 µs, 2.4 s")).toEqual([
      "2.08 ns",
      "844 ns",
      "0.62×",
      "1.11–1.18×",
      "14.0 MB/s",
      "5.38 ms",
      "1.5–3 µs",
      "2.4 s",
    ]);
    expect(figures("64 KiB, 30,000 cells, 2 × 64 KiB, 16 bytes, 4096 bytes, 2^30, `0x` hex, 0x10, x86")).toEqual([]);
    expect(figures("within 1.5x of cc, 2x apart")).toEqual(["1.5x", "2x"]);
  });
});

describe("docs claims: what the pages name exists", () => {
  test("every src/, test/, bench/, scripts/, bin/, docs/ and .ci/ path named in the prose exists", () => {
    const missing = pages().flatMap((page) =>
      namedPaths(read(page))
        .filter((p) => !existsSync(join(ROOT, p.path)))
        .map((p) => `${page}:${p.line}: ${p.path}`),
    );
    expect(missing).toEqual([]);
  });

  test("every function, class and constant named in backticks is defined in the code (or listed as external)", () => {
    const known = definedNames();
    const problems = pages().flatMap((page) =>
      unknownNames(page, read(page), known).map((u) => `${u.page}:${u.line}: \`${u.span}\`: no ${u.missing} in the code`),
    );
    expect(problems).toEqual([]);
  });

  test("an external name is not one the project declares itself", () => {
    const declared = (name: string) =>
      codeFiles("src").some((f) => new RegExp(`\\b(?:class|interface|type|function|const|let)\\s+${name}\\b`).test(read(f)));
    expect(Object.keys(EXTERNAL).filter(declared)).toEqual([]);
  });
});

describe("docs claims: each measured figure is stated once", () => {
  test("the performance chapter's current table is the one bench/RESULTS.md makes", () => {
    const chapter = read(PERFORMANCE);
    const made = resultsTable(read("bench/RESULTS.md"));
    const current = currentTable(chapter);
    if (process.env.BABYJIT_UPDATE_DOCS === "1" && current !== undefined && current.table !== made) {
      writeFileSync(join(ROOT, PERFORMANCE), `${current.before}${BEGIN}\n${made}\n${END}${current.after}`);
      return;
    }
    expect(current).toBeDefined();
    if (current?.table !== made) {
      throw new Error(`${PERFORMANCE}'s table differs from bench/RESULTS.md's; to write it: BABYJIT_UPDATE_DOCS=1 bun test test/docs-claims.test.ts`);
    }
  });

  test("no other page states a measured figure", () => {
    const found = pages()
      .filter((p) => p !== PERFORMANCE)
      .flatMap((page) => {
        // Joined, so that a figure broken across two lines ("2.2–2.4\nns") is still one figure.
        const lines = prose(read(page));
        const joined = lines.map((l) => l.text).join(" ");
        let at = 0;
        const starts = lines.map((l) => ((at += l.text.length + 1), at - l.text.length - 1));
        return [...joined.matchAll(FIGURE)].filter((m) => m[0] !== "0x").map((m) => {
          const i = starts.findLastIndex((s) => s <= (m.index ?? 0));
          return `${page}:${lines[i]?.line}: ${m[0]}`;
        });
      });
    expect(found).toEqual([]);
  });

  test("the performance chapter states each figure of its table only in the table", () => {
    const current = currentTable(read(PERFORMANCE));
    if (current === undefined) throw new Error(`${PERFORMANCE} has no results table`);
    // Ratios are left out: a budget's 1.50× may well be named in the prose that explains it.
    const inTable = new Set(figures(current.table).filter((f) => !f.endsWith("×")));
    const outside = prose(`${current.before}\n${current.after}`).flatMap(({ line, text }) => figures(text).map((f) => ({ line, f })));
    expect(outside.filter(({ f }) => inTable.has(f)).map(({ line, f }) => `${PERFORMANCE}:${line}: ${f}`)).toEqual([]);
  });
});
