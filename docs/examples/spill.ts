import type { i32 } from "babyjit";

// Twelve values live at once: more than x86-64 System V leaves the allocator.
export function spread(a: i32, b: i32): i32 {
  const c1 = a + 1, c2 = a * 2, c3 = a - 3, c4 = a ^ 4, c5 = a | 5, c6 = a & 6;
  const c7 = b + 7, c8 = b * 8, c9 = b - 9, c10 = b ^ 10, c11 = b | 11, c12 = b & 12;
  return c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11 + c12;
}

// A value that lives across calls in a loop, and one that does not.
export function sumFib(n: i32): i32 {
  let s = 0;
  for (let i = 0; i < n; i++) s += fib(i);
  return s;
}

function fib(n: i32): i32 {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}
