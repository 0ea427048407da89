#!/usr/bin/python3
"""make-bench-pdf.py — the text PDF of the sanitizer benchmark.

    tests/bench/make-bench-pdf.py OUT.pdf [PAGES]

PAGES (default 10) pages of tests/corpus/make-pdf-samples.py's benign text page (48
dense lines of 11 pt Helvetica on A4), so that the benchmark measures the same page
as the figures in docs/sanitizer-performance.md.
"""
import importlib.util
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SAMPLES = os.path.join(HERE, "..", "corpus", "make-pdf-samples.py")


def main(out, pages):
    spec = importlib.util.spec_from_file_location("samples", SAMPLES)
    samples = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(samples)
    objs = samples.text_pages(pages)
    objs[0] = "<< /Type /Catalog /Pages 2 0 R >>"
    with open(out, "wb") as f:
        f.write(samples.pdf(objs))


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) == 3 else 10)
