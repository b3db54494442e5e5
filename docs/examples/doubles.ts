import { f64, i32 } from "babyjit";

// How many steps z = z*z + c takes to leave the circle of radius 2 (at most `limit`).
export function escape(cx: f64, cy: f64, limit: i32): i32 {
  let x = 0.0, y = 0.0, i = 0;
  while (i < limit) {
    const t = x * x - y * y + cx;
    y = 2.0 * x * y + cy;
    x = t;
    if (x * x + y * y > 4.0) break;
    i++;
  }
  return i;
}

export function toInt32(x: f64): i32 {
  return x | 0;
}

export function mean(a: f64, b: f64, n: i32): f64 {
  return (a + b) / f64(n);
}
