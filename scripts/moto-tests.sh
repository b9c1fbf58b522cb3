#!/usr/bin/env bash
# Runs the tests that need an AWS emulator (tests/moto.rs) against moto on 127.0.0.1.
#
#   scripts/moto-tests.sh            # install moto into .cache/moto-venv if needed, start it,
#                                    # run `cargo test --test moto`, stop moto on exit
#   MOTO_PORT=5123 scripts/moto-tests.sh --nocapture   (extra arguments go to the test binary)
#
# Loopback only; bounded waits; stops only the moto process it started (trap on EXIT).
# moto's log is kept in target/moto/moto.log (its Python tracebacks explain HTTP 500s).
set -euo pipefail
cd "$(dirname "$0")/.."

MOTO_VERSION="5.2.5"
PORT="${MOTO_PORT:-5123}"
VENV="${MOTO_VENV:-.cache/moto-venv}"
DIR="target/moto"
mkdir -p "$DIR"

if [ ! -x "$VENV/bin/moto_server" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q "moto[server]==$MOTO_VERSION"
fi

# Another server already on the port would answer the readiness check below and the tests
# would run against its state: refuse instead.
if curl -fsS -o /dev/null "http://127.0.0.1:$PORT/" 2>/dev/null; then
  echo "something already answers on 127.0.0.1:$PORT; stop it or set MOTO_PORT" >&2
  exit 1
fi
setsid "$VENV/bin/moto_server" -H 127.0.0.1 -p "$PORT" >"$DIR/moto.log" 2>&1 </dev/null &
MOTO_PID=$!
stop_moto() {
  kill "$MOTO_PID" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$MOTO_PID" 2>/dev/null || return 0; sleep 0.1; done
  kill -9 "$MOTO_PID" 2>/dev/null || true
}
trap stop_moto EXIT

ready=""
for _ in $(seq 1 100); do # at most ~10 s
  if curl -fsS -o /dev/null "http://127.0.0.1:$PORT/moto-api/" 2>/dev/null; then ready=1; break; fi
  kill -0 "$MOTO_PID" 2>/dev/null || { cat "$DIR/moto.log"; exit 1; }
  sleep 0.1
done
[ -n "$ready" ] || { echo "moto did not answer on 127.0.0.1:$PORT within 10 s" >&2; exit 1; }
# Lambda without Docker: invocations echo their payload or return queued canned results.
curl -fsS -X POST "http://127.0.0.1:$PORT/moto-api/config" -d '{"lambda":{"use_docker":false}}' >/dev/null
echo "moto $MOTO_VERSION ready on 127.0.0.1:$PORT" >&2

# Throwaway credentials and no way for the SDK to look further (no IMDS, no real profiles).
EMPTY="$DIR/empty"
: >"$EMPTY"
export ASL_MOTO_ENDPOINT="http://127.0.0.1:$PORT"
export AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test
export AWS_EC2_METADATA_DISABLED=true AWS_CONFIG_FILE="$EMPTY" AWS_SHARED_CREDENTIALS_FILE="$EMPTY"
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL

# awsvpc tasks need a subnet and a security group that exist: use the default VPC's.
read -r ASL_MOTO_SUBNET ASL_MOTO_SG < <("$VENV/bin/python" - <<PY
import boto3
ec2 = boto3.client("ec2", endpoint_url="$ASL_MOTO_ENDPOINT", region_name="us-east-1")
subnet = ec2.describe_subnets()["Subnets"][0]
sg = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [subnet["VpcId"]]}])["SecurityGroups"][0]
print(subnet["SubnetId"], sg["GroupId"])
PY
)
export ASL_MOTO_SUBNET ASL_MOTO_SG

# The tests share one server and moto's global ECS state: run them one at a time.
cargo test --test moto --test moto_api --test http_tasks -- --test-threads=1 "$@"
