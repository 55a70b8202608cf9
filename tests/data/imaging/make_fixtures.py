#!/usr/bin/python3
"""Generates the small imaging test fixtures in this folder and their expected values.

Run from anywhere with the system Python (Pillow 9.4, numpy, torch for the safetensors
helper):  /usr/bin/python3 tests/data/imaging/make_fixtures.py [path/to/shared]

Writes:
  *.png / *.tif / *.webp   tiny images exercising one decoder rule each (orientation carried
                           in PNG eXIf / raw-profile text / XMP, TIFF tag, WebP EXIF chunk;
                           16-bit PNG; gray+alpha; palette with transparency; 1/2-bit gray)
  jpeg_*.jpg / webp_*.webp files real cameras and tools write that the decoder once refused or
                           got wrong: sampling factors TurboJPEG cannot classify (CMYK 2x2 +
                           1x1 K, 3-channel 4x2 / 3x1 / 2x1+1x2), a Motion JPEG frame without
                           Huffman tables, animated WebPs whose first frame blends or is
                           smaller than the canvas. Made with cjpeg (libjpeg-turbo-progs) and
                           webpmux (webp) besides Pillow: see README.md
  expected_rgb.json        per fixture and per Pillow-decodable file of shared/corpus: the
                           sha256 and size of the RGB image the reference pipeline decodes
                           (flava_ref.preprocess.load_rgb = decode, EXIF transpose, RGB);
                           "fixtures_draft": the jpeg_* fixtures decoded after
                           Image.draft((N, N)), N = 8 and 16 (DCT scaling 1/4 and 1/2)
  resize_cases.safetensors inputs and Pillow BICUBIC outputs for the resize unit tests
The expected values come from Pillow itself, never from the C++ code under test.
"""
import hashlib
import io
import json
import os
import struct
import subprocess
import sys
import tempfile
import zlib

import numpy as np
import torch
from PIL import Image, ImageOps

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "../../../../shared"))
sys.path.insert(0, os.path.join(SHARED, "flava-reference/python"))
from flava_ref.preprocess import load_rgb  # noqa: E402
from flava_ref.safetensors_io import save_file  # noqa: E402

rng = np.random.default_rng(20240611)


def pattern(w, h):
    """An asymmetric RGB test card: every orientation mistake changes it."""
    y, x = np.mgrid[0:h, 0:w]
    img = np.stack([(x * 255 // max(w - 1, 1)), (y * 255 // max(h - 1, 1)),
                    ((x * 7 + y * 13) % 256)], axis=-1).astype(np.uint8)
    img[0, 0] = (255, 0, 0)
    return img


def exif_with_orientation(o, byteorder="<"):
    """A minimal little- or big-endian TIFF/EXIF block with IFD0 = {Orientation: o}."""
    mark = b"II" if byteorder == "<" else b"MM"
    hdr = mark + struct.pack(byteorder + "HI", 42, 8)
    ifd = struct.pack(byteorder + "H", 1) + struct.pack(byteorder + "HHIHH", 0x0112, 3, 1, o, 0)
    ifd += struct.pack(byteorder + "I", 0)
    return hdr + ifd


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def write_png(path, w, h, bit_depth, color_type, raw_rows, extra_before_idat=(), palette=None,
              trns=None):
    """Hand-written PNG (Pillow cannot write 16-bit colour); raw_rows = bytes per row, filter 0."""
    out = b"\x89PNG\r\n\x1a\n"
    out += png_chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, bit_depth, color_type, 0, 0, 0))
    if palette is not None:
        out += png_chunk(b"PLTE", palette)
    if trns is not None:
        out += png_chunk(b"tRNS", trns)
    for kind, data in extra_before_idat:
        out += png_chunk(kind, data)
    out += png_chunk(b"IDAT", zlib.compress(b"".join(b"\x00" + r for r in raw_rows), 9))
    out += png_chunk(b"IEND", b"")
    with open(path, "wb") as f:
        f.write(out)


