#!/usr/bin/env bash
# Times `asl test` on a file of N cases (default 1,000) on the pipeline sample: each case with
# inline mocks for its three Task states and output, path and call expectations; with and
# without coverage; and, for the per-case overhead, one bare `asl run` of the same execution.
#
#   benches/test-runner.sh [N] [RUNS]
#
# Needs the shipped build (scripts/release.sh --bin-only, which it makes) and hyperfine (`apt-get install hyperfine`). Files go to
# target/bench/test-runner/.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000}
runs=${2:-10}
out=$PWD/target/bench/test-runner
mkdir -p "$out"
asl=$out/asl
# The shipped binary (scripts/release.sh), unless ASL_BIN names one.
cp "${ASL_BIN:-$(scripts/release.sh --bin-only)}" "$asl"
cp asl-samples/pipeline.asl.json "$out/"
python3 - "$n" "$out" <<'PY'
import json, sys
n, out = int(sys.argv[1]), sys.argv[2]
cases = []
for i in range(n):
    chunks = [f"c{i}-{k}" for k in range(3)]
    cases.append({
        "name": f"case {i}",
        "input": {"dataset": f"s3://bucket/{i}.csv", "chunks": 3},
        "mocks": {
            "PrepareData": {"return": {"Payload": {"chunks": chunks}}},
            "ProcessChunk": {"return": {"TaskArn": f"arn:task/{i}", "Containers": [{"ExitCode": 0}]}},
            "AggregateResults": {"return": {"Payload": {"n": i, "status": "complete"}}},
        },
        "expect": {
            "status": "SUCCEEDED",
            "output": {"n": i, "status": "complete"},
            "path": ["PrepareData", "ParallelProcessing"]
                    + [f"ParallelProcessing[{k}]/ProcessChunk" for k in range(3)]
                    + ["AggregateResults"],
            "calls": {"ProcessChunk": {"count": 3, "inputContains": [{"Cluster": "data-cluster"}]}},
        },
    })
json.dump({"definition": "pipeline.asl.json", "cases": cases}, open(f"{out}/bench.test.json", "w"))
# The same execution for a bare `asl run`.
json.dump({"StateMachines": {"pipeline": {"TestCases": {"T": {
    "PrepareData": "P", "ProcessChunk": "C", "AggregateResults": "A"}}}},
    "MockedResponses": {
        "P": {"0": {"Return": {"Payload": {"chunks": ["a", "b", "c"]}}}},
        "C": {"0-2": {"Return": {"TaskArn": "arn:task/0", "Containers": [{"ExitCode": 0}]}}},
        "A": {"0": {"Return": {"Payload": {"n": 0, "status": "complete"}}}}}},
    open(f"{out}/mocks.json", "w"))
PY
echo '{"dataset": "s3://bucket/0.csv", "chunks": 3}' > "$out/input.json"
cd "$out"
"$asl" test bench.test.json 2>&1 | tail -2
hyperfine -N --warmup 2 --runs "$runs" --export-markdown summary.md \
  "./asl test bench.test.json" \
  "./asl test bench.test.json --coverage" \
  "./asl test bench.test.json --jobs 1" \
  "./asl test bench.test.json --jobs 1 --coverage" \
  "./asl run pipeline.asl.json --input-file input.json --mock-config mocks.json --test-case T"
cat summary.md
