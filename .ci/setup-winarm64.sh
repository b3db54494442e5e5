#!/usr/bin/env bash
# Windows on ARM64 for the emulator tests: Bun's windows-aarch64 bun.exe under Debian's arm64 Wine 8,
# itself under qemu-aarch64, on this x86-64 host. Called by .ci/setup-emulators.sh (which installs
# qemu-user and fetches bun.exe first); see test/support/emu.ts, runWinArm64().
#
# `apt-get install wine64:arm64` would remove the amd64 Wine the x64 suite uses, so nothing arm64 is
# installed: the .debs are downloaded and unpacked into a private root, and made to run like this:
#   - ELF interpreter: wine64 and wineserver64 ask for /lib/ld-linux-aarch64.so.1, the host has none.
#     `qemu-aarch64 -L <root>` would find it, but also redirects "/" into the root, so Wine's Z: drive
#     would no longer be the host's root. Instead the interpreter path inside both binaries is patched
#     in place to <root>/ld.so, which must fit the original 26 bytes: the root path is at most 20
#     characters (default /opt/bjwa64; ~/.cache/... is too long).
#   - Wine re-executes <its bin dir>/wine64-preloader for itself and every child process, and starts
#     <bin dir>/wineserver when no server runs: both become scripts that run the arm64 binary under
#     qemu-aarch64 with the root's library directories.
#   - bun.exe imports ProcessPrng from bcryptprimitives.dll, which Wine 8 lacks: an ARM64 stub
#     (test/support/bcryptprimitives-arm64.c) is built with clang-14/lld-14, also only unpacked.
#
# Idempotent and quick when everything is there. Cached outside the project tree:
#   $WA_ROOT (default /opt/bjwa64)          the unpacked arm64 Wine + glibc, .babyjit-stamp last
#   $DIR/winarm64/debs/                     the downloaded .debs
#   $DIR/winarm64/llvm/                     clang-14, lld-14 (unpacked, for the stub only)
#   $DIR/winarm64/bcryptprimitives.dll      the stub (+ .sha256 of its source)
#   $DIR/wineprefix-arm64/                  the WINEPREFIX (its Z: drive maps /: never in the repo)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR="${BABYJIT_EMU_DIR:-$HOME/.cache/babyjit-emu}"
mkdir -p "$DIR"
DIR="$(cd "$DIR" && pwd)"
WA_ROOT="${BABYJIT_WINARM64_ROOT:-/opt/bjwa64}"
WA="$DIR/winarm64"
PREFIX="$DIR/wineprefix-arm64"
BUN_EXE="$DIR/bun-windows-aarch64/bun.exe"
STUB_SRC="$ROOT/test/support/bcryptprimitives-arm64.c"
# The arm64 packages Wine needs to start a console program (found by running it: libwine's other
# dependencies are for graphics, sound and devices, which a console bun.exe never loads).
DEBS=(wine64:arm64 libwine:arm64 libc6:arm64 libgcc-s1:arm64 libunwind8:arm64 liblzma5:arm64)
# Bumped when the way the root is made changes, so an old root is rebuilt.
LAYOUT=1

say() { printf 'setup-winarm64: %s\n' "$*"; }
die() { printf 'setup-winarm64: error: %s\n' "$*" >&2; exit 1; }

SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"