def make_fixtures():
    made = []

    def keep(name):
        made.append(name)
        return os.path.join(HERE, name)

    card = pattern(24, 16)
    # PNG with an eXIf chunk, orientation 6 (Pillow reads it; Qt 6.4 does not apply it)
    write_png(keep("orient6_exif.png"), 24, 16, 8, 2, [card[r].tobytes() for r in range(16)],
              extra_before_idat=[(b"eXIf", exif_with_orientation(6, ">"))])
    # PNG with ImageMagick's "Raw profile type exif" text chunk, orientation 8
    blob = b"Exif\x00\x00" + exif_with_orientation(8)
    hexed = blob.hex()
    text = "\nexif\n%8d\n" % len(blob) + "\n".join(hexed[i:i + 72] for i in range(0, len(hexed), 72)) + "\n"
    write_png(keep("orient8_rawprofile.png"), 24, 16, 8, 2, [card[r].tobytes() for r in range(16)],
              extra_before_idat=[(b"tEXt", b"Raw profile type exif\x00" + text.encode())])
    # PNG with only an XMP packet carrying tiff:Orientation="5"
    xmp = ('<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/'
           '22-rdf-syntax-ns#"><rdf:Description xmlns:tiff="http://ns.adobe.com/tiff/1.0/" '
           'tiff:Orientation="5"/></rdf:RDF></x:xmpmeta>')
    write_png(keep("orient5_xmp.png"), 24, 16, 8, 2, [card[r].tobytes() for r in range(16)],
              extra_before_idat=[(b"iTXt", b"XML:com.adobe.xmp\x00\x00\x00\x00\x00" + xmp.encode())])
    # TIFF with the Orientation tag = 6. Pillow 9.4 applies a TIFF's orientation twice (once in
    # TiffImageFile.load_end, again in exif_transpose), so its expected value is computed below
    # as the single rotation the TIFF and EXIF specs ask for, not read back through load_rgb.
    Image.fromarray(card).save(keep("orient6.tif"), tiffinfo={274: 6})
    # lossless WebP with an EXIF chunk, orientation 3
    Image.fromarray(card).save(keep("orient3_exif.webp"), lossless=True,
                               exif=b"Exif\x00\x00" + exif_with_orientation(3))
    # 16-bit gray PNG: Pillow opens it as mode "I" and convert("RGB") clips to 255
    g16 = (np.arange(16 * 12, dtype=np.uint32).reshape(12, 16) * 343).astype(">u2")
    g16[0, :4] = (0, 1, 255, 256)
    write_png(keep("gray16.png"), 16, 12, 16, 0, [g16[r].tobytes() for r in range(12)])
    # 16-bit RGB and RGBA PNGs: Pillow keeps the high byte of every sample
    c16 = rng.integers(0, 65536, size=(10, 14, 3), dtype=np.uint32).astype(">u2")
    write_png(keep("rgb16.png"), 14, 10, 16, 2, [c16[r].tobytes() for r in range(10)])
    a16 = rng.integers(0, 65536, size=(10, 14, 4), dtype=np.uint32).astype(">u2")
    a16[..., 3][::2] = 0
    write_png(keep("rgba16.png"), 14, 10, 16, 6, [a16[r].tobytes() for r in range(10)])
    # gray + alpha (LA), alpha 0 hides bright values: alpha must be dropped, not composited
    la = np.stack([rng.integers(0, 256, size=(9, 11)), np.tile([0, 255, 128], 33)[:99].reshape(9, 11)],
                  axis=-1).astype(np.uint8)
    write_png(keep("gray_alpha.png"), 11, 9, 8, 4, [la[r].tobytes() for r in range(9)])
    # palette with a transparent entry (tRNS): Pillow uses the palette colour, alpha dropped
    pal = rng.integers(0, 256, size=(16, 3), dtype=np.uint8)
    idx = rng.integers(0, 16, size=(8, 13), dtype=np.uint8)
    write_png(keep("palette_trns.png"), 13, 8, 8, 3, [idx[r].tobytes() for r in range(8)],
              palette=pal.tobytes(), trns=bytes([0, 128, 255, 0]))
    # 1-bit and 2-bit gray
    bits1 = rng.integers(0, 2, size=(7, 19), dtype=np.uint8)
    write_png(keep("gray1.png"), 19, 7, 1, 0, [np.packbits(bits1[r]).tobytes() for r in range(7)])
    bits2 = rng.integers(0, 4, size=(5, 9), dtype=np.uint8)
    rows2 = []
    for r in range(5):
        v = list(bits2[r]) + [0] * 3
        rows2.append(bytes((v[i] << 6) | (v[i + 1] << 4) | (v[i + 2] << 2) | v[i + 3]
                           for i in range(0, 12, 4)))
    write_png(keep("gray2.png"), 9, 5, 2, 0, rows2)
    return made


