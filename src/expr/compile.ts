/**
 * Chapter two's entry points: expression source text to native code, and to a callable function.
 *
 *   using f = compileExpression("x * x - 3 * x + 2");
 *   f(5); // 12
 */
import { int32Signature } from "../abi.ts";
import type { Code } from "../emit.ts";
import { JitError, checkOptions, checkString, describeValue } from "../errors.ts";
import { type CodeMemory, type JitFunction, install, memoryOption } from "../jit.ts";
import { type PerfSource, perfName, profiler } from "../perf.ts";
import { type Target, hostPlatform, sameTarget, targetArgument } from "../platform.ts";
import { generate } from "./codegen.ts";
import { fold } from "./fold.ts";
import { MAX_PARAMS, parse, validateParams } from "./parse.ts";

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
  options?: { params?: readonly string[]; target?: Target; columns?: boolean },
): { code: Code; checked: boolean; arity: number; columns?: Columns } {
  const checked = checkOptions(options, "assembleExpression(source, options): options");
  return assemble(checkString(source, "assembleExpression(source)"), checked, true, checked.columns === true);
}

type Columns = readonly { readonly offset: number; readonly column: number }[];

function assemble(
  source: string,
  options: { params?: readonly string[]; target?: Target },
  listing: boolean,
  columns = false,
): { code: Code; checked: boolean; arity: number; columns?: Columns } {
  const params = checkedParams(options.params);
  validateParams(params);
  const tree = fold(parse(source, params));
  const target = options.target === undefined ? hostPlatform().target : targetArgument(options.target, "options.target");
  const generated = generate(tree, { target, params, listing, columns });
  return { ...generated, arity: params.length };
}

/** Compile for this host and install: a JitFunction taking params.length int32 arguments. */
export function compileExpression(source: string, given?: ExpressionOptions): JitFunction {
  checkString(source, "compileExpression(source)");
  const options: ExpressionOptions = checkOptions(given, "compileExpression(source, options): options");
  const memory = memoryOption(options.memory, "compileExpression");
  // The target is checked before anything is parsed or mapped: foreign code can only be listed.
  const runs = memory.target;
  const wanted = options.target === undefined ? runs : targetArgument(options.target, "compileExpression(source, options): options.target");
  if (!sameTarget(wanted, runs)) {
    throw new JitError(
      "E_TARGET",
      `cannot run ${wanted.arch}/${wanted.abi} code on this host (${runs.arch}/${runs.abi}); ` +
        "assembleExpression generates it without running it",
    );
  }
  // A copy of the parameter list: the caller's array may change before the listing is asked for.
  const input: ExpressionInput = { source, params: options.params === undefined ? DEFAULT_PARAMS : checkedParams(options.params).slice() };
  // Assembled without listing text: the function keeps its text, not its code, and the listing and
  // bytes are compiled again (with the text) when read.
  const perf = profiler() !== undefined;
  const { code, checked, arity, columns } = assemble(source, { params: input.params, target: runs }, false, perf);
  const describe = perf ? (i: ExpressionInput) => expressionPerf(i, columns) : expressionName;
  // Code that divides reports a zero divisor in the memory's status block (see jit.ts).
  return install(memory, code, { signature: int32Signature(arity), status: checked, names: input.params, recipe: expressionRecipe, input, describe });
}

/**
 * An expression's name and line table for profilers: each node's code under the line and column of
 * its operator (or its number or parameter), in a "file" named like the symbol, since the text is no file.
 */
export function expressionPerf(input: ExpressionInput, columns: Columns | undefined): { name: string; source?: PerfSource } {
  const { name } = expressionName(input);
  if (columns === undefined || columns.length === 0) return { name };
  const text = input.source;
  const lines = columns.map(({ offset, column }) => {
    const before = text.lastIndexOf("\n", column - 2); // the newline before the 0-based position column - 1
    let line = 1;
    for (let i = text.indexOf("\n"); i >= 0 && i <= before; i = text.indexOf("\n", i + 1)) line++;
    return { offset, line, column: column - 1 - before };
  });
  return { name, source: { file: name, lines } };
}

/**
 * What profilers call an expression (perf.ts): `expr:` and its text without spaces, and, with more than
 * the one parameter x, the parameters: `expr(a,b):a*b`.
 */
export function expressionName(input: { readonly source: string; readonly params: readonly string[] }): { name: string } {
  const params = input.params.length === 1 && input.params[0] === "x" ? "" : `(${input.params.join(",")})`;
  return { name: perfName(`expr${params}:${input.source.replace(/\s+/g, "")}`) };
}

/** options.params: undefined (x), or an array of names (checked by validateParams), else E_RANGE. */
function checkedParams(params: unknown): readonly string[] {
  if (params === undefined) return DEFAULT_PARAMS;
  if (!Array.isArray(params)) throw new JitError("E_RANGE", `options.params must be an array of parameter names, not ${describeValue(params)}`);
  // Read once, in a loop bounded before it starts, into a copy of ours: a Proxy claiming 10^8 names
  // took 41 s, and one answering differently on a second read could hand the parser a non-string.
  const length: number = params.length;
  if (length > MAX_PARAMS) throw new JitError("E_SYNTAX", `too many parameters: ${length} (at most ${MAX_PARAMS})`);
  const names: string[] = [];
  for (let i = 0; i < length; i++) {
    const name: unknown = params[i];
    if (typeof name !== "string") throw new JitError("E_RANGE", `options.params must hold strings, not ${describeValue(name)}`);
    names.push(name);
  }
  return names;
}

interface ExpressionInput {
  readonly source: string;
  readonly params: readonly string[];
}

const expressionRecipe = (input: ExpressionInput, target: Target): Code =>
  assembleExpression(input.source, { params: input.params, target }).code;
