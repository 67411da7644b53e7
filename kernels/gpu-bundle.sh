#!/usr/bin/env bash
# Builds the self-contained bundle for a GPU machine without Java (DESIGN.md, "GPU machines"):
# target/gpu-bundle/ = a jlink'd Java 25 runtime, the Tandem jars, stories260K from ../shared, and
# device-check.sh. About 60 MB, under the device tool's 64 MiB carry limit. Usage: kernels/gpu-bundle.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=$root/target/gpu-bundle
shared=${TANDEM_SHARED:-$root/../shared}
"$root/tandem" --version >/dev/null   # builds the project if needed and finds the JDK
jdk=${JAVA_HOME:-}
if [ -z "$jdk" ] || [ ! -x "$jdk/bin/jlink" ]; then
  for d in /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/*25*; do
    [ -x "$d/bin/jlink" ] && jdk=$d && break
  done
fi
[ -x "$jdk/bin/jlink" ] || { echo "gpu-bundle: no JDK 25 with jlink found; set JAVA_HOME" >&2; exit 3; }
[ -f "$root/bench/target/bench.jar" ] || { echo "gpu-bundle: bench.jar missing; run ./tandem test or mvn install first" >&2; exit 4; }
rm -rf "$out"
mkdir -p "$out/lib" "$out/models"
"$jdk/bin/jlink" --add-modules java.base,java.logging,java.management,jdk.management,jdk.unsupported,jdk.incubator.vector,jdk.httpserver,java.net.http \
  --strip-debug --no-man-pages --no-header-files --compress=zip-9 --output "$out/jre"
for jar in "$root/bench/target/bench.jar" "$root/bench/target/lib/"*.jar "$root/cli/target/cli.jar" "$root/cli/target/lib/"*.jar; do
  [ -e "$out/lib/$(basename "$jar")" ] || cp "$jar" "$out/lib/"   # bench and cli share most of their jars
done
cp "$shared/models/stories260k/stories260K.bin" "$shared/models/stories260k/tok512.bin" "$out/models/"
cp "$root/kernels/device-check.sh" "$out/"
bytes=$(du -sb "$out" | cut -f1)
limit=$((64 * 1024 * 1024))
if [ "$bytes" -gt "$limit" ]; then
  echo "gpu-bundle: $bytes bytes in $out, over the device tool's 64 MiB carry limit: trim the jars or the JRE's modules" >&2
  exit 1
fi
echo "gpu-bundle: $(du -sh "$out" | cut -f1) in $out ($((100 * bytes / limit))% of the device tool's 64 MiB carry limit)"
