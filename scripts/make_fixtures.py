#!/usr/bin/env python3
"""Writes the small documents that tests/documents.rs reads, into tests/fixtures/documents/.

Usage: scripts/make_fixtures.py [--check]

The files are committed; this script says how each was made, so that one can be remade or a
new one added. The text is written for the fixtures (not taken from a corpus). Each line of a
PDF is drawn where this script puts it, so the tests know which string runs across which break:

  wrapped.pdf         A6 pages, reportlab's STSong-Light (a CID font, not embedded, UniGB-UCS2-H),
                      a running header and a page number on each page; its second paragraph is
                      wrapped at the right margin over several lines and runs from page 1 on to
                      page 2 ("…分配工" | "作…"), a Latin line ends in a hyphenated word.
  owner-password.pdf  wrapped.pdf encrypted (RC4-128) with an owner password and an empty user
                      password: every permission withheld, as "copy-protected" documents are.
  user-password.pdf   wrapped.pdf encrypted (AES-128) with a user password: cannot be read.
  scanned.pdf         two pages holding only an image: no text layer.
  gbk-cmap.pdf        STSong-Light through the predefined GBK-EUC-H CMap: the text is GBK bytes,
                      no ToUnicode map (older Chinese producers write such files).
  report.docx         Word XML written by hand: a title in docProps/core.xml, paragraphs, a table
                      whose cells hold text, a footnote.
  notice.odt          OpenDocument text: a heading and two paragraphs.
  book.epub           EPUB with two XHTML chapters.
  old.doc             the first bytes of an OLE compound file, as Word 97-2003 writes.
  truncated.pdf       wrapped.pdf cut at 60% of its bytes (no cross-reference table, no trailer).
  garbage.pdf         a PDF header followed by bytes that are not PDF.
  truncated.docx      report.docx cut in half (no central directory).

--check remakes them in a temporary folder and says which differ in what they hold (pypdf's
encryption draws a random key, so the encrypted files differ byte for byte on every run).
Needs python3 with reportlab and pypdf (installed on first use).
"""
import argparse
import io
import struct
import sys
import tempfile
import zipfile
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
from natural import need  # noqa: E402  (installs a module on first use)
OUT = ROOT / "tests" / "fixtures" / "documents"

TITLE = "关于做好安置房分配工作的通知"
HEADER = "某某市人民政府公报"
# Each string is one drawn line; a paragraph's first line is indented by two characters (but
# the first of a page that goes on with the paragraph before it, and the salutation's).
PAGE_ONE = [
    ["各区人民政府，市政府各部门：", ],
    ["为进一步做好全市安置房建设", "和分配工作，切实保障被征收群众", "的合法权益，现将安置房分配工"],
]
PAGE_TWO = [
    ["作要求通知如下：坚持公开公平公", "正，分配方案须经群众代表讨论，", "结果公示不少于七日。"],
    ["联系电话：12345。"],
    ["Applicants should submit the in-", "formation sheet before Friday."],
]


def wrapped_pdf(path):
    need("reportlab", "reportlab")
    from reportlab.lib.pagesizes import A6
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    c = canvas.Canvas(str(path), pagesize=A6, invariant=1)
    c.setTitle(TITLE)
    left, size, leading = 14, 12, 18
    for number, page in enumerate([PAGE_ONE, PAGE_TWO], start=1):
        c.setFont("STSong-Light", 8)
        c.drawString(left, A6[1] - 20, HEADER)
        c.drawCentredString(A6[0] / 2, 14, f"- {number} -")
        y = A6[1] - 48
        if number == 1:
            c.setFont("STSong-Light", 15)
            c.drawString(left, y, TITLE)
            y -= 30
        for at, paragraph in enumerate(page):
            for i, line in enumerate(paragraph):
                latin = line.isascii()
                c.setFont("Helvetica" if latin else "STSong-Light", 10 if latin else size)
                goes_on = number == 2 and at == 0
                indent = 2 * size if i == 0 and not goes_on and line != "各区人民政府，市政府各部门：" else 0
                c.drawString(left + indent, y, line)
                y -= leading
            y -= leading
        c.showPage()
    c.save()


def encrypted(source, path, user, algorithm):
    need("pypdf", "pypdf")
    from pypdf import PdfWriter
    writer = PdfWriter(clone_from=str(source))
    writer.encrypt(user_password=user, owner_password="owner", algorithm=algorithm, permissions_flag=0)
    writer.write(str(path))


def gbk_cmap_pdf(path):
    from reportlab.lib.pagesizes import A6
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import CIDFont
    from reportlab.pdfgen import canvas
    font = CIDFont("STSong-Light", "GBK-EUC-H")
    pdfmetrics.registerFont(font)
    c = canvas.Canvas(str(path), pagesize=A6, invariant=1)
    c.setFont(font.fontName, 12)
    for i, line in enumerate(["国家统计局发布居民消费价格指数", "十一月份同比上涨百分之二。"]):
        # reportlab's non-Unicode CID fonts take the encoded bytes, one character each.
        c.drawString(14, 300 - 18 * i, line.encode("gbk").decode("latin-1"))
    c.showPage()
    c.save()


def scanned_pdf(path):
    from reportlab.lib.pagesizes import A6
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas
    raw = b"".join(b"\x00" + bytes([200 - x % 50 for x in range(32)]) for _ in range(32))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 32, 32, 8, 0, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
    c = canvas.Canvas(str(path), pagesize=A6, invariant=1)
    for _ in range(2):
        c.drawImage(ImageReader(io.BytesIO(png)), 20, 60, 250, 300)
        c.showPage()
    c.save()