def strip_dht(jpeg):
    """The JPEG without its DHT segments, as Motion JPEG frames are stored (the decoder must
    use the standard tables of JPEG Annex K.3)."""
    out, pos = bytearray(jpeg[:2]), 2
    while pos < len(jpeg):
        assert jpeg[pos] == 0xFF
        marker = jpeg[pos + 1]
        if marker == 0xDA:
            return bytes(out + jpeg[pos:])
        length = int.from_bytes(jpeg[pos + 2:pos + 4], "big")
        if marker != 0xC4:
            out += jpeg[pos:pos + 2 + length]
        pos += 2 + length
    raise ValueError("no scan")


def make_decoder_fixtures():
    """Files real libraries decode that Imago refused or decoded differently from Pillow.
    No rng here: the rng stream of make_fixtures() and resize_cases() stays as it was."""
    made = []

    def keep(name):
        made.append(name)
        return os.path.join(HERE, name)

    card = pattern(45, 37)  # not a multiple of any MCU size: partial edge blocks
    with tempfile.TemporaryDirectory() as tmp:
        ppm = os.path.join(tmp, "card.ppm")
        Image.fromarray(card).save(ppm)

        def cjpeg(name, *args):
            subprocess.run(["cjpeg", "-quality", "90", *args, "-outfile", keep(name), ppm],
                           check=True)

        # CMYK with 2x2 C and 1x1 M, Y, K: what Pillow writes for CMYK with subsampling=2
        Image.fromarray(card).convert("CMYK").save(keep("jpeg_cmyk_2x2_1x1_1x1_1x1.jpg"),
                                                   quality=90, subsampling=2)
        # 3-channel factors outside TurboJPEG's TJSAMP list; libjpeg decodes them
        cjpeg("jpeg_ycc_4x2_1x1_1x1.jpg", "-sample", "4x2")
        cjpeg("jpeg_ycc_3x1_1x1_1x1.jpg", "-sample", "3x1")
        cjpeg("jpeg_ycc_2x1_1x2_1x2.jpg", "-sample", "2x1,1x2,1x2")
        # optimised Huffman tables (decoded before the Motion JPEG frame in the tests, so a
        # decoder that keeps tables from file to file shows it)
        cjpeg("jpeg_optimized_progressive.jpg", "-optimize", "-progressive")
        # a 4:2:2 webcam-style Motion JPEG frame: standard tables, DHT left out
        mjpeg = os.path.join(tmp, "mjpeg.jpg")
        subprocess.run(["cjpeg", "-quality", "85", "-sample", "2x1", "-outfile", mjpeg, ppm],
                       check=True)
        with open(mjpeg, "rb") as f:
            frame = strip_dht(f.read())
        with open(keep("jpeg_mjpeg_frame_no_dht.jpg"), "wb") as f:
            f.write(frame)

        # animated WebPs on a 32x24 canvas, a white opaque ANIM background colour (a hint that
        # libwebp, browsers and Pillow ignore: the canvas starts transparent black)
        y, x = np.mgrid[0:12, 0:20]
        # colour under alpha 0 / 128 / 255 (exact=True keeps the colour under alpha 0)
        framea = np.dstack([x * 12, y * 20, (x * 7 + y * 13) % 256,
                            np.where(x < 4, 0, np.where(x < 10, 128, 255))]).astype(np.uint8)
        opaque = framea[..., :3].copy()
        second = np.full((24, 32, 3), (200, 30, 40), np.uint8)
        paths = {}
        for name, arr, mode in (("alpha", framea, "RGBA"), ("opaque", opaque, "RGB"),
                                ("second", second, "RGB")):
            paths[name] = os.path.join(tmp, name + ".webp")
            Image.fromarray(arr, mode).save(paths[name], lossless=True, exact=True)
        # first frame 20x12 at (6, 4), alpha-blended: the canvas is transparent outside it
        subprocess.run(["webpmux", "-frame", paths["alpha"], "+100+6+4+0+b",
                        "-frame", paths["second"], "+100+0+0+0+b", "-loop", "0",
                        "-bgcolor", "255,255,255,255", "-o",
                        keep("webp_anim_first_frame_blended.webp")],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        # no alpha anywhere (no VP8X alpha flag), first frame smaller than the canvas
        subprocess.run(["webpmux", "-frame", paths["opaque"], "+100+6+4+0-b",
                        "-frame", paths["second"], "+100+0+0+0+b", "-loop", "0",
                        "-bgcolor", "0,255,0,255", "-o",
                        keep("webp_anim_opaque_small_first_frame.webp")],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return made


def rgb_record(path):
    if path.endswith("orient6.tif"):
        img = Image.fromarray(pattern(24, 16)).transpose(Image.Transpose.ROTATE_270)
    else:
        img = load_rgb(path)
    a = np.asarray(img, dtype=np.uint8)
    return {"sha256": hashlib.sha256(a.tobytes()).hexdigest(), "size_wh": [img.width, img.height]}


def draft_record(path, min_side):
    """The reference pipeline's decode with Image.draft((N, N)) first: libjpeg's DCT scaling."""
    img = Image.open(path)
    img.draft(img.mode, (min_side, min_side))
    img = ImageOps.exif_transpose(img).convert("RGB")
    a = np.asarray(img, dtype=np.uint8)
    return {"min_side": min_side, "sha256": hashlib.sha256(a.tobytes()).hexdigest(),
            "size_wh": [img.width, img.height]}


def corpus_records():
    out = {}
    corpus = os.path.join(SHARED, "corpus")
    with open(os.path.join(corpus, "MANIFEST.tsv")) as f:
        rows = [line.rstrip("\n").split("\t") for line in f][1:]
    for row in rows:
        path = row[0]
        try:
            out[path] = rgb_record(os.path.join(corpus, path))
        except Exception:  # Pillow cannot decode it: nothing to compare against
            pass
    return out


def resize_cases():
    cases = {}

    def case(name, src, ow, oh):
        cases[name + ".in"] = torch.from_numpy(np.array(src))
        out = Image.fromarray(src).resize((ow, oh), resample=Image.BICUBIC)
        cases[name + ".out"] = torch.from_numpy(np.array(out))

    noise = rng.integers(0, 256, size=(23, 37, 3), dtype=np.uint8)
    case("noise_37x23_to_5x61", noise, 5, 61)
    case("noise_37x23_to_64x48", noise, 64, 48)
    case("noise_37x23_to_37x7", noise, 37, 7)       # vertical pass only
    case("noise_37x23_to_3x23", noise, 3, 23)       # horizontal pass only
    case("one_pixel_to_4x3", rng.integers(0, 256, size=(1, 1, 3), dtype=np.uint8), 4, 3)
    case("row_300x1_to_1x1", rng.integers(0, 256, size=(1, 300, 3), dtype=np.uint8), 1, 1)
    case("row_1000x1_to_24x24", rng.integers(0, 256, size=(1, 1000, 3), dtype=np.uint8), 24, 24)
    case("column_1x500_to_9x17", rng.integers(0, 256, size=(500, 1, 3), dtype=np.uint8), 9, 17)
    edges = np.zeros((40, 40, 3), dtype=np.uint8)
    edges[::2] = 255                                 # ringing: exercises the clamp to 0/255
    case("stripes_40x40_to_17x93", edges, 17, 93)
    save_file(cases, os.path.join(HERE, "resize_cases.safetensors"),
              metadata={"generator": "tests/data/imaging/make_fixtures.py", "pillow": Image.__version__})


def main():
    made = make_fixtures()
    decoder_made = make_decoder_fixtures()
    made += decoder_made
    drafts = {}
    for name in decoder_made:
        if name.endswith(".jpg"):
            for n in (8, 16):
                drafts["%s@%d" % (name, n)] = draft_record(os.path.join(HERE, name), n)
    expected = {"generator": "tests/data/imaging/make_fixtures.py", "pillow": Image.__version__,
                "fixtures": {name: rgb_record(os.path.join(HERE, name)) for name in made},
                "fixtures_draft": drafts,
                "corpus": corpus_records()}
    with open(os.path.join(HERE, "expected_rgb.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)
        f.write("\n")
    resize_cases()


if __name__ == "__main__":
    main()
