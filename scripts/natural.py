#!/usr/bin/env python3
"""Known-item search on the inews corpus: queries built from an article itself, the way people
type them, and whether sou and bm25-jieba (a BM25 over jieba words, article by article) find
the article. Prints, per query shape, success@10 (the article among the first 10 articles
shown), MRR and the share of empty answers, for both, measured in the same run.

Usage: scripts/natural.py [--articles N] [--seed S] [--write-queries FILE] [--corpus DIR]

--corpus: another folder of .txt files laid out as inews's (the first line the title), indexed
into DIR-index beside it; for example the man pages of scripts/manpages.py.

Shapes, for each of N articles drawn at random (default 120, so 600 queries):
  together   three distinctive words of the article, run together (高新区安置房建成)
  spaced     the same words with spaces
  extra      the same words plus a word the article lacks
  title      the title without punctuation, one word changed or one added
  question   a question around two distinctive words (为什么…, …什么时候…, …)
  common     two common words of the article (held by 20 to 300 articles; two of the four it
             says most often), run together
  common question  a question around two common words

The common shapes draw from their own random stream, so the other shapes' queries are the same
with and without them; their target is bm25-jieba's success@10 and MRR (the others' also
success@10 >= 0.99 and MRR >= 0.95).

"Distinctive" words are the article's words in jieba's dictionary (cut with HMM off: words a
reader knows, not the strings jieba's HMM glues together; two characters or more, no function
words) that the fewest articles hold. Files whose text is the same (inews holds 99 such pairs)
count as one article for both engines. Needs python3 and pip (bm25-jieba and rjieba are
installed on first use); builds sou (release) and indexes the corpus into $SOU_CACHE
(default ~/.cache/sou) with scripts/inews.py, as scripts/recall.py does.
"""
import argparse
import hashlib
import json
import os
import random
import re
import statistics
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path(os.environ.get("SOU_CACHE", Path.home() / ".cache" / "sou"))
CORPUS = CACHE / "inews"
INDEX = CACHE / "inews-index"
SOU = ROOT / "target" / "release" / "sou"
STOPWORDS = ROOT / "src" / "search" / "stopwords.txt"
SHAPES = ["together", "spaced", "extra", "title", "question", "common", "common question"]
# Shapes whose target is only to meet bm25-jieba.
PEER_ONLY = {"common", "common question"}
QUESTIONS = [
    "{a}{b}是什么", "为什么{a}{b}", "{a}的{b}怎么样了", "{a}什么时候{b}", "{a}{b}在哪里",
    "{a}为什么{b}", "{a}和{b}有哪些", "请问{a}{b}吗", "{a}是不是{b}", "{a}如何{b}",
]
PUNCTUATION = re.compile(r"[\s\u3000-\u303f\uff00-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65"
                         r"!-/:-@\[-`{-~“”‘’《》【】（）…—·]+")


def need(module, package):
    try:
        return __import__(module)
    except ImportError:
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", package], check=True)
        return __import__(module)


def stopwords():
    words = set()
    for line in STOPWORDS.read_text(encoding="utf-8").splitlines():
        if not line.lstrip().startswith("#"):
            words.update(line.split())
    return words


def is_content(word, stop):
    return len(word) >= 2 and word not in stop and any("\u4e00" <= c <= "\u9fff" for c in word)


def load_articles():
    """(path, title, body, group) per file; group: the first path with the same text."""
    articles, first_of_text = [], {}
    for path in sorted(CORPUS.rglob("*.txt")):
        text = path.read_text(encoding="utf-8")
        title, _, body = text.partition("\n")
        digest = hashlib.sha1(text.encode()).hexdigest()
        group = first_of_text.setdefault(digest, str(path))
        articles.append((str(path), title.strip(), body.strip(), group))
    return articles


def build_queries(articles, count, seed, rjieba, stop):
    rng = random.Random(seed)
    # Each article's words and how often it says them.
    words_of = [Counter(rjieba.cut(title + "\n" + body, False)) for _, title, body, _ in articles]
    df = Counter(w for words in words_of for w in words)
    vocabulary = sorted(w for w, n in df.items() if is_content(w, stop) and 5 <= n <= 300)
    queries = []
    chosen = rng.sample(range(len(articles)), count * 3)
    taken = 0
    for i in chosen:
        if taken >= count:
            break
        path, title, body, group = articles[i]
        content = sorted((w for w in words_of[i] if is_content(w, stop)), key=lambda w: (df[w], w))
        title_words = [w for w in rjieba.cut(PUNCTUATION.sub("", title), False) if w.strip()]
        if len(content) < 6 or len(title_words) < 3:
            continue
        three = rng.sample(content[:10], 3)
        lacking = rng.choice([w for w in vocabulary if w not in words_of[i]])
        changed = list(title_words)
        at = rng.randrange(len(changed))
        if rng.random() < 0.5:
            changed[at] = rng.choice([w for w in vocabulary if w not in words_of[i]])
        else:
            changed.insert(at, rng.choice(vocabulary))
        a, b = rng.sample(content[:10], 2)
        shaped = [
            ("together", "".join(three)),
            ("spaced", " ".join(three)),
            ("extra", " ".join(three + [lacking])),
            ("title", "".join(changed)),
            ("question", rng.choice(QUESTIONS).format(a=a, b=b)),
        ]
        # Of the common words, the four the article says most often (what it is about); an
        # article with fewer than two gives no common queries.
        common = sorted((w for w in words_of[i] if is_content(w, stop) and 20 <= df[w] <= 300),
                        key=lambda w: (-words_of[i][w], df[w], w))[:4]
        if len(common) >= 2:
            own = random.Random(seed * 100_003 + i)
            c, d = own.sample(common, 2)
            e, f = own.sample(common, 2)
            shaped += [("common", c + d), ("common question", own.choice(QUESTIONS).format(a=e, b=f))]
        taken += 1
        for shape, query in shaped:
            queries.append({"shape": shape, "query": query, "target": group, "path": path})
    return queries


