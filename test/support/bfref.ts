/**
 * The reference Brainfuck interpreter the tests compare babyjit with: one command at a time, no
 * optimization, obviously correct. Semantics: 8-bit wrapping cells, `tape` cells, the pointer starts
 * at cell 0, leaving the tape (cell -1 or cell `tape`) is an error at the `<` or `>` that did it, and
 * `,` at end of input follows `eof`.
 */
export type Eof = "unchanged" | 0 | -1;

export interface RefResult {
  readonly output: Uint8Array;
  /** Where the pointer left the tape, if it did: the source offset of the command and the cell. */
  readonly left?: { readonly offset: number; readonly cell: number };
  /** True when the step limit ran out (the program may not end). */
  readonly exhausted?: boolean;
}

export function interpret(source: string, input: Uint8Array, options: { tape: number; eof: Eof; maxSteps?: number }): RefResult {
  const jump = new Map<number, number>();
  const open: number[] = [];
  for (let i = 0; i < source.length; i++) {
    if (source[i] === "[") open.push(i);
    else if (source[i] === "]") {
      const j = open.pop();
      if (j === undefined) throw new Error(`unmatched ] at ${i}`);
      jump.set(i, j);
      jump.set(j, i);
    }
  }
  if (open.length > 0) throw new Error("unmatched [");
  const tape = new Uint8Array(options.tape);
  const output: number[] = [];
  let p = 0, inAt = 0, steps = 0;
  const maxSteps = options.maxSteps ?? 10_000_000;
  for (let pc = 0; pc < source.length; pc++) {
    if (++steps > maxSteps) return { output: Uint8Array.from(output), exhausted: true };
    switch (source[pc]) {
      case "+":
        tape[p] = ((tape[p] as number) + 1) & 0xff;
        break;
      case "-":
        tape[p] = ((tape[p] as number) - 1) & 0xff;
        break;
      case ">":
        p++;
        if (p >= tape.length) return { output: Uint8Array.from(output), left: { offset: pc, cell: p } };
        break;
      case "<":
        p--;
        if (p < 0) return { output: Uint8Array.from(output), left: { offset: pc, cell: p } };
        break;
      case ".":
        output.push(tape[p] as number);
        break;
      case ",":
        if (inAt < input.length) tape[p] = input[inAt++] as number;
        else if (options.eof !== "unchanged") tape[p] = options.eof & 0xff;
        break;
      case "[":
        if (tape[p] === 0) pc = jump.get(pc) as number;
        break;
      case "]":
        if (tape[p] !== 0) pc = jump.get(pc) as number;
        break;
    }
  }
  return { output: Uint8Array.from(output) };
}
