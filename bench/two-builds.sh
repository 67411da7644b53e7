#!/usr/bin/env bash
# Two builds' greedy decoding alternated in one JVM (bench/two-builds/TwoBuilds.java), in both loading orders.
# Usage: bench/two-builds.sh A_CHECKOUT B_CHECKOUT MODEL [ROUNDS] [TOKENS] [THREADS]
# Each checkout must be built (`mvn -B -q -o package -DskipTests`: its bench/target/lib holds the jars). Prints both
# orders' B/A speed and their geometric mean, the figure. The orders differ by several percent (each loader's code is
# compiled and its weights placed on their own): a control of two builds running the same code (the 1.1B Q4_K file,
# 2 threads) gave 0.991 and 0.959, mean 0.975 (docs/PERFORMANCE.md, "Q6_K: a run of 8 values in three shorts").
# Use a model whose step takes tens of milliseconds (a 1.1B file); stories260K's generations are too short to time.
set -euo pipefail
[ $# -ge 3 ] || { echo "usage: $0 A_CHECKOUT B_CHECKOUT MODEL [ROUNDS] [TOKENS] [THREADS]" >&2; exit 2; }
root=$(cd "$(dirname "$0")/.." && pwd)
a=$(cd "$1" && pwd)/bench/target/lib; b=$(cd "$2" && pwd)/bench/target/lib; model=$3; shift 3
java="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java"
"$java" -version 2>&1 | grep -q 'version "2[5-9]' || { echo "two-builds: no JDK 25 at $java; set JAVA_HOME" >&2; exit 1; }
run() {
  "$java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Djdk.incubator.vector.VECTOR_ACCESS_OOB_CHECK=0 \
    -XX:CompileCommand=quiet '-XX:CompileCommand=inline,dev.tandem.core.cpu.VectorMath::sum*' \
    '-XX:CompileCommand=inline,dev.tandem.core.cpu.BlockLoads::*' \
    "$root/bench/two-builds/TwoBuilds.java" "$@" 2>&1 | grep -v '^WARNING'
}
ab=$(run "$a" "$b" "$model" "$@") || { echo "two-builds: $ab" >&2; exit 1; }
ba=$(run "$b" "$a" "$model" "$@") || { echo "two-builds: $ba" >&2; exit 1; }
x=$(echo "$ab" | sed -n 's/.*overall \([0-9.]*\).*/\1/p'); y=$(echo "$ba" | sed -n 's/.*overall \([0-9.]*\).*/\1/p')
echo "A loaded first: $ab"
echo "B loaded first (its A is B): $ba"
awk -v x="$x" -v y="$y" 'BEGIN { printf "B/A speed: %.3f with A loaded first, %.3f with B first; geometric mean %.3f\n", x, 1 / y, sqrt(x / y) }'
