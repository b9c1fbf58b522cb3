#!/usr/bin/env bash
# Checks that the code, tests included, compiles for Windows (x86_64-pc-windows-gnu) with no
# warning: the Unix-only parts (C entry point, SIGPIPE, process groups, signals) must stay
# gated. Type-checks only; the release workflow builds and links the real Windows binary (MSVC).
# Installs what it needs where it can: the Rust target, and MinGW's C compiler for the C code
# some dependencies build (mimalloc, aws-lc) — on Debian/Ubuntu through apt-get.
set -euo pipefail
cd "$(dirname "$0")/.."
target=x86_64-pc-windows-gnu
if ! rustup target list --installed | grep -qx "$target"; then
  rustup target add "$target"
fi
if ! command -v x86_64-w64-mingw32-gcc >/dev/null; then
  apt-get update -qq && apt-get install -y -qq gcc-mingw-w64-x86-64 >/dev/null
fi
# Warnings in this crate fail the check (RUSTFLAGS=-D warnings would rebuild every dependency).
log=$(cargo check --target "$target" --target-dir target/wincheck --all-targets 2>&1) || {
  printf '%s\n' "$log" >&2
  exit 1
}
printf '%s\n' "$log" | grep -E '^(warning|error)' -A6 >&2 || true
if printf '%s\n' "$log" | grep -q '^warning: `asl-cli`'; then
  echo "check-windows: warnings in asl-cli" >&2
  exit 1
fi
echo "check-windows: asl-cli and its tests compile for $target" >&2
