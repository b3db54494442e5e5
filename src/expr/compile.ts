/**
 * Chapter two's entry points: expression source text to native code, and to a callable function.
 *
 *   using f = compileExpression("x * x - 3 * x + 2");
 *   f(5); // 12
 */
import { int32Signature } from "../abi.ts";
import type { Code } from "../emit.ts";
import { JitError, checkOptions, checkString } from "../errors.ts";
import { type CodeMemory, type JitFunction, install, memoryOption } from "../jit.ts";
import { type Target, hostPlatform, sameTarget } from "../platform.ts";
import { generate } from "./codegen.ts";
import { fold } from "./fold.ts";
import { parse, validateParams } from "./parse.ts";

export interface ExpressionOptions {
  /** Parameter names, in argument order (at most 4); default `["x"]`. */
  params?: readonly string[];
  /** Must be the host's target (or the memory's) when running; any target when only assembling. */
  target?: Target;
  /** Where to install the code; defaults to the process-wide host memory. */
  memory?: CodeMemory;
}

const DEFAULT_PARAMS: readonly string[] = ["x"];

/** Parse, fold and generate code for any target (no memory mapped): for --dump/--listing. */
export function assembleExpression(
  source: string,
  options?: { params?: readonly string[]; target?: Target },
): { code: Code; checked: boolean; arity: number } {
  return assemble(checkString(source, "assembleExpression(source)"), checkOptions(options, "assembleExpression(source, options): options"), true);
}

function assemble(
  source: string,
  options: { params?: readonly string[]; target?: Target },
  listing: boolean,
): { code: Code; checked: boolean; arity: number } {
  const params = options.params ?? DEFAULT_PARAMS;
  validateParams(params);
  const tree = fold(parse(source, params));
  const target = options.target ?? hostPlatform().target;
  const { code, checked } = generate(tree, { target, params, listing });
  return { code, checked, arity: params.length };
}

/** Compile for this host and install: a JitFunction taking params.length int32 arguments. */
export function compileExpression(source: string, given?: ExpressionOptions): JitFunction {
  checkString(source, "compileExpression(source)");
  const options: ExpressionOptions = checkOptions(given, "compileExpression(source, options): options");
  const memory = memoryOption(options.memory, "compileExpression");
  // The target is checked before anything is parsed or mapped: foreign code can only be listed.
  const runs = memory.target;
  const wanted = options.target ?? runs;
  if (!sameTarget(wanted, runs)) {
    throw new JitError(
      "E_TARGET",
      `cannot run ${wanted.arch}/${wanted.abi} code on this host (${runs.arch}/${runs.abi}); ` +
        "assembleExpression generates it without running it",
    );
  }
  // A copy of the parameter list: the caller's array may change before the listing is asked for.
  const input: ExpressionInput = { source, params: options.params === undefined ? DEFAULT_PARAMS : options.params.slice() };
  // Assembled without listing text: the function keeps its text, not its code, and the listing and
  // bytes are compiled again (with the text) when read.
  const { code, checked, arity } = assemble(source, { params: input.params, target: runs }, false);
  // Code that divides reports a zero divisor in the memory's status block (see jit.ts).
  return install(memory, code, { signature: int32Signature(arity), status: checked, names: input.params, recipe: expressionRecipe, input });
}

interface ExpressionInput {
  readonly source: string;
  readonly params: readonly string[];
}

const expressionRecipe = (input: ExpressionInput, target: Target): Code =>
  assembleExpression(input.source, { params: input.params, target }).code;
