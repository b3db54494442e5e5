import { expect, test } from "bun:test";
import { join } from "node:path";
import { run } from "./support/cli.ts";

test("the library contract holds natively (test/fixtures/library-check.ts)", () => {
  const r = run([process.execPath, join(import.meta.dir, "fixtures", "library-check.ts")]);
  expect(r.stderr).toBe("");
  const report = JSON.parse(r.stdout);
  expect(report.failures).toEqual([]);
  expect(report.platform).toBe(`${process.platform}-${process.arch}`);
  expect(r.exitCode).toBe(0);
});
