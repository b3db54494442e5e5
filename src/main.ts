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
 * keeps it, so the two read `babyjit -- 5 -- 6` differently (11, and exit 64). On Linux the kernel's
 * copy of the arguments, /proc/self/cmdline, still has it: when it ends with `--` and then exactly
 * process.argv's arguments, that `--` was dropped and is put back. Only for arguments that are not all
 * integers, where a dropped leading `--` could change the meaning (`-- 5 6` means `5 6`), so that the
 * common path reads nothing. Elsewhere process.argv is taken as it is.
 */
export function commandArgs(): string[] {
  const argv = process.argv.slice(2);
  if (allDecimal(argv) || process.platform !== "linux") return argv;
  let typed: string[];
  try {
    const { readFileSync } = require("node:fs") as typeof import("node:fs");
    typed = readFileSync("/proc/self/cmdline", "utf8").split("\0");
  } catch {
    return argv;
  }
  if (typed[typed.length - 1] === "") typed.pop();
  const at = typed.length - argv.length - 1; // where the dropped `--` would be
  if (at < 2 || typed[at] !== "--") return argv;
  for (let i = 0; i < argv.length; i++) if (typed[at + 1 + i] !== argv[i]) return argv;
  return ["--", ...argv];
}

/** At least one argument, all of them decimal integers. A loop, not argv.every(): see program.ts execute. */
function allDecimal(argv: readonly string[]): boolean {
  for (let i = 0; i < argv.length; i++) if (!isDecimal(argv[i] as string)) return false;
  return argv.length > 0;
}
