#!/usr/bin/env python3
"""Known-item search with the mistakes pinyin input makes, on the inews corpus: queries built
from an article itself, and whether sou and bm25-jieba find the article. Prints, per shape,
success@10, MRR, the share of empty answers and (for sou) the share of queries whose
`corrections` name the right word, for both engines in the same run.

Usage: scripts/typos.py [--articles N] [--seed S]

Shapes, for each of N articles drawn at random (default 100, so 400 queries):
  typo           a distinctive word of the article with one character replaced by another of
                 the same toneless pinyin, so that the string stands in no file (整型 for 整形)
  typo+word      that typo and a second distinctive word, run together
  pinyin         the word's pinyin, run together (zhengxing)
  pinyin word    the pinyin, a space and the second word

A distinctive word is as in scripts/natural.py (a dictionary word of two to four characters
that few articles hold), here held by 2 to 300 articles. Needs pip (pypinyin, bm25-jieba and
rjieba are installed on first use); builds and indexes as scripts/natural.py does.
"""
import argparse
import importlib.util
import random
import statistics
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
spec = importlib.util.spec_from_file_location("natural", HERE / "natural.py")
natural = importlib.util.module_from_spec(spec)
spec.loader.exec_module(natural)

SHAPES = ["typo", "typo+word", "pinyin", "pinyin word"]


def homophones_of(pypinyin, texts):
    """Toneless syllable -> the characters of the corpus that read so, commonest first."""
    counts = Counter(c for text in texts for c in text if "\u4e00" <= c <= "\u9fff")
    by_syllable = defaultdict(list)
    for c, _ in counts.most_common():
        for reading in pypinyin.pinyin(c, style=pypinyin.Style.NORMAL, heteronym=False)[0]:
            by_syllable[reading].append(c)
    return by_syllable


def build_queries(articles, count, seed, rjieba, pypinyin, stop):
    rng = random.Random(seed)
    texts = [title + "\n" + body for _, title, body, _ in articles]
    words_of = [set(rjieba.cut(text, False)) for text in texts]
    df = Counter(w for words in words_of for w in words)
    by_syllable = homophones_of(pypinyin, texts)
    everything = "\n".join(texts)
    queries = []
    for i in rng.sample(range(len(articles)), len(articles)):
        if len(queries) >= count * len(SHAPES):
            break
        path, _, _, group = articles[i]
        content = sorted(
            (w for w in words_of[i]
             if natural.is_content(w, stop) and 2 <= len(w) <= 4 and 2 <= df[w] <= 300
             and all("\u4e00" <= c <= "\u9fff" for c in w)),
            key=lambda w: (df[w], w))
        if len(content) < 2:
            continue
        word, second = content[0], rng.choice(content[1:6])
        # One character replaced by a common one of the same reading, the string in no file.
        typo = None
        for at in rng.sample(range(len(word)), len(word)):
            reading = pypinyin.lazy_pinyin(word, style=pypinyin.Style.NORMAL)[at]
            for other in by_syllable.get(reading, [])[:30]:
                candidate = word[:at] + other + word[at + 1:]
                if other != word[at] and candidate not in everything:
                    typo = candidate
                    break
            if typo:
                break
        if not typo:
            continue
        spelled = "".join(pypinyin.lazy_pinyin(word, style=pypinyin.Style.NORMAL))
        for shape, query in [
            ("typo", typo),
            ("typo+word", typo + second),
            ("pinyin", spelled),
            ("pinyin word", f"{spelled} {second}"),
        ]:
            queries.append({"shape": shape, "query": query, "word": word, "target": group, "path": path})
    return queries


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    rjieba = natural.need("rjieba", "rjieba")
    bm25_jieba = natural.need("bm25_jieba", "bm25-jieba")
    pypinyin = natural.need("pypinyin", "pypinyin")
    subprocess.run(["cargo", "build", "--release", "--quiet", "--bin", "sou"], cwd=natural.ROOT, check=True)
    if not natural.CORPUS.exists():
        subprocess.run([sys.executable, str(HERE / "inews.py"), str(natural.CORPUS)], check=True)
    subprocess.run([str(natural.SOU), "index", "--seeds", str(natural.CORPUS), "--index", str(natural.INDEX)],
                   check=True, stdout=subprocess.DEVNULL)
    articles = natural.load_articles()
    group_of = {path: group for path, _, _, group in articles}
    queries = build_queries(articles, args.articles, args.seed, rjieba, pypinyin, natural.stopwords())
    bm25 = bm25_jieba.BM25()
    bm25.fit([title + "\n" + body for _, title, body, _ in articles], ids=list(range(len(articles))))

    results = defaultdict(lambda: defaultdict(list))
    named = defaultdict(list)
    misses = []
    for q in queries:
        ranking, answer = natural.sou_answer(q["query"], group_of)
        corrections = answer.get("corrections", [])
        peer = natural.bm25_ranking(bm25, q["query"], articles)
        for engine, ranked in (("sou", ranking), ("bm25-jieba", peer)):
            rank, scored = natural.outcome(ranked, q["target"])
            results[q["shape"]][engine].append(scored)
            if engine == "sou" and (rank is None or rank >= 10):
                misses.append((q, [c["read"] for c in corrections]))
        named[q["shape"]].append(any(q["word"] in c["read"] for c in corrections))

    articles_used = len({q["target"] for q in queries})
    print(f"{len(queries)} queries over {articles_used} articles of {len(articles)}, seed {args.seed}\n")
    print("| shape | queries | sou success@10 | sou MRR | sou empty | right word named | "
          "bm25-jieba success@10 | bm25-jieba MRR | bm25-jieba empty |")
    print("|---|---|---|---|---|---|---|---|---|")
    failed = False
    for shape in SHAPES:
        row = [shape, str(len(results[shape]["sou"]))]
        for engine in ("sou", "bm25-jieba"):
            s10, mrr, empty = natural.means(results[shape][engine])
            row += [f"{s10:.3f}", f"{mrr:.3f}", f"{empty:.3f}"]
            if engine == "sou":
                share = statistics.mean(named[shape])
                row.append(f"{share:.3f}")
                failed |= s10 < 0.95 or share < 0.9
        print("| " + " | ".join(row) + " |")
    if misses:
        print("\nqueries whose article sou did not put in the first 10 (what it read them as):")
        for q, read in misses[:40]:
            print(f"  {q['shape']:<11} {q['query']}  (word {q['word']}; read {read}; {q['path']})")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
