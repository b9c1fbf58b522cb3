#!/usr/bin/env bash
# Measures this binary beside aws-local-stepfunctions on the shared benchmark workloads, and
# times the JSONata variants in benches/workloads/ beside their JSONPath originals.
#
#   benches/peers.sh [--peers "asl local-sfn"] [--runs 5] [--workloads "..."]
#
# Needs ../shared/bench (run-peers.sh installs the peers into a scratch dir). It measures the
# binary as the project ships it, built by scripts/release.sh (on Linux: static, fixed-address,
# musl), which needs the musl target (`rustup target add x86_64-unknown-linux-musl`) and
# musl-gcc (`apt-get install musl-tools`). Results go to target/bench/ (summary.md), never
# into ../shared.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
bench=$(cd ../shared/bench && pwd)
out=$root/target/bench
mkdir -p "$out"
# Measured as installed (unpacked or copied): a freshly linked file is mapped from page-cache
# pages the linker wrote piecemeal, which costs ~0.2 ms more at every start.
asl=$out/asl
cp "$(scripts/release.sh --bin-only)" "$asl"

# The Task mock contract of task-mocked-1k: every Task state returns the constant result.
mocks=$out/task-mocks.json
python3 - "$bench" "$mocks" <<'PY'
import json, sys
bench, out = sys.argv[1], sys.argv[2]
manifest = json.load(open(f"{bench}/manifest.json"))
result = json.load(open(f"{bench}/peers/task-mock-result.json"))
cases = {}
for w in manifest["workloads"]:
    for t in w.get("task_states", []):
        cases[t] = "Constant"
json.dump({"StateMachines": {"bench": {"TestCases": {"Bench": cases}}},
           "MockedResponses": {"Constant": {"0": {"Return": result}}}}, open(out, "w"))
PY

export ASL_RUN="$asl run {def} --input-file {input} --max-events 0 --no-payload-limit"
export ASL_TASK_MOCK_ARGS="--state-machine-name bench --mock-config $mocks --test-case Bench"
"$bench/run-peers.sh" --out "$out" "$@"

echo
echo "JSONata variants (median of 5 runs, wall seconds / peak RSS KiB):"
for w in loop-10k map-10k; do
  for def in "$bench/workloads/$w.json" "benches/workloads/$w-jsonata.json"; do
    times=()
    for _ in 1 2 3 4 5; do
      /usr/bin/time -f "%e %M" -o "$out/time.txt" "$asl" run "$def" --input-file "$bench/inputs/$w.json" \
        --max-events 0 --no-payload-limit >"$out/output.json"
      times+=("$(cat "$out/time.txt")")
    done
    python3 "$bench/check.py" "$bench/expected/$w.json" "$out/output.json" >/dev/null
    printf '%-40s %s\n' "$(basename "$def")" "$(printf '%s\n' "${times[@]}" | sort -n | sed -n 3p)"
  done
done
