/**
 * The one source of randomness for tests: a seeded PRNG and the run's seed.
 *
 *   import { SEED, makeRng, below, pick } from "./support/random.ts";
 *   const rng = makeRng(SEED + 3);     // one stream per test: SEED plus a number of its own
 *   test(`... (seed ${SEED + 3})`, ...) // name the seed, so a failure says how to replay it
 *
 * SEED is BABYJIT_SEED when it is set (replay a failure: BABYJIT_SEED=123 bun test ...), and a fresh
 * number every run otherwise, so CI samples new cases each time. It is printed once per test file
 * (stderr) and in every failure report; scripts run under the emulators take it as an argument.
 */

/** A PRNG like Math.random: each call gives a float in [0, 1). */
export type Rng = () => number;

/** mulberry32: tiny, fast and good enough for test generation; the same seed gives the same stream. */
export function makeRng(seed: number): Rng {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An integer in [0, n). */
export const below = (rng: Rng, n: number): number => Math.floor(rng() * n);

/** One element of a non-empty list. */
export const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[below(rng, xs.length)] as T;

/** The environment variable that fixes SEED. */
export const SEED_VARIABLE = "BABYJIT_SEED";

/** BABYJIT_SEED parsed, or a fresh seed; a value that is no non-negative safe integer is an error. */
export function seedFrom(env: Record<string, string | undefined> = process.env): number {
  const text = env[SEED_VARIABLE];
  if (text === undefined || text === "") return Math.floor(Math.random() * 1_000_000);
  const seed = Number(text);
  if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`${SEED_VARIABLE} must be a non-negative integer, got '${text}'`);
  return seed;
}

/** This test process's seed. */
export const SEED = seedFrom();
// Printed by test processes only: scripts run under the emulators must keep stderr empty.
if (/\.test\.[cm]?[jt]sx?$/.test(Bun.main)) process.stderr.write(`random tests: seed ${SEED} (replay with ${SEED_VARIABLE}=${SEED})\n`);

/** The line a failure report ends with. */
export const replayHint = (seed: number = SEED): string => `rerun with ${SEED_VARIABLE}=${seed}`;
