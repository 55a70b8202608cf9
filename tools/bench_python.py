#!/usr/bin/python3
"""Python baseline for `imago-cli bench`: what a straightforward Python indexer achieves.

Full PIL decode -> RGB -> PIL bicubic resize to 224 -> normalise -> a ViT-B/16-sized image
encoder (FLAVA-full's image tower: 12 pre-LN blocks, width 768, MLP 3072, 12 heads) plus the
768-d projection, in plain PyTorch with random weights, batched. Prints one JSON object.
Runs with Debian's /usr/bin/python3 (python3-torch, python3-pil, python3-numpy).
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch
from PIL import Image

MEAN = np.array([0.48145466, 0.4578275, 0.40821073], dtype=np.float32)
STD = np.array([0.26862954, 0.26130258, 0.27577711], dtype=np.float32)


class Block(torch.nn.Module):
    def __init__(self, d=768, heads=12, mlp=3072):
        super().__init__()
        self.ln1 = torch.nn.LayerNorm(d, eps=1e-12)
        self.attn = torch.nn.MultiheadAttention(d, heads, batch_first=True)
        self.ln2 = torch.nn.LayerNorm(d, eps=1e-12)
        self.fc1 = torch.nn.Linear(d, mlp)
        self.fc2 = torch.nn.Linear(mlp, d)

    def forward(self, x):
        h = self.ln1(x)
        x = x + self.attn(h, h, h, need_weights=False)[0]
        return x + self.fc2(torch.nn.functional.gelu(self.fc1(self.ln2(x))))


class ImageTower(torch.nn.Module):
    def __init__(self, d=768, layers=12, patch=16, size=224, proj=768):
        super().__init__()
        n = (size // patch) ** 2
        self.patch = torch.nn.Conv2d(3, d, patch, stride=patch)
        self.cls = torch.nn.Parameter(torch.zeros(1, 1, d))
        self.pos = torch.nn.Parameter(torch.zeros(1, n + 1, d))
        self.blocks = torch.nn.ModuleList(Block(d) for _ in range(layers))
        self.ln = torch.nn.LayerNorm(d, eps=1e-12)
        self.proj = torch.nn.Linear(d, proj)

    def forward(self, pixels):
        x = self.patch(pixels).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls.expand(x.shape[0], -1, -1), x], 1) + self.pos
        for b in self.blocks:
            x = b(x)
        return torch.nn.functional.normalize(self.proj(self.ln(x)[:, 0]), dim=-1)


def preprocess(path):
    img = Image.open(path)
    img.load()
    img = img.convert("RGB").resize((224, 224), resample=Image.BICUBIC)
    x = (np.asarray(img, dtype=np.float32) / 255.0 - MEAN) / STD
    return torch.from_numpy(x.transpose(2, 0, 1).copy())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", required=True)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--threads", type=int, default=0)
    a = ap.parse_args()
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    files = sorted(os.path.join(a.images, f) for f in os.listdir(a.images)
                   if f.lower().endswith((".jpg", ".jpeg", ".png")))
    if not files:
        sys.exit("no images in " + a.images)
    torch.manual_seed(0)
    model = ImageTower().eval()
    with torch.inference_mode():
        model(torch.zeros(a.batch, 3, 224, 224))  # warm-up
        start = time.perf_counter()
        for i in range(0, len(files), a.batch):
            batch = torch.stack([preprocess(f) for f in files[i:i + a.batch]])
            model(batch)
        seconds = time.perf_counter() - start
    print(json.dumps({"images": len(files), "seconds": seconds,
                      "images_per_second": len(files) / seconds,
                      "torch": torch.__version__, "threads": torch.get_num_threads()}))


if __name__ == "__main__":
    main()
