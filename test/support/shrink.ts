/**
 * The one shrinker: greedy, first improvement. Given a failing case and a way to list smaller
 * variants of a case, it moves to the first variant that still fails, again and again, until none
 * does. What "smaller" means belongs to the domain (test/support/bfgen.ts cuts Brainfuck source,
 * test/support/exprgen.ts replaces subtrees); the loop is here once.
 *
 *   const small = shrink(failing, (c) => smallerCases(c), (c) => stillFails(c));
 *
 * `smaller` must yield only cases that are strictly smaller by some measure, so shrinking ends;
 * `fails` decides itself what an exception means. `limit` caps the number of `fails` calls (each may
 * compile and run code).
 */
export function shrink<C>(failing: C, smaller: (c: C) => Iterable<C>, fails: (c: C) => boolean, limit = 20_000): C {
  let best = failing;
  let tries = 0;
  const stillFails = (c: C): boolean => {
    tries++;
    return fails(c);
  };
  for (let improved = true; improved && tries < limit; ) {
    improved = false;
    for (const candidate of smaller(best)) {
      if (tries >= limit) break;
      if (stillFails(candidate)) {
        best = candidate;
        improved = true;
        break;
      }
    }
  }
  return best;
}
