#!/usr/bin/env bash
# A 1 MiB prompt against `tandem serve` in its own process, with curl as the client: the refusal time of
# one prompt, then of three at once for 20 rounds while /health is polled 400 times. Prints medians and
# maxima in ms. Usage: bench/long-prompt-check.sh [PORT]   (stories260K, context 512; needs curl, python3)
set -euo pipefail
cd "$(dirname "$0")/.."
PORT=${1:-18080}
WORK=$(mktemp -d)
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$WORK"' EXIT
python3 -c "
import json
p = 'Once upon a time there was a big dog. ' * ((1 << 20) // 38)
open('$WORK/big.json', 'w').write(json.dumps({'model': 'stories260K', 'prompt': p}))"
./tandem serve --port "$PORT" --warmup-seconds 1 --max-body-bytes 2097152 >"$WORK/serve.log" 2>&1 &
SERVER=$!
until curl -sf "localhost:$PORT/health" >/dev/null; do sleep 0.2; done
post() { curl -s -o /dev/null -w '%{http_code} %{time_total}\n' -H 'Content-Type: application/json' --data-binary @"$WORK/big.json" "localhost:$PORT/v1/completions"; }
for i in $(seq 1 10); do post; done >/dev/null          # warm-up: the JIT compiles the path first
for i in $(seq 1 10); do post; done >"$WORK/alone.txt"
( for i in $(seq 1 400); do curl -s -o /dev/null -w '%{time_total}\n' "localhost:$PORT/health"; done >"$WORK/health.txt" ) &
POLL=$!
for r in $(seq 1 20); do post & A=$!; post & B=$!; post & C=$!; wait $A $B $C; done >"$WORK/three.txt"
wait $POLL
stats() { sort -n | awk -v what="$1" '{a[NR]=$1*1000} END {printf "%s: %d, median %.1f ms, p99 %.1f ms, max %.1f ms\n", what, NR, a[int((NR+1)/2)], a[int(NR*0.99+0.999)], a[NR]}'; }
grep -vc '^400 ' "$WORK/alone.txt" "$WORK/three.txt" | grep -v ':0$' && { echo "a prompt was not refused with 400"; exit 1; } || true
cut -d' ' -f2 "$WORK/alone.txt" | stats "1 MiB prompt refused, one at a time"
cut -d' ' -f2 "$WORK/three.txt" | stats "1 MiB prompts refused, three at once"
stats "/health meanwhile" <"$WORK/health.txt"
