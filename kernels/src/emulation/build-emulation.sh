#!/usr/bin/env bash
# Builds the host emulation of the CUDA kernels: every .cu under SRC compiled by g++ with cuda_emu.h forced
# in front, each kernel registered under its CUDA name, linked into one shared library OUT that
# dev.tandem.cuda.EmulatedDevice loads. Where no g++ is installed it says so and skips (the emulation
# tests then skip with that reason), unless TANDEM_REQUIRE_EMULATION=1.
set -euo pipefail
src=$(cd "$1" && pwd) out=$2
here=$(cd "$(dirname "$0")" && pwd)
cxx=${CXX:-$(command -v g++ || true)}
if [ -z "$cxx" ]; then
  if [ "${TANDEM_REQUIRE_EMULATION:-0}" = 1 ]; then
    echo "cuda-emulation: g++ not found and TANDEM_REQUIRE_EMULATION=1" >&2; exit 1
  fi
  echo "cuda-emulation: g++ not found; the CUDA kernels' CPU emulation was not built" >&2
  exit 0
fi
newest=$(ls -t "$src"/*.cu "$src"/*.cuh "$here"/*.h "$here"/*.cpp "$0" | head -1)
if [ -f "$out" ] && [ "$out" -nt "$newest" ]; then exit 0; fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
objs=() pids=()
for f in "$src"/*.cu; do
  name=$(basename "$f" .cu)
  {
    echo "#include \"$f\""
    echo "#include \"emu_registry.h\""
    # kernels written out (the name followed by its parameters), and those a TDM_MATMUL / TDM_EMBEDDING line makes
    { grep -oE '__global__[[:space:]]+void[[:space:]]+[A-Za-z_0-9]+\(' "$f" || true; } | tr -d '(' | awk '{print "TDM_EMU_REGISTER(" $3 ");"}'
    { grep -oE '^TDM_(MATMUL|EMBEDDING)\([a-z0-9_]+' "$f" || true; } | sed -E 's/^TDM_([A-Z]+)\(/\1 /' \
        | awk '{print "TDM_EMU_REGISTER(" tolower($1) "_" $2 ");"}'
  } > "$work/$name.cpp"
  "$cxx" -std=c++17 -O2 -fPIC -fno-strict-aliasing -I"$here" -I"$src" -include cuda_emu.h -c "$work/$name.cpp" -o "$work/$name.o" &
  pids+=($!)
  objs+=("$work/$name.o")
done
"$cxx" -std=c++17 -O2 -fPIC -I"$here" -c "$here/emu_runtime.cpp" -o "$work/emu_runtime.o" &
pids+=($!)
for p in "${pids[@]}"; do wait "$p"; done
mkdir -p "$(dirname "$out")"
"$cxx" -shared -o "$out" "${objs[@]}" "$work/emu_runtime.o" -lpthread
echo "cuda-emulation: ${#objs[@]} CUDA source(s) built for the CPU into $(basename "$out")"
