//! OOXML documents (a ZIP with `[Content_Types].xml`): text of docx (`word/document.xml`,
//! headers, footers, notes, comments), xlsx (shared strings and sheet cells, written as one TSV
//! line per row with columns kept so header rows work) and pptx (slides and notes). Tables in docx
//! and pptx become TSV rows too. Embedded objects are opened as nested files.

use super::{Ctx, UTF8, zip};
use crate::xml::{Event, Reader, attr, unescape_into};

/// The three OOXML document kinds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum OoxmlKind {
    Docx,
    Xlsx,
    Pptx,
}

impl OoxmlKind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            OoxmlKind::Docx => "docx",
            OoxmlKind::Xlsx => "xlsx",
            OoxmlKind::Pptx => "pptx",
        }
    }
}

/// The OOXML kind of a ZIP listing, if it is one.
pub(crate) fn kind_of(l: &zip::Listing<'_>) -> Option<OoxmlKind> {
    let has = |n: &str| l.entries.iter().any(|e| e.name == n);
    if !has("[Content_Types].xml") {
        return None;
    }
    if has("word/document.xml") {
        Some(OoxmlKind::Docx)
    } else if has("xl/workbook.xml") {
        Some(OoxmlKind::Xlsx)
    } else if has("ppt/presentation.xml") {
        Some(OoxmlKind::Pptx)
    } else {
        None
    }
}

/// Number inside a part name (`sheet12.xml` → 12), for natural ordering.
fn part_number(name: &str) -> u64 {
    let digits: String = name
        .rsplit('/')
        .next()
        .unwrap_or(name)
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    digits.parse().unwrap_or(0)
}

fn text_part(kind: OoxmlKind, name: &str) -> bool {
    match kind {
        OoxmlKind::Docx => {
            name == "word/document.xml"
                || (name.starts_with("word/")
                    && name.ends_with(".xml")
                    && ["header", "footer", "footnotes", "endnotes", "comments"]
                        .iter()
                        .any(|p| name.get(5..).is_some_and(|r| r.starts_with(p))))
        }
        OoxmlKind::Pptx => {
            (name.starts_with("ppt/slides/slide") || name.starts_with("ppt/notesSlides/notesSlide"))
                && name.ends_with(".xml")
        }
        OoxmlKind::Xlsx => false,
    }
}

/// Scans an OOXML document.
pub(crate) fn scan(
    ctx: &mut Ctx<'_, '_>,
    _name: &str,
    l: &zip::Listing<'_>,
    kind: OoxmlKind,
    depth: u32,
    chain: &mut Vec<String>,
) {
    let mut parts: Vec<&zip::Entry<'_>> = Vec::new();
    let mut sheets: Vec<&zip::Entry<'_>> = Vec::new();
    let mut embedded: Vec<&zip::Entry<'_>> = Vec::new();
    let mut shared: Option<&zip::Entry<'_>> = None;
    for e in &l.entries {
        if text_part(kind, &e.name) {
            parts.push(e);
        } else if kind == OoxmlKind::Xlsx
            && e.name.starts_with("xl/worksheets/sheet")
            && e.name.ends_with(".xml")
        {
            sheets.push(e);
        } else if kind == OoxmlKind::Xlsx && e.name == "xl/sharedStrings.xml" {
            shared = Some(e);
        } else if e.name.contains("/embeddings/") && !e.is_dir() {
            embedded.push(e);
        }
    }
    parts.sort_by_key(|e| {
        (
            e.name != "word/document.xml",
            part_number(&e.name),
            e.name.clone(),
        )
    });
    sheets.sort_by_key(|e| (part_number(&e.name), e.name.clone()));

    let mut text = String::new();
    for e in parts {
        if !ctx.count_entry() {
            return;
        }
        let Some(xml) = member(ctx, e, chain) else {
            continue;
        };
        text.clear();
        extract_flow(&xml, &mut text);
        ctx.text(text.as_bytes(), UTF8, chain);
    }
    if kind == OoxmlKind::Xlsx {
        let strings = match shared {
            Some(e) if ctx.count_entry() => member(ctx, e, chain)
                .map(|x| shared_strings(&x))
                .unwrap_or_default(),
            _ => Vec::new(),
        };
        for e in sheets {
            if !ctx.count_entry() {
                return;
            }
            let Some(xml) = member(ctx, e, chain) else {
                continue;
            };
            text.clear();
            extract_sheet(&xml, &strings, &mut text);
            ctx.text(text.as_bytes(), UTF8, chain);
        }
    }
    for e in embedded {
        if !ctx.count_entry() {
            return;
        }
        let Some(data) = member(ctx, e, chain) else {
            continue;
        };
        ctx.node(&e.name, &data, depth + 1, chain);
    }
}

