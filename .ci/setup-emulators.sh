#!/usr/bin/env bash
# Installs what the emulator tests need, so that `bun test` can run babyjit for
# real on arm64 Linux (qemu-aarch64 + Bun's linux-aarch64 build), on Windows
# x64 (Wine + Bun's windows-x64 build) and on Windows on ARM64 (Bun's
# windows-aarch64 build under arm64 Wine under qemu: .ci/setup-winarm64.sh).
# See test/support/emu.ts.
#
# Idempotent and quick when everything is already there; prints one line per
# thing it did. Everything it downloads lives outside the project tree in
#   ${BABYJIT_EMU_DIR:-$HOME/.cache/babyjit-emu}
#     bun-linux-aarch64/bun        + VERSION
#     bun-windows-x64/bun.exe      + VERSION, bcryptprimitives.dll (+ .sha256)
#     bun-windows-aarch64/bun.exe  + VERSION (the rest: .ci/setup-winarm64.sh)
#     bun-windows-x64/bun-wine.exe same program, sections moved to 4 KiB file
#                                  offsets so Wine maps it instead of reading it
#     wineprefix/                  (its z: drive maps /, so never inside the repo)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR="${BABYJIT_EMU_DIR:-$HOME/.cache/babyjit-emu}"
STUB_SRC="$ROOT/test/support/bcryptprimitives.c"
ARM_LIBS=/usr/aarch64-linux-gnu/lib

say() { printf 'setup-emulators: %s\n' "$*"; }
die() { printf 'setup-emulators: error: %s\n' "$*" >&2; exit 1; }

# Debian 12 does not put wine64 on PATH; /usr/bin/wine is a wrapper around it.
find_wine64() {
  if command -v wine64 >/dev/null 2>&1; then command -v wine64
  elif [ -x /usr/lib/wine/wine64 ]; then echo /usr/lib/wine/wine64
  else return 1; fi
}

# ---------------------------------------------------------------- apt packages
need_apt=0
for cmd in qemu-aarch64 wineserver x86_64-w64-mingw32-gcc x86_64-w64-mingw32-objcopy; do
  command -v "$cmd" >/dev/null 2>&1 || need_apt=1
done
find_wine64 >/dev/null || need_apt=1
[ -e "$ARM_LIBS/libc.so.6" ] || need_apt=1
[ -e "$ARM_LIBS/libgcc_s.so.1" ] || need_apt=1
if [ "$need_apt" = 1 ]; then
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO="sudo"
  say "installing apt packages (qemu-user, arm64 libc/libgcc, wine, mingw-w64)"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq >/dev/null
  $SUDO apt-get install -y -qq --no-install-recommends \
    qemu-user libc6-arm64-cross libgcc-s1-arm64-cross \
    wine wine64 gcc-mingw-w64-x86-64-win32 >/dev/null
fi
WINE64="$(find_wine64)" || die "wine64 not found after install"

# ------------------------------------------------------------- Bun binaries
command -v bun >/dev/null 2>&1 || die "bun is not on PATH (the emulated Bun must match the host Bun)"
command -v npm >/dev/null 2>&1 || die "npm is not on PATH (used to fetch Bun's arm64 and Windows builds)"
VER="$(bun --version)"
mkdir -p "$DIR"
DIR="$(cd "$DIR" && pwd)"   # Wine needs an absolute WINEPREFIX

