#!/usr/bin/python3
"""Writes a FLAVA-full-shaped model folder with random weights (357.7 M parameters, every
tensor of facebook/flava-full's layout, ~1.4 GB fp32 safetensors), for measuring load time,
cold start and memory at real size without the download. Uses the reference implementation
in ../shared/flava-reference/python.

    /usr/bin/python3 bench/make_full_checkpoint.py OUT_DIR [--shared ../shared]
"""
import argparse
import json
import os
import shutil
import sys

here = os.path.dirname(os.path.abspath(__file__))
ap = argparse.ArgumentParser()
ap.add_argument("out")
ap.add_argument("--shared", default=os.path.join(here, "..", "..", "shared"))
args = ap.parse_args()
sys.path.insert(0, os.path.join(args.shared, "flava-reference", "python"))

from flava_ref import config as fc  # noqa: E402
from flava_ref import safetensors_io, weights  # noqa: E402

cfg = fc.from_hf_dict({})  # the defaults are facebook/flava-full's values
os.makedirs(args.out, exist_ok=True)
with open(os.path.join(args.out, "config.json"), "w") as f:
    json.dump(fc.to_hf_dict(cfg), f, indent=2)
shutil.copy(os.path.join(args.shared, "flava-reference", "vocab.txt"), args.out)
sd = weights.random_state_dict(cfg, seed=0, logit_scale=4.0)
safetensors_io.save_file(sd, os.path.join(args.out, "model.safetensors"))
print(f"{sum(t.numel() for t in sd.values()) / 1e6:.1f} M parameters in {args.out}")
