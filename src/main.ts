/**
 * The command's entry. `babyjit <integers...>`, the common case, is handled without loading citty (and
 * the node:util parser it uses), which keeps start-up close to bare Bun; anything with a flag goes
 * through the citty command in cli.ts, whose definition is the CLI's single source of truth.
 */
import type { OsMemory } from "./jit.ts";
import { EXIT, type Io, buildPlan, execute, report } from "./program.ts";

const PLAIN_INTEGER = /^[+-]?[0-9]+$/;

export function processIo(colorFlag?: boolean): Io {
  const env = process.env;
  const color = colorFlag ?? (process.stdout.isTTY === true && env.NO_COLOR === undefined && env.TERM !== "dumb");
  return {
    out: (text) => void process.stdout.write(`${text}\n`),
    err: (text) => void process.stderr.write(`${text}\n`),
    color,
  };
}

/** Run the command; returns the exit code. `os` is for tests (see program.ts execute). */
export async function main(argv: readonly string[], io: Io = processIo(), os?: OsMemory): Promise<number> {
  if (argv.length > 0 && argv.every((a) => PLAIN_INTEGER.test(a))) {
    try {
      return execute(buildPlan({ positionals: argv }), io, os);
    } catch (error) {
      return report(error, io);
    }
  }
  const { runCli } = await import("./cli.ts");
  return runCli(argv, io, os);
}

export { EXIT };
