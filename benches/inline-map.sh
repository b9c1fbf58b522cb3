#!/usr/bin/env bash
# Inline Map over 1,000,000 items: peak RSS (GNU time) and wall time of `asl run` for the
# shapes docs/PERFORMANCE.md tabulates (numbers, one-member objects, an ItemSelector, a
# Parameters that adds a field, a ResultPath into the input), each under AWS's payload limit
# (results past it are not kept: the state fails, exit 1) and without it (all kept, exit 0).
#
#   benches/inline-map.sh [ITEMS]
#
# Needs a release build (it makes one unless ASL_BIN names a binary) and GNU time
# (/usr/bin/time; Debian's `time` package). Files go to target/bench/inline-map/.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000000}
[ -n "${ASL_BIN:-}" ] || cargo build --release --quiet
asl=${ASL_BIN:-$PWD/target/release/asl}
out=target/bench/inline-map
rm -rf "$out"
mkdir -p "$out"
python3 - "$n" "$out" <<'PY'
import json, sys
n, out = int(sys.argv[1]), sys.argv[2]
with open(f"{out}/numbers.json", "w") as f:
    json.dump({"items": list(range(n))}, f, separators=(",", ":"))
with open(f"{out}/objects.json", "w") as f:
    json.dump({"items": [{"i": i} for i in range(n)]}, f, separators=(",", ":"))
PY
map() { # $1: the Map's extra fields, $2: the processor Pass's extra fields
  cat <<JSON
{"StartAt": "M", "States": {"M": {"Type": "Map", "ItemsPath": "\$.items", $1
  "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", $2 "End": true}}},
  "End": true}}}
JSON
}
map "" "" > "$out/plain.asl.json"
map '"ItemSelector": {"v.$": "$$.Map.Item.Value"},' "" > "$out/selector.asl.json"
map "" '"Parameters": {"i.$": "$.i", "extra": "x"},' > "$out/parameters.asl.json"
map '"ResultPath": "$.r",' "" > "$out/result-path.asl.json"
printf '%-34s %-22s %8s %10s %s\n' "workload" "payload limit" "wall s" "peak MiB" "exit"
bench() { # $1 label, $2 machine, $3 input
  for limit in "AWS's (default)" "none (results kept)"; do
    local flags=() status=0
    [ "$limit" = "AWS's (default)" ] || flags=(--no-payload-limit)
    /usr/bin/time -f "%e %M" -o "$out/time" \
      "$asl" run "$out/$2.asl.json" --input-file "$out/$3.json" --max-events 0 "${flags[@]}" \
      > /dev/null 2> "$out/stderr" || status=$?
    read -r secs kib < <(tail -n 1 "$out/time")
    printf '%-34s %-22s %8s %10d %s\n' "$1" "$limit" "$secs" $((kib / 1024)) "$status"
  done
}
bench "numbers, plain" plain numbers
bench "objects, plain" plain objects
bench "objects, ItemSelector" selector objects
bench "objects, Parameters adds a field" parameters objects
bench "objects, ResultPath \$.r" result-path objects
