#!/usr/bin/env bash
# Compiles every CUDA source to PTX for sm_90 (H100) so a broken kernel fails the build without a GPU.
# Where no nvcc is installed it says so and skips, unless TANDEM_REQUIRE_NVCC=1 (then it fails).
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
mkdir -p "$out"
shopt -s nullglob
n=0
for f in "$src"/*.cu; do
  name=$(basename "$f" .cu)
  if [ ! "$out/$name.ptx" -nt "$f" ]; then
    "$nvcc" -ptx -arch=sm_90 -std=c++17 -o "$out/$name.ptx" "$f"
  fi
  n=$((n+1))
done
echo "nvcc-kernels: $n CUDA source(s) compiled to PTX with $("$nvcc" --version | tail -1)"
