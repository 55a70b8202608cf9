#!/usr/bin/env bash
# Imago against ONNX Runtime, the runtime Imago's peers use, on this machine in one script run:
# the same FLAVA-full-shaped encoders (random weights), the same thread count. Prints a table
# with the ratios. Not part of the product or of the test suite.
#   bench/onnx/compare.sh [BUILD_DIR]          (default: build)
# Needs Debian's python3-torch (export), Node.js and npm (onnxruntime-node from the npm registry,
# installed with --ignore-scripts: its CPU binaries ship in the package). Work files (the ONNX
# models, ~0.8 GB, and node_modules) go to BUILD_DIR/onnx-compare and are reused.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-$here/../../build}" && pwd)
cli=$build/bin/imago-cli
work=$build/onnx-compare
threads=${IMAGO_BENCH_THREADS:-$(nproc)}
batch=8
mkdir -p "$work"
export OMP_WAIT_POLICY=PASSIVE

if [ ! -f "$work/image_encoder.onnx" ] || [ ! -f "$work/text_encoder.onnx" ]; then
  echo "exporting the encoders to ONNX (opset 14) ..." >&2
  /usr/bin/python3 "$here/export_flava.py" "$work" >&2
fi
if [ ! -d "$work/node_modules/onnxruntime-node" ]; then
  echo "installing onnxruntime-node from npm ..." >&2
  (cd "$work" && npm install --ignore-scripts --no-audit --no-fund --silent onnxruntime-node >&2)
fi
cp "$here/ort_bench.mjs" "$work/" # ESM resolves packages from the script's own folder

echo "timing ONNX Runtime ($threads threads, batch $batch) ..." >&2
ort=$(cd "$work" && node ort_bench.mjs "$work" --threads "$threads" --batch "$batch")
echo "timing Imago (imago-cli bench --quick --only model) ..." >&2
imago=$("$cli" bench --quick --only model --json --threads "$threads")

/usr/bin/python3 - "$ort" "$imago" "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | xargs)" <<'PY'
import json, sys
ort, imago, cpu = json.loads(sys.argv[1]), json.loads(sys.argv[2]), sys.argv[3]
ort_img, ort_txt = ort["image_encoder_images_per_second"], ort["text_query_ms"]
print(f"CPU: {cpu}; {ort['threads']} threads; {ort['runtime']}; Imago auto picks "
      f"{imago.get('auto_precision', '?')}")
print("| what | ONNX Runtime fp32 | Imago fp32 | Imago bf16 | Imago int8 |")
print("|---|---|---|---|---|")
bp = imago.get("by_precision", {})
def cell(p, key, fmt, ratio):
    v = bp.get(p, {}).get(key)
    return "n/a" if v is None else f"{fmt(v)} ({ratio(v):.2f}x)"
print("| image encoder (best batch; ORT batch %d) | %.2f images/s | %s | %s | %s |" % (
    ort["batch"], ort_img,
    *[cell(p, "images_per_second", lambda v: f"{v:.2f} images/s", lambda v: v / ort_img)
      for p in ("fp32", "bf16", "int8")]))
print("| text query, 8 tokens (ratio: ORT's time / Imago's) | %.1f ms | %s | %s | %s |" % (
    ort_txt,
    *[cell(p, "text8_ms", lambda v: f"{v:.1f} ms", lambda v: ort_txt / v)
      for p in ("fp32", "bf16", "int8")]))
PY
