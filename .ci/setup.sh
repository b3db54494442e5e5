#!/usr/bin/env bash
# Everything the test suite needs besides Bun itself: the project's packages, llvm-mc/llvm-objcopy
# (the independent assembler), Linux perf (test/perf.test.ts), and the emulators (qemu-aarch64 with
# Bun's arm64 build, Wine with Bun's Windows build). Idempotent: quick when all is present. Run by
# `bun run test` before `bun test`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

say() { printf 'setup: %s\n' "$*"; }
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"

[ -d node_modules/citty ] || { say "bun install --frozen-lockfile"; bun install --frozen-lockfile >/dev/null; }

if ! command -v llvm-mc >/dev/null 2>&1 || ! command -v llvm-objcopy >/dev/null 2>&1; then
  say "installing llvm (llvm-mc, llvm-objcopy)"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq >/dev/null
  $SUDO apt-get install -y -qq --no-install-recommends llvm >/dev/null
fi

# Linux perf for test/perf.test.ts (Debian's linux-perf; perf annotate disassembles with binutils' objdump).
if [ "$(uname -s)" = Linux ] && { ! command -v perf >/dev/null 2>&1 || ! command -v objdump >/dev/null 2>&1; }; then
  say "installing linux-perf and binutils (perf, objdump)"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq >/dev/null
  $SUDO apt-get install -y -qq --no-install-recommends linux-perf binutils >/dev/null
fi

bash .ci/setup-emulators.sh
