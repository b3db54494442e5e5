/**
 * The command's entry. `babyjit <integers...>`, the common case, is handled without loading citty (and
 * the node:util parser it uses), which keeps start-up close to bare Bun; anything with a flag goes
 * through the citty command in cli.ts, whose definition is the CLI's single source of truth.
 */
import { loadModule } from "./errors.ts";
import { isDecimal } from "./int32.ts";
import type { OsMemory } from "./os.ts";
import { EXIT, type Io, buildPlan, execute, processIo, report } from "./program.ts";


/** Run the command; returns the exit code. `os` is for tests (see program.ts execute). */
export async function main(argv: readonly string[], io: Io = processIo(), os?: OsMemory): Promise<number> {
  let code: number;
  if (allDecimal(argv)) {
    try {
      code = execute(buildPlan({ positionals: argv }), io, os);
    } catch (error) {
      code = report(error, io);
    }
  } else {
    // require, not import(): Bun's ES module loader costs milliseconds at start-up that require does not.
    // Inside a handler: failing to load it (ulimit -n) is one line and an exit code, not Bun's message.
    try {
      const { runCli } = loadModule("the command-line parser", () => require("./cli.ts") as typeof import("./cli.ts"));
      code = await runCli(argv, io, os); // which reports its own errors
    } catch (error) {
      code = report(error, io);
    }
  }
  // Write the output; if it cannot be written, that is the exit code (74).
  try {
    await io.flush?.();
    return code;
  } catch (error) {
    return report(error, io);
  }
}

export { EXIT, processIo };

/**
 * The command's arguments as they were typed. Bun drops a `--` that comes right after the script's
 * name (`bun bin/babyjit.js -- 5 -- 6` gives process.argv [5, --, 6]), while the compiled executable
 * keeps it, so the two read `babyjit -- 5 -- 6` differently (11, and exit 64). The OS's copy of the
 * arguments still has it: /proc/self/cmdline on Linux, GetCommandLineW on Windows (libc.ts
 * windowsCommandLine, split below). When that copy ends with `--` and then exactly process.argv's
 * arguments, that `--` was dropped and is put back. Only for arguments that are not all integers,
 * where a dropped leading `--` could change the meaning (`-- 5 6` means `5 6`), so that the common
 * path reads nothing. Elsewhere (macOS), or when the copy cannot be read or does not match,
 * process.argv is taken as it is.
 */
export function commandArgs(): string[] {
  const argv = process.argv.slice(2);
  if (allDecimal(argv)) return argv;
  const typed = typedArgs();
  if (typed === undefined) return argv;
  const at = typed.length - argv.length - 1; // where the dropped `--` would be
  if (at < 2 || typed[at] !== "--") return argv;
  for (let i = 0; i < argv.length; i++) if (typed[at + 1 + i] !== argv[i]) return argv;
  return ["--", ...argv];
}

/** The OS's copy of the command line, program name first; undefined where there is none to read. */
function typedArgs(): string[] | undefined {
  try {
    if (process.platform === "linux") {
      const { readFileSync } = require("node:fs") as typeof import("node:fs");
      const typed = readFileSync("/proc/self/cmdline", "utf8").split("\0");
      if (typed[typed.length - 1] === "") typed.pop();
      return typed;
    }
    if (process.platform === "win32") return splitWindowsCommandLine((require("./libc.ts") as typeof import("./libc.ts")).windowsCommandLine());
  } catch {
    // Unreadable: take process.argv as it is.
  }
  return undefined;
}

/**
 * A Windows command line split into arguments by the rules of Microsoft's C runtime (since Visual
 * C++ 2008; "Parsing C++ command-line arguments"), which Bun's own process.argv follows. The program's
 * name ends at its closing quote, or at white space, with no escapes. After it, arguments are separated
 * by spaces and tabs outside quotes; a `"` opens or closes a quoted part; backslashes are literal
 * unless a `"` follows them: then 2n of them give n and the `"` quotes, 2n+1 give n and a literal `"`;
 * inside a quoted part, `""` is a literal `"`. One pass over the line.
 */
export function splitWindowsCommandLine(line: string): string[] {
  if (line === "") return [];
  let i: number;
  let name: string;
  if (line[0] === '"') {
    const end = line.indexOf('"', 1);
    i = end < 0 ? line.length : end + 1;
    name = line.slice(1, end < 0 ? line.length : end);
  } else {
    i = 0;
    while (i < line.length && line[i] !== " " && line[i] !== "\t") i++;
    name = line.slice(0, i);
  }
  const args = [name];
  for (;;) {
    while (line[i] === " " || line[i] === "\t") i++;
    if (i >= line.length) return args;
    let arg = "";
    let quoted = false;
    while (i < line.length && (quoted || (line[i] !== " " && line[i] !== "\t"))) {
      const c = line[i] as string;
      if (c === "\\") {
        const start = i;
        while (line[i] === "\\") i++;
        const n = i - start;
        if (line[i] !== '"') arg += "\\".repeat(n);
        else {
          arg += "\\".repeat(n >> 1);
          if (n % 2 === 1) {
            arg += '"';
            i++;
          } // else the `"` is a quote, read next
        }
      } else if (c === '"') {
        if (quoted && line[i + 1] === '"') {
          arg += '"';
          i += 2;
        } else {
          quoted = !quoted;
          i++;
        }
      } else {
        arg += c;
        i++;
      }
    }
    args.push(arg);
  }
}

/** At least one argument, all of them decimal integers. A loop, not argv.every(): see program.ts execute. */
function allDecimal(argv: readonly string[]): boolean {
  for (let i = 0; i < argv.length; i++) if (!isDecimal(argv[i] as string)) return false;
  return argv.length > 0;
}
