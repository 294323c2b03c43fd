#!/usr/bin/env python3
"""Recall against grep on the inews corpus: for each query, the files that contain the string
and the files sou returns, and whether the hits that hold the string come first (word search
adds, after them, passages holding the query's words apart): the first min(10, n) hits hold it,
n being the number of hits that do.

Usage: scripts/recall.py [QUERY ...]     (default: a built-in list)

Builds sou (release), fetches the corpus with scripts/inews.py into $SOU_CACHE/inews (default
~/.cache/sou/inews), indexes it into $SOU_CACHE/inews-index, and prints a table. Exits 1 if sou
misses a file that contains a query string.
"""
import json
import os
import subprocess
import sys
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path(os.environ.get("SOU_CACHE", Path.home() / ".cache" / "sou"))
CORPUS = CACHE / "inews"
INDEX = CACHE / "inews-index"
SOU = ROOT / "target" / "release" / "sou"
QUERIES = [
    "中国人", "微信", "京东", "高速公路", "和服", "高科技", "安置房", "智慧产业", "5G", "2.0版",
    "移交警方", "提高科技", "政府管理和服务", "互联网+", "一带一路", "COVID", "iPhone", "双11",
    "人工智能", "的", "。", "区块链", "北京大学", "上海", "房价", "新冠", "（", "100%",
]


def fold(text: str) -> str:
    # What sou compares (short of traditional -> simplified): NFKC, lower case, spaces as one.
    return " ".join(unicodedata.normalize("NFKC", text).lower().split())


def main():
    queries = sys.argv[1:] or QUERIES
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    if not CORPUS.exists():
        subprocess.run([sys.executable, str(ROOT / "scripts" / "inews.py"), str(CORPUS)], check=True)
    subprocess.run([str(SOU), "index", "--seeds", str(CORPUS), "--index", str(INDEX)], check=True,
                   stdout=subprocess.DEVNULL)
    files = {str(p): p.read_text(encoding="utf-8") for p in sorted(CORPUS.rglob("*.txt"))}
    lines = {path: [fold(line) for line in text.splitlines()] for path, text in files.items()}
    print(f"{'query':<16} {'grep -F':>8} {'folded':>8} {'sou':>8} {'missed':>7}  top hits hold it")
    failed = False
    for query in queries:
        grep = {p for p, text in files.items() if any(query in line for line in text.splitlines())}
        needle = fold(query)
        folded = {p for p, ls in lines.items() if any(needle in line for line in ls)}
        out = subprocess.run(
            [str(SOU), "search", "--no-sync", "--json", "--limit", "1000000",
             "--seeds", str(CORPUS), "--index", str(INDEX), "--", query],
            capture_output=True, text=True)
        results = json.loads(out.stdout)
        found = {p for h in results["hits"] for p in [h["path"], *h["also"]]}
        missed = folded - found
        holds = [needle in fold(h["text"]) or needle.replace(" ", "") in fold(h["text"]).replace(" ", "")
                 for h in results["hits"]]
        top_ok = all(holds[: min(10, sum(holds))])
        failed |= bool(missed) or not top_ok
        print(f"{query:<16} {len(grep):>8} {len(folded):>8} {len(found):>8} {len(missed):>7}  {'yes' if top_ok else 'NO'}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
