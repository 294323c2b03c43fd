#!/usr/bin/env python3
"""Documents as people keep them: writes a folder of inews articles as PDFs from three producers,
.docx and .txt, indexes it with sou and checks that what the documents hold is found, on the
right page, and how fast sou reads PDFs against poppler's pdftotext.

Usage: scripts/documents.py [--articles N] [--out DIR] [--keep]

Producers, N articles each (default 10), long ones first so that most run over several pages:
  reportlab   reportlab with its built-in STSong-Light (a CID font, not embedded, UniGB-UCS2-H),
              a running header and page numbers; every other file encrypted with an owner
              password and an empty user password, as "copy-protected" government PDFs are
  chromium    Chromium's print-to-PDF of an HTML page in Noto Serif CJK (Type 3 fonts with
              ToUnicode maps), with Chromium's header and footer (date, title, page numbers)
  libreoffice LibreOffice's export of a .docx (embedded CID/TrueType subsets with ToUnicode),
              a page number in its footer
and N .docx and N .txt of other articles, one image-only PDF (scanned) and one that needs a
password: both must be reported, never indexed.

The truth is poppler's: `pdftotext` gives each page's lines as laid out. Strings are drawn from
them: 8 characters within a line, and 8 characters across the break between two lines of one
paragraph, or between the last line of a page and the first of the next (a string counts only
where the article's text holds it, so that it is text a reader reads on). Each is searched
as written (`sou search '"…"' -g FILE --json`): found or not, and whether a hit names the
page poppler shows it on (for strings across a page break, the page it starts on). Reading
speed is pages a second for `sou --read-document` (sou's PDF reader, one process a file) and
`pdftotext`, whole processes, over the same files, in the same run.

Needs python3 with pip (reportlab, python-docx, pypdf are installed on first use), and Debian's
chromium, libreoffice-writer and poppler-utils (apt-get install chromium libreoffice-writer-nogui
poppler-utils fonts-noto-cjk). Targets: every string within a line found, at least 99% of those
across a break, the right page for at least 99%, no file unread but the two made unreadable on
purpose; the exit status is 1 when one is missed.
"""
import argparse
import html
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
from natural import need  # noqa: E402  (installs a module on first use)
CACHE = Path(os.environ.get("SOU_CACHE", Path.home() / ".cache" / "sou"))
SOU = ROOT / "target" / "release" / "sou"
PRODUCERS = ["reportlab", "chromium", "libreoffice"]


def articles(count, seed):
    corpus = CACHE / "inews"
    if not corpus.exists():
        subprocess.run([sys.executable, str(ROOT / "scripts" / "inews.py"), str(corpus)], check=True)
    files = sorted(corpus.rglob("*.txt"))
    texts = []
    for path in files:
        text = path.read_text(encoding="utf-8")
        title, _, body = text.partition("\n")
        paragraphs = [p.strip() for p in body.split("\n") if p.strip()]
        if title.strip() and len("".join(paragraphs)) > 1500:
            texts.append((title.strip(), paragraphs))
    random.Random(seed).shuffle(texts)
    # Distinct bodies only: inews holds some articles twice.
    seen, unique = set(), []
    for title, paragraphs in texts:
        key = "".join(paragraphs)[:200]
        if key not in seen:
            seen.add(key)
            unique.append((title, paragraphs))
    return unique[:count]


def reportlab_pdf(path, title, paragraphs, encrypt):
    need("reportlab", "reportlab")
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    style = ParagraphStyle("cn", fontName="STSong-Light", fontSize=11, leading=17, wordWrap="CJK", firstLineIndent=22)
    head = ParagraphStyle("h", parent=style, fontSize=16, leading=22, firstLineIndent=0)

    def running(canvas, doc):
        canvas.saveState()
        canvas.setFont("STSong-Light", 9)
        canvas.drawString(72, A4[1] - 40, "某某市人民政府公报")
        canvas.drawCentredString(A4[0] / 2, 30, f"- {doc.page} -")
        canvas.restoreState()

    doc = SimpleDocTemplate(str(path), pagesize=A4, title=title)
    story = [Paragraph(html.escape(title), head), Spacer(1, 12)]
    story += [Paragraph(html.escape(p), style) for p in paragraphs]
    doc.build(story, onFirstPage=running, onLaterPages=running)
    if encrypt:
        from pypdf import PdfWriter
        writer = PdfWriter(clone_from=str(path))
        writer.encrypt(user_password="", owner_password="owner", algorithm="RC4-128", permissions_flag=0)
        writer.write(str(path))


