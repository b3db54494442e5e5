/**
 * The one list of targets the tests generate code for: every architecture and calling convention
 * babyjit writes. Code for all three can be assembled (and listed) on any host; `host` says which
 * one runs here natively.
 *
 *   for (const target of TARGETS) ... assembleExpression(src, { target }) ...
 *   test.each(NAMED_TARGETS)("%s ...", (_name, target) => ...)
 */
import type { Target } from "../../src/platform.ts";

export const SYSV: Target = { arch: "x64", abi: "sysv" };
export const WIN64: Target = { arch: "x64", abi: "win64" };
export const ARM64: Target = { arch: "arm64", abi: "aapcs64" };

export const TARGETS: readonly Target[] = [SYSV, WIN64, ARM64];

/** "x64/sysv", "x64/win64", "arm64/aapcs64": how tests name a target. */
export const targetName = (t: Target): string => `${t.arch}/${t.abi}`;

/** [name, target] pairs, for test.each. */
export const NAMED_TARGETS: readonly (readonly [string, Target])[] = TARGETS.map((t) => [targetName(t), t] as const);

/** Whether this host runs x86-64 System V code natively (Linux or macOS on x86-64). */
export const NATIVE_SYSV = process.arch === "x64" && process.platform !== "win32";
