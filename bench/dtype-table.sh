#!/usr/bin/env bash
# Decode speed of every weight type Tandem reads, side by side with llama.cpp on the same files:
# stories260K inflated to TinyLlama-1.1B's shape (synth --dtype f16), each type written by llama-quantize
# --pure (every tensor that type; a mix such as Q4_K_M with llama-quantize's per-tensor rules), then per round and per type `./tandem bench ar` and `llama-bench`
# alternated; the memory's triad bandwidth measured by `./tandem bench matmul` in the same run.
# Usage: [TYPES="F16 Q8_0"] bench/dtype-table.sh [ROUNDS] [THREADS]  (defaults: every type, 2, 2); files cached in ~/.cache/tandem/dtype-table.
# About half a minute per type and round on 2 cores (10 minutes for every type, 2 rounds, AMD EPYC), plus the
# quantization the first time. Prints a markdown table.
set -euo pipefail
rounds=${1:-2}
threads=${2:-2}
root=$(cd "$(dirname "$0")/.." && pwd)
bin="$("$root/bench/fixtures/llama-cpp-build.sh")"
dir=${TANDEM_CACHE:-$HOME/.cache/tandem}/dtype-table
mkdir -p "$dir"
types=${TYPES:-"F16 BF16 Q8_0 Q6_K Q5_K Q5_1 Q5_0 Q4_K_M Q4_K Q4_1 Q4_0 IQ4_NL Q3_K Q2_K"}
f16="$dir/inflated-f16.gguf"
[ -f "$f16" ] || "$root/tandem" synth --shape tinyllama-1.1b --from "$root/../shared/models/stories260k/stories260K.bin" \
  --dtype f16 --out "$f16" >&2
for t in $types; do
  f="$dir/inflated-$t.gguf"
  [ "$t" = F16 ] && continue
  pure=--pure; case $t in *_M|*_S|*_L) pure=;; esac # a mix (Q4_K_M): llama-quantize's own per-tensor rules
  [ -f "$f" ] || "$bin/llama-quantize" $pure "$f16" "$f" "$t" >"$dir/quantize-$t.log" 2>&1 \
    || { echo "dtype-table: llama-quantize $t failed; see $dir/quantize-$t.log" >&2; exit 1; }
done
triad=$("$root/tandem" bench matmul --dtypes F32 --mib 1024 --threads "$threads" --jmh-iterations 3 --jmh-seconds 1 2>/dev/null \
  | sed -n 's/.*triad \([0-9.]*\) GB\/s.*/\1/p')
declare -A ours theirs gbs ratios
for r in $(seq 1 "$rounds"); do
  for t in $types; do
    f="$dir/inflated-$t.gguf"; [ "$t" = F16 ] && f="$f16"
    # bench ar's last row: | threads | tok/s median | min | max | weight GB/s |
    row=$("$root/tandem" bench ar --model "$f" --threads "$threads" --tokens 24 --runs 3 2>/dev/null | tail -1)
    ours[$t]="${ours[$t]:-} $(echo "$row" | awk -F'|' '{gsub(/ /,"",$3); print $3}')"
    gbs[$t]="${gbs[$t]:-} $(echo "$row" | awk -F'|' '{gsub(/ /,"",$6); print $6}')"
    theirs[$t]="${theirs[$t]:-} $("$bin/llama-bench" -m "$f" -t "$threads" -p 0 -n 24 -r 3 2>/dev/null | grep tg24 | awk -F'|' '{print $(NF-1)}' | awk '{print $1}')"
    ratios[$t]="${ratios[$t]:-} $(awk -v a="${ours[$t]##* }" -v b="${theirs[$t]##* }" 'BEGIN{printf "%.2f", a/b}')"
    echo "round $r $t: Tandem ${ours[$t]##* } llama.cpp ${theirs[$t]##* } tok/s" >&2
  done
done
range() { tr ' ' '\n' | grep -v '^$' | sort -g | sed -n '1p;$p' | paste -sd- | sed 's/^\([^-]*\)-\1$/\1/'; }
echo "Triad bandwidth in this run: $triad GB/s; $threads threads, $rounds rounds (ranges are min-max over rounds)."
echo
echo "| type | file GB | Tandem tok/s | weight GB/s | of triad (best round) | llama.cpp tok/s | Tandem / llama.cpp (per round) |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for t in $types; do
  f="$dir/inflated-$t.gguf"; [ "$t" = F16 ] && f="$f16"
  size=$(awk -v b="$(stat -c %s "$f")" 'BEGIN{printf "%.2f", b/1e9}')
  o=$(echo "${ours[$t]}" | range); l=$(echo "${theirs[$t]}" | range); g=$(echo "${gbs[$t]}" | range)
  pct=$(echo "${gbs[$t]}" | tr ' ' '\n' | grep -v '^$' | sort -g | tail -1 | awk -v tr="$triad" '{printf "%.0f%%", 100*$1/tr}')
  ratio=$(echo "${ratios[$t]}" | range)
  echo "| $t | $size | $o | $g | $pct | $l | $ratio |"
done
