#!/usr/bin/env bash
# Builds the binaries the project ships, the way .github/workflows/release.yml does, and packs
# each with a SHA-256 checksum.
#
#   scripts/release.sh [TARGET ...]       # dist/asl-TARGET.tar.gz (.zip on Windows), a
#                                         # .sha256 beside each, dist/SHA256SUMS over all
#   scripts/release.sh --bin-only [TARGET]  # build only; print the binary's path
#
# TARGET defaults to this machine's shipped target: <arch>-unknown-linux-musl on Linux,
# <arch>-apple-darwin on macOS, x86_64-pc-windows-msvc on Windows. Shipped Linux binaries are
# musl: one static file that runs on any distribution (Amazon Linux, Fedora, Debian, Alpine).
#
# What differs from `cargo build --release` (docs/PERFORMANCE.md has the measurements):
#   - the cargo profile `dist` (Cargo.toml): the release profile, symbols stripped;
#   - on Linux, a static, fixed-address executable (`crt-static`, `relocation-model=static`):
#     nothing for a dynamic loader to map or relocate at start, ~0.5 ms off every run;
#   - on Windows, the C runtime linked in (`crt-static`): no Visual C++ redistributable needed.
# The flags go in RUSTFLAGS with an explicit --target, so they reach the crates of `asl` and
# never the build scripts and proc-macros (a statically linked host cannot load a proc-macro).
# mimalloc's 16 KiB slices come from .cargo/config.toml, as in every build.
#
# Needs a Rust toolchain with the target installed (`rustup target add TARGET`) and a C
# compiler for it: for musl, musl-gcc (`apt-get install musl-tools`) when building on a
# machine of the same architecture, or CC_<target> pointing at a cross compiler.
set -euo pipefail
cd "$(dirname "$0")/.."

bin_only=0
targets=()
for arg in "$@"; do
  case "$arg" in
    --bin-only) bin_only=1 ;;
    -h | --help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) echo "release.sh: unknown option $arg" >&2; exit 2 ;;
    *) targets+=("$arg") ;;
  esac
done

host=$(rustc -vV | sed -n 's/^host: //p')
if [ ${#targets[@]} -eq 0 ]; then
  case "$host" in
    *-linux-gnu | *-linux-musl) targets=("${host%%-*}-unknown-linux-musl") ;;
    *-windows-*) targets=("${host%%-*}-pc-windows-msvc") ;;
    *) targets=("$host") ;;
  esac
fi
if [ "$bin_only" = 1 ] && [ ${#targets[@]} -ne 1 ]; then
  echo "release.sh: --bin-only builds one target" >&2
  exit 2
fi

# The flags that make a shipped binary start fast or stand alone, per target.
rustflags_for() {
  case "$1" in
    *-linux-*) echo "-C target-feature=+crt-static -C relocation-model=static" ;;
    *-windows-msvc) echo "-C target-feature=+crt-static" ;;
    *) echo "" ;;
  esac
}

# Builds one target; prints the binary's path on stdout.
build() {
  local target=$1 flags cc_var
  flags=$(rustflags_for "$target")
  cc_var="CC_${target//-/_}"
  # cc-rs finds x86_64's musl-gcc by itself, not aarch64's; on a machine of the target's own
  # architecture musl-gcc is the right compiler for both.
  if [[ "$target" == *-linux-musl && -z "${!cc_var:-}" && "${target%%-*}" == "${host%%-*}" ]] \
    && command -v musl-gcc >/dev/null; then
    export "$cc_var=musl-gcc"
  fi
  RUSTFLAGS="${RUSTFLAGS:+$RUSTFLAGS }$flags" \
    cargo build --locked --profile dist --target "$target" --bin asl >&2
  local exe=asl
  [[ "$target" == *-windows-* ]] && exe=asl.exe
  echo "target/$target/dist/$exe"
}

sha256() {
  if command -v sha256sum >/dev/null; then sha256sum "$@"; else shasum -a 256 "$@"; fi
}

if [ "$bin_only" = 1 ]; then
  build "${targets[0]}"
  exit 0
fi

# Archive names carry no version, so that .../releases/latest/download/asl-TARGET.tar.gz
# always names the newest; the binary says its version (`asl --version`).
mkdir -p dist
for target in "${targets[@]}"; do
  bin=$(build "$target")
  name="asl-$target"
  stage="dist/$name"
  rm -rf "$stage"
  mkdir -p "$stage"
  cp "$bin" README.md LICENSE "$stage/"
  # A smoke test, the manual page and completions, when this machine can run the binary (a
  # cross build may not; `asl man` and `asl completions` print them on any machine).
  if "$bin" --version >/dev/null 2>&1; then
    out=$("$bin" run asl-samples/hello.asl.json --input '{"name": "Ada"}')
    if [ "$out" != '{"greeting":"Hello, Ada!"}' ]; then
      echo "release.sh: $bin runs asl-samples/hello.asl.json wrongly: $out" >&2
      exit 1
    fi
    mkdir -p "$stage/complete"
    "$bin" man >"$stage/asl.1"
    "$bin" completions bash >"$stage/complete/asl.bash"
    "$bin" completions zsh >"$stage/complete/_asl"
    "$bin" completions fish >"$stage/complete/asl.fish"
    "$bin" completions powershell >"$stage/complete/_asl.ps1"
  fi
  (
    cd dist
    if [[ "$target" == *-windows-* ]]; then
      archive="$name.zip"
      rm -f "$archive"
      if command -v 7z >/dev/null; then 7z a -bd -tzip "$archive" "$name" >/dev/null; else zip -qr "$archive" "$name"; fi
    else
      archive="$name.tar.gz"
      tar -czf "$archive" "$name"
    fi
    sha256 "$archive" >"$archive.sha256"
    rm -rf "$name"
    echo "dist/$archive" >&2
  )
done
(cd dist && cat ./*.sha256 | sort -k 2 >SHA256SUMS)
