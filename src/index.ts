/**
 * babyjit, the library: JIT-compile small integer functions to native code and call them from Bun.
 *
 *   using add = compileAdder(5);
 *   add(10); // 15
 */
import { int32Signature } from "./abi.ts";
import { adderName, emitAdder } from "./adder.ts";
import type { Code } from "./emit.ts";
import { checkInt32 } from "./int32.ts";
import { checkOptions } from "./errors.ts";
import { type CodeMemory, type JitFunction, install, memoryOption } from "./jit.ts";
import { type Target, hostPlatform, targetArgument } from "./platform.ts";

export { JitError, OsError, type JitErrorCode } from "./errors.ts";
export type { Arch, Code, ListingLine } from "./emit.ts";
export { CodeMemory, hostMemory, hostOs, type CodeSlot, type JitFunction, type OsMemory } from "./jit.ts";
export { formatListing, hexBytes } from "./listing.ts";
export { assembleExpression, compileExpression, type ExpressionOptions } from "./expr/compile.ts";
export { MAX_DEPTH } from "./expr/parse.ts";
export {
  assembleBrainfuck,
  brainfuckIr,
  compileBrainfuck,
  DEFAULT_TAPE,
  MAX_TAPE,
  PASSES,
  type AssembleOptions as BrainfuckAssembleOptions,
  type BrainfuckIo,
  type BrainfuckOptions,
  type BrainfuckProgram,
  type CompileOptions as BrainfuckCompileOptions,
  type EofMode,
  type PassName,
} from "./bf/compile.ts";
export type { BfCode, Site as BrainfuckSite } from "./bf/codegen.ts";
export {
  assembleModule,
  compileModule,
  type AssembleModuleOptions,
  type AssembledModule,
  type JitModule,
  type ModuleOptions,
} from "./fn/compile.ts";
/** The functions chapter's integer type: a module writes `import type { i32 } from "babyjit"`. */
/**
 * The functions chapter's types, and its conversions as functions, so a module that writes
 * `import { f64, i32 } from "babyjit"` runs in Bun unchanged: i32(x) is `x | 0` (ToInt32), f64(i) is `+i`.
 */
export type i32 = number;
export type f64 = number;
export function i32(x: number): number {
  return x | 0;
}
export function f64(i: number): number {
  return +i;
}
export { INT32_MAX, INT32_MIN, parseInt32 } from "./int32.ts";
export { hostPlatform, platformFor, targetFor, SUPPORTED_PLATFORMS, type Abi, type Platform, type Target } from "./platform.ts";

export interface CompileOptions {
  /** Where to install the code; defaults to the process-wide host memory. */
  readonly memory?: CodeMemory;
}

/** The adder's machine code for any target (no memory is mapped): for dumps and listings. */
export function assembleAdder(term: number, target: Target = hostPlatform().target): Code {
  return emitAdder(targetArgument(target, "assembleAdder(term, target): target"), checkInt32(term, "term"));
}

/** The article's JIT: a native function returning `x + term`, wrapping like C's int32_t. */
export function compileAdder(term: number, options?: CompileOptions): JitFunction {
  checkInt32(term, "term");
  const memory = memoryOption(checkOptions(options, "compileAdder(term, options): options").memory, "compileAdder");
  // The function keeps its term, not its code: the listing and bytes are made again when read.
  return install(memory, emitAdder(memory.target, term), { signature: ADDER_SIGNATURE, names: ADDER_NAMES, recipe: adderRecipe, input: term, describe: adderName });
}

const ADDER_SIGNATURE = int32Signature(1);
const ADDER_NAMES: readonly string[] = Object.freeze(["x"]);
const adderRecipe = (term: number, target: Target): Code => emitAdder(target, term);
