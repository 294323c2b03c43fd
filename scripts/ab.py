#!/usr/bin/env python3
"""Two sou binaries and `rg -F -l` timed alternately on one query list, as `scripts/bench` times
searches (whole processes, its `timed`): for comparing a change with the binary before it in
one session, on a shared machine where only ratios measured together mean anything.

Usage: scripts/ab.py BEFORE AFTER [--queries typos|literal|natural] [--copies 1|8] [--runs N]
                     [--server URL/INDEX]

Prints each query's medians and, for both binaries, the median of the per-query medians and
the median of the per-query ratios to rg. The corpus and its index are `scripts/bench`'s
(inews, or 8 varied copies), made and indexed by AFTER when missing. With --server, both
binaries search that cluster index (`sou --server`; send it the corpus first with
`sou index --to`), and each answer's JSON must be the same for both.
"""
import argparse
import json
import statistics
import subprocess
from importlib.machinery import SourceFileLoader
from pathlib import Path

bench = SourceFileLoader("bench", str(Path(__file__).resolve().parent / "bench")).load_module()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before")
    parser.add_argument("after")
    parser.add_argument("--queries", choices=["typos", "literal", "natural"], default="typos")
    parser.add_argument("--copies", type=int, choices=[1, 8], default=1)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--server")
    args = parser.parse_args()
    queries = {"typos": bench.TYPOS, "literal": bench.QUERIES, "natural": bench.NATURAL}[args.queries]
    seeds = bench.corpus(args.copies)
    index = seeds.with_name(seeds.name + "-index")
    subprocess.run([args.after, "index", "--seeds", str(seeds), "--index", str(index)], check=True,
                   stdout=subprocess.DEVNULL)
    binaries = {"before": args.before, "after": args.after}
    rows = []
    for query in queries:
        times = {name: [] for name in [*binaries, "rg"]}
        for run in range(args.runs):
            answers = {}
            # Each binary goes first in every other run: the one run right after rg (which
            # reads the whole corpus) measured ~1 ms slower, the same binary against itself.
            order = list(binaries.items())
            for name, binary in order if run % 2 == 0 else reversed(order):
                if args.server:
                    search = [binary, "search", "--server", args.server, "--json", "--", query]
                else:
                    search = [binary, "search", "--no-sync", "--seeds", str(seeds), "--index", str(index), "--", query]
                seconds, _, process, _ = bench.timed(search)
                times[name].append(seconds)
                answers[name] = without_time(process)
            if args.server and answers["before"] != answers["after"]:
                print(f"{query}: the answers differ")
            times["rg"].append(bench.timed(["rg", "-F", "-l", "--", query, str(seeds)])[0])
        row = {name: statistics.median(t) for name, t in times.items()}
        rows.append(row)
        print(query, "  ".join(f"{name} {1000 * s:.1f} ms" for name, s in row.items()))
    for name in [*binaries, "rg"]:
        print(f"{name}: median {1000 * statistics.median(r[name] for r in rows):.1f} ms")
    for name in binaries:
        print(f"{name} / rg: {statistics.median(r[name] / r['rg'] for r in rows):.3f}x (median of per-query ratios)")


def without_time(out):
    """A search's JSON answer without the time it took, or its exit status when not JSON."""
    try:
        answer = json.loads(out.output)
    except ValueError:
        return out.returncode
    answer.pop("took_ms", None)
    return answer


if __name__ == "__main__":
    main()
