#!/usr/bin/env bash
# packaging_install: `cmake --install` into a DESTDIR puts every file where a desktop install
# needs it, the installed programs resolve all their libraries without the build tree, and the
# installed imago-cli runs: --version, and embed (reference and toy models) gives exactly what
# the build tree's imago-cli gives.
#   usage: check_install.sh BUILD_DIR APP_ID VERSION SHARED_DIR BUILD_IMAGO_CLI gui|nogui
set -euo pipefail
build=$1 id=$2 version=$3 shared=$4 build_cli=$5 gui=$6
. "$(dirname "$0")/common.sh"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Keep the programs away from the user's own data, settings and caches.
export HOME=$tmp/home XDG_DATA_HOME=$tmp/home/data XDG_CONFIG_HOME=$tmp/home/config \
       XDG_CACHE_HOME=$tmp/home/cache
unset IMAGO_MODEL IMAGO_LIBRARY IMAGO_MODEL_DIR IMAGO_PLUGIN_DIR
mkdir -p "$HOME"

root=$tmp/root
note "DESTDIR=$root cmake --install $build --prefix /usr"
DESTDIR=$root cmake --install "$build" --prefix /usr >"$tmp/install.log" ||
  { cat "$tmp/install.log"; fail "cmake --install failed"; }

for f in $(required_files "$id" "$([ "$gui" = gui ] && echo gui)"); do
  [ -s "$root/usr/$f" ] || fail "the install lacks /usr/$f"
done
# Nothing lands outside the prefix, and nothing of the build tree (tests, objects) is installed.
outside=$(cd "$root" && find . -mindepth 1 -maxdepth 1 ! -name usr)
[ -z "$outside" ] || fail "installed outside /usr: $outside"
[ -z "$(find "$root" -name 'tst_*' -o -name '*.o' -o -name '*.a')" ] ||
  fail "test programs or build objects were installed"

# The PNG icons have the size their folder names.
if [ "$gui" = gui ]; then
  for png in "$root"/usr/share/icons/hicolor/*x*/apps/$id.png; do
    size=$(basename "$(dirname "$(dirname "$png")")")
    file "$png" | grep -q "PNG image data, ${size/x/ x }," || fail "$png is not a ${size} PNG"
  done
fi

# Installed programs and the plugin: no RPATH into the build tree, every library resolves.
elves=("$root/usr/bin/imago-cli" "$root/usr/lib/imago/plugins/libimago_sentencepiece.so"
       "$root/usr/lib/imago/plugins/libimago_flava_torch.so")
[ -e "$root/usr/lib/imago/imago-bench" ] && elves+=("$root/usr/lib/imago/imago-bench")
[ "$gui" = gui ] && elves+=("$root/usr/bin/imago")
for elf in "${elves[@]}"; do
  ! readelf -d "$elf" | grep -E 'R(UN)?PATH' | grep -qF "$build" ||
    fail "$elf keeps an RPATH into the build tree"
  missing=$(ldd "$elf" | grep 'not found' || true)
  [ -z "$missing" ] || fail "$elf: $missing"
done

# LibTorch is the model plugin's alone: the programs start without it (flava_backend.h).
for program in "$root/usr/bin/imago-cli" "$root/usr/bin/imago"; do
  [ -e "$program" ] || continue
  ! readelf -d "$program" | grep NEEDED | grep -qE 'libtorch|libc10' ||
    fail "$program links LibTorch (it belongs in libimago_flava_torch.so)"
done

cli=$root/usr/bin/imago-cli
note "$cli --version"
[ "$("$cli" --version)" = "imago-cli $version" ] || fail "installed imago-cli --version is wrong"
if [ "$gui" = gui ]; then
  [ "$("$root/usr/bin/imago" --version)" = "imago $version" ] ||
    fail "installed imago --version is wrong"
fi

# embed with the reference model (a photo through the installed decoders; its vocabulary is
# the first 1000 BERT ids only, so the text is "!", id 999) and with the toy model ("hello").
embed_check() { # model-folder expected-sources... -- embed arguments...
  local model=$1; shift
  local sources=() args=(embed --model "$model" --json --threads 1 --device cpu)
  while [ "$1" != -- ]; do sources+=("$1"); shift; done; shift
  args+=("$@")
  note "imago-cli ${args[*]}"
  "$cli" "${args[@]}" >"$tmp/installed.json" || fail "installed imago-cli embed failed"
  "$build_cli" "${args[@]}" >"$tmp/build.json" || fail "build tree imago-cli embed failed"
  python3 - "$tmp/installed.json" "$tmp/build.json" "${sources[@]}" <<'PY' ||
import json, math, sys
got, want = (json.load(open(p)) for p in sys.argv[1:3])
assert [e["source"] for e in got] == sys.argv[3:], [e["source"] for e in got]
for g, w in zip(got, want):
    assert g["kind"] == w["kind"] and len(g["embedding"]) == len(w["embedding"]) > 0
    norm = math.sqrt(sum(x * x for x in g["embedding"]))
    assert abs(norm - 1) < 1e-4, f"{g['source']}: not L2-normalised ({norm})"
    diff = max(abs(a - b) for a, b in zip(g["embedding"], w["embedding"]))
    assert diff < 1e-6, f"{g['source']}: installed and build tree differ by {diff}"
print(f"-- {len(got)} embeddings of {len(got[0]['embedding'])} values, as the build tree's")
PY
    fail "embed output from $model is wrong"
}
photo=$shared/corpus/jpeg/hopper_gray.jpg
embed_check "$shared/flava-reference" "$photo" "!" -- --image "$photo" --text "!"
embed_check "$shared/flava-toy" hello -- --text hello
note "packaging install OK"