def chromium_pdf(path, title, paragraphs, work):
    page = work / (path.stem + ".html")
    body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    page.write_text(
        f'<html><head><meta charset="utf-8"><title>{html.escape(title)}</title><style>'
        'body{font-family:"Noto Serif CJK SC";font-size:12pt;line-height:1.6}p{text-indent:2em;margin:0 0 .6em}'
        f'</style></head><body><h1>{html.escape(title)}</h1>{body}</body></html>', encoding="utf-8")
    subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    f"--user-data-dir={work / 'chromium-profile'}", f"--print-to-pdf={path}", page.as_uri()],
                   check=True, capture_output=True, timeout=120)


def docx_file(path, title, paragraphs, footer=False, table=False):
    need("docx", "python-docx")
    from docx import Document
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    document = Document()
    document.core_properties.title = title
    document.add_heading(title, 1)
    for i, text in enumerate(paragraphs):
        document.add_paragraph(text)
        if table and i == 1:
            grid = document.add_table(rows=2, cols=2)
            for r in range(2):
                for c in range(2):
                    grid.cell(r, c).text = f"表格第{r + 1}行第{c + 1}列"
    if footer:
        run = document.sections[0].footer.paragraphs[0].add_run()
        for kind, text in (("begin", None), (None, "PAGE"), ("end", None)):
            if kind:
                field = OxmlElement("w:fldChar")
                field.set(qn("w:fldCharType"), kind)
                run._r.append(field)
            else:
                instr = OxmlElement("w:instrText")
                instr.text = text
                run._r.append(instr)
    document.save(str(path))


def libreoffice_pdf(path, title, paragraphs, work):
    source = work / (path.stem + ".docx")
    docx_file(source, title, paragraphs, footer=True)
    subprocess.run(["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(path.parent), str(source)],
                   check=True, capture_output=True, timeout=300)


def scanned_pdf(path):
    from reportlab.pdfgen import canvas
    from reportlab.lib.utils import ImageReader
    import io
    import struct
    import zlib
    raw = b"".join(b"\x00" + bytes([180, 180, 180]) * 64 for _ in range(64))

    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)
    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 64, 64, 8, 2, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
    c = canvas.Canvas(str(path))
    for _ in range(2):
        c.drawImage(ImageReader(io.BytesIO(png)), 72, 400, 400, 400)
        c.showPage()
    c.save()


def pages_of(pdf):
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, check=True).stdout
    return [[l.strip() for l in page.decode("utf-8", "replace").splitlines() if l.strip()]
            for page in text.split(b"\f")]


def squash(text):
    return re.sub(r"\s+", "", text)


def in_source(flat, paragraphs):
    """The string of the article's text whose characters other than spaces are `flat`, as it
    stands in one paragraph (spaces included: a query matches the text as written), or None
    when no paragraph holds it whole."""
    pattern = re.compile(r"\s*".join(re.escape(c) for c in flat))
    for paragraph in paragraphs:
        found = pattern.search(paragraph)
        if found:
            return found.group(0)
    return None


def strings(pdf, paragraphs, rng, per_file=6):
    """(kind, string, page) drawn from poppler's lines of `pdf`: within a line, across the break
    between two lines of one paragraph, across a page break. Each as the article's text holds it
    in one paragraph (two lines of two paragraphs are not a wrapped line), and only once in the
    document (a string on two pages has no one right page)."""
    pages = pages_of(pdf)
    # Running headers and footers (a line at the top or bottom of several pages, its digits
    # aside) are not the article's text: strings are not drawn from them.
    edge = {}
    for lines in pages:
        for line in lines[:2] + lines[-2:]:
            key = re.sub(r"\d", "#", squash(line))
            edge[key] = edge.get(key, 0) + 1
    pages = [[l for l in lines if edge.get(re.sub(r"\d", "#", squash(l)), 0) < 2 or l not in lines[:2] + lines[-2:]]
             for lines in pages]
    # A string the document holds twice has two pages: only strings it holds once are drawn.
    whole = squash("".join(l for lines in pages for l in lines))

    def once(flat):
        return in_source(flat, paragraphs) if whole.count(flat) == 1 else None

    within, across_line, across_page = [], [], []
    for number, lines in enumerate(pages, 1):
        for i, line in enumerate(lines):
            flat = squash(line)
            if len(flat) >= 12:
                start = rng.randrange(0, len(flat) - 8 + 1)
                source = once(flat[start:start + 8])
                if source:
                    within.append(("within a line", source, number))
            if i + 1 < len(lines) and len(flat) >= 4:
                source = once(flat[-4:] + squash(lines[i + 1])[:4])
                if source:
                    across_line.append(("across a line", source, number))
        if number < len(pages) and pages[number]:
            # The last body line of this page and the first of the next, whatever lines of
            # header or footer stand between: the pair one paragraph holds.
            for last in reversed(lines[-3:]):
                source = None
                for first in pages[number][:3]:
                    source = once(squash(last)[-4:] + squash(first)[:4])
                    if source:
                        across_page.append(("across a page", source, number))
                        break
                if source:
                    break
    picks = []
    for group in (within, across_line, across_page):
        rng.shuffle(group)
        picks += group[:per_file]
    return picks, len(pages)


