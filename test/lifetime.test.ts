/**
 * Issue 19's crashes and leaks, each as the case that would have caught it: the lifetime rules of the
 * reference chapter (idle, running, disposed; what a callback may do), chunks that outlive their
 * program, foreign CodeMemory targets, wrong argument types, and memory given back with and without
 * dispose(). The cases run in a child process (test/fixtures/lifetime-cases.ts), so that a SIGSEGV
 * fails this test with its signal rather than ending the test run.
 */
import { expect, test } from "bun:test";
import { join } from "node:path";
import { hostPlatform, targetFor } from "../src/index.ts";

const BUSY = "E_BUSY this Brainfuck program is already running (stream() or run() was called from one of its own callbacks); a program runs once at a time";
const STOPPED = "E_DISPOSED this Brainfuck program was disposed by a callback during its own run; the run stopped there";

function expected(): string[] {
  const host = hostPlatform().target;
  const foreign = [targetFor("arm64"), targetFor("x64", "win64"), targetFor("x64", "sysv")].filter((t) => t.arch !== host.arch || t.abi !== host.abi);
  const targetLines = foreign.flatMap((t) => {
    const name = `${t.arch}/${t.abi}`;
    const message = `E_TARGET this CodeMemory was made for ${name} code, which cannot run on this ${host.arch}/${host.abi} host; the assemble functions generate code for any target without running it`;
    return [`adder in ${name} memory: ${message}`, `expression in ${name} memory: ${message}`, `brainfuck in ${name} memory: ${message}`, `${name} memory mappings: value 0`];
  });
  return [
    `dispose in write: ${STOPPED}`,
    "disposed after: value true",
    "run after: E_DISPOSED this Brainfuck program was disposed; its memory is gone",
    `dispose in read: ${STOPPED}`,
    `dispose in trace: ${STOPPED}`,
    `dispose twice in write: ${STOPPED}`,
    "dispose in a getter of io: E_DISPOSED this Brainfuck program was disposed; its memory is gone",
    "dispose in a Proxy's get: E_DISPOSED this Brainfuck program was disposed; its memory is gone",
    `run in read: ${BUSY}`,
    "stream in read, caught: value E_BUSY,E_BUSY hello",
    "idle again: bytes again",
    "another program in a callback: value Azab",
    "throw in write: raw RangeError: stop",
    "usable after a throw: value 1,2",
    "kept chunks after dispose: value 2 65,66 67",
    ...targetLines,
    "compileExpression(5): E_RANGE compileExpression(source) must be a string, not 5",
    "compileBrainfuck(5): E_RANGE compileBrainfuck(source) must be a string, not 5",
    "compileBrainfuck options 5: E_RANGE compileBrainfuck(source, options): options must be an object, not 5",
    "compileAdder memory {}: E_RANGE compileAdder: options.memory must be a CodeMemory, not an object",
    "assembleAdder(1, 5): E_RANGE assembleAdder(term, target): target must be a target ({ arch, abi }, as targetFor() makes), not 5",
    "parseInt32(5): E_RANGE parseInt32(text): text must be a string, not 5",
    'targetFor(5): E_RANGE targetFor(arch): arch must be "x64" or "arm64", not 5',
    "new CodeMemory(5, host): E_RANGE new CodeMemory(os, target): os must be an OsMemory (hostOs() gives this host's), not 5",
    "new CodeMemory(os, {}): E_RANGE new CodeMemory(os, target): target must be a target ({ arch, abi }, as targetFor() makes), not an object",
    "formatListing(5): E_RANGE formatListing(code): code must be a Code ({ arch, bytes, listing }, as the assemble functions return), not 5",
    "hexBytes([1]): E_RANGE hexBytes(bytes): bytes must be a Uint8Array, not an array",
    "compileExpression params 5: E_RANGE options.params must be an array of parameter names, not 5",
    "compileExpression params: a Proxy claiming 10^8 names: E_SYNTAX too many parameters: 100000000 (at most 4)",
    "compileExpression params that change on a second read: value 42",
    "assembleBrainfuck target 5: E_RANGE assembleBrainfuck(source, options): options.target must be a target ({ arch, abi }, as targetFor() makes), not 5",
    "run(5): E_RANGE run(input): input must be a string or a Uint8Array, not 5",
    "run([65]): E_RANGE run(input): input must be a string or a Uint8Array, not an array",
    "run(Float64Array): E_RANGE run(input): input must be a string or a Uint8Array, not a Float64Array",
    "run(Uint8Array): bytes A",
    "run(detached Uint8Array): value 0",
    "stream(5): E_RANGE stream(io): io must be an object with a write(chunk) method, not 5",
    "stream without write: E_RANGE stream(io): io.write must be a function, not undefined",
    'read returns a string: E_RANGE stream(io): io.read() must return a Uint8Array, or null at the end of input, not "A"',
    "read returns a promise: E_RANGE stream(io): io.read() must return a Uint8Array, or null at the end of input, not a Promise (callbacks are synchronous)",
    "read returns a subclass with a lying length: bytes B",
    "read's chunk detached by write: the rest of it is gone: value 65536",
    "objects left by 200,000 compile/dispose cycles (under 2,000): value true",
    "mappings made by 2,000 adders and 200 programs, never disposed: value true",
    "mappings left once they are collected: value 0",
    "functions left in the memory: value 1",
  ];
}

test("lifetimes: dispose or run from a callback, kept chunks, foreign memories, wrong types, reclaimed memory", () => {
  const p = Bun.spawnSync([process.execPath, join(import.meta.dir, "fixtures", "lifetime-cases.ts")], { stdout: "pipe", stderr: "pipe" });
  const stderr = p.stderr.toString();
  expect({ signal: p.signalCode ?? null, stderr }).toEqual({ signal: null, stderr: "" });
  expect(p.stdout.toString().trimEnd().split("\n")).toEqual(expected());
  expect(p.exitCode).toBe(0);
}, 120_000);
