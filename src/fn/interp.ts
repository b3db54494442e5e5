/**
 * An IR interpreter: runs a module's IR with the chapter's meaning, for testing the front end
 * without a back end, and, given allocations, the allocator too. In the second mode values live
 * where the allocation put them, in one register file shared by all frames as a machine's is: a call
 * saves exactly the registers callSaves lists, the callee saves the callee-saved registers it uses,
 * and after the call every caller-saved register holds garbage, as if the callee had used it. A
 * wrong allocation then gives a wrong answer, or trips the check that callee-saved registers survive.
 */
import { evalBinary } from "../expr/reference.ts";
import { JitError } from "../errors.ts";
import type { Allocation, BinOp, Cond, ModuleIr, Operand, RegisterDescription, UnOp, VReg } from "./ir.ts";

export interface InterpretOptions {
  /** Allocations per function (by index) and the register description they were made for. */
  readonly allocations?: readonly Allocation[];
  readonly regs?: RegisterDescription;
  /** Instructions to execute before giving up (default 10 million). */
  readonly fuel?: number;
  /** Deepest call nesting (default 10,000). */
  readonly depth?: number;
}

/** Thrown when `fuel` or `depth` runs out: the program did not finish, which is not a babyjit error. */
export class OutOfFuel extends Error {}

export function interpret(mod: ModuleIr, name: string, args: readonly number[], options: InterpretOptions = {}): number | undefined {
  const index = mod.functions.findIndex((f) => f.name === name);
  if (index < 0) throw new JitError("E_RANGE", `no function '${name}'`);
  return new Interpreter(mod, options).call(index, args, 0);
}

export function binop(op: BinOp, a: number, b: number): number {
  switch (op) {
    case "min": return Math.min(a, b);
    case "max": return Math.max(a, b);
    case "mul": return Math.imul(a, b);
    default: return evalBinary(op, a, b);
  }
}

export function unop(op: UnOp, a: number): number {
  switch (op) {
    case "neg": return -a | 0;
    case "not": return ~a;
    case "abs": return Math.abs(a) | 0;
  }
}

export function compare(cond: Cond, a: number, b: number): boolean {
  switch (cond) {
    case "eq": return a === b;
    case "ne": return a !== b;
    case "lt": return a < b;
    case "le": return a <= b;
    case "gt": return a > b;
    case "ge": return a >= b;
  }
}

const GARBAGE = 0x5eadbeef;

class Interpreter {
  private fuel: number;
  private readonly maxDepth: number;
  /** The machine's registers, when running allocated code. */
  private readonly file = new Int32Array(256);

  constructor(
    private readonly mod: ModuleIr,
    private readonly options: InterpretOptions,
  ) {
    this.fuel = options.fuel ?? 10_000_000;
    this.maxDepth = options.depth ?? 10_000;
  }

