#!/usr/bin/python3
"""Generates the TIFF layout fixtures (tiff_*.tif) and expected_tiff_rgb.json in this folder.

Run with the system Python (Pillow 9.4, numpy):  /usr/bin/python3 make_tiff_fixtures.py

Each file exercises one sample layout of the libtiff decoder (core/imaging/tiff_decoder.cpp):
bit depths, photometric interpretations, byte orders, tiles, planar-separate samples, YCbCr
JPEG, associated (premultiplied) alpha. Files Pillow can write are written by Pillow; the others are assembled here from the
TIFF 6.0 tag layout. The expected RGB (sha256 + size) is what Pillow itself decodes
(Image.open(...).convert("RGB")), never the C++ code under test. A separate script so the
older fixtures made by make_fixtures.py stay byte-identical.
"""
import hashlib
import io
import json
import os
import struct

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
W, H = 40, 24  # not a multiple of the 16x16 tiles, so edge tiles are partial


def card(w=W, h=H):
    y, x = np.mgrid[0:h, 0:w]
    img = np.stack([(x * 255 // (w - 1)), (y * 255 // (h - 1)), ((x * 7 + y * 13) % 256)],
                   axis=-1).astype(np.uint8)
    img[0, 0] = (255, 0, 0)
    return img


# TIFF field types
SHORT, LONG = 3, 4


def write_tiff(path, w, h, fields, data_blocks, big_endian=False, tiled=None):
    """fields: {tag: (type, [values])} without the data offsets/counts; data_blocks: the
    encoded strips or tiles (one each). tiled=(tw, th) writes TileOffsets/TileByteCounts."""
    e = ">" if big_endian else "<"
    header = (b"MM" if big_endian else b"II") + struct.pack(e + "HI", 42, 8)
    out = bytearray(header)
    offsets = []
    for block in data_blocks:
        offsets.append(len(out))
        out += block
        if len(out) % 2:
            out += b"\0"
    fields = dict(fields)
    fields[256] = (LONG, [w])
    fields[257] = (LONG, [h])
    if tiled:
        fields[322] = (LONG, [tiled[0]])
        fields[323] = (LONG, [tiled[1]])
        fields[324] = (LONG, offsets)
        fields[325] = (LONG, [len(b) for b in data_blocks])
    else:
        fields[273] = (LONG, offsets)
        fields[279] = (LONG, [len(b) for b in data_blocks])
    ifd_offset = len(out)
    entries = sorted(fields.items())
    extra_at = ifd_offset + 2 + 12 * len(entries) + 4
    extra = bytearray()
    ifd = bytearray(struct.pack(e + "H", len(entries)))
    for tag, (typ, values) in entries:
        fmt = {SHORT: "H", LONG: "I"}[typ]
        payload = struct.pack(e + fmt * len(values), *values)
        if len(payload) <= 4:
            ifd += struct.pack(e + "HHI", tag, typ, len(values)) + payload.ljust(4, b"\0")
        else:
            ifd += struct.pack(e + "HHII", tag, typ, len(values), extra_at + len(extra))
            extra += payload
    ifd += struct.pack(e + "I", 0)
    out[4:8] = struct.pack(e + "I", ifd_offset)
    out += ifd + extra
    with open(path, "wb") as f:
        f.write(out)


def pack_bits(values, bits, w):
    """Rows of sub-byte samples, MSB first, each row padded to a byte."""
    rows = []
    for row in values:
        acc, n, out = 0, 0, bytearray()
        for v in row[:w]:
            acc = (acc << bits) | int(v)
            n += bits
            if n == 8:
                out.append(acc)
                acc, n = 0, 0
        if n:
            out.append(acc << (8 - n))
        rows.append(bytes(out))
    return b"".join(rows)


def make():
    c = card()
    made = []

    def keep(name):
        made.append(name)
        return os.path.join(HERE, name)

    gray = (c[..., 0].astype(np.uint16) + c[..., 1]) // 2
    # Pillow-written layouts
    Image.fromarray((gray.astype(np.uint16) * 257)).save(keep("tiff_gray16.tif"))
    Image.fromarray(c).convert("RGBA").save(keep("tiff_rgba8_lzw.tif"), compression="tiff_lzw")
    Image.fromarray(c).convert("CMYK").save(keep("tiff_cmyk8.tif"))
    Image.fromarray(c).convert("P", palette=Image.ADAPTIVE, colors=200).save(
        keep("tiff_palette8_deflate.tif"), compression="tiff_adobe_deflate")
    Image.fromarray(c).save(keep("tiff_ycbcr_jpeg.tif"), compression="jpeg", quality=90)

    base = {258: (SHORT, [8]), 259: (SHORT, [1]), 277: (SHORT, [1]), 278: (LONG, [H])}
    # 8-bit min-is-white gray
    write_tiff(keep("tiff_miniswhite8.tif"), W, H, {**base, 262: (SHORT, [0])},
               [gray.astype(np.uint8).tobytes()])
    # 4-bit min-is-black gray and 4-bit palette (16 entries, 16-bit colour map)
    g4 = (gray // 16).astype(np.uint8)
    write_tiff(keep("tiff_gray4.tif"), W, H, {**base, 258: (SHORT, [4]), 262: (SHORT, [1])},
               [pack_bits(g4, 4, W)])
    cmap = [i * 4369 for i in range(16)] + [65535 - i * 4369 for i in range(16)] + \
        [(i * 9000) % 65536 for i in range(16)]
    write_tiff(keep("tiff_palette4.tif"), W, H,
               {**base, 258: (SHORT, [4]), 262: (SHORT, [3]), 320: (SHORT, cmap)},
               [pack_bits(g4, 4, W)])
    # 1-bit min-is-white (fax style)
    write_tiff(keep("tiff_bilevel_miniswhite.tif"), W, H,
               {**base, 258: (SHORT, [1]), 262: (SHORT, [0])}, [pack_bits(g4 >> 3, 1, W)])
    # 16-bit RGB, big-endian ("MM"), two strips
    rgb16 = c.astype(">u2") * 257 + np.arange(W, dtype=">u2")[None, :, None]
    rows = [rgb16[y].tobytes() for y in range(H)]
    write_tiff(keep("tiff_rgb16_bigendian.tif"), W, H,
               {258: (SHORT, [16, 16, 16]), 259: (SHORT, [1]), 262: (SHORT, [2]),
                277: (SHORT, [3]), 278: (LONG, [16])},
               [b"".join(rows[:16]), b"".join(rows[16:])], big_endian=True)
    # 8-bit RGB in 16x16 tiles
    tiles = []
    for ty in range(0, H, 16):
        for tx in range(0, W, 16):
            t = np.zeros((16, 16, 3), np.uint8)
            part = c[ty:ty + 16, tx:tx + 16]
            t[:part.shape[0], :part.shape[1]] = part
            tiles.append(t.tobytes())
    write_tiff(keep("tiff_rgb8_tiled.tif"), W, H,
               {258: (SHORT, [8, 8, 8]), 259: (SHORT, [1]), 262: (SHORT, [2]),
                277: (SHORT, [3])}, tiles, tiled=(16, 16))
    # 8-bit RGB, planar-separate samples (one strip per plane): libtiff's RGBA reader path
    write_tiff(keep("tiff_rgb8_planar.tif"), W, H,
               {258: (SHORT, [8, 8, 8]), 259: (SHORT, [1]), 262: (SHORT, [2]),
                277: (SHORT, [3]), 278: (LONG, [H]), 284: (SHORT, [2])},
               [c[..., i].tobytes() for i in range(3)])

    # RGB with associated (premultiplied) alpha, ExtraSamples = 1: Pillow's "RGBa" unpackers
    # divide the colour by alpha (black where alpha is 0) before convert("RGB") drops it.
    # Alpha ramps 0..max left to right, 0 in the first 3 columns.
    ramp = np.arange(W, dtype=np.uint32) * 65535 // (W - 1)
    ramp[:3] = 0
    alpha16 = np.broadcast_to(ramp, (H, W))[..., None]
    pre16 = (c.astype(np.uint32) * 257 * alpha16 + 32767) // 65535
    write_tiff(keep("tiff_rgba16_assoc.tif"), W, H,
               {258: (SHORT, [16] * 4), 259: (SHORT, [1]), 262: (SHORT, [2]),
                277: (SHORT, [4]), 278: (LONG, [H]), 338: (SHORT, [1])},
               [np.dstack([pre16, alpha16]).astype("<u2").tobytes()])
    alpha8 = alpha16 >> 8
    pre8 = (c.astype(np.uint32) * alpha8 + 127) // 255
    write_tiff(keep("tiff_rgba8_assoc_bigendian.tif"), W, H,
               {258: (SHORT, [8] * 4), 259: (SHORT, [1]), 262: (SHORT, [2]),
                277: (SHORT, [4]), 278: (LONG, [H]), 338: (SHORT, [1])},
               [np.dstack([pre8, alpha8]).astype(np.uint8).tobytes()], big_endian=True)

    expected = {}
    for name in made:
        img = Image.open(os.path.join(HERE, name))
        img.load()
        rgb = np.asarray(img.convert("RGB"), dtype=np.uint8)
        expected[name] = {"size_wh": [rgb.shape[1], rgb.shape[0]], "pillow_mode": img.mode,
                          "compression": img.info.get("compression", ""),
                          "sha256": hashlib.sha256(rgb.tobytes()).hexdigest()}
    with open(os.path.join(HERE, "expected_tiff_rgb.json"), "w") as f:
        json.dump({"generator": "tests/data/imaging/make_tiff_fixtures.py",
                   "pillow": Image.__version__, "fixtures": expected}, f, indent=1, sort_keys=True)
        f.write("\n")
    for name in made:
        print(name, expected[name]["pillow_mode"], expected[name]["compression"])


if __name__ == "__main__":
    make()
