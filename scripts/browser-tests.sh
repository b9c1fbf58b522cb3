#!/usr/bin/env bash
# The HTML pages as a person sees them: an execution inspector (`asl run --graph`) and a
# coverage page (`asl test --coverage-html`) opened in headless Chromium through WebDriver
# (Python selenium). A state is clicked and the detail panel must show each visit's input and
# output (long values cut, with "Show all"); the drawing zooms (wheel, pinch, keys, buttons),
# pans by dragging and fits; edge labels, as the browser lays the text out, touch no edge or
# state; no error shows in the browser console. The mermaid output of every sample is parsed
# by the `mermaid` npm package in the same browser.
#
# Usage: scripts/browser-tests.sh [--asl PATH] [--install-only] [--no-mermaid]
#   --asl PATH      the binary to test (default: $ASL, else target/release/asl)
#   --install-only  install what is missing, then stop
#   --no-mermaid    skip the mermaid check (it needs the npm registry once)
#
# Needs: Debian or Ubuntu (Chromium and its driver come from apt-get when /usr/bin/chromium or
# /usr/bin/chromedriver is missing; run as root or with sudo), python3 with venv (selenium is
# installed by pip into .cache/browser-venv), npm for mermaid (into .cache/mermaid). Nothing
# else is touched; pages are written under target/browser-tests/.
set -euo pipefail
cd "$(dirname "$0")/.."

asl="${ASL:-target/release/asl}"
install_only=0
mermaid=1
while [ $# -gt 0 ]; do
  case "$1" in
    --asl) asl="$2"; shift 2 ;;
    --install-only) install_only=1; shift ;;
    --no-mermaid) mermaid=0; shift ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) echo "browser-tests: unknown argument $1" >&2; exit 2 ;;
  esac
done

sudo_() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
  echo "browser-tests: installing chromium and chromium-driver with apt-get" >&2
  sudo_ apt-get update -qq
  DEBIAN_FRONTEND=noninteractive sudo_ apt-get install -y -qq -o DPkg::Lock::Timeout=600 \
    chromium chromium-driver >/dev/null
fi
venv=.cache/browser-venv
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import selenium' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q selenium
fi
if [ "$mermaid" = 1 ] && [ ! -f .cache/mermaid/node_modules/mermaid/dist/mermaid.min.js ]; then
  mkdir -p .cache/mermaid
  npm install --silent --no-audit --no-fund --prefix .cache/mermaid mermaid@11 >/dev/null
fi
[ "$install_only" = 1 ] && exit 0

if [ ! -x "$asl" ]; then
  echo "browser-tests: no binary at $asl (build it, or pass --asl PATH)" >&2
  exit 2
fi
out=target/browser-tests
rm -rf "$out"
mkdir -p "$out/mermaid"
s=asl-samples
# An execution caught by its Catch (the inspector), a Map run, and the samples' coverage.
"$asl" run "$s/task-retry-catch.asl.json" --input-file "$s/task-retry-catch.input.json" \
  --mock-config "$s/task-retry-catch.mocks.json" --test-case Broken --graph "$out/inspector.html" >/dev/null
"$asl" run "$s/pipeline.asl.json" --input-file "$s/pipeline.input.json" \
  --mock-config "$s/pipeline.mocks.json" --test-case HappyPath --graph "$out/pipeline.html" >/dev/null
"$asl" test "$s" --coverage-html "$out/coverage" 2>/dev/null
# A run with a large input (cut in the detail panel) and a Map whose inner state has several
# visits; a definition full of labels (Choice rules, Catch errors, loops) for the zoom and the
# label checks.
python3 - "$out" <<'PY'
import json, sys
out = sys.argv[1]
json.dump({"StartAt": "Load", "States": {
    "Load": {"Type": "Pass", "Next": "Each"},
    "Each": {"Type": "Map", "ItemsPath": "$.ids", "End": True,
             "ItemProcessor": {"StartAt": "Visit", "States": {
                 "Visit": {"Type": "Pass", "Parameters": {"id.$": "$", "seen": True}, "End": True}}}}}},
    open(f"{out}/visits.asl.json", "w"))
json.dump({"ids": [0, 1, 2, 3, 4, 5],
           "items": [{"id": i, "name": f"item {i}", "tags": ["a", "b"]} for i in range(300)]},
          open(f"{out}/visits.input.json", "w"))
states, choices = {}, []
for i in range(12):
    nxt = "Fan" if i % 5 == 3 else ("Start over" if i % 5 == 4 else f"Handle {i}")
    choices.append({"Variable": f"$.some.rather.long.field.name{i}",
                    "StringEquals": f"value number {i}", "Next": nxt})
    if nxt.startswith("Handle"):
        s = {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Next": "Join"}
        if i % 3 == 0:
            s["Catch"] = [{"ErrorEquals": ["States.Timeout", "Custom.Error"], "Next": "Fan"},
                          {"ErrorEquals": ["States.ALL"], "Next": "Failed"}]
        states[nxt] = s
states["Fan"] = {"Type": "Choice", "Choices": choices, "Default": "Join"}
states["Start over"] = {"Type": "Pass", "Next": "Fan"}
states["Join"] = {"Type": "Choice", "Default": "Done", "Choices": [
    {"Variable": "$.again", "BooleanEquals": True, "Next": "Fan"}]}
states["Done"] = {"Type": "Succeed"}
states["Failed"] = {"Type": "Fail"}
json.dump({"StartAt": "Fan", "States": states}, open(f"{out}/labels.asl.json", "w"))
PY
"$asl" run "$out/visits.asl.json" --input-file "$out/visits.input.json" --graph "$out/visits.html" >/dev/null
"$asl" graph "$out/labels.asl.json" -o "$out/labels.html"
args=("$out")
if [ "$mermaid" = 1 ]; then
  for f in "$s"/*.asl.json; do
    "$asl" graph "$f" --format mermaid > "$out/mermaid/$(basename "$f" .asl.json).mmd"
  done
  args+=(--mermaid "$PWD/.cache/mermaid/node_modules/mermaid/dist/mermaid.min.js")
fi
"$venv/bin/python" scripts/browser-tests.py "${args[@]}"
