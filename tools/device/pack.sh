#!/usr/bin/env bash
# Packs the CUDA flavour of the CLI for a GPU machine that has no JDK, Maven or network (the `device` tool's
# machines): a jlink Java runtime, the class jars, and LibTorch's natives in one flat folder (libtorch_cuda.so's
# device code kept to one architecture so it compresses), as a tar.xz split into parts small enough for one
# `device run` each. See tools/device/README.md.
#
#   tools/device/pack.sh [OUT_DIR]        (default: .device-pack; ARCH=90 keeps sm_90 for the H100/H200)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OUT="${1:-$ROOT/.device-pack}"
ARCH="${ARCH:-90}"
PART_SIZE="${PART_SIZE:-58M}"
KEEP_ARCH_TOOL="${KEEP_ARCH_TOOL:-$ROOT/../shared/tools/fatbin-keep-arch.py}"
JDK="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
[ -x "$JDK/bin/jlink" ] || { echo "pack: no jlink under $JDK (set JAVA_HOME to a JDK >= 25)" >&2; exit 1; }
command -v xz >/dev/null || { echo "pack: xz is missing (apt-get install xz-utils)" >&2; exit 1; }

echo "pack: building the CUDA flavour (BIGBIGAN_CUDA=1)"
BIGBIGAN_CUDA=1 "$ROOT/bigbigan" info >/dev/null

STAGE="$(mktemp -d)"
trap 'rm -rf "$STAGE"' EXIT
B="$STAGE/bb"
mkdir -p "$B/lib" "$B/natives"
cp "$ROOT/tools/target/bigbigan-tools.jar" "$B/"
for j in "$ROOT"/tools/target/lib/*.jar; do
  case "$(basename "$j")" in
    *-linux-x86_64*.jar) unzip -q -o -j "$j" 'org/bytedeco/*/linux-x86_64*/*.so*' -d "$B/natives" ;;  # natives only
    *) cp "$j" "$B/lib/" ;;                                                                            # classes
  esac
done
# JavaCPP's openblas preset loads "openblas_nolapack" first; in its cache that is a copy of libopenblas.so.0.
ln -sf libopenblas.so.0 "$B/natives/libopenblas_nolapack.so.0"
if [ -f "$B/natives/libtorch_cuda.so" ]; then
  if [ -f "$KEEP_ARCH_TOOL" ]; then
    python3 "$KEEP_ARCH_TOOL" "$B/natives/libtorch_cuda.so" "$B/natives/libtorch_cuda.so.kept" "$ARCH"
    mv "$B/natives/libtorch_cuda.so.kept" "$B/natives/libtorch_cuda.so"
  else
    echo "pack: $KEEP_ARCH_TOOL not found: carrying every GPU architecture (about 3x the parts)" >&2
  fi
fi
"$JDK/bin/jlink" --add-modules java.base,jdk.unsupported,java.management,java.desktop,java.logging \
  --strip-debug --no-header-files --no-man-pages --output "$B/jrt"
cp "$ROOT/tools/device/gpu-bench.sh" "$B/"

rm -rf "$OUT"
mkdir -p "$OUT"
# Never let the parts travel uncarried (a device call sends every untracked, not ignored file).
EXCLUDE="$(cd "$ROOT" && realpath -m "$(git rev-parse --git-path info/exclude)")"
case "$OUT" in
  "$ROOT"/*) rel="/${OUT#"$ROOT"/}/"; grep -qxF "$rel" "$EXCLUDE" 2>/dev/null || echo "$rel" >> "$EXCLUDE" ;;
esac
# xz, not zstd: the GPU machine's image is not known to have zstd, and Python's lzma can stand in for xz there.
tar -C "$STAGE" -cf - bb | xz -6 -T0 | split -b "$PART_SIZE" - "$OUT/bb.tar.xz.part-"
echo "pack: $(ls "$OUT" | wc -l) parts in $OUT ($(du -sh "$OUT" | cut -f1))"