fn member<'a>(
    ctx: &mut Ctx<'_, '_>,
    e: &zip::Entry<'a>,
    chain: &[String],
) -> Option<std::borrow::Cow<'a, [u8]>> {
    if let Some(method) = e.encryption() {
        ctx.encrypted(
            chain,
            crate::types::EncryptedEntry {
                name: e.name.to_string(),
                container: "zip".into(),
                method: method.into(),
                compressed_size: Some(e.csize),
                size: Some(e.usize),
            },
        );
        return None;
    }
    ctx.zip_member(e)
}

/// Text of a WordprocessingML or PresentationML part: runs joined, paragraphs as lines, table
/// cells separated by tabs and rows by newlines.
pub(crate) fn extract_flow(xml: &[u8], out: &mut String) {
    let mut in_text = false;
    let mut in_tabdefs = 0u32;
    let mut in_cell = 0u32;
    for ev in Reader::new(xml) {
        match ev {
            Event::Start { name, empty, .. } => match name {
                b"t" | b"delText" if !empty => in_text = true,
                b"tabs" | b"tabLst" if !empty => in_tabdefs += 1,
                b"tab" if in_tabdefs == 0 => out.push(if in_cell > 0 { ' ' } else { '\t' }),
                b"br" | b"cr" => out.push(if in_cell > 0 { ' ' } else { '\n' }),
                b"tc" if !empty => in_cell += 1,
                _ => {}
            },
            Event::End(name) => match name {
                b"t" | b"delText" => in_text = false,
                b"tabs" | b"tabLst" => in_tabdefs = in_tabdefs.saturating_sub(1),
                b"p" => out.push(if in_cell > 0 { ' ' } else { '\n' }),
                b"tc" => {
                    in_cell = in_cell.saturating_sub(1);
                    out.push('\t');
                }
                b"tr" => out.push('\n'),
                _ => {}
            },
            Event::Text(t) if in_text => unescape_into(t, out),
            Event::CData(t) if in_text => out.push_str(&String::from_utf8_lossy(t)),
            _ => {}
        }
    }
}

/// The shared-string table of a workbook (phonetic `rPh` runs excluded).
pub(crate) fn shared_strings(xml: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_si = false;
    let mut in_t = false;
    let mut in_rph = 0u32;
    for ev in Reader::new(xml) {
        match ev {
            Event::Start {
                name: b"si", empty, ..
            } => {
                cur.clear();
                in_si = true;
                if empty {
                    out.push(String::new());
                    in_si = false;
                }
            }
            Event::End(b"si") => {
                out.push(std::mem::take(&mut cur));
                in_si = false;
            }
            Event::Start {
                name: b"rPh",
                empty: false,
                ..
            } => in_rph += 1,
            Event::End(b"rPh") => in_rph = in_rph.saturating_sub(1),
            Event::Start {
                name: b"t",
                empty: false,
                ..
            } if in_si && in_rph == 0 => in_t = true,
            Event::End(b"t") => in_t = false,
            Event::Text(t) if in_t => unescape_into(t, &mut cur),
            _ => {}
        }
        if out.len() > 4_000_000 {
            break;
        }
    }
    out
}

/// Zero-based column of a cell reference (`B12` → 1).
fn column_of(r: &[u8]) -> Option<usize> {
    let mut col = 0usize;
    let mut any = false;
    for &c in r {
        if c.is_ascii_alphabetic() {
            col = col
                .checked_mul(26)?
                .checked_add(usize::from(c.to_ascii_uppercase() - b'A') + 1)?;
            any = true;
        } else {
            break;
        }
    }
    any.then(|| col - 1)
}

/// Most columns written per row.
const MAX_COLS: usize = 512;

