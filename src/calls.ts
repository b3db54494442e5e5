/**
 * The cold half of calling a JitFunction, loaded on first need (jit.ts keeps the hot one-int32 path):
 * the wrapper for every other signature, the messages for a bad call, and what a status code means.
 * Apart from jit.ts so that a start-up that installs one adder does not load it (about 0.2 ms of CPU
 * for the installed package's bin, measured).
 */
import type { ParamKind, Signature } from "./abi.ts";
import { JitError, describeValue } from "./errors.ts";
import type { StatusBlock } from "./jit.ts";
import type { NativeFunction } from "./os.ts";

/** What the wrappers need from jit.ts, handed over at install (no import back: no cycle). */
export interface CallContext {
  /** The symbol under which a JitFunction keeps its code's address (jit.ts ADDRESS); none or 0 once disposed. */
  readonly address: symbol;
  disposedError(): never;
  notConstructor(): never;
  badCall(fn: unknown, args: ArrayLike<unknown>): never;
}

/**
 * What a nonzero status word means. 1 and 2 are the codes generated code stores; the JitFunction
 * throws the error with this message.
 */
export const STATUS_ERRORS: Readonly<Record<number, readonly [code: "E_DIV_ZERO" | "E_STACK", message: string]>> = {
  1: ["E_DIV_ZERO", "division by zero"],
  2: ["E_STACK", "stack overflow: the compiled code recursed too deeply"],
};


/** The E_RANGE for a call with the wrong number of arguments or a wrong one: the first problem found. */
export function badArguments(signature: Signature, names: readonly string[] | undefined, args: ArrayLike<unknown>): never {
  const kinds = signature.params;
  if (args.length !== kinds.length) {
    throw new JitError("E_RANGE", `this function takes ${kinds.length} argument${kinds.length === 1 ? "" : "s"}, got ${args.length}`);
  }
  for (let i = 0; i < kinds.length; i++) {
    const kind = kinds[i] as ParamKind;
    const value = args[i];
    if (fits(kind, value)) continue;
    const name = names?.[i];
    const what = kind === "i32" ? "a 32-bit integer (-2147483648..2147483647)" : kind === "f64" ? "a number" : "a typed array or DataView";
    throw new JitError("E_RANGE", `parameter ${i + 1}${name === undefined ? "" : ` (${name})`} must be ${what}, got ${describeValue(value)}`);
  }
  throw new JitError("E_INTERNAL", "badCall found nothing wrong");
}

export function fits(kind: ParamKind, value: unknown): boolean {
  if (kind === "i32") return typeof value === "number" && (value | 0) === value;
  if (kind === "f64") return typeof value === "number";
  return ArrayBuffer.isView(value);
}

/** Read and clear a nonzero status word, and throw what it means. */
export function statusError(block: StatusBlock): never {
  const code = block.word[0] as number;
  block.word[0] = 0;
  block.word[1] = 0;
  const known = STATUS_ERRORS[code];
  throw known === undefined ? new JitError("E_INTERNAL", `the code reported unknown status ${code}`) : new JitError(known[0], known[1]);
}

/** Any other signature: every argument checked against its kind. */
export function general(ctx: CallContext, call: NativeFunction, signature: Signature, status: StatusBlock | undefined): (...args: never[]) => number {
  // Plain arrays and numbers, not the signature's frozen array of strings: JavaScriptCore reads a frozen
  // array's elements through a slow path (a 3-argument call measured 70 ns instead of 12).
  const codes: number[] = [];
  for (let i = 0; i < signature.params.length; i++) codes.push(signature.params[i] === "i32" ? 0 : signature.params[i] === "f64" ? 1 : 2);
  const n = codes.length;
  const returns = signature.result !== "void";
  addressKey ??= ctx.address;
  return function jit(...args: unknown[]): number {
    const address = (jit as unknown as Record<symbol, number | undefined>)[addressKey as symbol];
    if (!address) ctx.disposedError();
    if (new.target !== undefined) ctx.notConstructor();
    if (args.length !== n) ctx.badCall(jit, args);
    for (let i = 0; i < n; i++) {
      const a = args[i];
      const code = codes[i];
      if (code === 0 ? typeof a !== "number" || (a | 0) !== a : code === 1 ? typeof a !== "number" : !ArrayBuffer.isView(a)) ctx.badCall(jit, args);
    }
    if (status === undefined) {
      const r = (call as (...a: unknown[]) => number)(...args, address);
      return returns ? r : (undefined as unknown as number);
    }
    const r = (call as (...a: unknown[]) => number)(...args, status.address, address);
    if (status.word[0] !== 0) statusError(status);
    return returns ? r : (undefined as unknown as number);
  };
}

/**
 * jit.ts's address symbol, kept module-wide (set by the first general()): a closure's own copy would
 * be a different variable per function, which JavaScriptCore cannot fold into the read.
 */
let addressKey: symbol | undefined;
