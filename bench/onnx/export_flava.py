#!/usr/bin/python3
"""Exports FLAVA-full-shaped image and text encoders (random weights, the reference
implementation in ../shared/flava-reference/python) to ONNX (opset 14), for comparing Imago's
speed with ONNX Runtime's, the runtime Imago's peers use.

    /usr/bin/python3 bench/onnx/export_flava.py OUT_DIR [--shared ../shared]

Writes OUT_DIR/image_encoder.onnx (pixel_values [B, 3, 224, 224] -> L2-normalised image
embedding [B, 768]) and OUT_DIR/text_encoder.onnx (input_ids [B, L] int64 -> text embedding).
Uses Debian's python3-torch; nothing here is part of the product.
"""
import argparse
import os
import sys

import torch
import torch.nn.functional as F

here = os.path.dirname(os.path.abspath(__file__))
ap = argparse.ArgumentParser()
ap.add_argument("out")
ap.add_argument("--shared", default=os.path.join(here, "..", "..", "..", "shared"))
args = ap.parse_args()
sys.path.insert(0, os.path.join(args.shared, "flava-reference", "python"))

from flava_ref import config as fc  # noqa: E402
from flava_ref import model, weights  # noqa: E402


class Exportable(model.FlavaReference):
    # The exporter needs LayerNorm's normalized_shape as a constant: take it from the weight.
    def layer_norm(self, x, prefix, eps):
        w = self.w[prefix + ".weight"]
        return F.layer_norm(x, (int(w.shape[0]),), w, self.w[prefix + ".bias"], eps)


cfg = fc.from_hf_dict({})  # facebook/flava-full's sizes
ref = Exportable(cfg, weights.random_state_dict(cfg, seed=0, logit_scale=4.0))


class Image(torch.nn.Module):
    def forward(self, pixel_values):
        return ref.project_image(ref.image_encoder(pixel_values)["last_hidden_state"])[1]


class Text(torch.nn.Module):
    def forward(self, input_ids):
        return ref.project_text(ref.text_encoder(input_ids)["last_hidden_state"])[1]


os.makedirs(args.out, exist_ok=True)
size = cfg.image.image_size
with torch.no_grad():
    torch.onnx.export(Image(), (torch.randn(2, 3, size, size),),
                      os.path.join(args.out, "image_encoder.onnx"), opset_version=14,
                      input_names=["pixel_values"], output_names=["image_embeds"],
                      dynamic_axes={"pixel_values": {0: "batch"}, "image_embeds": {0: "batch"}})
    torch.onnx.export(Text(), (torch.randint(1000, 2000, (1, 8)),),
                      os.path.join(args.out, "text_encoder.onnx"), opset_version=14,
                      input_names=["input_ids"], output_names=["text_embeds"],
                      dynamic_axes={"input_ids": {0: "batch", 1: "tokens"},
                                    "text_embeds": {0: "batch"}})
print(f"wrote {args.out}/image_encoder.onnx and text_encoder.onnx")
