#!/usr/bin/env bash
# The FLAVA port on a machine with a LibTorch and little else (a GPU box, a pip PyTorch): builds
# the model-only configuration (-DIMAGO_MODEL_ONLY=ON: core/model and flava-check; no Qt, FAISS,
# SQLite or codecs) against that LibTorch's CMake package and runs flava-check - the reference
# goldens through FlavaModel, then the FLAVA-full-sized image encoder's throughput - on CUDA
# (half precision) when this LibTorch and the machine have a GPU, else on the CPU.
#   tools/gpu-check.sh [TORCH_CMAKE_PREFIX] [BUILD_DIR]
# TORCH_CMAKE_PREFIX: where TorchConfig.cmake's prefix is (e.g. /opt/libtorch). Default: the one
# inside python3's PyTorch (torch.utils.cmake_prefix_path), else the system's (Debian's
# libtorch-dev). Needs cmake, ninja, a C++20 compiler and nlohmann-json3-dev; BUILD_DIR defaults
# to build-model-only. The fixtures come from $IMAGO_SHARED_DIR (default ../shared).
set -euo pipefail
cd "$(dirname "$0")/.."
prefix=${1:-}
if [ -z "$prefix" ]; then
  for py in python3 /usr/bin/python3; do
    candidate=$("$py" -c 'import torch; print(torch.utils.cmake_prefix_path)' 2>/dev/null) || continue
    if [ -f "$candidate/Torch/TorchConfig.cmake" ]; then
      prefix=$candidate
      break
    fi
  done
fi
build=${2:-build-model-only}
shared=${IMAGO_SHARED_DIR:-../shared}
[ -f "$shared/flava-reference/io.safetensors" ] ||
  { echo "gpu-check: no reference fixtures in $shared/flava-reference (set IMAGO_SHARED_DIR)" >&2; exit 1; }
args=(-S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DIMAGO_MODEL_ONLY=ON)
if [ -n "$prefix" ]; then
  args+=("-DCMAKE_PREFIX_PATH=$prefix")
  echo "gpu-check: LibTorch from $prefix" >&2
else
  echo "gpu-check: LibTorch from the system's CMake packages" >&2
fi
cmake "${args[@]}"
cmake --build "$build" --target flava-check
device=cpu
if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
  device=auto # CUDA when this LibTorch was built with it
fi
export OMP_WAIT_POLICY=PASSIVE
"$build/bin/flava-check" "$shared/flava-reference" --device "$device"
