#!/usr/bin/env bash
# tools/sanitize.sh asan|tsan [extra ctest arguments]
#
#   asan: AddressSanitizer + UndefinedBehaviorSanitizer (+ LeakSanitizer) over the whole default
#         suite (every test not labelled `slow`), built in build-asan/.
#   tsan: ThreadSanitizer over the indexer and search tests (tst_scanner, tst_indexingrun,
#         tst_folderwatcher, tst_searchengine, tst_soak*, tst_fault*), built in build-tsan/.
#
# gcc (the project's compiler), RelWithDebInfo at -O1, ccache when installed. Every sanitizer
# report, from a test or from any process a test starts (imago-cli), fails the run and is
# printed in the closing summary, with the test counts and every skipped test function.
# Suppressions live in tools/sanitizers/ and cover third-party libraries only (each says why).
# Exits non-zero on any failed test or any report. SANITIZE_JOBS overrides the parallelism.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
mode=${1:-}
case "$mode" in
  asan|tsan) shift ;;
  *) echo "usage: tools/sanitize.sh asan|tsan [ctest arguments]" >&2; exit 2 ;;
esac

build="$root/build-$mode"
supp="$root/tools/sanitizers"
logs="$build/sanitizer-logs"
jobs=${SANITIZE_JOBS:-$(nproc)}
start=$(date +%s)

launcher=()
if command -v ccache >/dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi

if [ "$mode" = asan ]; then
  flags="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
  # The whole default suite.
  select=(-LE slow)
  targets=(all)
else
  flags="-fsanitize=thread -fno-omit-frame-pointer"
  # The indexer and search tests; new tst_soak* / tst_fault* tests are picked up by name.
  regex='^(tst_scanner|tst_indexingrun|tst_folderwatcher|tst_searchengine|tst_soak.*|tst_fault.*)$'
  select=(-LE slow -R "$regex")
fi

echo "== configure $build ($flags)"
CXX=${CXX:-g++} cmake -S "$root" -B "$build" -G Ninja "${launcher[@]}" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g -DNDEBUG" \
  -DCMAKE_CXX_FLAGS="$flags" \
  -DCMAKE_EXE_LINKER_FLAGS="$flags" \
  -DCMAKE_SHARED_LINKER_FLAGS="$flags" \
  -DCMAKE_MODULE_LINKER_FLAGS="$flags" >/dev/null

if [ "$mode" = tsan ]; then
  # Build exactly the programs of the selected tests (and what they depend on, e.g. imago-cli).
  mapfile -t targets < <(ctest --test-dir "$build" --show-only=json-v1 "${select[@]}" |
    python3 -c 'import json, os, sys
for t in json.load(sys.stdin)["tests"]:
    print(os.path.basename(t["command"][0]))' | sort -u)
  if [ "${#targets[@]}" -eq 0 ]; then echo "no test matches $regex" >&2; exit 1; fi
fi
echo "== build ${targets[*]}"
cmake --build "$build" -j "$jobs" --target "${targets[@]}"
built=$(date +%s)

rm -rf "$logs"; mkdir -p "$logs"
# A sanitizer that stops a process exits with 86, which no Imago program uses: a test that
# expects a child to fail (exit 1 or 2) still notices. ASan, LSan and TSan also write every
# report to $logs/report.PID (so one from a child whose stderr a test swallows is seen); gcc's
# UBSan ignores log_path next to ASan and prints to stderr, which the summary searches.
common="halt_on_error=1:exitcode=86:log_path=$logs/report"
if [ "$mode" = asan ]; then
  export ASAN_OPTIONS="$common:detect_leaks=1:check_initialization_order=1:strict_init_order=1:detect_stack_use_after_return=1"
  export UBSAN_OPTIONS="halt_on_error=1:exitcode=86:print_stacktrace=1:report_error_type=1"
  export LSAN_OPTIONS="$common:suppressions=$supp/lsan.supp:print_suppressions=0"
else
  export TSAN_OPTIONS="$common:second_deadlock_stack=1:suppressions=$supp/tsan.supp:print_suppressions=0"
  # One model thread (the tests also ask for one): the OpenMP runtime (libgomp) behind LibTorch,
  # OpenBLAS and FAISS is not instrumented, and its barriers look like races to TSan.
  export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
  # Qt 6.4's QProcess starts children with a vfork-style clone() that libtsan mishandles;
  # tools/sanitizers/tsan_spawn_as_fork.cpp says why and makes it a plain fork.
  ${CXX:-g++} -std=c++20 -O2 -fPIC -shared -o "$build/tsan_spawn_as_fork.so" \
    "$supp/tsan_spawn_as_fork.cpp" -ldl
  export LD_PRELOAD="$build/tsan_spawn_as_fork.so${LD_PRELOAD:+:$LD_PRELOAD}"
fi
export OMP_WAIT_POLICY=PASSIVE QT_QPA_PLATFORM=offscreen

echo "== ctest ${select[*]} $*"
set +e
ctest --test-dir "$build" --output-on-failure -j "$jobs" "${select[@]}" "$@" | tee "$build/ctest.out"
rc=${PIPESTATUS[0]}
set -e
end=$(date +%s)

echo
echo "================ tools/sanitize.sh $mode: summary ================"
echo "wall time: configure+build $((built - start)) s, tests $((end - built)) s"
grep -E '^[0-9]+% tests passed' "$build/ctest.out" || true
log="$build/Testing/Temporary/LastTest.log"
if [ -f "$log" ]; then
  awk '/^Totals:/ { p += $2; f += $4; s += $6 }
       END { printf "test functions (Qt Test): %d passed, %d failed, %d skipped\n", p, f, s }' "$log"
  skips=$(grep -E '^SKIP +:' "$log" || true)
  if [ -n "$skips" ]; then
    echo "skipped test functions ($(printf '%s\n' "$skips" | wc -l)):"
    printf '%s\n' "$skips" | sed 's/^SKIP *: */  /' | sort | uniq -c
  fi
fi
reports=$(find "$logs" -type f | sort)
# Reports printed to a test's own output (UBSan's always; any sanitizer's if log_path failed).
if [ -f "$log" ] && grep -qE ': runtime error: |^==[0-9]+==ERROR: [A-Za-z]+Sanitizer|^WARNING: ThreadSanitizer|^SUMMARY: [A-Za-z]+Sanitizer' "$log"; then
  echo "sanitizer reports in the test output:"
  grep -nE -A12 ': runtime error: |^==[0-9]+==ERROR: [A-Za-z]+Sanitizer|^WARNING: ThreadSanitizer' "$log" | head -200
  rc=1
fi
if [ -n "$reports" ]; then
  echo "sanitizer reports ($(printf '%s\n' "$reports" | wc -l)):"
  for f in $reports; do echo "---- $f"; cat "$f"; done
  rc=1
else
  echo "sanitizer report files: none"
fi
if [ "$rc" -eq 0 ]; then echo "RESULT: clean"; else echo "RESULT: FAILED"; fi
exit "$rc"
