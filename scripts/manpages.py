#!/usr/bin/env python3
"""A second corpus, of another kind than news: the Chinese (zh_CN) man pages of Debian's
`manpages-zh` package — technical manuals that mix Chinese with Latin commands and options.

Usage: scripts/manpages.py DIR

Fetches the package with `apt-get download` (Debian's registry), unpacks it with `dpkg -x` and
renders each zh_CN page with `man -l` to DIR/SECTION/NAME.txt: the first line is the page's title
(its NAME line, `ls - 列出目录内容`), the rest its text, as the inews files are laid out, so that
`scripts/natural.py --corpus DIR` can build known-item queries from it.
"""
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path


def title_of(text):
    """The line under the NAME heading (名称, or NAME in pages left untranslated)."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.strip() in ("名称", "NAME", "名字") and i + 1 < len(lines):
            return " ".join(lines[i + 1].split())
    return None


def render(page):
    """The page as `man` prints it, or None when it fails or takes over 20 s: a few pages send
    groff into a loop (df.1 does), and its whole process group is stopped."""
    man = subprocess.Popen(["man", "-l", str(page)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                           start_new_session=True,
                           env={**os.environ, "MANWIDTH": "100", "MAN_KEEP_FORMATTING": ""})
    try:
        out, _ = man.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(man.pid, signal.SIGKILL)
        man.communicate()
        print(f"{page.name}: not rendered in 20 s, left out", file=sys.stderr)
        return None
    return out if man.returncode == 0 else None


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: scripts/manpages.py DIR")
    out = Path(sys.argv[1])
    with tempfile.TemporaryDirectory() as work:
        subprocess.run(["apt-get", "download", "-q", "manpages-zh"], cwd=work, check=True,
                       stdout=subprocess.DEVNULL)
        deb = next(Path(work).glob("manpages-zh_*.deb"))
        subprocess.run(["dpkg", "-x", str(deb), str(Path(work) / "x")], check=True)
        pages = sorted((Path(work) / "x" / "usr" / "share" / "man" / "zh_CN").rglob("*.gz"))
        written = 0
        for page in pages:
            rendered = render(page)
            if rendered is None:
                continue
            text = subprocess.run(["col", "-b"], input=rendered, capture_output=True).stdout
            text = text.decode("utf-8", "replace").expandtabs()
            title = title_of(text)
            if not title:
                continue
            body = "\n".join(line.rstrip() for line in text.splitlines()[1:]).strip()
            target = out / page.parent.name / (page.name.removesuffix(".gz") + ".txt")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(title + "\n" + body + "\n", encoding="utf-8")
            written += 1
    print(f"{written} of {len(pages)} pages written to {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
