/**
 * Section 11: kernels over typed arrays and doubles (issue 21), each three ways in the same run:
 * babyjit (the call from JavaScript included), the same source run by Bun (JavaScriptCore, warmed up),
 * and the kernel in C built with `cc -O2` (timed inside its own process). Plus the crossover: the
 * least work per call (array length) at which calling babyjit beats the same function in Bun.
 *
 *   sieve      a sieve of Eratosthenes over a 10,000,000-byte Uint8Array
 *   mandelbrot 1,000 x 1,000 points, 50 iterations, into a Uint8Array
 *   matmul     a 256 x 256 Float64Array matrix product
 *   crc32      CRC-32 over 16 MiB (a table in an Int32Array)
 *
 *   nbody      5 bodies (Math.sqrt), 1,000,000 steps
 *
 *   waves      a loop calling Math.sin and Math.exp a million times each (libm)
 *
 *   bun bench/kernels.ts    # this section alone, table on stdout
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { type Case, describeTiming, do_not_optimize, measureCases } from "./measure.ts";
import { type Row, formatValue } from "./report.ts";

const ROOT = resolve(import.meta.dir, "..");
const fmt = (ns: number) => formatValue(ns, "ns");

export const KERNELS = `import { f64, i32 } from "babyjit";

export function sieve(flags: Uint8Array): i32 {
  let count = 0;
  for (let i = 2; i < flags.length; i++) {
    if (flags[i] == 0) {
      count++;
      for (let j = i + i; j < flags.length; j += i) flags[j] = 1;
    }
  }
  return count;
}

export function mandelbrot(out: Uint8Array, size: i32, limit: i32): i32 {
  let inside = 0;
  for (let py = 0; py < size; py++) {
    const cy = f64(py) * (2.0 / f64(size)) - 1.0;
    for (let px = 0; px < size; px++) {
      const cx = f64(px) * (3.0 / f64(size)) - 2.0;
      let x = 0.0, y = 0.0, i = 0;
      while (i < limit) {
        const t = x * x - y * y + cx;
        y = 2.0 * x * y + cy;
        x = t;
        if (x * x + y * y > 4.0) break;
        i++;
      }
      out[py * size + px] = i;
      if (i == limit) inside++;
    }
  }
  return inside;
}

export function matmul(a: Float64Array, b: Float64Array, c: Float64Array, n: i32): f64 {
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0.0;
      for (let k = 0; k < n; k++) s += a[i * n + k] * b[k * n + j];
      c[i * n + j] = s;
    }
  }
  return c[n * n - 1];
}

export function crc32(table: Int32Array, data: Uint8Array): i32 {
  let crc = -1;
  for (let i = 0; i < data.length; i++) crc = table[(crc ^ data[i]) & 255] ^ (crc >>> 8);
  return crc ^ -1;
}

// n bodies as 7 doubles each (x y z vx vy vz mass); \`steps\` steps of \`dt\`; returns x of body 0.
export function nbody(b: Float64Array, steps: i32, dt: f64): f64 {
  const n = b.length / 7 | 0;
  for (let s = 0; s < steps; s++) {
    for (let i = 0; i < n; i++) {
      const bi = i * 7;
      for (let j = i + 1; j < n; j++) {
        const bj = j * 7;
        const dx = b[bi] - b[bj], dy = b[bi + 1] - b[bj + 1], dz = b[bi + 2] - b[bj + 2];
        const d2 = dx * dx + dy * dy + dz * dz;
        const mag = dt / (d2 * Math.sqrt(d2));
        const mi = b[bi + 6] * mag, mj = b[bj + 6] * mag;
        b[bi + 3] -= dx * mj; b[bi + 4] -= dy * mj; b[bi + 5] -= dz * mj;
        b[bj + 3] += dx * mi; b[bj + 4] += dy * mi; b[bj + 5] += dz * mi;
      }
    }
    for (let i = 0; i < n; i++) {
      const bi = i * 7;
      b[bi] += dt * b[bi + 3]; b[bi + 1] += dt * b[bi + 4]; b[bi + 2] += dt * b[bi + 5];
    }
  }
  return b[0];
}

// Calls into the C library: a million Math.sin and Math.exp.
export function waves(n: i32): f64 {
  let acc = 0.0;
  for (let i = 0; i < n; i++) acc += Math.sin(f64(i) * 0.001) * Math.exp(-f64(i) * 0.000001);
  return acc;
}

export function sum(a: Float64Array): f64 {
  let s = 0.0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return s;
}
`;

const C = `#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <time.h>
#include <math.h>
static int sieve(uint8_t *f, int n) { int c = 0; for (int i = 2; i < n; i++) if (f[i] == 0) { c++; for (int j = i + i; j < n; j += i) f[j] = 1; } return c; }
static int mandelbrot(uint8_t *out, int size, int limit) { int inside = 0;
  for (int py = 0; py < size; py++) { double cy = py * (2.0 / size) - 1.0;
    for (int px = 0; px < size; px++) { double cx = px * (3.0 / size) - 2.0, x = 0, y = 0; int i = 0;
      while (i < limit) { double t = x * x - y * y + cx; y = 2.0 * x * y + cy; x = t; if (x * x + y * y > 4.0) break; i++; }
      out[py * size + px] = (uint8_t)i; if (i == limit) inside++; } } return inside; }
static double matmul(const double *a, const double *b, double *c, int n) { for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) { double s = 0; for (int k = 0; k < n; k++) s += a[i * n + k] * b[k * n + j]; c[i * n + j] = s; } return c[n * n - 1]; }
static int32_t crc32(const int32_t *t, const uint8_t *d, int n) { int32_t c = -1; for (int i = 0; i < n; i++) c = t[(c ^ d[i]) & 255] ^ (int32_t)((uint32_t)c >> 8); return c ^ -1; }
static double nbody(double *b, int n, int steps, double dt) {
  for (int s = 0; s < steps; s++) {
    for (int i = 0; i < n; i++) { double *p = b + i * 7;
      for (int j = i + 1; j < n; j++) { double *q = b + j * 7;
        double dx = p[0] - q[0], dy = p[1] - q[1], dz = p[2] - q[2], d2 = dx * dx + dy * dy + dz * dz;
        double mag = dt / (d2 * sqrt(d2)), mi = p[6] * mag, mj = q[6] * mag;
        p[3] -= dx * mj; p[4] -= dy * mj; p[5] -= dz * mj; q[3] += dx * mi; q[4] += dy * mi; q[5] += dz * mi; } }
    for (int i = 0; i < n; i++) { double *p = b + i * 7; p[0] += dt * p[3]; p[1] += dt * p[4]; p[2] += dt * p[5]; } }
  return b[0];
}
static double waves(int n) { double acc = 0; for (int i = 0; i < n; i++) acc += sin(i * 0.001) * exp(-(double)i * 0.000001); return acc; }
static void bodies(double *b) { for (int i = 0; i < 35; i++) b[i] = (i % 7 == 6) ? 1.0 + i * 0.01 : ((i * 37) % 11) - 5.0 + i * 0.001; }
static int cmp(const void *a, const void *b) { double x = *(const double *)a, y = *(const double *)b; return x < y ? -1 : x > y; }
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1e9 + t.tv_nsec; }
int main(int argc, char **argv) {
  const char *k = argv[1]; int calls = atoi(argv[2]); double *ns = malloc(sizeof(double) * calls); double answer = 0;
  int n = 256; double *a = malloc(8 * n * n), *b = malloc(8 * n * n), *c = malloc(8 * n * n);
  for (int i = 0; i < n * n; i++) { a[i] = (i % 17) * 0.25; b[i] = 1.0 - (i % 13) * 0.125; }
  int32_t table[256]; for (int i = 0; i < 256; i++) { uint32_t x = i; for (int j = 0; j < 8; j++) x = (x & 1) ? 0xEDB88320u ^ (x >> 1) : x >> 1; table[i] = (int32_t)x; }
  int len = 16 << 20; uint8_t *data = malloc(len); for (int i = 0; i < len; i++) data[i] = (uint8_t)(i * 31 + (i >> 8));
  uint8_t *flags = malloc(10000000), *img = malloc(1000000);
  for (int r = 0; r < calls; r++) {
    if (strcmp(k, "sieve") == 0) memset(flags, 0, 10000000);
    double nb[35]; bodies(nb);
    double t0 = now();
    if (strcmp(k, "sieve") == 0) answer = sieve(flags, 10000000);
    else if (strcmp(k, "mandelbrot") == 0) answer = mandelbrot(img, 1000, 50);
    else if (strcmp(k, "matmul") == 0) answer = matmul(a, b, c, n);
    else if (strcmp(k, "nbody") == 0) answer = nbody(nb, 5, 1000000, 0.001);
    else if (strcmp(k, "waves") == 0) answer = waves(1000000);
    else answer = crc32(table, data, len);
    ns[r] = now() - t0;
  }
  qsort(ns, calls, sizeof(double), cmp);
  printf("%.0f %.17g\\n", ns[calls / 2], answer);
  return 0;
}
`;

/** The same 5 bodies as the C program's bodies(). */
function bodies(): Float64Array {
  return Float64Array.from({ length: 35 }, (_, i) => (i % 7 === 6 ? 1.0 + i * 0.01 : ((i * 37) % 11) - 5.0 + i * 0.001));
}

