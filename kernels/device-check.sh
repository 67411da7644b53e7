#!/usr/bin/env bash
# The CUDA backend's device check, run on a GPU machine from the bundle kernels/gpu-bundle.sh makes
# (a jlink'd JRE, the jars, stories260K). With the device tool, from the repository root:
#   kernels/gpu-bundle.sh, then run: bash target/gpu-bundle/device-check.sh   (carry: target/gpu-bundle)
# It checks every kernel against the CPU backend with its µs per launch, then greedy tokens, tokens/s and
# verification cost on stories260K and on stories260K inflated to TinyLlama-1.1B's shape (F16, Q8_0 and the
# Q4_K_M mix most downloaded files use), all against the CPU backend. About 4 minutes on an H100/H200. Exit status non-zero on any disagreement.
# DEVICE=cuda-emulated runs the same on the CPU emulation (small shapes, no 1.1B model): the script's test.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
device=${DEVICE:-cuda}
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}
java=$here/jre/bin/java
[ -x "$java" ] || java=${JAVA_HOME:+$JAVA_HOME/bin/}java
run() { "$java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xmx32g -cp "$here/lib/*" "$@"; }
if [ "$device" = cuda ]; then
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
  work=${TMPDIR:-/tmp}/tandem-device-check
  mkdir -p "$work"
  cp "$here/models/tok512.bin" "$work/"   # the inflated models keep stories260K's vocabulary
  for dtype in f16 q8_0 q4_k_m; do
    [ -f "$work/inflated-$dtype.gguf" ] || run dev.tandem.cli.Main synth --shape tinyllama-1.1b --from "$here/models/stories260K.bin" \
      --dtype "$dtype" --out "$work/inflated-$dtype.gguf" >&2
  done
  models="$here/models/stories260K.bin,$work/inflated-f16.gguf,$work/inflated-q8_0.gguf,$work/inflated-q4_k_m.gguf"
  size=large
else
  models="$here/models/stories260K.bin"
  size=small
fi
run dev.tandem.bench.Main cuda-check --device "$device" --size "$size" --model "$models" "$@"
