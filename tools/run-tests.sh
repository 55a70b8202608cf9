#!/usr/bin/env bash
# Installs the dependencies, builds Imago and runs the default test suite (every test not
# labelled `slow`). Extra arguments go to ctest, e.g. `tools/run-tests.sh -L slow`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build
export OMP_WAIT_POLICY=PASSIVE
if [ "$#" -eq 0 ]; then set -- -LE slow; fi
ctest --test-dir build --output-on-failure -j2 "$@"
