/**
 * A million live functions, in a process of its own (resident memory is per process), printed as JSON:
 *
 *   bun bench/live-probe.ts [count]
 *
 * Compiles `count` adders (default 1,000,000) and keeps every one alive, timing each batch of 10,000.
 * Resident memory (RSS) is read before the first and after the last, each time after a full collection
 * and a pause in which the allocators give free pages back (LIVE_PROBE_SETTLE_MS, default 1000). The
 * compile cost of the first 10,000 (after 20,000 compile+dispose cycles, so JavaScriptCore's tiers have
 * settled) is compared with the cost of the last 10,000, compiled while all the others are alive.
 */
import { compileAdder, type JitFunction } from "../src/index.ts";

const count = Number(process.argv[2] ?? 1_000_000);
const BATCH = 10_000;
const SETTLE_MS = Number(process.env.LIVE_PROBE_SETTLE_MS ?? 1000);

async function rss(): Promise<number> {
  Bun.gc(true);
  await Bun.sleep(SETTLE_MS);
  Bun.gc(true);
  return process.memoryUsage.rss();
}

for (let i = 0; i < 20_000; i++) compileAdder(i).dispose(); // warm-up; also maps the home page
const before = await rss();
const fns: JitFunction[] = new Array(count);
const batches: number[] = [];
for (let start = 0; start < count; start += BATCH) {
  const end = Math.min(count, start + BATCH);
  const t0 = Bun.nanoseconds();
  for (let i = start; i < end; i++) fns[i] = compileAdder(i);
  batches.push((Bun.nanoseconds() - t0) / (end - start));
}
const after = await rss();
for (let i = 0; i < count; i += 99_991) if (fns[i]?.(1) !== i + 1) throw new Error(`live-probe: adder ${i} gives a wrong sum`);
const heap = require("bun:jsc").heapStats() as { heapSize: number; heapCapacity: number; objectCount: number };
const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
console.log(
  JSON.stringify({
    count,
    bytesPerFunction: (after - before) / count,
    heapBytesPerFunction: heap.heapSize / count,
    heapCapacityPerFunction: heap.heapCapacity / count,
    objectsPerFunction: heap.objectCount / count,
    first: batches[0],
    last: batches[batches.length - 1],
    firstTenth: mean(batches.slice(0, Math.max(1, Math.round(batches.length / 10)))),
    lastTenth: mean(batches.slice(-Math.max(1, Math.round(batches.length / 10)))),
    all: mean(batches),
    seconds: mean(batches) * count / 1e9,
    ...(process.env.LIVE_PROBE_BATCHES ? { batches } : {}),
  }),
);
