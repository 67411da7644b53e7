#!/usr/bin/env bash
# Greedy decode speed of Tandem against the llama2.c reference (run.c), on stories260K, one thread each,
# measured in the same session and alternated so machine noise falls on both.
#   gcc -Ofast -march=native run.c -lm -o run      # in a llama2.c checkout (not part of this project)
#   bench/compare-llama2c.sh /path/to/llama2.c/run [rounds]
set -euo pipefail
RUN=${1:?usage: $0 /path/to/llama2.c/run [rounds]}
ROUNDS=${2:-3}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
MODEL=${TANDEM_MODEL:-$ROOT/../shared/models/stories260k/stories260K.bin}
TOK=$(dirname "$MODEL")/tok512.bin

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

llama2c_tps() { # median of 21 runs of llama2.c's own "achieved tok/s" (it times after the first token)
  for _ in $(seq 21); do
    "$RUN" "$MODEL" -z "$TOK" -t 0 -n "$1" 2>&1 >/dev/null | sed -n 's/achieved tok\/s: //p'
  done | median
}

tandem_tps() {
  "$ROOT/tandem" bench ar --model "$MODEL" --threads 1 --tokens "$(( $1 - 1 ))" --runs 21 --warmup-seconds 3 2>/dev/null \
    | awk -F'|' '/^\| 1 \|/ {gsub(/ /, "", $3); print $3}'
}

echo "| steps | llama2.c tok/s | Tandem tok/s (1 thread) | Tandem / llama2.c |"
echo "|---:|---:|---:|---:|"
for steps in 256 512; do
  l=(); t=()
  for _ in $(seq "$ROUNDS"); do
    l+=("$(llama2c_tps "$steps")")
    t+=("$(tandem_tps "$steps")")
  done
  lm=$(printf '%s\n' "${l[@]}" | median); tm=$(printf '%s\n' "${t[@]}" | median)
  printf '| %d | %.0f | %.0f | %.2f |\n' "$steps" "$lm" "$tm" "$(echo "$tm / $lm" | bc -l)"
done
