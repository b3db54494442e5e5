/**
 * mitata, driven directly: each case is measured in several short rounds, with the order of the cases
 * rotated from round to round so that drift (frequency, a noisy neighbour) hits every case alike.
 *
 * The figure reported is the best round's median (the lowest of mitata's per-round p50s): on a shared
 * 2-core VM, bursts of outside load only ever slow a round down, and they made single rounds of a 2 ns
 * call swing between 2 and 11 ns here; the best round is the estimate least touched by them. The median
 * over rounds is kept alongside, as is the average. Ratios to a floor are paired per round (pairedRatio).
 */
import { do_not_optimize, measure } from "mitata";
import { median, medianRatio } from "./report.ts";

export { do_not_optimize };

export interface Case {
  readonly name: string;
  /** Something mitata.measure accepts: a function, or a generator yielding { [0]: param, bench(x) } etc. */
  readonly bench: Parameters<typeof measure>[0];
}

export interface Timing {
  /** The lowest per-round median: the figure the table shows. */
  readonly p50: number;
  /** Every round's median, in round order (the rounds of one measureCases call line up across cases). */
  readonly rounds: readonly number[];
  /** The median over rounds of the per-round medians. */
  readonly p50Median: number;
  readonly avg: number;
  readonly p99: number;
  readonly samples: number;
}

export interface MeasureOptions {
  readonly rounds?: number;
  /** Per case and round, in ns of CPU time (mitata's min_cpu_time). */
  readonly cpuTimeNs?: number;
  /** Calls per sample when mitata batches fast functions (its default, 4096, suits nanosecond calls). */
  readonly batchSamples?: number;
}

/** Environment knob for quick runs: BENCH_SCALE=0.3 shortens every section. */
export const SCALE = Math.max(0.05, Number(process.env.BENCH_SCALE ?? "1") || 1);

export async function measureCases(cases: readonly Case[], options: MeasureOptions = {}): Promise<Map<string, Timing>> {
  const rounds = options.rounds ?? 5;
  const cpuTime = (options.cpuTimeNs ?? 100e6) * SCALE;
  const raw = new Map<string, RoundStats[]>();
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < cases.length; i++) {
      const c = cases[(i + round) % cases.length];
      if (c === undefined) continue;
      const opts = { min_cpu_time: cpuTime, ...(options.batchSamples === undefined ? {} : { batch_samples: options.batchSamples }) };
      const stats = await measure(c.bench as never, opts as never);
      const entry = raw.get(c.name) ?? [];
      entry.push({ p50: stats.p50, avg: stats.avg, p99: stats.p99, ticks: stats.ticks });
      raw.set(c.name, entry);
    }
  }
  return new Map([...raw].map(([name, stats]) => [name, timingOf(stats)]));
}

/** What mitata reports for one round of one case. */
export interface RoundStats {
  readonly p50: number;
  readonly avg: number;
  readonly p99: number;
  readonly ticks: number;
}

/** A case's Timing from its rounds, given in round order. */
export function timingOf(rounds: readonly RoundStats[]): Timing {
  const p50s = rounds.map((r) => r.p50);
  return {
    p50: Math.min(...p50s),
    rounds: p50s,
    p50Median: median(p50s),
    avg: median(rounds.map((r) => r.avg)),
    p99: median(rounds.map((r) => r.p99)),
    samples: rounds.reduce((n, r) => n + r.ticks, 0),
  };
}

/**
 * How a case compares with its floor: the median over rounds of (case / floor), both measured in the
 * same round. Paired like this, a drift or a JIT-tier state that slows a whole round cancels out;
 * comparing each side's best round could pair a floor from one state with a case from another.
 */
export function pairedRatio(value: Timing | undefined, floor: Timing | undefined): number | undefined {
  if (value === undefined || floor === undefined || value.rounds.length !== floor.rounds.length) return undefined;
  return medianRatio(value.rounds, floor.rounds);
}

/** A stream of varying int32 inputs (so no call can be constant-folded), cycling through `count` values. */
export function inputStream(count: number, lo: number, hi: number): () => number {
  const values = Int32Array.from({ length: count }, () => lo + Math.floor(Math.random() * (hi - lo + 1)));
  let i = 0;
  return () => values[i++ & (count - 1)] as number;
}

/**
 * A mitata generator timing `bench(x)` per iteration, x drawn from `next` outside the timing. Each case
 * passes its own function literal, e.g. `(x) => do_not_optimize(abs(x))`: one shared wrapper would make
 * the call site inside it polymorphic across cases and slow every case down.
 */
export function callCase(name: string, bench: (x: number) => void, next: () => number): Case {
  return {
    name,
    bench: function* () {
      yield { [0]: next, bench };
    },
  };
}

export const describeTiming = (t: Timing | undefined, fmt: (ns: number) => string): string =>
  t === undefined ? "" : `median of rounds ${fmt(t.p50Median)}, avg ${fmt(t.avg)}, p99 ${fmt(t.p99)}, ${t.samples.toLocaleString("en-US")} iters`;