def zip_of(path, entries):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in entries:
            info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED
            z.writestr(info, text)


W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def report_docx(path):
    def p(text, extra=""):
        return f"<w:p><w:r><w:t xml:space=\"preserve\">{text}</w:t></w:r>{extra}</w:p>"
    cell = lambda text: f"<w:tc>{p(text)}</w:tc>"
    body = (p("二〇二五年安置房建设进度报告")
            + p("全年新开工安置房三千二百套，", '<w:r><w:footnoteReference w:id="1"/></w:r>')
            + f"<w:tbl><w:tr>{cell('城东片区')}{cell('一千一百套')}</w:tr>"
            + f"<w:tr>{cell('城西片区')}{cell('二千一百套')}</w:tr></w:tbl>"
            + p("分配工作将于明年三月启动。"))
    document = f'<?xml version="1.0" encoding="UTF-8"?><w:document {W}><w:body>{body}</w:body></w:document>'
    footnotes = (f'<?xml version="1.0" encoding="UTF-8"?><w:footnotes {W}>'
                 '<w:footnote w:type="separator" w:id="0"><w:p><w:r><w:separator/></w:r></w:p></w:footnote>'
                 '<w:footnote w:id="1"><w:p><w:r><w:t>数据截至十一月底，来源于市住房保障局。</w:t></w:r></w:p></w:footnote>'
                 '</w:footnotes>')
    core = ('<?xml version="1.0" encoding="UTF-8"?><cp:coreProperties '
            'xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>安置房建设进度报告</dc:title></cp:coreProperties>')
    types = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
             '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
             '<Default Extension="xml" ContentType="application/xml"/>'
             '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
             '<Override PartName="/word/footnotes.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml"/>'
             '</Types>')
    rels = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>'
            '</Relationships>')
    zip_of(path, [("[Content_Types].xml", types), ("_rels/.rels", rels), ("word/document.xml", document),
                  ("word/footnotes.xml", footnotes), ("docProps/core.xml", core)])


def notice_odt(path):
    content = ('<?xml version="1.0" encoding="UTF-8"?><office:document-content '
               'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
               'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:text>'
               '<text:h>停水通知</text:h><text:p>因管网改造，城南片区周六停水一天。</text:p>'
               '<text:p>请居民提前储水<text:s/>做好准备。</text:p></office:text></office:body></office:document-content>')
    manifest = ('<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
                'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
                '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.text"/>'
                '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>')
    zip_of(path, [("mimetype", "application/vnd.oasis.opendocument.text"), ("content.xml", content),
                  ("META-INF/manifest.xml", manifest)])


def book_epub(path):
    container = ('<?xml version="1.0"?><container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">'
                 '<rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/>'
                 '</rootfiles></container>')
    opf = ('<?xml version="1.0" encoding="UTF-8"?><package xmlns="http://www.idpf.org/2007/opf" version="3.0">'
           '<metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>城市更新十讲</dc:title></metadata>'
           '<manifest><item id="c1" href="one.xhtml" media-type="application/xhtml+xml"/>'
           '<item id="c2" href="two.xhtml" media-type="application/xhtml+xml"/></manifest>'
           '<spine><itemref idref="c1"/><itemref idref="c2"/></spine></package>')
    chapter = lambda title, text: ('<?xml version="1.0" encoding="UTF-8"?><html xmlns="http://www.w3.org/1999/xhtml">'
                                   f'<head><title>{title}</title></head><body><h1>{title}</h1><p>{text}</p></body></html>')
    zip_of(path, [("mimetype", "application/epub+zip"), ("META-INF/container.xml", container),
                  ("OEBPS/content.opf", opf), ("OEBPS/one.xhtml", chapter("第一讲", "老旧小区改造从加装电梯开始。")),
                  ("OEBPS/two.xhtml", chapter("第二讲", "历史街区的保护与活化利用。"))])


def make(out):
    out.mkdir(parents=True, exist_ok=True)
    wrapped_pdf(out / "wrapped.pdf")
    encrypted(out / "wrapped.pdf", out / "owner-password.pdf", "", "RC4-128")
    encrypted(out / "wrapped.pdf", out / "user-password.pdf", "user", "AES-128")
    scanned_pdf(out / "scanned.pdf")
    gbk_cmap_pdf(out / "gbk-cmap.pdf")
    report_docx(out / "report.docx")
    notice_odt(out / "notice.odt")
    book_epub(out / "book.epub")
    (out / "old.doc").write_bytes(bytes.fromhex("d0cf11e0a1b11ae1") + bytes(504))
    pdf = (out / "wrapped.pdf").read_bytes()
    (out / "truncated.pdf").write_bytes(pdf[: len(pdf) * 6 // 10])
    (out / "garbage.pdf").write_bytes(b"%PDF-1.4\n" + bytes((i * 7919) % 251 for i in range(2000)))
    docx = (out / "report.docx").read_bytes()
    (out / "truncated.docx").write_bytes(docx[: len(docx) // 2])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    if not args.check:
        make(OUT)
        for path in sorted(OUT.iterdir()):
            print(f"{path.stat().st_size:>7}  {path.relative_to(ROOT)}")
        return 0
    with tempfile.TemporaryDirectory() as work:
        fresh = Path(work)
        make(fresh)
        differ = [p.name for p in sorted(fresh.iterdir())
                  if "password" not in p.name and (OUT / p.name).read_bytes() != p.read_bytes()]
        print("differ: " + (", ".join(differ) if differ else "none"))
        return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