command -v qemu-aarch64 >/dev/null 2>&1 || die "qemu-aarch64 is missing (run .ci/setup-emulators.sh)"
[ -f "$BUN_EXE" ] || die "missing $BUN_EXE (run .ci/setup-emulators.sh)"
case "$WA_ROOT" in /*) ;; *) die "BABYJIT_WINARM64_ROOT must be an absolute path, not $WA_ROOT" ;; esac
INTERP_OLD="/lib/ld-linux-aarch64.so.1"
INTERP_NEW="$WA_ROOT/ld.so"
[ "${#INTERP_NEW}" -le "${#INTERP_OLD}" ] ||
  die "$WA_ROOT is too long: $INTERP_NEW must fit in the ${#INTERP_OLD} bytes of $INTERP_OLD (root at most $(( ${#INTERP_OLD} - 6 )) characters)"
for p in "$WA_ROOT/" "$PREFIX/"; do
  case "$p" in "$ROOT"/*) die "$p is inside the project tree" ;; esac
done

# apt-get download <packages>, into the current directory; refreshes the package lists once if needed.
apt_download() {
  if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    say "dpkg --add-architecture arm64 (only to download arm64 .debs; nothing arm64 is installed)"
    $SUDO dpkg --add-architecture arm64
    $SUDO apt-get update -qq >/dev/null
  fi
  # _apt cannot write into a private directory: download as this user, quietly.
  if ! apt-get download -qq "$@" >/dev/null 2>&1; then
    $SUDO apt-get update -qq >/dev/null
    apt-get download -qq "$@" >/dev/null 2>&1 || die "apt-get download $* failed"
  fi
}

# ------------------------------------------------------------ the arm64 root
stamp="layout $LAYOUT; ${DEBS[*]}"
if [ "$(cat "$WA_ROOT/.babyjit-stamp" 2>/dev/null)" != "$stamp" ]; then
  mkdir -p "$WA/debs"
  (cd "$WA/debs" && rm -f ./*.deb && apt_download "${DEBS[@]}")
  if [ ! -w "$(dirname "$WA_ROOT")" ] && [ ! -w "$WA_ROOT" ]; then
    $SUDO mkdir -p "$WA_ROOT"
    $SUDO chown "$(id -u):$(id -g)" "$WA_ROOT"
  fi
  rm -rf "$WA_ROOT.tmp"
  mkdir -p "$WA_ROOT.tmp"
  for deb in "$WA/debs"/*.deb; do dpkg -x "$deb" "$WA_ROOT.tmp"; done
  # dpkg -x also unpacks the root directory's mode; keep it ours.
  chmod 755 "$WA_ROOT.tmp"
  ln -s lib/ld-linux-aarch64.so.1 "$WA_ROOT.tmp/ld.so"
  # The interpreter path is a NUL-terminated string in PT_INTERP: overwrite it in place, NUL-padded.
  for bin in wine64 wineserver64; do
    f="$WA_ROOT.tmp/usr/lib/wine/$bin"
    off="$(grep -obUaF "$INTERP_OLD" "$f" | cut -d: -f1)"
    [ -n "$off" ] && [ "$(printf '%s\n' "$off" | wc -l)" = 1 ] || die "$f: expected one $INTERP_OLD"
    { printf '%s' "$INTERP_NEW"; head -c $(( ${#INTERP_OLD} - ${#INTERP_NEW} )) /dev/zero; } |
      dd of="$f" bs=1 seek="$off" conv=notrunc status=none
  done
  LIBS="$WA_ROOT/lib/aarch64-linux-gnu:$WA_ROOT/usr/lib/aarch64-linux-gnu"
  # No core files from a crashing guest (qemu would write them into the working directory).
  cat >"$WA_ROOT.tmp/usr/lib/wine/wine64-preloader" <<EOF
#!/bin/sh
# Wine execs this for itself and each child: run the arm64 loader under qemu (setup-winarm64.sh).
ulimit -c 0
exec qemu-aarch64 -E LD_LIBRARY_PATH=$LIBS "\$@"
EOF
  cat >"$WA_ROOT.tmp/usr/lib/wine/wineserver" <<EOF
#!/bin/sh
# The arm64 wineserver under qemu (Debian's wrapper would start the host's amd64 one).
ulimit -c 0
exec qemu-aarch64 -E LD_LIBRARY_PATH=$LIBS $WA_ROOT/usr/lib/wine/wineserver64 "\$@"
EOF
  chmod +x "$WA_ROOT.tmp/usr/lib/wine/wine64-preloader" "$WA_ROOT.tmp/usr/lib/wine/wineserver"
  # Swap in the new root (the old one, if any, is stale) and mark it complete last.
  if [ -d "$WA_ROOT" ]; then find "$WA_ROOT" -mindepth 1 -delete; else mkdir -p "$WA_ROOT"; fi
  (cd "$WA_ROOT.tmp" && tar -cf - .) | (cd "$WA_ROOT" && tar -xf -)
  rm -rf "$WA_ROOT.tmp"
  rm -rf "$PREFIX"   # made by another root's Wine: start again
  echo "$stamp" >"$WA_ROOT/.babyjit-stamp"
  say "unpacked arm64 Wine into $WA_ROOT"
fi
WINE="$WA_ROOT/usr/lib/wine/wine64"
SERVER="$WA_ROOT/usr/lib/wine/wineserver"
PRELOADER="$WA_ROOT/usr/lib/wine/wine64-preloader"

# ------------------------------------------- bcryptprimitives.dll (ARM64) stub
[ -f "$STUB_SRC" ] || die "missing $STUB_SRC"
DLL="$WA/bcryptprimitives.dll"
want_sum="$(sha256sum "$STUB_SRC" | cut -d' ' -f1)"
if [ ! -f "$DLL" ] || [ "$(cat "$DLL.sha256" 2>/dev/null)" != "$want_sum" ]; then
  LLVM="$WA/llvm/usr/lib/llvm-14/bin"
  tools=(clang-14 lld-14)
  # clang-14 needs libclang-cpp.so.14 (and libLLVM-14, which llvm-mc already pulled in).
  ldconfig -p | grep -q 'libclang-cpp\.so\.14 ' || [ -e "$WA/llvm/usr/lib/x86_64-linux-gnu/libclang-cpp.so.14" ] || tools+=(libclang-cpp14)
  if [ ! -x "$LLVM/clang" ] || [ ! -x "$LLVM/lld-link" ] || [ "${#tools[@]}" -gt 2 ]; then
    mkdir -p "$WA/llvm-debs"
    (cd "$WA/llvm-debs" && rm -f ./*.deb && apt_download "${tools[@]}")
    for deb in "$WA/llvm-debs"/*.deb; do dpkg -x "$deb" "$WA/llvm"; done
    say "unpacked ${tools[*]} into $WA/llvm"
  fi
  command -v llvm-dlltool >/dev/null 2>&1 || die "llvm-dlltool is missing (apt: llvm)"
  build="$(mktemp -d)"
  printf 'LIBRARY advapi32.dll\nEXPORTS\nSystemFunction036\n' >"$build/advapi32.def"
  printf 'LIBRARY kernel32.dll\nEXPORTS\nExitProcess\n' >"$build/kernel32.def"
  llvm-dlltool -m arm64 -d "$build/advapi32.def" -l "$build/advapi32.lib"
  llvm-dlltool -m arm64 -d "$build/kernel32.def" -l "$build/kernel32.lib"
  export LD_LIBRARY_PATH="$WA/llvm/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  "$LLVM/clang" --target=aarch64-pc-windows-msvc -O2 -Wall -Werror -ffreestanding -fno-builtin -fno-stack-protector \
    -c "$STUB_SRC" -o "$build/stub.o"
  "$LLVM/lld-link" /dll /noentry /nodefaultlib /machine:arm64 /out:"$build/bcryptprimitives.dll" \
    "$build/stub.o" "$build/advapi32.lib" "$build/kernel32.lib" >/dev/null
  mv -f "$build/bcryptprimitives.dll" "$DLL"
  rm -rf "$build"
  echo "$want_sum" >"$DLL.sha256"
  say "built $DLL"
fi

# ------------------------------------------------------------------ Wine prefix
export WINEPREFIX="$PREFIX" WINEDEBUG=-all
unset DISPLAY WAYLAND_DISPLAY
if [ ! -f "$PREFIX/system.reg" ]; then
  # Output to files, never a pipe: Wine's services would keep it open.
  log="$(mktemp)"
  WINEDLLOVERRIDES="mscoree,mshtml=" "$PRELOADER" "$WINE" wineboot --init >"$log" 2>&1 </dev/null || true
  "$SERVER" -w || true
  [ -f "$PREFIX/system.reg" ] || { head -c 2000 "$log" >&2; rm -f "$log"; die "could not create the wine prefix $PREFIX"; }
  rm -f "$log"
  say "created wine prefix $PREFIX"
fi
SYS32_DLL="$PREFIX/drive_c/windows/system32/bcryptprimitives.dll"
if ! cmp -s "$DLL" "$SYS32_DLL"; then
  cp -f "$DLL" "$SYS32_DLL"
  # Checked once, when the stub is new: bun.exe starts and reports its version.
  out="$(mktemp)" err="$(mktemp)"
  "$PRELOADER" "$WINE" "$BUN_EXE" --version >"$out" 2>"$err" </dev/null || true
  "$SERVER" -k 2>/dev/null || true
  got="$(tr -d '\r' <"$out")"
  why="$(grep -v FreeType "$err" | head -c 300 || true)"
  rm -f "$out" "$err"
  if [ "$got" != "$(bun --version)" ]; then
    rm -f "$SYS32_DLL"   # so that the next run checks again
    die "bun.exe under arm64 Wine printed '$got' ($why), not its version"
  fi
  say "installed the stub into $SYS32_DLL; bun.exe $got runs"
fi

say "ready (arm64 Wine in $WA_ROOT, prefix $PREFIX)"