  call(index: number, args: readonly number[], depth: number): number | undefined {
    if (depth > this.maxDepth) throw new OutOfFuel("call depth limit");
    const f = this.mod.functions[index]!;
    const alloc = this.options.allocations?.[index];
    const slots = new Int32Array(alloc?.slots ?? 0);
    // Doubles need a Float64Array; an i32 written there stays exact.
    const vals = f.types.includes("f64") ? new Float64Array(f.vregs) : new Int32Array(f.vregs);
    const file = this.file;
    const get = alloc === undefined
      ? (v: VReg): number => vals[v]!
      : (v: VReg): number => {
        const loc = alloc.locs[v]!;
        return loc.kind === "reg" ? file[loc.reg]! : slots[loc.slot]!;
      };
    const set = alloc === undefined
      ? (v: VReg, x: number): void => { vals[v] = x; }
      : (v: VReg, x: number): void => {
        const loc = alloc.locs[v]!;
        if (loc.kind === "reg") file[loc.reg] = x;
        else slots[loc.slot] = x;
      };
    const operand = (o: Operand): number => (o.kind === "imm" ? o.value : get(o.reg));

    if (alloc !== undefined && f.types.includes("f64")) throw new JitError("E_UNSUPPORTED", "the allocated interpreter runs i32 functions only (one register file)");
    const saved = alloc?.calleeSavedUsed.map((r) => file[r]!) ?? [];
    f.params.forEach((p, i) => {
      if (alloc?.locs[p] !== null) set(p, args[i]!);
    });
    let block = f.blocks[0]!;
    for (;;) {
      if ((this.fuel -= block.insts.length + 1) < 0) throw new OutOfFuel("fuel");
      for (const i of block.insts) {
        switch (i.op) {
          case "const": set(i.dst, i.value); break;
          case "mov": set(i.dst, get(i.src)); break;
          case "unary": set(i.dst, unop(i.un, get(i.a))); break;
          case "binary": set(i.dst, binop(i.bin, get(i.a), operand(i.b))); break;
          case "cmp": set(i.dst, compare(i.cond, get(i.a), operand(i.b)) ? 1 : 0); break;
          case "div":
          case "rem": {
            const b = get(i.b);
            if (b === 0) {
              throw new JitError("E_DIV_ZERO", `division by zero in '${f.name}' at ${this.mod.file}:${i.at.line}:${i.at.col}`);
            }
            set(i.dst, evalBinary(i.op === "div" ? "div" : "mod", get(i.a), b));
            break;
          }
          // f64 (issue 21), with JavaScript's own doubles; the allocated mode (one register file) is for i32 modules.
          case "fconst": set(i.dst, i.value); break;
          case "fbinary": set(i.dst, i.fbin === "add" ? get(i.a) + get(i.b) : i.fbin === "sub" ? get(i.a) - get(i.b) : i.fbin === "mul" ? get(i.a) * get(i.b) : get(i.a) / get(i.b)); break;
          case "fneg": set(i.dst, -get(i.a)); break;
          case "fsqrt": set(i.dst, Math.sqrt(get(i.a))); break;
          case "ccall": {
            const [x, y] = i.args.map(get) as [number, number];
            set(i.dst, i.fn === "fmod" ? x % y : i.fn === "atan2" ? Math.atan2(x, y) : i.fn === "pow" ? x ** y : Math[i.fn](x));
            break;
          }
          case "fabs": set(i.dst, Math.abs(get(i.a))); break;
          case "fcmp": set(i.dst, compare(i.cond, get(i.a), get(i.b)) ? 1 : 0); break;
          case "i2f": set(i.dst, get(i.a)); break;
          case "f2i": set(i.dst, get(i.a) | 0); break;
          case "aload":
          case "astore":
          case "alen":
            throw new JitError("E_UNSUPPORTED", "the IR interpreter has no typed arrays");
          case "call": {
            const values = i.args.map(get);
            const saves = alloc?.callSaves[i.id] ?? [];
            const kept = saves.map((r) => file[r]!);
            const result = this.call(i.callee, values, depth + 1);
            if (alloc !== undefined) {
              for (const r of this.options.regs!.callerSaved) file[r] = GARBAGE;
            }
            if (i.dst !== null) set(i.dst, result!);
            saves.forEach((r, k) => (file[r] = kept[k]!));
            break;
          }
        }
      }
      const t = block.term;
      switch (t.op) {
        case "jmp":
          block = f.blocks[t.target]!;
          break;
        case "br":
          block = f.blocks[compare(t.cond, get(t.a), operand(t.b)) ? t.then : t.else]!;
          break;
        case "fbr":
          block = f.blocks[compare(t.cond, get(t.a), get(t.b)) ? t.then : t.else]!;
          break;
        case "ret": {
          const value = t.value === null ? undefined : get(t.value);
          if (alloc !== undefined) alloc.calleeSavedUsed.forEach((r, k) => (file[r] = saved[k]!));
          return value;
        }
      }
    }
  }
}
