/**
 * The babyjit command, defined with citty. Printing and flag mapping only: the work is program.ts.
 */
import { type ArgsDef, defineCommand, renderUsage, runCommand } from "citty";
import pkg from "../package.json" with { type: "json" };
import { isDecimal } from "./int32.ts";
import type { OsMemory } from "./os.ts";
import { type Io, type Plan, UsageError, buildPlan, execute, report } from "./program.ts";

const args = {
  term: { type: "positional", required: false, description: "the constant to add, a decimal 32-bit integer" },
  inputs: { type: "positional", required: false, description: "values to call the function with (default: 1 2 3)" },
  expr: { type: "string", alias: ["e"], valueHint: "expression", description: "compile an integer expression in x instead of the adder" },
  bf: { type: "string", valueHint: "file", description: "compile the Brainfuck program in FILE and run it (stdin is its input, stdout its output)" },
  fn: { type: "string", valueHint: "file", description: "compile the module in FILE (a typed TypeScript subset) and call: --fn FILE NAME [ARGS...]" },
  tape: { type: "string", valueHint: "cells", description: "with --bf: cells on the tape (default 30000, up to 1073741824)" },
  eof: { type: "string", valueHint: "0|-1|unchanged", description: "with --bf: what ',' stores at end of input (default: leaves the cell unchanged)" },
  dump: { type: "boolean", description: "print the machine code as hex bytes (xxd -g1 style) instead of running it" },
  listing: { type: "boolean", description: "print an annotated listing (offset, bytes, assembly) instead of running" },
  trace: { type: "boolean", description: "run, and narrate each step (mmap, write, mprotect, calls, munmap) on stderr" },
  arch: { type: "string", valueHint: "x64|arm64", description: "target for --dump/--listing (default: this machine)" },
  abi: { type: "string", valueHint: "sysv|win64|aapcs64", description: "calling convention for --dump/--listing" },
  color: { type: "boolean", description: "colour the listing (default: on a terminal without NO_COLOR)" },
  perf: { type: "string", valueHint: "map|jitdump", description: "name the JIT'd code for Linux perf: /tmp/perf-PID.map, or jit-PID.dump for perf inject --jit (also BABYJIT_PERF)" },
} as const satisfies ArgsDef;

export const command = defineCommand({
  meta: { name: "babyjit", version: pkg.version, description: "JIT-compile a tiny function to machine code and call it" },
  args,
  run: ({ args: parsed }) =>
    buildPlan({
      positionals: parsed._,
      expr: parsed.expr,
      bf: parsed.bf,
      fn: parsed.fn,
      tape: parsed.tape,
      eof: parsed.eof,
      dump: parsed.dump,
      listing: parsed.listing,
      trace: parsed.trace,
      arch: parsed.arch,
      abi: parsed.abi,
      color: parsed.color,
      perf: parsed.perf,
    }),
});

const EPILOGUE = `EXAMPLES

  babyjit -4                       -3 -2 -1
  babyjit 5 10 -20                 15 -15
  babyjit -4 --listing             the code, one instruction per line
  babyjit --expr 'x * x - 3' 1 2   -2 1
  babyjit -4 --dump --arch arm64   the arm64 bytes, from any machine
  babyjit --bf hello.b             compile a Brainfuck program and run it
  babyjit --fn fib.ts fib 30       compile a module of functions, call fib(30)
  perf record -k mono -- babyjit --perf=jitdump --bf hello.b
                                   profile it, named down to the source line

EXIT CODES

  0 ok, 64 usage error, 65 division by zero, unmatched bracket or pointer off
  the tape, a module that does not compile or runs out of stack, 66 cannot
  read FILE, 69 platform not supported, 70 internal error,
  71 system call failed (mmap, mprotect, ...), 74 cannot write the output`;

/**
 * citty (like node:util's parseArgs) reads `-4` as a flag. Rewrite argv so it cannot: options first,
 * each as `--name=value`, then `--`, then every positional. Unknown options are usage errors here, since
 * citty accepts any flag silently.
 */
export function normalizeArgv(argv: readonly string[]): string[] | "help" | "version" {
  const given = new Map<string, string>(); // option name -> its last spelling
  const positionals: string[] = [];
  const byName = new Map<string, { name: string; type: string }>();
  for (const [name, def] of Object.entries(args)) {
    if (def.type === "positional") continue;
    byName.set(name, { name, type: def.type });
    for (const alias of "alias" in def ? def.alias : []) byName.set(alias, { name, type: def.type });
  }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? "";
    if (arg === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    // A negative number is an argument, not an option: -7, and the f64 forms -2e3, -.5, -Infinity.
    if (!arg.startsWith("-") || arg === "-" || isDecimal(arg) || /^-(\d|\.\d|Infinity$)/.test(arg)) {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const key = arg.replace(/^--?/, "").slice(0, eq < 0 ? undefined : eq - (arg.startsWith("--") ? 2 : 1));
    if (key === "help" || key === "h") return "help";
    if (key === "version" || key === "v") return "version";
    // --no-X exists only for a switch, by its long name: --no-expr, --no-e or --no-arch is unknown
    // (each used to be read as the option itself, taking the next argument as its value).
    const negatable = arg.startsWith("--no-") ? byName.get(key.slice(3)) : undefined;
    const negated = negatable !== undefined && negatable.type === "boolean" && negatable.name === key.slice(3) ? negatable : undefined;
    const option = byName.get(key) ?? negated;
    if (option === undefined || (arg.startsWith("--") ? key.length === 1 : key.length !== 1)) {
      throw new UsageError(`unknown option '${arg}'`);
    }
    if (option.type === "boolean") {
      if (eq >= 0) throw new UsageError(`option '--${option.name}' takes no value`);
      given.set(option.name, negated === option ? `--no-${option.name}` : `--${option.name}`);
      continue;
    }
    const value = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined) throw new UsageError(`option '${arg}' needs a value`);
    given.set(option.name, `--${option.name}=${value}`);
  }
  // One rule for an option given more than once, either way: the last one wins (`--no-listing
  // --listing` lists, `--listing --no-listing` runs, `-e x -e x*2` compiles x*2), as in most Unix tools.
  return [...given.values(), "--", ...positionals];
}

/** The command line through citty. `io` is main()'s, which flushes it (see processIo). */
export async function runCli(argv: readonly string[], out: Io, os?: OsMemory): Promise<number> {
  try {
    const rawArgs = normalizeArgv(argv);
    if (rawArgs === "help") {
      const usage = await renderUsage(command);
      // citty colours its usage unless NO_COLOR/CI is set; follow our own rule (a terminal) instead.
      out.out(`${out.color ? usage : usage.replace(/\x1b\[[0-9;]*m/g, "")}\n\n${EPILOGUE}`);
      return 0;
    }
    if (rawArgs === "version") {
      out.out(pkg.version);
      return 0;
    }
    const { result } = await runCommand(command, { rawArgs });
    return execute(result as Plan, out, os);
  } catch (error) {
    return report(error, out);
  }
}
