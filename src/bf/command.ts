/**
 * `babyjit --bf FILE`: read the file, compile it, and run it with stdin as its input and stdout as its
 * output (or dump or list its code). Every failure becomes a CommandError with its sysexits code.
 */
import { readFileSync, readSync } from "node:fs";
import type { Code } from "../emit.ts";
import { CommandError, JitError, describeIoError as describe } from "../errors.ts";
import { CodeMemory, hostMemory } from "../jit.ts";
import type { OsMemory } from "../os.ts";
import type { Target } from "../platform.ts";
import { ReaderGone, retrying, writeAll } from "../stdio.ts";
import type { EofMode } from "./codegen.ts";
import { assembleBrainfuck, compileBrainfuck } from "./compile.ts";
import { BUFFER_BYTES } from "./runtime.ts";

const EX_DATAERR = 65, EX_NOINPUT = 66;

/**
 * The executable starts with JavaScriptCore's JIT reluctant to tier up (package.json's build:
 * --compile-jit-policy), which suits start-up and the compile of an ordinary program: mostly code that
 * runs a few times, cheaper to interpret than to compile. A program this big compiles long enough to
 * pay for the JIT, so it gets the normal policy back (measured: chapter 5).
 */
const BIG_SOURCE = 1 << 20;

export interface BrainfuckCommand {
  readonly file: string;
  readonly tape: number;
  readonly eof: EofMode;
  readonly mode: "run" | "dump" | "listing";
  readonly target: Target;
  readonly trace?: (line: string) => void;
  /** The OS layer to map memory with (tests, --trace); by default the process-wide code memory's. */
  readonly os?: OsMemory;
}

/** Returns the text to print for dump/listing, or undefined after a run. */
export function brainfuckCommand(cmd: BrainfuckCommand, format: (code: Code) => string): string | undefined {
  let source: string;
  try {
    source = readFileSync(cmd.file, "utf8");
  } catch (error) {
    throw new CommandError(`${cmd.file}: ${describe(error)}`, EX_NOINPUT);
  }
  if (source.length > BIG_SOURCE && typeof Bun !== "undefined") Bun.unsafe.setJITPolicy?.(1);
  try {
    if (cmd.mode !== "run") return format(assembleBrainfuck(source, { target: cmd.target, tape: cmd.tape, eof: cmd.eof }).code);
    run(source, cmd);
    return undefined;
  } catch (error) {
    if (error instanceof JitError && (error.code === "E_SYNTAX" || error.code === "E_TAPE" || error.code === "E_RANGE")) {
      const hint = error.code === "E_TAPE" && (error.cell ?? 0) >= cmd.tape ? `; raise --tape (now ${cmd.tape} cells)` : "";
      throw new CommandError(`${cmd.file}:${error.message}${hint}`, EX_DATAERR);
    }
    throw error;
  }
}

function run(source: string, cmd: BrainfuckCommand): void {
  const own = cmd.os !== undefined;
  const memory = own ? new CodeMemory(cmd.os as OsMemory, cmd.target) : hostMemory();
  const program = compileBrainfuck(source, { tape: cmd.tape, eof: cmd.eof, memory });
  const input = new Uint8Array(BUFFER_BYTES);
  try {
    program.stream({
      read: () => {
        const n = retrying(() => readSync(0, input, 0, input.length, null), "read the input");
        return n === 0 ? null : input.subarray(0, n);
      },
      write: (chunk) => writeAll(1, chunk),
      ...(cmd.trace === undefined ? {} : { trace: cmd.trace }),
    });
  } catch (error) {
    if (!(error instanceof ReaderGone)) throw error;
  } finally {
    program.dispose();
    if (own) memory.close();
  }
}
