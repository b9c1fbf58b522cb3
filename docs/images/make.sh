#!/usr/bin/env bash
# The README's pictures, drawn by asl itself: the pipeline sample, and a failed execution of it
# (the first Lambda call throttled and retried, the second chunk's container failing).
# Usage: docs/images/make.sh [ASL]   (default: target/debug/asl)
set -euo pipefail
cd "$(dirname "$0")/../.."
asl="${1:-target/debug/asl}"
"$asl" graph asl-samples/pipeline.asl.json -o docs/images/pipeline.svg
"$asl" run asl-samples/pipeline.asl.json --input-file asl-samples/pipeline.input.json \
  --mock-config docs/images/pipeline-chunk-fails.mocks.json --test-case ChunkFails \
  --graph docs/images/pipeline-failed.svg >/dev/null 2>&1 || true
test -s docs/images/pipeline-failed.svg
