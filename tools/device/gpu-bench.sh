#!/usr/bin/env bash
# Runs inside the unpacked pack (see pack.sh and tools/device/README.md) on a machine without a JDK: finds the CUDA 13
# libraries of the machine's Python wheels, then runs the CLI with the jlink runtime and the flat natives folder.
#
#   gpu-bench.sh info                 versions and devices
#   gpu-bench.sh smoke                info + 3 bench steps of bigbigan-32 (DEVICE=cpu to try the pack on a CPU)
#   gpu-bench.sh b32                  bigbigan-32 figures: batch 256 in bf16 and fp32 with --profile, and
#                                     bf16 in the contiguous layout (about 3 minutes)
#   gpu-bench.sh b128                 bigbigan-128 (331 M parameters) at the largest batch of BATCHES_128 (default
#                                     "128 96 64 48 32 24 16 8") that fits, bf16 and fp32, with --profile
#   gpu-bench.sh matrix               b32 then b128 (may need more than one 10-minute device call: run b128 alone)
#   gpu-bench.sh cli ARGS...          any bigbigan command
# Logs go to $OUT (the device tool's result folder) or /tmp/bb-out.
set -uo pipefail
B="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
RESULTS="${OUT:-/tmp/bb-out}"
mkdir -p "$RESULTS"
DEVICE="${DEVICE:-cuda}"

wheel_libs="$(find / -xdev \( -name 'libcublas.so.*' -o -name 'libcudnn.so.*' -o -name 'libcudart.so.*' \
  -o -name 'libnccl.so.*' -o -name 'libcusparse.so.*' -o -name 'libcufft.so.*' -o -name 'libcurand.so.*' \
  -o -name 'libcusolver.so.*' -o -name 'libcupti.so.*' -o -name 'libcufile.so.*' -o -name 'libnvJitLink.so.*' \) \
  -not -path "$B/*" -printf '%h\n' 2>/dev/null | sort -u | tr '\n' ':')"
export LD_LIBRARY_PATH="$B/natives:${wheel_libs}${LD_LIBRARY_PATH:-}"
export OPENBLAS_NUM_THREADS=1

bb() {
  "$B/jrt/bin/java" --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow -Xmx16g -Dorg.bytedeco.javacpp.maxPhysicalBytes=0 \
    -Djava.library.path="$B/natives" -Dorg.bytedeco.javacpp.pathsFirst=true \
    -Dorg.bytedeco.javacpp.cachedir=/tmp/bb-javacpp-cache \
    -cp "$B/bigbigan-tools.jar:$B/lib/*" io.bigbigan.tools.BigbiganCli "$@"
}

bench() {   # bench ARGS... : one bench run, its output appended to the log
  echo "### bench $*" | tee -a "$RESULTS/bench.log"
  bb bench --device "$DEVICE" "$@" 2>&1 | grep -v "^\s*$" | tee -a "$RESULTS/bench.log"
  return "${PIPESTATUS[0]}"
}

case "${1:-smoke}" in
  info) bb info 2>&1 | tee "$RESULTS/info.log" ;;
  smoke)
    bb info 2>&1 | tee "$RESULTS/info.log"
    bench --preset bigbigan-32 --batch 8 --steps 3 --warmup 1 --profile ;;
  b32|matrix)
    bb info 2>&1 | tee "$RESULTS/info.log"
    command -v nvidia-smi >/dev/null && nvidia-smi > "$RESULTS/nvidia-smi.txt" 2>&1
    for p in bf16 fp32; do bench --preset bigbigan-32 --batch 256 --precision "$p" --steps 20 --warmup 5 --profile; done
    bench --preset bigbigan-32 --batch 256 --precision bf16 --memory-format contiguous --steps 20 --warmup 5
    if [ "$1" = matrix ]; then exec "$0" b128; fi ;;
  b128)
    for p in bf16 fp32; do
      for b in ${BATCHES_128:-128 96 64 48 32 24 16 8}; do       # the largest batch that fits
        if bench --preset bigbigan-128 --batch "$b" --precision "$p" --steps 10 --warmup 3 --profile; then break; fi
      done
    done ;;
  cli) shift; bb "$@" ;;
  *) echo "usage: gpu-bench.sh info|smoke|b32|b128|matrix|cli ARGS..." >&2; exit 2 ;;
esac
