/**
 * The library-misuse fuzzer (test/fixtures/misuse-fuzz.ts) in a child process: random compile, call,
 * run, stream and dispose, with callbacks that dispose, re-enter, throw and keep chunks, over foreign,
 * closed and failing memories, with wrong argument types. A signal (the SIGSEGVs of issue 19) fails
 * the test instead of ending the run; every error must be a JitError, and no E_INTERNAL.
 * Replay: BABYJIT_SEED=<seed> bun test test/misuse.test.ts, or bun test/fixtures/misuse-fuzz.ts <seed> 3000.
 */
import { expect, test } from "bun:test";
import { join } from "node:path";
import { SEED, replayHint } from "./support/random.ts";

const STEPS = 3000;

test(`misuse fuzzer: ${STEPS} random steps, no signal, only JitErrors (seed ${SEED})`, () => {
  const p = Bun.spawnSync([process.execPath, join(import.meta.dir, "fixtures", "misuse-fuzz.ts"), String(SEED), String(STEPS)], { stdout: "pipe", stderr: "pipe", timeout: 100_000 });
  expect({ timedOut: p.exitedDueToTimeout === true, replay: p.exitedDueToTimeout === true ? replayHint() : "" }).toEqual({ timedOut: false, replay: "" });
  const stderr = p.stderr.toString();
  const context = `${replayHint()}; stderr: ${stderr.slice(-2000)}`;
  expect({ signal: p.signalCode ?? null, exitCode: p.exitCode, context: p.exitCode === 0 ? "" : context }).toEqual({ signal: null, exitCode: 0, context: "" });
  const report = JSON.parse(p.stdout.toString()) as { failures: string[]; codes: Record<string, number>; actions: number };
  expect({ failures: report.failures, replay: report.failures.length === 0 ? "" : replayHint() }).toEqual({ failures: [], replay: "" });
  // The fuzzer reached what it is for: refused re-entry, disposal, foreign targets, wrong types.
  for (const code of ["E_BUSY", "E_DISPOSED", "E_TARGET", "E_RANGE", "E_OS"]) expect([code, (report.codes[code] ?? 0) > 0]).toEqual([code, true]);
  expect(stderr).toBe("");
}, 120_000);
