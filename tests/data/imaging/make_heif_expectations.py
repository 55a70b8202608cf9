#!/usr/bin/python3
"""Writes expected_heif_cells.json: an independent oracle for the HEIF/AVIF decoder.

Run with the system Python and ImageMagick 6 (built with libheif, as Debian 12's is):
  /usr/bin/python3 make_heif_expectations.py [path/to/shared]

Pillow 9.4 cannot open HEIF, so the reference is ImageMagick's decode (`convert file[0]
rgb:-`): for every HEIF/AVIF file of shared/corpus that the corpus says to index, the size
ImageMagick reports and the mean R, G, B of an 8 x 8 grid of cells over the image. The test
compares the same cell means of our decode within a small tolerance: ImageMagick converts
YCbCr to RGB with its own rounding, but any orientation, crop, channel or colour-matrix
mistake moves the cells by tens of levels.
"""
import json
import os
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "../../../../shared"))
CORPUS = os.path.join(SHARED, "corpus")
GRID = 8


def cells(rgb):
    h, w, _ = rgb.shape
    out = []
    for gy in range(GRID):
        for gx in range(GRID):
            block = rgb[gy * h // GRID:(gy + 1) * h // GRID, gx * w // GRID:(gx + 1) * w // GRID]
            out.append([round(float(v), 3) for v in block.reshape(-1, 3).mean(axis=0)])
    return out


def main():
    rows = [line.split("\t") for line in open(os.path.join(CORPUS, "MANIFEST.tsv")).read().splitlines()[1:]]
    expected = {}
    for row in rows:
        path, _kind, want, _wxh, fmt = row[:5]
        if fmt != "HEIC" or want == "reject":
            continue
        full = os.path.join(CORPUS, path)
        size = subprocess.run(["identify", "-format", "%w %h", full + "[0]"], check=True,
                              capture_output=True, text=True).stdout.split()
        w, h = int(size[0]), int(size[1])
        raw = subprocess.run(["convert", full + "[0]", "-depth", "8", "rgb:-"], check=True,
                             capture_output=True).stdout
        rgb = np.frombuffer(raw, np.uint8).reshape(h, w, 3).astype(np.float64)
        expected[path] = {"size_wh": [w, h], "cells": cells(rgb)}
        print(path, w, h)
    version = subprocess.run(["convert", "-version"], capture_output=True, text=True).stdout
    with open(os.path.join(HERE, "expected_heif_cells.json"), "w") as f:
        json.dump({"generator": "tests/data/imaging/make_heif_expectations.py",
                   "imagemagick": version.splitlines()[0], "grid": GRID, "corpus": expected},
                  f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