# fetch_bun <npm package> <dest subdir> <binary name>
fetch_bun() {
  local pkg="$1" dest="$DIR/$2" bin="$3"
  if [ -x "$dest/$bin" ] && [ "$(cat "$dest/VERSION" 2>/dev/null)" = "$VER" ]; then
    return 0
  fi
  local tmp
  tmp="$(mktemp -d "$DIR/.fetch.XXXXXX")"
  # npm pack checks the registry's integrity hash; the package has no install scripts to run.
  local log
  if ! log="$(cd "$tmp" && npm pack "$pkg@$VER" 2>&1)"; then
    printf '%s\n' "$log" >&2
    die "npm pack $pkg@$VER failed"
  fi
  tar -xzf "$tmp"/*.tgz -C "$tmp"
  [ -f "$tmp/package/bin/$bin" ] || die "$pkg@$VER has no bin/$bin"
  mkdir -p "$dest"
  rm -f "$dest/VERSION"
  mv -f "$tmp/package/bin/$bin" "$dest/$bin"
  chmod +x "$dest/$bin"
  echo "$VER" >"$dest/VERSION"   # written last: marks a complete download
  rm -rf "$tmp"
  say "downloaded $pkg@$VER -> $dest/$bin"
}
fetch_bun @oven/bun-linux-aarch64 bun-linux-aarch64 bun
fetch_bun @oven/bun-windows-x64 bun-windows-x64 bun.exe
fetch_bun @oven/bun-windows-aarch64 bun-windows-aarch64 bun.exe

# `bun build --compile --target=bun-<os>-<arch>` downloads exactly this binary into
# Bun's cache as bun-<os>-<arch>-v<ver>. Seed it so a plain cross-compile works
# offline (test/support/emu.ts passes --compile-executable-path instead).
CACHE="$(bun pm cache 2>/dev/null || true)"
seed_cache() {
  local src="$1" name="$2"
  [ -n "$CACHE" ] || return 0
  [ -e "$CACHE/$name" ] && return 0
  mkdir -p "$CACHE"
  ln -f "$src" "$CACHE/$name" 2>/dev/null || ln -sf "$src" "$CACHE/$name"
  say "seeded Bun's cross-compile cache: $CACHE/$name"
}
seed_cache "$DIR/bun-linux-aarch64/bun" "bun-linux-aarch64-v$VER"
seed_cache "$DIR/bun-windows-x64/bun.exe" "bun-windows-x64-v$VER"
seed_cache "$DIR/bun-windows-aarch64/bun.exe" "bun-windows-aarch64-v$VER"

# ----------------------------------------- bun-wine.exe: the same, faster to load
# Bun's PE has FileAlignment 0x200, so .text (88 MB) starts at file offset 0x400.
# Wine can only mmap sections whose file offset is page-aligned; otherwise it
# pread()s them into fresh memory, which costs ~0.35 s per start here. objcopy
# re-lays the file out with 4 KiB alignment (code and data unchanged; start-up
# drops from ~0.5 s to ~0.1 s). The Authenticode signature cannot survive the
# move, so the certificate-table entry (data directory 4) is cleared: Wine does
# not check it, and `bun build --compile-executable-path` refuses a stale one.
WIN_DIR="$DIR/bun-windows-x64"
FAST="$WIN_DIR/bun-wine.exe"
fresh_fast=0
if [ ! -f "$FAST" ] || [ "$(cat "$FAST.VERSION" 2>/dev/null)" != "$VER" ]; then
  rm -f "$FAST" "$FAST.VERSION"
  x86_64-w64-mingw32-objcopy --file-alignment 4096 "$WIN_DIR/bun.exe" "$FAST.tmp"
  lfanew="$(od -An -tu4 -j60 -N4 "$FAST.tmp" | tr -d ' ')"
  # PE signature (4) + COFF header (20) + PE32+ optional header up to the data
  # directories (112) + 4 entries of 8 bytes = the certificate-table entry.
  dd if=/dev/zero of="$FAST.tmp" bs=1 seek=$((lfanew + 24 + 112 + 32)) count=8 conv=notrunc status=none
  mv -f "$FAST.tmp" "$FAST"
  echo "$VER" >"$FAST.VERSION"
  fresh_fast=1
  say "made $FAST (4 KiB-aligned copy for Wine)"
fi

# ------------------------------------------ bcryptprimitives.dll stub for Wine
# Wine 8.0 lacks bcryptprimitives.dll; bun.exe imports ProcessPrng from it and
# exits with status 53 without it. Rebuilt whenever the C source changes.
[ -f "$STUB_SRC" ] || die "missing $STUB_SRC"
DLL="$DIR/bun-windows-x64/bcryptprimitives.dll"
want_sum="$(sha256sum "$STUB_SRC" | cut -d' ' -f1)"
if [ ! -f "$DLL" ] || [ "$(cat "$DLL.sha256" 2>/dev/null)" != "$want_sum" ]; then
  x86_64-w64-mingw32-gcc -shared -O2 -s -Wall -o "$DLL.tmp" "$STUB_SRC" -ladvapi32
  mv -f "$DLL.tmp" "$DLL"
  echo "$want_sum" >"$DLL.sha256"
  say "built $DLL"
fi

# ------------------------------------------------------------------ Wine prefix
export WINEPREFIX="$DIR/wineprefix" WINEDEBUG=-all
case "$WINEPREFIX/" in
  "$ROOT"/*) die "wine prefix $WINEPREFIX is inside the project tree" ;;
esac
if [ ! -f "$WINEPREFIX/system.reg" ]; then
  # mscoree/mshtml disabled: no Mono/Gecko install prompts (and no network anyway).
  WINEDLLOVERRIDES="mscoree,mshtml=" "$WINE64" wineboot --init >/dev/null 2>&1 || true
  wineserver -w
  [ -f "$WINEPREFIX/system.reg" ] || die "could not create the wine prefix $WINEPREFIX"
  say "created wine prefix $WINEPREFIX"
fi
# Also put the stub in the prefix's system32, so executables made with
# `bun build --compile --target=bun-windows-x64` run from any folder.
SYS32_DLL="$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll"
if ! cmp -s "$DLL" "$SYS32_DLL"; then
  cp -f "$DLL" "$SYS32_DLL"
  say "installed the stub into $SYS32_DLL"
fi

# Check the re-laid-out copy once, right after making it; fall back to a plain copy.
if [ "$fresh_fast" = 1 ]; then
  out="$(mktemp)" err="$(mktemp)"
  # Output goes to files: a wineserver started here would keep a pipe open.
  "$WINE64" "$FAST" --version >"$out" 2>"$err" </dev/null || true
  if [ "$(tr -d '\r' <"$out")" != "$VER" ]; then
    cp -f "$WIN_DIR/bun.exe" "$FAST"
    say "warning: the 4 KiB-aligned bun-wine.exe did not run ($(cat "$out" "$err" | head -c 200 | tr '\n' ' ')); using a plain copy"
  fi
  rm -f "$out" "$err"
  wineserver -k 2>/dev/null || true
fi

# Windows on ARM64: arm64 Wine in a private root, beside the amd64 Wine above.
BABYJIT_EMU_DIR="$DIR" bash "$ROOT/.ci/setup-winarm64.sh"

say "ready (bun $VER, assets in $DIR)"
