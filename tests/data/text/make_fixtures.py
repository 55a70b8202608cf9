#!/usr/bin/python3
"""Generates the SentencePiece test fixtures in this folder.

Run from anywhere with the `sentencepiece` command-line tools (Debian package sentencepiece,
the same 0.1.97 as libsentencepiece-dev):  /usr/bin/python3 tests/data/text/make_fixtures.py

Writes:
  tiny_unigram.model   a unigram model (vocab 120, default specials <unk>=0 <s>=1 </s>=2, no
                       pad) trained on captions like the toy model's; for tests that must not
                       link libsentencepiece (tst_sentencepiece_torch)
  tiny_unigram.json    golden cases: query text and the ids and pieces spm_encode gives for it
                       (without the <s>/</s> framing the tokenizer adds)
The expected values come from sentencepiece's own tools, never from the C++ code under test.
"""
import json
import os
import subprocess
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
MODEL = "tiny_unigram"

# Queries with one trait each; spm_encode reads one per line, so no newlines in them.
QUERIES = [
    ("training_caption", "a photo of a red circle on a pink background"),
    ("unseen_word_of_seen_letters", "a purple sandcastle at dawn"),
    ("extra_whitespace", "  two   kids \t at dusk  "),
    ("fullwidth_nfkc", "\uff52\uff45\uff44 star"),
    ("unknown_letters", "a red \u0436\u0443\u043a and a \U0001f41e"),
    ("empty", ""),
]


def training_text():
    colours = ["red", "green", "blue", "yellow", "purple", "orange", "white"]
    shapes = ["circle", "square", "triangle", "star", "cross"]
    backgrounds = ["gray", "pink", "beige", "white"]
    lines = []
    for c in colours:
        for s in shapes:
            for b in backgrounds:
                lines.append(f"a photo of a {c} {s} on a {b} background")
                lines.append(f"the {c} {s} next to a {s}")
    lines += [
        "two kids building a sandcastle at dusk while their dog runs along the waves",
        "hello world, a quick brown fox jumps over the lazy dog",
        "mountains and lakes in the morning light",
    ]
    return "\n".join(lines) + "\n"


def encode(model, text, output_format):
    out = subprocess.run(["spm_encode", f"--model={model}", f"--output_format={output_format}"],
                         input=text + "\n", capture_output=True, text=True, check=True).stdout
    return out.rstrip("\n").split(" ") if out.strip("\n") else []


def main():
    with tempfile.TemporaryDirectory() as tmp:
        corpus = os.path.join(tmp, "corpus.txt")
        with open(corpus, "w", encoding="utf-8") as f:
            f.write(training_text())
        prefix = os.path.join(tmp, MODEL)
        # Relative paths: the model records its trainer's arguments, and a temporary folder's
        # name would make every run's model differ.
        subprocess.run(["spm_train", "--input=corpus.txt", f"--model_prefix={MODEL}",
                        "--model_type=unigram", "--vocab_size=120", "--hard_vocab_limit=false",
                        "--num_threads=1", "--character_coverage=1.0", "--minloglevel=2"],
                       check=True, capture_output=True, cwd=tmp)
        with open(prefix + ".model", "rb") as f:
            model_bytes = f.read()
        cases = [{"name": name, "text": text,
                  "ids": [int(i) for i in encode(prefix + ".model", text, "id")],
                  "pieces": encode(prefix + ".model", text, "piece")}
                 for name, text in QUERIES]
    with open(os.path.join(HERE, MODEL + ".model"), "wb") as f:
        f.write(model_bytes)
    # One case a line, so that a regenerated file diffs case by case.
    with open(os.path.join(HERE, MODEL + ".json"), "w", encoding="utf-8") as f:
        f.write('{"model": "%s.model", "unk_id": 0, "bos_id": 1, "eos_id": 2, "cases": [\n'
                % MODEL)
        f.write(",\n".join(json.dumps(c, ensure_ascii=False) for c in cases))
        f.write("\n]}\n")


if __name__ == "__main__":
    main()
