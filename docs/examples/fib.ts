import type { i32 } from "babyjit";

export function fib(n: i32): i32 {
  if (n < 2) return n;
  return fib(n - 1) + fib(n - 2);
}

export function gcd(a: i32, b: i32): i32 {
  while (b != 0) { const t = b; b = a % b; a = t; }
  return a;
}

export function sumTo(n: i32): i32 {
  let s = 0;
  for (let i = 1; i <= n; i++) s += i * i;
  return s;
}
