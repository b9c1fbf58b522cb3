#!/usr/bin/env bash
# Distributed Map at scale: a 1,000,000-line JSONL object and a 100,000-row CSV read from
# --s3-root, ItemBatcher of 1,000, a Pass child, ResultWriter back to --s3-root. Prints wall
# time, items per second and peak RSS (GNU time).
#
#   benches/distributed.sh [LINES] [ROWS]
#
# Needs a release build (it makes one) and GNU time (/usr/bin/time; Debian's `time` package).
# Files go to target/bench/distributed/.
set -euo pipefail
cd "$(dirname "$0")/.."
lines=${1:-1000000}
rows=${2:-100000}
[ -n "${ASL_BIN:-}" ] || cargo build --release --quiet
asl=${ASL_BIN:-$PWD/target/release/asl}
[ -x "$asl" ] || asl=$PWD/target/$(rustc -vV | sed -n 's/^host: //p')/release/asl
out=target/bench/distributed
rm -rf "$out"
mkdir -p "$out/s3/in" "$out/s3/out"
python3 - "$lines" "$rows" "$out" <<'PY'
import sys
lines, rows, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
with open(f"{out}/s3/in/items.jsonl", "w") as f:
    for i in range(lines):
        f.write(f'{{"id":{i},"name":"item-{i}","value":{i % 97}}}\n')
with open(f"{out}/s3/in/rows.csv", "w") as f:
    f.write("id,name,value\n")
    for i in range(rows):
        f.write(f"{i},row-{i},{i % 89}\n")
PY
machine() {
  cat <<JSON
{"StartAt": "Map", "States": {"Map": {"Type": "Map",
  "ItemReader": {"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": {"InputType": "$1"},
                 "Parameters": {"Bucket": "in", "Key": "$2"}},
  "ItemBatcher": {"MaxItemsPerBatch": 1000},
  "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
                    "StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}},
  "ResultWriter": {"Resource": "arn:aws:states:::s3:putObject", "Parameters": {"Bucket": "out", "Prefix": "$3"}},
  "End": true}}}
JSON
}
machine JSONL items.jsonl jsonl > "$out/jsonl.asl.json"
machine CSV rows.csv csv > "$out/csv.asl.json"
for w in jsonl:$lines csv:$rows; do
  name=${w%%:*}
  n=${w##*:}
  /usr/bin/time -f "%e %M" -o "$out/$name.time" \
    "$asl" run "$out/$name.asl.json" --input '{}' --s3-root "$out/s3" --no-payload-limit > "$out/$name.out"
  read -r secs kib < "$out/$name.time"
  python3 - "$name" "$n" "$secs" "$kib" <<'PY'
import sys
name, n, secs, kib = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
print(f"{name}: {n} items in {secs:.2f} s ({n / max(secs, 1e-9):,.0f} items/s), peak RSS {kib / 1024:.1f} MiB")
PY
done
