/**
 * Chapter three's entry points: Brainfuck source to native code (any target), and to a program that
 * runs on this host.
 *
 *   using hello = compileBrainfuck("++++++++[>++++++++<-]>+.");
 *   hello.run(); // Uint8Array [65]: "A"
 */
import { checkTarget } from "../abi.ts";
import type { Assembler } from "../emit.ts";
import { JitError, checkOptions, checkString, describeValue } from "../errors.ts";
import { type CodeMemory, memoryOption } from "../jit.ts";
import { formatListing } from "../listing.ts";
import { profiler } from "../perf.ts";
import { type Target, hostPlatform, targetArgument } from "../platform.ts";
import { arm64Backend } from "./arm64.ts";
import { type BfBackend, type BfCode, type BfOptions, type EofMode, generate } from "./codegen.ts";
import type { Op } from "./ir.ts";
import { PASSES, type PassName, optimizeRead, readProgram } from "./optimize.ts";
import { type OpTable, toOps } from "./table.ts";
import { type BrainfuckProgram, load } from "./runtime.ts";
import { x64Backend } from "./x64.ts";

export const DEFAULT_TAPE = 30_000;
/** The largest tape: 2^30 cells keeps every cell index and check constant inside 32 bits. */
export const MAX_TAPE = 2 ** 30;

export interface BrainfuckOptions {
  /** Cells on the tape (default 30,000; 1 .. 2^30). */
  readonly tape?: number;
  /** What `,` does at end of input: "unchanged" (default), 0, or -1 (stores 255). */
  readonly eof?: EofMode;
  /** The optional optimizer passes to run (default: all of them); bounds checks are always placed. */
  readonly passes?: readonly PassName[];
}

export interface AssembleOptions extends BrainfuckOptions {
  /** Default: this host's target. */
  readonly target?: Target;
}

export interface CompileOptions extends BrainfuckOptions {
  /** Where to install the code; defaults to the process-wide host memory. */
  readonly memory?: CodeMemory;
  /** The file the source came from: profilers name the code by it (perf.ts); default "program". */
  readonly file?: string;
}

function checkedOptions(options: BrainfuckOptions): BfOptions {
  const tape = options.tape ?? DEFAULT_TAPE;
  if (!Number.isInteger(tape) || tape < 1 || tape > MAX_TAPE) {
    throw new JitError("E_RANGE", `the tape must have 1 to ${MAX_TAPE} cells, not ${describeValue(tape)}`);
  }
  const eof = options.eof ?? "unchanged";
  if (eof !== "unchanged" && eof !== 0 && eof !== -1) {
    throw new JitError("E_RANGE", `eof must be "unchanged", 0 or -1, not ${describeValue(eof)}`);
  }
  if (options.passes !== undefined && !Array.isArray(options.passes)) throw new JitError("E_RANGE", `passes must be an array of pass names, not ${describeValue(options.passes)}`);
  for (const pass of options.passes ?? []) {
    if (!(PASSES as readonly string[]).includes(pass)) throw new JitError("E_RANGE", `no optimizer pass named ${describeValue(pass)}; there are ${PASSES.join(", ")}`);
  }
  return { tape, eof };
}

function backendFor(asm: Assembler, target: Target, options: BfOptions): BfBackend {
  checkTarget(target);
  if (asm.arch === "x64") return x64Backend(asm, target, options);
  return arm64Backend(asm, target, options);
}

/** Parse and optimize (the parser and the first walk in one: readProgram). */
const optimizeSource = (source: string, passes?: readonly PassName[]): OpTable => optimizeRead(readProgram(source, passes), passes);

/** Parse and optimize: the IR a program compiles to, as Op objects (for tests and the book's before/after listings). */
export function brainfuckIr(source: string, passes?: readonly PassName[]): Op[] {
  checkString(source, "brainfuckIr(source)");
  checkedOptions({ ...(passes === undefined ? {} : { passes }) });
  return toOps(optimizeSource(source, passes));
}

function assemble(source: string, ops: OpTable, target: Target, options: BfOptions, notes: boolean, marks = false): BfCode {
  try {
    return generate(ops, target, options, backendFor, notes ? source : undefined, marks);
  } catch (error) {
    // An arm64 conditional branch reaches 1 MiB; a program whose loop or exit is further away than
    // that is refused with a clear message rather than miscompiled.
    if (error instanceof JitError && error.code === "E_RANGE") {
      throw new JitError("E_RANGE", `the program is too large to compile for ${target.arch}: ${error.message}`);
    }
    throw error;
  }
}

/** Brainfuck to machine code for any target (nothing is mapped): for --dump and --listing. */
export function assembleBrainfuck(source: string, given?: AssembleOptions): BfCode {
  checkString(source, "assembleBrainfuck(source)");
  const options: AssembleOptions = checkOptions(given, "assembleBrainfuck(source, options): options");
  const checked = checkedOptions(options);
  const target = options.target === undefined ? hostPlatform().target : targetArgument(options.target, "assembleBrainfuck(source, options): options.target");
  return assemble(source, optimizeSource(source, options.passes), target, checked, true);
}

/** Compile for this host and load: a program to run (many times) and dispose. */
export function compileBrainfuck(source: string, given?: CompileOptions): BrainfuckProgram {
  checkString(source, "compileBrainfuck(source)");
  const options: CompileOptions = checkOptions(given, "compileBrainfuck(source, options): options");
  const checked = checkedOptions(options);
  const memory = memoryOption(options.memory, "compileBrainfuck");
  const host = memory.target;
  const perf = profiler();
  const ops = optimizeSource(source, options.passes);
  const bf = assemble(source, ops, host, checked, false, perf !== undefined);
  // The listing compiles the source again, with notes: keeping the IR for it would keep megabytes.
  const listing = () => formatListing(assemble(source, optimizeSource(source, options.passes), host, checked, true).code);
  if (perf === undefined) return load(memory, bf, source, checked, listing);
  return load(memory, bf, source, checked, listing, (address) => {
    const { brainfuckPieces } = require("./profile.ts") as typeof import("./profile.ts");
    const file = options.file ?? "program";
    const path = options.file === undefined ? file : (require("node:path") as typeof import("node:path")).resolve(file);
    perf.record(brainfuckPieces(ops, bf, address, file, path));
  });
}

export type { BrainfuckIo, BrainfuckProgram } from "./runtime.ts";
export type { EofMode } from "./codegen.ts";
export type { PassName } from "./optimize.ts";
export { PASSES } from "./optimize.ts";
