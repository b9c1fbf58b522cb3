#!/usr/bin/env bash
# The long fuzz run (docs/fuzzing.md): every target of tests/fuzz.rs, CASES inputs each
# (default 1 000 000), optimised, one target at a time so a crash names its case.
#
#   scripts/fuzz.sh [CASES] [TARGET...]
#
# Environment: FUZZ_SEED (default: random, printed, so a run can be repeated), FUZZ_HANG_MS
# (per-input bound; default 2 s, 12 s for the JSONata targets), FUZZ_SLOW_MS (inputs slower
# than this are named; default 1000), FUZZ_TARGET_DIR (default target/fastrel).
set -uo pipefail
cd "$(dirname "$0")/.."

cases=${1:-1000000}
shift $(( $# > 0 ? 1 : 0 ))
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(definition_json_text definition_yaml_text jsonpath reference_path_write
           intrinsic_call payload_template jsonata_expression mock_file handlers_file test_file
           item_reader_object snapshot_update history_file)
fi
seed=${FUZZ_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
dir=${FUZZ_TARGET_DIR:-target/fastrel}

# An optimised build without the release profile's fat LTO (minutes instead of ten).
echo "fuzz: building (release, thin codegen) into $dir" >&2
build_log=$(CARGO_PROFILE_RELEASE_LTO=off CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
  cargo test --release --test fuzz --target-dir "$dir" --no-run --message-format=short 2>&1)
bin=$(printf '%s\n' "$build_log" | sed -n 's/.*Executable tests\/fuzz.rs (\(.*\))/\1/p' | tail -1)
if [ -z "$bin" ] || [ ! -x "$bin" ]; then
  printf '%s\n' "$build_log" >&2
  echo "fuzz: the build failed" >&2
  exit 2
fi

echo "fuzz: $cases inputs per target, FUZZ_SEED=$seed" >&2
printf '%-22s %12s %8s %6s %10s %10s\n' target inputs panics hangs slowest wall
failed=0
total_start=$(date +%s)
for t in "${targets[@]}"; do
  log=$(mktemp)
  start=$(date +%s.%N)
  FUZZ_CASES=$cases FUZZ_SEED=$seed "$bin" --exact "$t" --nocapture --test-threads=1 >"$log" 2>&1
  rc=$?
  wall=$(echo "$(date +%s.%N) - $start" | bc)
  line=$(grep -aE "fuzz $t: [0-9]+ inputs, [0-9]+ panics" "$log" | tail -1)
  if [ -n "$line" ]; then
    inputs=$(sed -E 's/.*: ([0-9]+) inputs.*/\1/' <<<"$line")
    panics=$(sed -E 's/.* ([0-9]+) panics.*/\1/' <<<"$line")
    slowest=$(sed -E 's/.*slowest input ([0-9]+) ms.*/\1 ms/' <<<"$line")
    hangs=0
  else
    inputs="?"; panics="?"; slowest="?"; hangs="?"
    grep -aq "HANG" "$log" && hangs=1
  fi
  printf '%-22s %12s %8s %6s %10s %9.0fs\n' "$t" "$inputs" "$panics" "$hangs" "$slowest" "$wall"
  if [ $rc -ne 0 ]; then
    failed=1
    echo "--- $t failed (exit $rc); its log:" >&2
    grep -aE "CRASH|HANG|overflow|panicked|FUZZ_CASE|slow input" "$log" | head -40 >&2
  else
    grep -aE "slow input" "$log" | head -10 >&2
  fi
  rm -f "$log"
done
echo "fuzz: total wall $(( $(date +%s) - total_start )) s, FUZZ_SEED=$seed" >&2
exit $failed
