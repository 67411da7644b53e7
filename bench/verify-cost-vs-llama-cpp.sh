#!/usr/bin/env bash
# Verification cost side by side: cost(k rows) / cost(1 row) at a 128-token context, Tandem's
# `bench verify-cost` and llama.cpp's `llama-bench -p k -d 128` (a k-token batch on top of 128 cached
# tokens), alternated for ROUNDS rounds on the same GGUF file. Usage: verify-cost-vs-llama-cpp.sh MODEL.gguf [ROUNDS] [THREADS]
set -euo pipefail
model="$1"; rounds="${2:-2}"; threads="${3:-2}"
here="$(cd "$(dirname "$0")" && pwd)"
bin="$("$here/fixtures/llama-cpp-build.sh")"
ks="1,2,4,8,16"
for r in $(seq 1 "$rounds"); do
  echo "round $r: tandem"
  "$here/../tandem" bench verify-cost --model "$model" --threads "$threads" --reps 5 --ks "$ks" 2>/dev/null | grep -E '^\| [0-9]'
  echo "round $r: llama.cpp (k, tokens/s, cost / 1 row)"
  "$bin/llama-bench" -m "$model" -t "$threads" -p "$ks" -d 128 -n 0 -r 5 -o csv 2>/dev/null \
    | awk -F, 'NR==1 { for (i = 1; i <= NF; i++) { gsub(/"/, "", $i); col[$i] = i } next }
               { gsub(/"/, ""); k = $col["n_prompt"]; ts = $col["avg_ts"]; t[k] = k / ts; order[++n] = k }
               END { for (i = 1; i <= n; i++) { k = order[i]; printf "| %s | %.1f tok/s | %.2f |\n", k, k / t[k], t[k] / t[1] } }'
done