interface Kernel {
  readonly name: string;
  readonly label: string;
  /** Arguments made fresh for a call (the sieve needs a cleared array each time). */
  readonly args: () => unknown[];
}

export async function kernelSection(): Promise<Row[]> {
  const dir = mkdtempSync(join(tmpdir(), "babyjit-bench-kernels-"));
  try {
    const { compileModule } = (await import(join(ROOT, "src", "fn", "compile.ts"))) as typeof import("../src/fn/compile.ts");
    const file = join(dir, "kernels.ts");
    // Bun's copy imports f64 and i32 from this checkout (a temporary folder has no node_modules/babyjit).
    writeFileSync(file, KERNELS.replace('from "babyjit"', `from ${JSON.stringify(join(ROOT, "src", "index.ts"))}`));
    const bun = (await import(file)) as Record<string, (...a: unknown[]) => number>;
    const mod = compileModule(KERNELS, { file: "kernels.ts" });
    const jit = mod.functions as unknown as Record<string, (...a: unknown[]) => number>;
    writeFileSync(join(dir, "kernels.c"), C);
    const exe = join(dir, "kernels");
    const build = Bun.spawnSync(["cc", "-O2", "-o", exe, join(dir, "kernels.c"), "-lm"], { stderr: "pipe" });
    const n = 256;
    const a = Float64Array.from({ length: n * n }, (_, i) => (i % 17) * 0.25);
    const b = Float64Array.from({ length: n * n }, (_, i) => 1.0 - (i % 13) * 0.125);
    const c = new Float64Array(n * n);
    const table = new Int32Array(256);
    for (let i = 0; i < 256; i++) {
      let x = i;
      for (let j = 0; j < 8; j++) x = x & 1 ? 0xedb88320 ^ (x >>> 1) : x >>> 1;
      table[i] = x | 0;
    }
    const data = Uint8Array.from({ length: 16 << 20 }, (_, i) => (i * 31 + (i >> 8)) & 255);
    const flags = new Uint8Array(10_000_000);
    const img = new Uint8Array(1_000_000);
    const kernels: Kernel[] = [
      { name: "sieve", label: "sieve of 10,000,000 bytes", args: () => [flags.fill(0)] },
      { name: "mandelbrot", label: "Mandelbrot 1,000 x 1,000 x 50", args: () => [img, 1000, 50] },
      { name: "matmul", label: "matmul 256 x 256 (f64)", args: () => [a, b, c, n] },
      { name: "crc32", label: "CRC-32 of 16 MiB", args: () => [table, data] },
      { name: "nbody", label: "n-body, 5 bodies, 1,000,000 steps", args: () => [bodies(), 1_000_000, 0.001] },
      { name: "waves", label: "a million Math.sin and Math.exp (calls into libm)", args: () => [1_000_000] },
    ];
    const rows: Row[] = [];
    for (const k of kernels) {
      const want = bun[k.name]!(...k.args());
      const got = jit[k.name]!(...k.args());
      // libm and JavaScriptCore may differ in the last bits of sin and exp (see the chapter); the rest must agree exactly.
      const agree = Object.is(got, want) || (k.name === "waves" && Math.abs(got - want) <= 1e-9 * Math.abs(want));
      if (!agree) throw new Error(`${k.name}: babyjit gives ${got}, Bun ${want}`);
      for (let i = 0; i < 5; i++) bun[k.name]!(...k.args());
      const cases: Case[] = [
        { name: "babyjit", bench: () => do_not_optimize(jit[k.name]!(...k.args())) },
        { name: "bun", bench: () => do_not_optimize(bun[k.name]!(...k.args())) },
      ];
      const t = await measureCases(cases, { rounds: 5, cpuTimeNs: 400e6 });
      const bj = t.get("babyjit"), js = t.get("bun");
      let cNs: number | undefined;
      let cDetail = build.exitCode === 0 ? "" : `cc failed: ${build.stderr.toString().trim()}`;
      if (build.exitCode === 0) {
        const p = Bun.spawnSync([exe, k.name, "7"], { stdout: "pipe" });
        const [median, answer] = p.stdout.toString().trim().split(" ").map(Number);
        cNs = median;
        cDetail = answer === want ? `median of 7 calls in one process; answer ${want} checked` : `C gives ${answer}, not ${want}`;
      }
      rows.push(
        { section: "11 kernels", name: `${k.label}: cc -O2 (floor)`, value: cNs, unit: "ns", detail: cDetail },
        { section: "11 kernels", name: `${k.label}: Bun (warmed up)`, value: js?.p50, unit: "ns", detail: describeTiming(js, fmt) },
        {
          section: "11 kernels",
          name: `${k.label}: babyjit`,
          value: bj?.p50,
          unit: "ns",
          detail: `${describeTiming(bj, fmt)}; ${bj && js ? (bj.p50 / js.p50).toFixed(2) : "?"}x Bun, ${bj && cNs ? (bj.p50 / cNs).toFixed(2) : "?"}x cc -O2`,
        },
      );
    }
    // The crossover: sum(Float64Array(n)) for growing n, babyjit against Bun's copy.
    let crossoverAt: number | undefined;
    for (const len of [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536]) {
      const arr = Float64Array.from({ length: len }, (_, i) => i * 0.5);
      for (let i = 0; i < 2000; i++) bun.sum!(arr);
      const t = await measureCases([
        { name: "babyjit", bench: () => do_not_optimize(jit.sum!(arr)) },
        { name: "bun", bench: () => do_not_optimize(bun.sum!(arr)) },
      ], { rounds: 3, cpuTimeNs: 60e6 });
      const bj = t.get("babyjit"), js = t.get("bun");
      const ratio = (bj?.p50 ?? Infinity) / (js?.p50 ?? 0);
      rows.push({ section: "11 kernels", name: `crossover: sum of ${len} doubles, babyjit`, value: bj?.p50, unit: "ns", detail: `${ratio.toFixed(2)}x Bun's ${js ? fmt(js.p50) : "?"}` });
      if (ratio < 1 && crossoverAt === undefined) crossoverAt = len;
    }
    rows.push({ section: "11 kernels", name: "crossover: the shortest array whose sum babyjit computes faster than Bun", value: crossoverAt, unit: "count", detail: crossoverAt === undefined ? "none up to 65,536" : "doubles (the lengths tried: powers of 4)" });
    mod.dispose();
    return rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  const { textTable } = await import("./report.ts");
  console.log(textTable(await kernelSection()));
}