def sou_answer(query, group_of):
    """The articles sou ranks for `query`, best first, and its whole JSON answer."""
    out = subprocess.run([str(SOU), "search", "--no-sync", "--json", "--limit", "50", "--seeds", str(CORPUS),
                          "--index", str(INDEX), "--", query], capture_output=True, text=True)
    if out.returncode == 2:
        sys.exit(f"sou failed on {query!r}: {out.stderr}")
    answer = json.loads(out.stdout)
    ranking = []
    for hit in answer["hits"]:
        # The hit's own file first; then the other files holding the same passage.
        for path in [hit["path"], *hit["also"]]:
            group = group_of.get(path)
            if group is not None and group not in ranking:
                ranking.append(group)
    return ranking, answer


def sou_ranking(query, group_of):
    return sou_answer(query, group_of)[0]


def bm25_ranking(bm25, query, articles):
    """The articles bm25-jieba ranks for `query`, best first."""
    ranking = []
    for doc_id, _ in bm25.search(query, 50):
        group = articles[doc_id][3]
        if group not in ranking:
            ranking.append(group)
    return ranking


def scores(rank):
    return (1.0 if rank is not None and rank < 10 else 0.0), (1.0 / (rank + 1) if rank is not None else 0.0)


def outcome(ranked, target):
    """Where `target` stands in `ranked` (None: absent), and (success@10, reciprocal rank, empty)."""
    rank = ranked.index(target) if target in ranked else None
    return rank, (*scores(rank), 0.0 if ranked else 1.0)


def means(values):
    """The mean success@10, MRR and share of empty answers of `outcome`s."""
    return tuple(statistics.mean(v[i] for v in values) for i in range(3))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=120)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--write-queries", type=Path, help="also write the queries, as JSON, to this file")
    parser.add_argument("--corpus", type=Path, help="a folder of .txt files, each its title and text, "
                        "instead of inews")
    args = parser.parse_args()
    global CORPUS, INDEX
    if args.corpus:
        if not args.corpus.is_dir():
            sys.exit(f"natural.py: {args.corpus}: not a folder")
        CORPUS = args.corpus.resolve()
        INDEX = CORPUS.with_name(CORPUS.name + "-index")
    rjieba = need("rjieba", "rjieba")
    bm25_jieba = need("bm25_jieba", "bm25-jieba")
    subprocess.run(["cargo", "build", "--release", "--quiet", "--bin", "sou"], cwd=ROOT, check=True)
    if not CORPUS.exists():
        subprocess.run([sys.executable, str(ROOT / "scripts" / "inews.py"), str(CORPUS)], check=True)
    subprocess.run([str(SOU), "index", "--seeds", str(CORPUS), "--index", str(INDEX)], check=True,
                   stdout=subprocess.DEVNULL)
    articles = load_articles()
    group_of = {path: group for path, _, _, group in articles}
    queries = build_queries(articles, args.articles, args.seed, rjieba, stopwords())
    if args.write_queries:
        args.write_queries.write_text(json.dumps(queries, ensure_ascii=False, indent=1), encoding="utf-8")

    bm25 = bm25_jieba.BM25()
    bm25.fit([title + "\n" + body for _, title, body, _ in articles], ids=list(range(len(articles))))

    results = defaultdict(lambda: defaultdict(list))
    times = defaultdict(list)
    for q in queries:
        start = time.perf_counter()
        ranking = sou_ranking(q["query"], group_of)
        times["sou"].append(time.perf_counter() - start)
        start = time.perf_counter()
        peer = bm25_ranking(bm25, q["query"], articles)
        times["bm25-jieba"].append(time.perf_counter() - start)
        for engine, ranked in (("sou", ranking), ("bm25-jieba", peer)):
            rank, scored = outcome(ranked, q["target"])
            results[q["shape"]][engine].append(scored)
            if engine == "sou" and (rank is None or rank > 0):
                q.setdefault("missed_by", []).append(engine)

    print(f"{len(queries)} queries over {len({q['path'] for q in queries})} articles of {len(articles)}, seed {args.seed}\n")
    print("| shape | queries | sou success@10 | sou MRR | sou empty | bm25-jieba success@10 | bm25-jieba MRR | bm25-jieba empty |")
    print("|---|---|---|---|---|---|---|---|")
    failed = False
    for shape in SHAPES:
        row = [shape, str(len(results[shape]["sou"]))]
        for engine in ("sou", "bm25-jieba"):
            row += [f"{value:.3f}" for value in means(results[shape][engine])]
        print("| " + " | ".join(row) + " |")
        sou, peer = results[shape]["sou"], results[shape]["bm25-jieba"]
        s10 = statistics.mean(v[0] for v in sou)
        mrr = statistics.mean(v[1] for v in sou)
        empty = statistics.mean(v[2] for v in sou)
        below_peer = s10 < statistics.mean(v[0] for v in peer) or mrr < statistics.mean(v[1] for v in peer)
        below_target = shape not in PEER_ONLY and (s10 < 0.99 or mrr < 0.95 or empty > 0)
        failed |= below_peer or below_target
    print(f"\nmedian time a query: sou {statistics.median(times['sou']) * 1000:.1f} ms (whole process), "
          f"bm25-jieba {statistics.median(times['bm25-jieba']) * 1000:.2f} ms (in process, index in memory)")
    misses = [q for q in queries if q.get("missed_by")]
    if misses:
        print("\nqueries where sou did not rank the article first:")
        for q in misses[:40]:
            print(f"  {q['shape']:<15} {q['query']}  ({q['path']})")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
