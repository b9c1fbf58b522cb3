#!/usr/bin/env bash
# Runs the tests that drive `asl serve` with real clients (tests/serve.rs): boto3 and the AWS
# CLI, installed from PyPI into .cache/serve-venv when missing.
#
#   scripts/serve-tests.sh               # install the clients if needed, run `cargo test --test serve`
#   scripts/serve-tests.sh --nocapture   (extra arguments go to the test binary)
#
# Starts nothing but our own server: each test starts `asl serve --port 0` on 127.0.0.1 and
# kills it when it ends. Loopback only; throwaway credentials; no way for the clients to
# reach real AWS (no profiles, no instance metadata).
set -euo pipefail
cd "$(dirname "$0")/.."

BOTO3_VERSION="1.44.18"
AWSCLI_VERSION="1.46.3"
VENV="${SERVE_VENV:-.cache/serve-venv}"
case "$VENV" in /*) ;; *) VENV="$PWD/$VENV" ;; esac

if [ ! -x "$VENV/bin/aws" ] || ! "$VENV/bin/python" -c "import boto3" 2>/dev/null; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q "boto3==$BOTO3_VERSION" "awscli==$AWSCLI_VERSION"
fi

case "$VENV" in /*) ;; *) VENV="$PWD/$VENV" ;; esac

EMPTY="target/serve-empty"
mkdir -p target
: >"$EMPTY"
export ASL_SERVE_PYTHON="$VENV/bin/python"
export ASL_SERVE_AWS="$VENV/bin/aws"
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_EC2_METADATA_DISABLED=true
export AWS_CONFIG_FILE="$EMPTY" AWS_SHARED_CREDENTIALS_FILE="$EMPTY"
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL SFN_MOCK_CONFIG

cargo test --test serve -- "$@"
