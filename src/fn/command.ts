/**
 * `babyjit --fn FILE NAME [ARGS...]`: read a module, compile it, call one exported function with the
 * arguments parsed by its declared types, and print the result (or dump or list the module's code).
 * Every failure becomes a CommandError with its sysexits code: 64 for a call the module cannot make
 * (an unknown function, a wrong number of arguments, an argument that is no i32 or, for an f64
 * parameter, no JavaScript number), 65 for a module
 * that does not compile or a run that stops (division by zero, out of stack), 66 for a file that
 * cannot be read.
 */
import type { Code } from "../emit.ts";
import { readProgram } from "../bf/command.ts";
import { CommandError, JitError } from "../errors.ts";
import { parseInt32 } from "../int32.ts";
import { CodeMemory, hostMemory } from "../jit.ts";
import type { OsMemory } from "../os.ts";
import type { Target } from "../platform.ts";
import { MAX_MODULE_SOURCE, assembleModule, compileModule } from "./compile.ts";
import type { FnIr } from "./ir.ts";

const EX_USAGE = 64, EX_DATAERR = 65;

export interface FnCommand {
  readonly file: string;
  readonly name: string | undefined;
  readonly args: readonly string[];
  readonly mode: "run" | "dump" | "listing";
  readonly target: Target;
  readonly trace?: (line: string) => void;
  /** The OS layer to map memory with (--trace, tests); by default the process-wide code memory's. */
  readonly os?: OsMemory;
}

/** Returns the text to print: the result (nothing for a void function), or the dump or listing. */
export function fnCommand(cmd: FnCommand, format: (code: Code) => string): string | undefined {
  // Read as --bf reads its program, in chunks, but refused past MAX_MODULE_SOURCE: compiling takes
  // about 200 bytes of memory per byte of source, so reading more would only fail later and bigger.
  const source = readProgram(cmd.file, MAX_MODULE_SOURCE, "a module");
  try {
    if (cmd.mode !== "run") {
      // The whole module, whatever function the command line names (`babyjit --fn fib.ts fib 30 --listing`);
      // a name that is given must be one the module exports, as for a run.
      const assembled = assembleModule(source, { target: cmd.target, file: cmd.file });
      if (cmd.name !== undefined) exportedFunction(assembled.ir.functions, cmd);
      return format(assembled.code);
    }
    return run(source, cmd);
  } catch (error) {
    if (error instanceof JitError && (error.code === "E_SYNTAX" || error.code === "E_DIV_ZERO" || error.code === "E_STACK" || error.code === "E_BOUNDS")) {
      throw new CommandError(error.message, EX_DATAERR);
    }
    if (error instanceof JitError && error.code === "E_RANGE" && /frame/.test(error.message)) throw new CommandError(`${cmd.file}: ${error.message}`, EX_DATAERR);
    throw error;
  }
}

/** The exported function the command names, or the usage error (64) saying which the module exports. */
function exportedFunction(fns: readonly FnIr[], cmd: FnCommand): FnIr & { readonly name: string } {
  const exported = fns.filter((f) => f.exported).map((f) => f.name);
  if (cmd.name === undefined) {
    throw new CommandError(`--fn ${cmd.file} needs the name of a function to call (exported: ${exported.join(", ") || "none"})`, EX_USAGE);
  }
  const decl = fns.find((f) => f.name === cmd.name);
  if (decl === undefined || !decl.exported) {
    const why = decl === undefined ? "has no function" : "does not export";
    throw new CommandError(`${cmd.file} ${why} '${cmd.name}' (exported: ${exported.join(", ") || "none"})`, EX_USAGE);
  }
  return decl;
}

function run(source: string, cmd: FnCommand): string | undefined {
  const own = cmd.trace !== undefined || cmd.os !== undefined;
  const memory = own ? new CodeMemory(cmd.os ?? hostMemory().os, cmd.target) : hostMemory();
  const mod = compileModule(source, { memory, file: cmd.file });
  try {
    const { floor, budget } = mod.internals;
    cmd.trace?.(`stack: each call from JavaScript may go down to max(sp - ${budget / 1024} KiB, 0x${floor.toString(16)}), the thread's stack bottom + 64 KiB`);
    const decl = exportedFunction(mod.internals.assembled.ir.functions, cmd);
    const arrayAt = (decl.arrays ?? []).findIndex((e) => e !== null);
    if (arrayAt >= 0) {
      throw new CommandError(`${cmd.file}: ${cmd.name} takes a typed array ('${decl.paramNames[arrayAt] ?? "?"}'): typed-array parameters are for the library (compileModule), not the command line`, EX_USAGE);
    }
    const arity = decl.params.length;
    if (cmd.args.length !== arity) {
      throw new CommandError(`${cmd.file}: ${cmd.name} takes ${arity} argument${arity === 1 ? "" : "s"}, got ${cmd.args.length}`, EX_USAGE);
    }
    let args: number[];
    try {
      args = cmd.args.map((a, i) => {
        const what = `argument ${i + 1} of ${cmd.name}`;
        return decl.types[decl.params[i]!] === "f64" ? parseF64(a, what) : parseInt32(a, what);
      });
    } catch (error) {
      throw new CommandError(`${cmd.file}: ${error instanceof Error ? error.message : String(error)}`, EX_USAGE);
    }
    const fn = mod.functions[decl.name];
    if (fn === undefined) throw new JitError("E_INTERNAL", `no entry for ${cmd.name}`);
    const result = fn(...args);
    cmd.trace?.(`call ${cmd.name}(${args.join(", ")}) at 0x${fn.address.toString(16)} = ${decl.result === "void" ? "(void)" : result}`);
    return decl.result === "void" ? undefined : String(result);
  } finally {
    mod.dispose();
    if (own) memory.close();
  }
}

/**
 * An f64 argument: JavaScript's number syntax as Number() reads it (1.5, -2e-3, 0x10, Infinity, NaN),
 * but not the empty string or surrounding spaces, which Number() quietly takes for 0 or trims.
 */
export function parseF64(text: string, what: string): number {
  const value = Number(text);
  if (text === "" || text.trim() !== text || (Number.isNaN(value) && text !== "NaN")) {
    throw new JitError("E_RANGE", `${what} '${text}' is not a number`);
  }
  return value;
}
