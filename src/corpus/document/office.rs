//! Word (`.docx`), OpenDocument (`.odt`) and EPUB: zip archives of XML, read with `zip` and
//! `quick-xml` as a stream of events. A document's entries are inflated within one budget
//! ([`MAX_XML_BYTES`] over all of them), so an archive whose XML inflates to gigabytes, or
//! that lists one part many times, costs at most that in memory and time; nothing is built as
//! a tree, so deep nesting costs nothing either.
//!
//! - `.docx`: the paragraphs (`w:p`) of `word/document.xml` in order — table cells' too, each
//!   a paragraph — then the footnotes and endnotes; the title from `docProps/core.xml`.
//! - `.odt`: the paragraphs and headings (`text:p`, `text:h`) of `content.xml`, notes
//!   included where they stand; the title from `meta.xml`.
//! - `.epub`: the chapters the spine lists, in order, each read as HTML (see
//!   [`crate::corpus::html`]), a paragraph a line of its text; the title from the package.

use std::io::Read;
use std::path::Path;

use quick_xml::events::Event;

use super::{DocError, DocText, MAX_XML_BYTES, Paragraph, real_title};

/// An archive being read, with what is left of the document's budget of inflated bytes.
struct Archive<R> {
    zip: zip::ZipArchive<R>,
    /// Bytes that may still be inflated, over all the entries read: a document that lists one
    /// chapter a million times costs what one large entry does.
    budget: u64,
}

fn open(path: &Path) -> Result<Archive<std::fs::File>, DocError> {
    let file = std::fs::File::open(path).map_err(|e| DocError::Unreadable(e.to_string()))?;
    Archive::new(file, MAX_XML_BYTES)
}

impl<R: Read + std::io::Seek> Archive<R> {
    fn new(reader: R, budget: u64) -> Result<Self, DocError> {
        let zip = zip::ZipArchive::new(reader)
            .map_err(|e| DocError::Unreadable(format!("not a zip archive ({e})")))?;
        Ok(Archive { zip, budget })
    }

    /// The bytes of the entry `name`, as many as the budget leaves (and whether it was cut
    /// there); `None` when there is no such entry, or the budget is spent (the entry that
    /// spent it was reported as cut).
    fn entry(&mut self, name: &str) -> Result<Option<(Vec<u8>, bool)>, DocError> {
        if self.budget == 0 {
            return Ok(None);
        }
        let file = match self.zip.by_name(name) {
            Ok(file) => file,
            Err(zip::result::ZipError::FileNotFound) => return Ok(None),
            Err(err) => return Err(DocError::Unreadable(format!("{name}: {err}"))),
        };
        let mut bytes = Vec::new();
        file.take(self.budget + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| DocError::Unreadable(format!("{name}: {e}")))?;
        let cut = bytes.len() as u64 > self.budget;
        bytes.truncate(self.budget as usize);
        self.budget -= bytes.len() as u64;
        Ok(Some((bytes, cut)))
    }
}

/// The local name of an element (`w:p` → `p`).
fn local(name: &str) -> &str {
    match name.rfind(':') {
        Some(at) => &name[at + 1..],
        None => name,
    }
}