def search(seeds, index, key, query):
    out = subprocess.run([str(SOU), "--seeds", str(seeds), "--index", str(index), "search", "--no-sync", "--json",
                          "--limit", "50", "-g", key, "--", f'"{query}"'], capture_output=True)
    if out.returncode not in (0, 1):
        return None
    return json.loads(out.stdout)


def timed_each(cmd_of, files, env=None):
    start = time.perf_counter()
    for f in files:
        subprocess.run(cmd_of(f), capture_output=True, env=env)
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=10)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--keep", action="store_true", help="keep the folder (with --out, always kept)")
    args = parser.parse_args()
    for tool in ("chromium", "soffice", "pdftotext", "pdfinfo"):
        if not shutil.which(tool):
            sys.exit(f"documents.py: {tool} is missing: apt-get install chromium libreoffice-writer-nogui "
                     "poppler-utils fonts-noto-cjk")
    need("pypdf", "pypdf")
    subprocess.run(["cargo", "build", "--release", "--quiet", "--bin", "sou"], cwd=ROOT, check=True)
    n = args.articles
    chosen = articles(5 * n + 2, args.seed)
    work = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="sou-documents-"))
    seeds = work / "seeds"
    scratch = work / "scratch"
    for d in (seeds, scratch):
        if d.exists():
            shutil.rmtree(d)
        d.mkdir(parents=True)
    made = {p: [] for p in PRODUCERS}
    texts = {}
    for i, (title, paragraphs) in enumerate(chosen[:3 * n]):
        producer = PRODUCERS[i % 3]
        path = seeds / producer / f"{i:03d}.pdf"
        path.parent.mkdir(exist_ok=True)
        if producer == "reportlab":
            reportlab_pdf(path, title, paragraphs, encrypt=(i // 3) % 2 == 1)
        elif producer == "chromium":
            chromium_pdf(path, title, paragraphs, scratch)
        else:
            libreoffice_pdf(path, title, paragraphs, scratch)
        made[producer].append(path)
        texts[path] = [title] + paragraphs
    (seeds / "docx").mkdir()
    (seeds / "txt").mkdir()
    others = chosen[3 * n:5 * n]
    for i, (title, paragraphs) in enumerate(others[:n]):
        docx_file(seeds / "docx" / f"{i:03d}.docx", title, paragraphs, table=True)
    for i, (title, paragraphs) in enumerate(others[n:2 * n]):
        (seeds / "txt" / f"{i:03d}.txt").write_text(title + "\n\n" + "\n\n".join(paragraphs) + "\n", encoding="utf-8")
    scanned_pdf(seeds / "scanned.pdf")
    from pypdf import PdfWriter
    writer = PdfWriter(clone_from=str(made["reportlab"][0]) if made["reportlab"] else None)
    writer.encrypt(user_password="user", owner_password="owner", algorithm="AES-128")
    writer.write(str(seeds / "password.pdf"))

    index = work / "index"
    if index.exists():
        shutil.rmtree(index)
    start = time.perf_counter()
    built = subprocess.run([str(SOU), "--seeds", str(seeds), "--index", str(index), "index"], capture_output=True, text=True)
    build_s = time.perf_counter() - start
    print(f"sou index: {built.stdout.strip()} ({build_s:.2f} s)")
    reported = [l for l in built.stderr.splitlines() if l.startswith("sou: skipped")]
    for line in reported:
        print("  " + line)
    expected_skips = {"scanned.pdf", "password.pdf"}
    unread = [l for l in reported if not any(name + ":" in l for name in expected_skips)]
    missing_reports = [name for name in expected_skips if not any(name + ":" in l for l in reported)]

    rng = random.Random(args.seed)
    rows = []
    failed = []
    for producer in PRODUCERS:
        counts = {}
        for pdf in made[producer]:
            picks, _ = strings(pdf, texts[pdf], rng)
            key = str(pdf.relative_to(seeds))
            for kind, query, page in picks:
                found = search(seeds, index, key, query)
                hits = found["hits"] if found else []
                ok = bool(hits)
                right_page = any(h.get("page") == page for h in hits)
                c = counts.setdefault(kind, [0, 0, 0])
                c[0] += 1
                c[1] += ok
                c[2] += right_page
                if not (ok and right_page):
                    failed.append(f"{producer} {key} {kind} {query!r} page {page}: "
                                  + ("not found" if not ok else f"pages {[h.get('page') for h in hits]}"))
        for kind in ("within a line", "across a line", "across a page"):
            total, ok, right = counts.get(kind, [0, 0, 0])
            rows.append((producer, kind, total, ok / total if total else float("nan"),
                         right / total if total else float("nan")))

    def pages_in(pdf):
        info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
        return int(re.search(r"Pages:\s+(\d+)", info).group(1))

    # sou's PDF reader, one process a file as pdftotext is: `sou --read-document FILE` (a build
    # reads its PDFs in a few reader processes that read many files each, so this is sou's worst
    # case: a process start, about 5 ms, for each file). The two tools take turns, five rounds,
    # each producer's files apart: medians.
    reader_env = dict(os.environ, MIMALLOC_PURGE_DELAY="-1", MIMALLOC_ARENA_EAGER_COMMIT="1")
    speed = []
    for producer in PRODUCERS + ["all"]:
        pdfs = sum(made.values(), []) if producer == "all" else made[producer]
        pages = sum(pages_in(p) for p in pdfs)
        runs = [(timed_each(lambda f: [str(SOU), "--read-document", str(f)], pdfs, reader_env),
                 timed_each(lambda f: ["pdftotext", "-enc", "UTF-8", str(f), "/dev/null"], pdfs))
                for _ in range(5)]
        sou_s = statistics.median(r[0] for r in runs)
        poppler_s = statistics.median(r[1] for r in runs)
        speed.append((producer, len(pdfs), pages, sou_s, poppler_s))
    all_pdfs, all_pages = speed[-1][1], speed[-1][2]

    print(f"\n{all_pdfs} PDFs ({all_pages} pages) from {len(PRODUCERS)} producers, {n} .docx, {n} .txt, "
          "one scanned and one password-protected PDF\n")
    print("| producer | strings | count | found | right page |")
    print("|---|---|---|---|---|")
    for producer, kind, total, found, right in rows:
        print(f"| {producer} | {kind} | {total} | {found:.3f} | {right:.3f} |")
    print("\nreading speed, whole processes, medians of 5 rounds:\n")
    print("| producer | files | pages | sou pages/s | pdftotext pages/s | sou / pdftotext |")
    print("|---|---|---|---|---|---|")
    for producer, files, pages, sou_s, poppler_s in speed:
        print(f"| {producer} | {files} | {pages} | {pages / sou_s:.0f} | {pages / poppler_s:.0f} "
              f"| {poppler_s / sou_s:.2f}× |")
    sou_s, poppler_s = speed[-1][3], speed[-1][4]
    print(f"files not read besides the two on purpose: {len(unread)}"
          + (f" ({'; '.join(unread)})" if unread else ""))
    if missing_reports:
        print(f"NOT reported: {', '.join(missing_reports)}")
    for line in failed[:20]:
        print("  missed: " + line)
    ok = (all(found == 1.0 for _, kind, _, found, _ in rows if kind == "within a line")
          and all(found >= 0.99 for _, kind, total, found, _ in rows if kind != "within a line" and total)
          and all(right >= 0.99 for _, _, total, _, right in rows if total)
          and not unread and not missing_reports and sou_s <= poppler_s)
    print("\ntargets " + ("met" if ok else "NOT met"))
    if not (args.out or args.keep):
        shutil.rmtree(work)
    else:
        print(f"folder kept in {work}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
