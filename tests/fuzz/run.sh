#!/usr/bin/env bash
# tests/fuzz/run.sh TARGET SECONDS [SEED_DIR]: builds the libFuzzer targets (clang, ASan+UBSan)
# in build-fuzz/ and runs TARGET for SECONDS, seeded from the shared fixtures (or SEED_DIR).
# New crashing inputs land in tests/fuzz/crashes/TARGET/; commit each one as a regression case
# under tests/data/fuzz/TARGET/ once fixed. Called with no arguments it lists the targets.
# FUZZ_FLAGS adds libFuzzer flags (e.g. FUZZ_FLAGS=-max_len=65536 for faster image runs).
set -euo pipefail
cd "$(dirname "$0")/../.."
targets=(safetensors torchzip config tokenizer imagedecode)
if [ "$#" -lt 2 ]; then
  echo "usage: tests/fuzz/run.sh TARGET SECONDS [SEED_DIR]"
  echo "targets: ${targets[*]}"
  exit 2
fi
target=$1 seconds=$2 seeds=${3:-}
shared=$(cd .. && pwd)/shared
if [ -z "$seeds" ]; then
  seeds=$(mktemp -d)
  case "$target" in
    safetensors) cp "$shared"/flava-reference/*.safetensors "$shared"/flava-toy/eval/*.safetensors "$seeds"/ ;;
    torchzip) cp "$shared"/flava-reference/pytorch_model.bin "$seeds"/ ;;
    config) cp "$shared"/flava-reference/config.json "$seeds"/ref.json; cp "$shared"/flava-toy/config.json "$seeds"/toy.json ;;
    tokenizer) python3 -c "import json,sys
for i,l in enumerate(open('$shared/flava-reference/tokenizer-cases.jsonl')):
    open('$seeds/case%02d'%i,'w',encoding='utf-8',errors='surrogatepass').write(json.loads(l)['text'])" ;;
    imagedecode) find "$shared"/corpus "$shared"/flava-reference/preprocess -type f -size -2M \
                   ! -name '*.tsv' ! -name '*.md' -exec cp {} "$seeds"/ \; ;;
    *) echo "unknown target $target"; exit 2 ;;
  esac
fi
CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DIMAGO_FUZZ=ON -DIMAGO_BUILD_TESTS=OFF \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS="-fsanitize=fuzzer-no-link,address,undefined" >/dev/null
cmake --build build-fuzz --target "fuzz_$target"
mkdir -p "tests/fuzz/crashes/$target" "build-fuzz/corpus/$target"
exec build-fuzz/fuzz/"fuzz_$target" -max_total_time="$seconds" -rss_limit_mb=4096 -timeout=20 -print_final_stats=1 ${FUZZ_FLAGS:-} \
  -artifact_prefix="tests/fuzz/crashes/$target/" "build-fuzz/corpus/$target" "$seeds"
