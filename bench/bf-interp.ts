/**
 * A plain Brainfuck interpreter in JavaScript, the comparison for the Brainfuck rows (bench/bf.ts):
 * the source reduced to its commands, each bracket's partner found once up front, then one switch per
 * command. No runs folded, no loops rewritten: the baseline a JIT is expected to beat by far.
 *
 * Same semantics as babyjit's --bf defaults: 8-bit wrapping cells, a tape of `tape` cells (30,000),
 * the pointer from cell 0, and `,` at end of input leaving the cell unchanged (or storing 0 / 255).
 */

export interface InterpretOptions {
  readonly tape?: number;
  readonly eof?: "unchanged" | 0 | -1;
}

const PLUS = 43, MINUS = 45, LT = 60, GT = 62, DOT = 46, COMMA = 44, OPEN = 91, CLOSE = 93;

/** The commands of `source`, and for each bracket the index of its partner. Throws on unmatched brackets. */
export function prepare(source: string): { code: Uint8Array; jump: Int32Array } {
  const commands: number[] = [];
  for (let i = 0; i < source.length; i++) {
    const c = source.charCodeAt(i);
    if (c === PLUS || c === MINUS || c === LT || c === GT || c === DOT || c === COMMA || c === OPEN || c === CLOSE) commands.push(c);
  }
  const code = Uint8Array.from(commands);
  const jump = new Int32Array(code.length);
  const open: number[] = [];
  for (let i = 0; i < code.length; i++) {
    if (code[i] === OPEN) open.push(i);
    else if (code[i] === CLOSE) {
      const j = open.pop();
      if (j === undefined) throw new Error(`unmatched ']' (command ${i})`);
      jump[i] = j;
      jump[j] = i;
    }
  }
  if (open.length > 0) throw new Error(`unmatched '[' (command ${open[open.length - 1]})`);
  return { code, jump };
}

/** Run `source` on `input`; returns everything it wrote. Throws when the pointer leaves the tape. */
export function interpret(source: string, input: Uint8Array = new Uint8Array(0), options: InterpretOptions = {}): Uint8Array {
  const { code, jump } = prepare(source);
  const size = options.tape ?? 30_000;
  const eof = options.eof ?? "unchanged";
  const tape = new Uint8Array(size);
  let out = new Uint8Array(4096);
  let outLength = 0;
  let inPos = 0;
  let p = 0;
  const n = code.length;
  for (let pc = 0; pc < n; pc++) {
    switch (code[pc]) {
      case PLUS:
        tape[p] = (tape[p] as number) + 1;
        break;
      case MINUS:
        tape[p] = (tape[p] as number) - 1;
        break;
      case GT:
        if (++p >= size) throw new Error(`the pointer left the tape (cell ${p})`);
        break;
      case LT:
        if (--p < 0) throw new Error(`the pointer left the tape (cell ${p})`);
        break;
      case DOT:
        if (outLength === out.length) {
          const bigger = new Uint8Array(out.length * 2);
          bigger.set(out);
          out = bigger;
        }
        out[outLength++] = tape[p] as number;
        break;
      case COMMA:
        if (inPos < input.length) tape[p] = input[inPos++] as number;
        else if (eof !== "unchanged") tape[p] = eof & 0xff;
        break;
      case OPEN:
        if (tape[p] === 0) pc = jump[pc] as number;
        break;
      case CLOSE:
        if (tape[p] !== 0) pc = jump[pc] as number;
        break;
    }
  }
  return out.slice(0, outLength);
}
