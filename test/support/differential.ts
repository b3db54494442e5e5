/**
 * The one differential runner: random cases from a seed, each run by babyjit and by an independent
 * reference, answers compared; the first difference is shrunk and reported with the seed.
 *
 * A chapter describes its test as a Differential (test/support/bf-diff.ts, expr-diff.ts):
 *
 *   const suite: Differential<Case> = {
 *     generate: (rng) => ...,           // one random case
 *     reference: (c) => ...,            // the reference's answer (JSON-comparable), undefined: skip it
 *     actual: (c) => ...,               // babyjit's answer; a throw is an answer too ("threw <message>")
 *     smaller: (c) => ...,              // smaller variants, for the shrinker (optional)
 *     show: (c) => ...,                 // a case as the report prints it
 *   };
 *   expectAgreement(suite, SEED + 1, 5_000);   // in a test: throws the report, with how to replay
 *
 * Optional: `fixed` cases run first (they count toward no total), and `actualAll` answers a batch of
 * `batch` cases at once (say, compiled together so their code shares pages).
 *
 * As a script, for the emulators (their own Bun runs it):
 *   bun test/support/differential.ts <suite> <seed> <count> [suite arguments]
 * prints `ok <count>`, or the report and exits 1. A suite is a line in SUITES below: a module whose
 * `suite(args)` returns its Differential.
 */
import { type Rng, makeRng, replayHint } from "./random.ts";
import { shrink } from "./shrink.ts";

export interface Differential<C> {
  readonly fixed?: readonly C[];
  generate(rng: Rng): C;
  reference(c: C): unknown;
  actual(c: C): unknown;
  actualAll?(cases: readonly C[]): unknown[];
  readonly batch?: number;
  smaller?(c: C): Iterable<C>;
  show(c: C): string;
}

export type DiffResult = { ok: true; compared: number; skipped: number } | { ok: false; report: string };

/** The suites the script entry knows, by name: module paths relative to this file. */
export const SUITES: Readonly<Record<string, string>> = {
  bf: "./bf-diff.ts",
  expr: "./expr-diff.ts",
  fn: "./fn-diff.ts",
  "fn-f64": "./fn-f64-diff.ts",
};

/** An answer as comparable text; a thrown error becomes "threw <message>". */
function answer(run: () => unknown): string {
  try {
    return JSON.stringify(run()) ?? "undefined";
  } catch (error) {
    return `threw ${error instanceof Error ? error.message : String(error)}`;
  }
}

/** Runs the fixed cases, then `count` random cases from `seed`; stops at the first difference. */
export function differential<C>(d: Differential<C>, seed: number, count: number): DiffResult {
  const rng = makeRng(seed);
  const fixed = d.fixed ?? [];
  const batch = d.actualAll === undefined ? 1 : Math.max(1, d.batch ?? 64);
  let next = 0, compared = 0, skipped = 0, seen = 0;
  for (;;) {
    // A batch of cases the reference can answer: the fixed ones first, then random ones.
    const cases: C[] = [];
    const wants: string[] = [];
    let random = 0;
    while (cases.length < batch) {
      const isFixed = next < fixed.length;
      if (!isFixed && compared + random >= count) break;
      const c = isFixed ? (fixed[next++] as C) : d.generate(rng);
      const want = d.reference(c);
      if (want === undefined) {
        skipped++;
        continue;
      }
      cases.push(c);
      wants.push(JSON.stringify(want));
      if (!isFixed) random++;
    }
    if (cases.length === 0) return { ok: true, compared, skipped };
    const gots = d.actualAll === undefined || cases.length === 1 ? cases.map((c) => answer(() => d.actual(c))) : batchAnswers(d, cases);
    for (let i = 0; i < cases.length; i++) {
      if (gots[i] !== wants[i]) return { ok: false, report: report(d, seed, seen + i, cases[i] as C) };
    }
    seen += cases.length;
    compared += random;
  }
}

function batchAnswers<C>(d: Differential<C>, cases: readonly C[]): string[] {
  try {
    return (d.actualAll as (cs: readonly C[]) => unknown[])(cases).map((a) => JSON.stringify(a) ?? "undefined");
  } catch {
    // Something in the batch threw: answer each case alone, so the report names the one that did.
    return cases.map((c) => answer(() => d.actual(c)));
  }
}

function report<C>(d: Differential<C>, seed: number, index: number, c: C): string {
  const differs = (x: C): boolean => {
    const want = d.reference(x);
    return want !== undefined && answer(() => d.actual(x)) !== JSON.stringify(want);
  };
  const small = d.smaller === undefined ? c : shrink(c, (x) => (d.smaller as (x: C) => Iterable<C>)(x), differs);
  return [
    `seed ${seed}, case ${index}: babyjit and the reference differ`,
    `  case      ${d.show(c)}`,
    `  shrunk    ${d.show(small)}`,
    `  babyjit   ${answer(() => d.actual(small))}`,
    `  reference ${JSON.stringify(d.reference(small))}`,
    `  ${replayHint(seed)}`,
  ].join("\n");
}

/** For tests: runs the differential and throws its report on a difference (or on fewer cases compared). */
export function expectAgreement<C>(d: Differential<C>, seed: number, count: number): void {
  const result = differential(d, seed, count);
  if (!result.ok) throw new Error(result.report);
  if (result.compared !== count) throw new Error(`compared ${result.compared} cases, not ${count}`);
}

/** The script entry: `<suite> <seed> <count> [suite arguments]`. */
export async function main(argv: readonly string[]): Promise<number> {
  const [name = "", seedText = "", countText = "", ...rest] = argv;
  const seed = Number(seedText);
  const count = Number(countText);
  const path = SUITES[name];
  if (path === undefined || !Number.isSafeInteger(seed) || seed < 0 || !Number.isSafeInteger(count) || count < 0) {
    process.stderr.write(`usage: bun test/support/differential.ts <${Object.keys(SUITES).join("|")}> <seed> <count> [suite arguments]\n`);
    return 2;
  }
  const module = (await import(path)) as { suite(args: readonly string[]): Differential<unknown> };
  let suite: Differential<unknown>;
  try {
    suite = module.suite(rest);
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  }
  const result = differential(suite, seed, count);
  if (result.ok) {
    process.stdout.write(`ok ${count}\n`);
    return 0;
  }
  process.stdout.write(`${result.report}\n`);
  return 1;
}

if (import.meta.main) process.exitCode = await main(process.argv.slice(2));
