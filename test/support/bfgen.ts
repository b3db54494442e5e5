/**
 * Random Brainfuck programs for the differential test, biased toward what the optimizer rewrites:
 * clear loops, scans, multiply loops (balanced and not), counted loops that set cells (conditionals),
 * copies through a temporary, long moves that become offsets, I/O inside loops, and walks to the
 * tape's edges (the tapes are small). Every program ends or is cut off by the reference's step limit
 * (such programs are skipped). `smallerSources` lists the cuts the shrinker (test/support/shrink.ts)
 * tries on a failing one.
 */
import type { Rng } from "./random.ts";

export interface Case {
  readonly source: string;
  readonly input: Uint8Array;
  readonly tape: number;
  readonly eof: "unchanged" | 0 | -1;
}

const EOFS = ["unchanged", 0, -1] as const;

export function randomCase(random: Rng): Case {
  const int = (n: number) => Math.floor(random() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)] as T;
  const run = (c: string, max: number) => c.repeat(1 + int(max));
  const moves = () => (random() < 0.5 ? run(">", 4) : run("<", 4));
  const pieces: (() => string)[] = [
    () => run("+", 6),
    () => run("-", 6),
    moves,
    () => `${run(">", 12)}`,
    () => `${run("<", 12)}`,
    () => "[-]",
    () => "[+]",
    () => pick(["[>]", "[<]", "[>>]", "[<<]", "[>>>]", "[<<<<]"]),
    () => `[${random() < 0.5 ? run(">", 40) : run("<", 40)}]`, // long steps: off a small tape in one
    () => "[->+<]",
    () => "[->>+++<<]",
    () => "[-<+>>++<]",
    () => "[>+<-]",
    () => "[--->+<]",
    () => "[-<<<+>>>]",
    () => `[-${moves()}+${moves()}]`,
    () => ".",
    () => ",",
    () => "><",
    () => "<>",
    () => `[${run("+", 3)}>${run("-", 2)}<-]`,
    // Counted loops whose body sets other cells (ifLoops: a conditional), some also adding to cells,
    // set or not, and stepping their own cell by an odd or an even amount.
    () => {
      const d = 1 + int(3), right = random() < 0.5, there = (right ? ">" : "<").repeat(d), back = (right ? "<" : ">").repeat(d);
      const set = `[-]${"+".repeat(int(3))}`, own = pick(["-", "-", "---", "+", "--", "-+-"]);
      return `[${pick([
        `${there}${set}${back}${own}`,
        `${own}${there}${set}${back}`,
        `${there}${set}${there}+${back}${back}${own}`,
        `${there}${set}+${back}${own}`,
        `${there}+${set}${back}${own}`,
        `${there}${set}${back}${there}${there}${run("-", 2)}${back}${back}${own}`,
        `${there}${set}${own}`, // not balanced
      ])}]`;
    },
    () => `[>[-]<[-]]`,
    // Copies through a temporary (knownValues makes one mul that keeps its cell), some not quite one.
    () => pick(["[->+>+<<]>>[-<<+>>]<<", "[->>+<<]>>[-<<+>>]<<", "[->+>+<<]>>[-<<++>>]<<", "[->+>+<<]>[-<+>]<", "[-<+>>+<]>[-<+>]<"]),
    () => `[${run(">", 3)}[-]+${run("<", 3)}-]`,
  ];
  const depthLimit = 3;
  const gen = (depth: number, length: number): string => {
    let s = "";
    for (let i = 0; i < length; i++) {
      if (depth < depthLimit && random() < 0.18) {
        // A loop that ends: its body decrements its own cell, plus random stuff that returns the pointer
        // (balanced) or not (unbalanced, ended by the step limit when it wanders).
        const body = gen(depth + 1, 1 + int(5));
        s += random() < 0.7 ? `[-${body}]` : `[${body}-]`;
      } else if (random() < 0.05) {
        s += `[.${gen(depth + 1, 2)}-]`; // I/O inside a loop
      } else s += (pieces[int(pieces.length)] as () => string)();
    }
    return s;
  };
  const source = gen(0, 1 + int(14));
  const input = Uint8Array.from({ length: int(6) }, () => int(256));
  const tape = pick([1, 2, 3, 5, 8, 16, 30, 100, 30_000]);
  return { source, input, tape, eof: pick(EOFS) };
}

/**
 * Scans off either end of the tape and scans that stop on its last or first cell, with steps up to the
 * longest that stops on the zero cells beyond the ends (4096, STOP_CELLS_LIMIT) and the first that
 * checks every step instead (4097). On a tape of 2s + 1 cells, cells 0, s and 2s (or the mirror image
 * from the last cell) are set and the scan steps off the tape; with only 0 and s set, it stops on the
 * last cell (or cell 0).
 */
export function scanEdgeCases(): Case[] {
  const cases: Case[] = [];
  for (const step of [1, 2, 7, 4095, 4096, 4097]) {
    const tape = 2 * step + 1;
    for (const set of [1, 2]) {
      const scan = (go: string, back: string) => `+${`${go.repeat(step)}+`.repeat(set)}${back.repeat(set * step)}[${go.repeat(step)}]`;
      for (const source of [scan(">", "<"), `${">".repeat(tape - 1)}${scan("<", ">")}`]) {
        cases.push({ source: `${source}+.`, input: new Uint8Array(0), tape, eof: "unchanged" });
      }
    }
  }
  return cases;
}

/** The case with a piece of its program cut out, biggest cuts first; brackets go only in matching pairs. */
export function* smallerSources(c: Case): Generator<Case> {
  const source = c.source;
  for (let size = Math.max(1, source.length >> 1); size >= 1; size >>= 1) {
    for (let i = 0; i + size <= source.length; i++) {
      const cut = source.slice(0, i) + source.slice(i + size);
      if (balanced(cut)) yield { ...c, source: cut };
    }
  }
}

function balanced(s: string): boolean {
  let depth = 0;
  for (const c of s) {
    if (c === "[") depth++;
    else if (c === "]" && --depth < 0) return false;
  }
  return depth === 0;
}
