#!/usr/bin/env bash
# The k-row tile shapes in C, on one core: the ceiling Tandem's Java tiles are compared with
# (docs/MEASUREMENTS.md, "With a six-row tile from the buffer"). Needs gcc with AVX-512 (-march=native); builds into a temp dir.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
command -v gcc >/dev/null || { echo "tile-ceiling: gcc not found" >&2; exit 1; }
grep -q avx512f /proc/cpuinfo || { echo "tile-ceiling: this CPU has no AVX-512; the tiles are written for it" >&2; exit 1; }
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
gcc -O2 -march=native "$here/native/tile-ceiling.c" -o "$out/tile-ceiling"
echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), gcc $(gcc -dumpversion), core ${CORE:-1}"
taskset -c "${CORE:-1}" "$out/tile-ceiling"
