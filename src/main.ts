/**
 * The command's entry. `babyjit <integers...>`, the common case, is handled without loading citty (and
 * the node:util parser it uses), which keeps start-up close to bare Bun; anything with a flag goes
 * through the citty command in cli.ts, whose definition is the CLI's single source of truth.
 */
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
    const { runCli } = require("./cli.ts") as typeof import("./cli.ts");
    code = await runCli(argv, io, os);
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

/** At least one argument, all of them decimal integers. A loop, not argv.every(): see program.ts execute. */
function allDecimal(argv: readonly string[]): boolean {
  for (let i = 0; i < argv.length; i++) if (!isDecimal(argv[i] as string)) return false;
  return argv.length > 0;
}