/// A worksheet as TSV: one line per row, cells at their column positions.
pub(crate) fn extract_sheet(xml: &[u8], shared: &[String], out: &mut String) {
    let mut line = String::new();
    let mut tabs = 0usize;
    let mut next_col = 0usize;
    let mut cell_col = 0usize;
    let mut cell_type: Vec<u8> = Vec::new();
    let mut value = String::new();
    let mut in_v = false;
    let mut in_t = false;
    for ev in Reader::new(xml) {
        match ev {
            Event::Start {
                name: b"row",
                empty,
                ..
            } => {
                line.clear();
                tabs = 0;
                next_col = 0;
                if empty {
                    continue;
                }
            }
            Event::End(b"row") if !line.trim().is_empty() => {
                out.push_str(&line);
                out.push('\n');
            }
            Event::Start {
                name: b"c",
                attrs,
                empty,
            } => {
                cell_col = attr(attrs, b"r").and_then(column_of).unwrap_or(next_col);
                cell_type.clear();
                cell_type.extend_from_slice(attr(attrs, b"t").unwrap_or_default());
                value.clear();
                if empty {
                    next_col = cell_col + 1;
                }
            }
            Event::Start {
                name: b"v",
                empty: false,
                ..
            } => in_v = true,
            Event::End(b"v") => in_v = false,
            Event::Start {
                name: b"t",
                empty: false,
                ..
            } => in_t = true,
            Event::End(b"t") => in_t = false,
            Event::Text(t) if in_v || in_t => unescape_into(t, &mut value),
            Event::End(b"c") => {
                next_col = cell_col + 1;
                if cell_col >= MAX_COLS || value.is_empty() {
                    continue;
                }
                let text: &str = if cell_type == b"s" {
                    value
                        .trim()
                        .parse::<usize>()
                        .ok()
                        .and_then(|i| shared.get(i))
                        .map_or("", String::as_str)
                } else {
                    &value
                };
                if cell_col > tabs {
                    for _ in tabs..cell_col {
                        line.push('\t');
                    }
                    tabs = cell_col;
                } else if !line.is_empty() {
                    line.push('\t');
                }
                line.extend(text.chars().map(|c| {
                    if matches!(c, '\t' | '\n' | '\r') {
                        ' '
                    } else {
                        c
                    }
                }));
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docx_flow_with_table() {
        let xml = r#"<w:document><w:body><w:p><w:pPr><w:tabs><w:tab w:val="left"/></w:tabs></w:pPr><w:r><w:t>氏名：</w:t></w:r><w:r><w:t xml:space="preserve">山田 太郎</w:t></w:r></w:p>
<w:tbl><w:tr><w:tc><w:p><w:r><w:t>基礎年金番号</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>氏名</w:t></w:r></w:p></w:tc></w:tr>
<w:tr><w:tc><w:p><w:r><w:t>1234-567890</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>鈴木&amp;一郎</w:t></w:r><w:r><w:tab/><w:t>x</w:t></w:r></w:p></w:tc></w:tr></w:tbl></w:body></w:document>"#.as_bytes();
        let mut s = String::new();
        extract_flow(xml, &mut s);
        assert_eq!(
            s,
            "氏名：山田 太郎\n基礎年金番号 \t氏名 \t\n1234-567890 \t鈴木&一郎 x \t\n"
        );
    }

    #[test]
    fn xlsx_sheet_columns() {
        let shared = shared_strings(
            r#"<sst><si><t>氏名</t></si><si><t>基礎年金番号</t></si><si><r><t>山田</t></r><r><t>太郎</t></r><rPh><t>ヤマダ</t></rPh></si></sst>"#.as_bytes(),
        );
        assert_eq!(shared, vec!["氏名", "基礎年金番号", "山田太郎"]);
        let sheet = br#"<worksheet><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c><c r="C1" t="s"><v>1</v></c></row>
<row r="2"><c r="A2" t="s"><v>2</v></c><c r="C2"><v>1234567890</v></c></row><row r="3"/>
<row r="4"><c r="B4" t="inlineStr"><is><t>x&lt;y</t></is></c></row></sheetData></worksheet>"#;
        let mut s = String::new();
        extract_sheet(sheet, &shared, &mut s);
        assert_eq!(s, "氏名\t\t基礎年金番号\n山田太郎\t\t1234567890\n\tx<y\n");
        assert_eq!(column_of(b"AA10"), Some(26));
        assert_eq!(column_of(b"10"), None);
    }
}
