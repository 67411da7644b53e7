#!/usr/bin/env bash
# Compiles every CUDA source to PTX for sm_80 (A100) and sm_90 (H100/H200), OUT/sm_XX/NAME.ptx, which the
# kernels jar carries and the CUDA backend loads with cuModuleLoadData. A broken kernel fails the build
# without a GPU. Where no nvcc is installed it says so and skips, unless TANDEM_REQUIRE_NVCC=1 (then it fails).
set -euo pipefail
src=$1 out=$2
nvcc=$(command -v nvcc || true)
[ -z "$nvcc" ] && [ -x /usr/local/cuda/bin/nvcc ] && nvcc=/usr/local/cuda/bin/nvcc
if [ -z "$nvcc" ]; then
  if [ "${TANDEM_REQUIRE_NVCC:-0}" = 1 ]; then
    echo "nvcc-kernels: nvcc not found and TANDEM_REQUIRE_NVCC=1" >&2; exit 1
  fi
  echo "nvcc-kernels: nvcc not found; CUDA kernels were not compile-checked" >&2
  exit 0
fi
shopt -s nullglob
n=0 pids=()
for arch in sm_80 sm_90; do
  mkdir -p "$out/$arch"
  for f in "$src"/*.cu; do
    name=$(basename "$f" .cu)
    if [ ! "$out/$arch/$name.ptx" -nt "$f" ] || [ "$src/common.cuh" -nt "$out/$arch/$name.ptx" ]; then
      "$nvcc" -ptx -arch="$arch" -std=c++17 -lineinfo -o "$out/$arch/$name.ptx" "$f" &
      pids+=($!)
    fi
    n=$((n+1))
  done
done
for p in "${pids[@]}"; do wait "$p"; done
echo "nvcc-kernels: $n PTX file(s) for sm_80 and sm_90 with $("$nvcc" --version | tail -1)"
