#!/usr/bin/env bash
# `asl serve` beside moto's Step Functions (its execution mode) under the same load: N
# executions of a Pass -> Wait WAIT s -> Pass machine started at once through the API by
# THREADS boto3 client threads, then by THREADS raw keep-alive connections from one asyncio
# loop (benches/serve-client.py), then polled until all finished.
# Reports the time until all finished, StartExecution latency p50/p99 and the server's peak
# RSS (VmHWM) for each, side by side.
#
#   benches/serve.sh                       # N=1000 THREADS=64 WAIT=1
#   N=2000 THREADS=128 benches/serve.sh
#
# Needs target/release/asl (built here when missing), boto3 in SERVE_VENV and moto in
# MOTO_VENV (installed as scripts/serve-tests.sh and scripts/moto-tests.sh install them).
# Loopback only; stops only the servers it started. Results: target/bench/serve.md.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

N="${N:-1000}"
THREADS="${THREADS:-64}"
WAIT="${WAIT:-1}"
ASL_PORT="${ASL_PORT:-8799}"
MOTO_PORT="${MOTO_PORT:-5199}"
SERVE_VENV="${SERVE_VENV:-.cache/serve-venv}"
MOTO_VENV="${MOTO_VENV:-.cache/moto-venv}"
case "$SERVE_VENV" in /*) ;; *) SERVE_VENV="$root/$SERVE_VENV" ;; esac
case "$MOTO_VENV" in /*) ;; *) MOTO_VENV="$root/$MOTO_VENV" ;; esac
ASL="${ASL:-target/release/asl}"
out="target/bench"
mkdir -p "$out"

[ -x "$ASL" ] || cargo build --release
if ! "$SERVE_VENV/bin/python" -c "import boto3" 2>/dev/null; then
  python3 -m venv "$SERVE_VENV"
  "$SERVE_VENV/bin/pip" install -q "boto3==1.44.18"
fi
if [ ! -x "$MOTO_VENV/bin/moto_server" ]; then
  python3 -m venv "$MOTO_VENV"
  "$MOTO_VENV/bin/pip" install -q "moto[server]==5.2.5"
fi
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_EC2_METADATA_DISABLED=true
unset AWS_PROFILE AWS_ENDPOINT_URL SFN_MOCK_CONFIG WAIT_TIME_SCALE

for port in "$ASL_PORT" "$MOTO_PORT"; do
  if curl -s -o /dev/null "http://127.0.0.1:$port/" 2>/dev/null; then
    echo "something already answers on 127.0.0.1:$port; stop it or set ASL_PORT / MOTO_PORT" >&2
    exit 1
  fi
done

pid=""
stop() {
  [ -n "$pid" ] || return 0
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || { pid=""; return 0; }; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
  pid=""
}
trap stop EXIT

wait_ready() { # url
  for _ in $(seq 1 200); do # at most ~20 s
    curl -s -o /dev/null "$1" 2>/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || { echo "the server exited" >&2; return 1; }
    sleep 0.1
  done
  echo "no answer from $1 within 20 s" >&2
  return 1
}

kib() { awk -v k="$1" '/^(VmHWM|VmRSS):/ { if ($1 == k":") print $2 }' "/proc/$pid/status"; }

measure() { # name endpoint client
  local idle result peak
  idle=$(kib VmRSS)
  result=$("$SERVE_VENV/bin/python" benches/serve-client.py "$2" "$N" "$THREADS" "$WAIT" "$3")
  peak=$(kib VmHWM)
  echo "$1 $idle $peak $result" >>"$out/serve.raw"
  echo "$1: $result, idle RSS ${idle} KiB, peak RSS ${peak} KiB" >&2
}

moto_version=$("$MOTO_VENV/bin/python" -c 'import moto; print(moto.__version__)')
: >"$out/serve.raw"
# Each client against a fresh server, so that each peak RSS is that run's alone.
for client in ${CLIENTS:-boto3 raw}; do
  "$ASL" serve --port "$ASL_PORT" --clock real --max-finished 100000 2>"$out/asl-serve.log" &
  pid=$!
  wait_ready "http://127.0.0.1:$ASL_PORT/"
  measure "asl_serve" "http://127.0.0.1:$ASL_PORT" "$client"
  stop

  setsid "$MOTO_VENV/bin/moto_server" -H 127.0.0.1 -p "$MOTO_PORT" >"$out/moto.log" 2>&1 </dev/null &
  pid=$!
  wait_ready "http://127.0.0.1:$MOTO_PORT/moto-api/"
  curl -fsS -X POST "http://127.0.0.1:$MOTO_PORT/moto-api/config" \
    -d '{"stepfunctions": {"execute_state_machine": true}}' >/dev/null
  measure "moto_$moto_version" "http://127.0.0.1:$MOTO_PORT" "$client"
  stop
done

python3 - "$out/serve.raw" "$N" "$THREADS" "$WAIT" >"$out/serve.md" <<'PY'
import json, sys
raw, n, threads, wait = sys.argv[1], *sys.argv[2:]
print(f"{n} executions (Pass -> Wait {wait} s -> Pass), started at once by {threads} client "
      f"threads (boto3) or {threads} keep-alive connections (raw)\n")
print("| server | client | all finished | succeeded | StartExecution p50 | p99 | all started | RSS idle | peak RSS |")
print("|---|---|---|---|---|---|---|---|---|")
for line in open(raw):
    parts = line.split(" {", 1)
    head, r = parts[0].rsplit(" ", 2), json.loads("{" + parts[1])
    name, idle, peak = head[0].replace("_", " "), int(head[1]), int(head[2])
    print(f"| {name} | {r['client']} | {r['wall_s']:.2f} s | {r['succeeded']}/{r['started']} | {r['start_p50_ms']:.1f} ms "
          f"| {r['start_p99_ms']:.1f} ms | {r['start_all_s']:.2f} s | {idle / 1024:.1f} MiB | {peak / 1024:.1f} MiB |")
PY
cat "$out/serve.md"