/// The text of XML `bytes`: a paragraph for each element whose local name `is_paragraph`
/// says, text gathered from `is_text` elements (all text when `is_text` is `None`), `tab`
/// and `break` elements as spaces. Damaged XML ends the reading where it breaks.
fn paragraphs_of_xml(
    bytes: &[u8],
    is_paragraph: &dyn Fn(&str) -> bool,
    is_text: Option<&dyn Fn(&str) -> bool>,
    is_space: &dyn Fn(&str) -> bool,
) -> Vec<String> {
    let mut reader = quick_xml::Reader::from_reader(bytes);
    reader.config_mut().check_end_names = false;
    let mut paragraphs = Vec::new();
    let mut current = String::new();
    let mut depth_in_paragraph = 0usize;
    let mut in_text = 0usize;
    let mut buf = Vec::new();
    // A damaged part ends where its XML stops parsing: what came before it is kept.
    while let Ok(event) = reader.read_event_into(&mut buf) {
        match event {
            Event::Start(e) => {
                let name = local(e.name().as_ref()).to_string();
                if is_paragraph(&name) {
                    depth_in_paragraph += 1;
                }
                if is_text.is_some_and(|t| t(&name)) {
                    in_text += 1;
                }
            }
            Event::Empty(e) => {
                let name = local(e.name().as_ref()).to_string();
                if is_space(&name) && depth_in_paragraph > 0 {
                    current.push(' ');
                }
            }
            Event::End(e) => {
                let name = local(e.name().as_ref()).to_string();
                if is_text.is_some_and(|t| t(&name)) {
                    in_text = in_text.saturating_sub(1);
                }
                if is_paragraph(&name) {
                    depth_in_paragraph = depth_in_paragraph.saturating_sub(1);
                    if depth_in_paragraph == 0 {
                        let text = std::mem::take(&mut current);
                        if !text.trim().is_empty() {
                            paragraphs.push(text.trim().to_string());
                        }
                    }
                }
            }
            Event::Text(t) if depth_in_paragraph > 0 && (is_text.is_none() || in_text > 0) => {
                current.push_str(&t.into_inner());
            }
            Event::GeneralRef(r)
                if depth_in_paragraph > 0 && (is_text.is_none() || in_text > 0) =>
            {
                if let Ok(Some(c)) = r.resolve_char_ref() {
                    current.push(c);
                } else {
                    match r.into_inner().as_ref() {
                        "amp" => current.push('&'),
                        "lt" => current.push('<'),
                        "gt" => current.push('>'),
                        "quot" => current.push('"'),
                        "apos" => current.push('\''),
                        _ => {}
                    }
                }
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    paragraphs
}

/// The title of an XML metadata entry (`dc:title`).
fn metadata_title(bytes: &[u8]) -> Option<String> {
    let titles = paragraphs_of_xml(bytes, &|name| name == "title", None, &|_| false);
    titles.into_iter().find_map(|t| real_title(&t))
}

fn doc_text(
    paragraphs: Vec<String>,
    title: Option<String>,
    notes: Vec<String>,
) -> Result<DocText, DocError> {
    if paragraphs.is_empty() {
        return Err(DocError::NoText);
    }
    Ok(DocText {
        title,
        paragraphs: paragraphs
            .into_iter()
            .map(|text| Paragraph {
                text,
                ..Paragraph::default()
            })
            .collect(),
        notes,
    })
}

fn cut_note(name: &str) -> String {
    format!(
        "{name}: the document's XML is larger than {} MiB: the rest is not indexed",
        MAX_XML_BYTES >> 20
    )
}

/// Reads a `.docx`.
pub fn read_docx(path: &Path) -> Result<DocText, DocError> {
    let mut archive = open(path)?;
    let Some((body, cut)) = archive.entry("word/document.xml")? else {
        return Err(DocError::Unreadable(
            "no word/document.xml: not a Word document".into(),
        ));
    };
    let mut notes = Vec::new();
    if cut {
        notes.push(cut_note("word/document.xml"));
    }
    let is_paragraph = |name: &str| name == "p";
    let is_text = |name: &str| name == "t";
    let is_space = |name: &str| matches!(name, "tab" | "br" | "cr");
    let mut paragraphs = paragraphs_of_xml(&body, &is_paragraph, Some(&is_text), &is_space);
    for part in ["word/footnotes.xml", "word/endnotes.xml"] {
        if let Some((bytes, cut)) = archive.entry(part)? {
            if cut {
                notes.push(cut_note(part));
            }
            paragraphs.extend(paragraphs_of_xml(
                &bytes,
                &is_paragraph,
                Some(&is_text),
                &is_space,
            ));
        }
    }
    let title = archive
        .entry("docProps/core.xml")?
        .and_then(|(bytes, _)| metadata_title(&bytes));
    doc_text(paragraphs, title, notes)
}

/// Reads an `.odt`.
pub fn read_odt(path: &Path) -> Result<DocText, DocError> {
    let mut archive = open(path)?;
    let Some((content, cut)) = archive.entry("content.xml")? else {
        return Err(DocError::Unreadable(
            "no content.xml: not an OpenDocument file".into(),
        ));
    };
    let notes = if cut {
        vec![cut_note("content.xml")]
    } else {
        Vec::new()
    };
    let is_paragraph = |name: &str| matches!(name, "p" | "h");
    let is_space = |name: &str| matches!(name, "s" | "tab" | "line-break");
    let paragraphs = paragraphs_of_xml(&content, &is_paragraph, None, &is_space);
    let title = archive
        .entry("meta.xml")?
        .and_then(|(bytes, _)| metadata_title(&bytes));
    doc_text(paragraphs, title, notes)
}

/// The value of attribute `key` (by local name) of an element.
fn attribute(e: &quick_xml::events::BytesStart<'_>, key: &str) -> Option<String> {
    e.attributes()
        .flatten()
        .find_map(|a| (local(a.key.as_ref()) == key).then(|| a.value.to_string()))
}

/// Reads an `.epub`.
pub fn read_epub(path: &Path) -> Result<DocText, DocError> {
    let mut archive = open(path)?;
    let Some((container, _)) = archive.entry("META-INF/container.xml")? else {
        return Err(DocError::Unreadable(
            "no META-INF/container.xml: not an EPUB".into(),
        ));
    };
    let mut reader = quick_xml::Reader::from_reader(container.as_slice());
    let mut buf = Vec::new();
    let mut package = None;
    while let Ok(event) = reader.read_event_into(&mut buf) {
        match event {
            Event::Empty(e) | Event::Start(e) if local(e.name().as_ref()) == "rootfile" => {
                package = attribute(&e, "full-path");
                break;
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    let package =
        package.ok_or_else(|| DocError::Unreadable("no package in container.xml".into()))?;
    let Some((opf, _)) = archive.entry(&package)? else {
        return Err(DocError::Unreadable(format!("no {package}")));
    };
    let base = match package.rfind('/') {
        Some(at) => package[..=at].to_string(),
        None => String::new(),
    };
    // The manifest's items by id, and the spine's order.
    let mut items = std::collections::HashMap::new();
    let mut spine = Vec::new();
    let mut reader = quick_xml::Reader::from_reader(opf.as_slice());
    buf.clear();
    while let Ok(event) = reader.read_event_into(&mut buf) {
        match event {
            Event::Empty(e) | Event::Start(e) => match local(e.name().as_ref()) {
                "item" => {
                    if let (Some(id), Some(href)) = (attribute(&e, "id"), attribute(&e, "href")) {
                        items.insert(id, href);
                    }
                }
                "itemref" => spine.extend(attribute(&e, "idref")),
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    let title = metadata_title(&opf);
    let mut paragraphs = Vec::new();
    let mut notes = Vec::new();
    for id in spine {
        let Some(href) = items.get(&id) else { continue };
        let name = format!("{base}{href}");
        let Some((bytes, cut)) = archive.entry(&name)? else {
            continue;
        };
        let chapter = String::from_utf8_lossy(&bytes);
        let visible = crate::corpus::html::visible_text(&chapter);
        paragraphs.extend(
            visible
                .text
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(String::from),
        );
        if cut {
            // The budget is spent: the chapters after this one are not read.
            notes.push(cut_note(&name));
            break;
        }
    }
    doc_text(paragraphs, title, notes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docx_paragraphs_tables_and_footnotes_read_in_order() {
        let body = r#"<w:document xmlns:w="x"><w:body>
            <w:p><w:r><w:t>关于安置房</w:t></w:r><w:r><w:t xml:space="preserve">建设的通知</w:t></w:r></w:p>
            <w:tbl><w:tr><w:tc><w:p><w:r><w:t>表格里的字</w:t></w:r></w:p></w:tc></w:tr></w:tbl>
            <w:p><w:r><w:t>A</w:t><w:tab/><w:t>B &amp; C</w:t></w:r></w:p>
            <w:p><w:r><w:instrText>HYPERLINK</w:instrText></w:r></w:p>
        </w:body></w:document>"#;
        let paragraphs = paragraphs_of_xml(
            body.as_bytes(),
            &|n| n == "p",
            Some(&|n: &str| n == "t"),
            &|n| matches!(n, "tab" | "br"),
        );
        assert_eq!(
            paragraphs,
            ["关于安置房建设的通知", "表格里的字", "A B & C"]
        );
    }

    /// A zip archive in memory holding `entries`, deflated.
    fn zip_of(entries: &[(&str, &[u8])]) -> std::io::Cursor<Vec<u8>> {
        let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, bytes) in entries {
            writer.start_file(*name, options).unwrap();
            std::io::Write::write_all(&mut writer, bytes).unwrap();
        }
        let mut cursor = writer.finish().unwrap();
        cursor.set_position(0);
        cursor
    }

    #[test]
    fn inflating_stops_at_the_documents_budget_over_all_its_parts() {
        // 3 MiB of XML that deflates to a few KiB, read with a budget of 1 MiB.
        let big = vec![b' '; 3 << 20];
        let mut archive =
            Archive::new(zip_of(&[("a.xml", &big), ("b.xml", b"<p/>")]), 1 << 20).unwrap();
        let (bytes, cut) = archive.entry("a.xml").unwrap().unwrap();
        assert_eq!((bytes.len(), cut), (1 << 20, true));
        // Nothing is left for the next part, however small, nor for the same part again.
        assert_eq!(archive.entry("b.xml").unwrap(), None);
        assert_eq!(archive.entry("a.xml").unwrap(), None);
        assert_eq!(archive.entry("c.xml").unwrap(), None);
        let mut roomy = Archive::new(zip_of(&[("b.xml", b"<p/>")]), 1 << 20).unwrap();
        assert_eq!(
            roomy.entry("b.xml").unwrap(),
            Some((b"<p/>".to_vec(), false))
        );
    }

    #[test]
    fn broken_xml_reads_up_to_where_it_breaks() {
        let body = b"<w:p><w:t>\xE5\xAE\x89\xE7\xBD\xAE</w:t></w:p><w:p><w:t>\xE6\x88\xBF<";
        let paragraphs =
            paragraphs_of_xml(body, &|n| n == "p", Some(&|n: &str| n == "t"), &|_| false);
        assert_eq!(paragraphs, ["安置"]);
    }
}
