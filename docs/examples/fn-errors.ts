import type { i32 } from "babyjit";

export function ratio(a: i32, b: i32): i32 {
  return a / b;
}

export function down(n: i32): i32 {
  if (n == 0) return 0;
  return down(n - 1) + 1;
}
