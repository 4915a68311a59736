//! Tabular text: CSV/TSV cell splitting and header-row recognition. A header cell naming an
//! identifier (基礎年金番号, 氏名, 住所, ...) turns every cell of its column into a candidate for
//! that detector at high confidence.

/// A recognised table: its delimiter (`None` for a single-column list under a header line) and
/// the detector index of each column, if any.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Table {
    /// Cell delimiter (`\t` or `,`), `None` for a one-column list.
    pub delim: Option<u8>,
    /// Detector index per column.
    pub cols: Vec<Option<usize>>,
}

/// Splits one line into cell byte ranges (relative to `line`), honouring CSV double quotes
/// (a quoted cell may contain the delimiter; `""` is an escaped quote). Quotes are excluded from
/// the ranges of fully quoted cells. At most `max` cells are produced.
pub fn split_cells(line: &str, delim: u8, max: usize, out: &mut Vec<(usize, usize)>) {
    out.clear();
    let b = line.as_bytes();
    let mut i = 0;
    loop {
        if out.len() >= max {
            return;
        }
        // Leading spaces before an opening quote.
        let mut j = i;
        while b.get(j) == Some(&b' ') {
            j += 1;
        }
        if delim == b',' && b.get(j) == Some(&b'"') {
            let start = j + 1;
            let mut k = start;
            let mut end = None;
            while k < b.len() {
                if b.get(k) == Some(&b'"') {
                    if b.get(k + 1) == Some(&b'"') {
                        k += 2;
                        continue;
                    }
                    end = Some(k);
                    break;
                }
                k += 1;
            }
            let end = end.unwrap_or(b.len());
            out.push((start, end));
            // Skip to the delimiter after the closing quote.
            let next = b
                .get(end..)
                .and_then(|r| memchr::memchr(delim, r))
                .map(|p| end + p);
            match next {
                Some(p) => i = p + 1,
                None => return,
            }
        } else {
            match b.get(i..).and_then(|r| memchr::memchr(delim, r)) {
                Some(p) => {
                    out.push((i, i + p));
                    i = i + p + 1;
                }
                None => {
                    out.push((i, b.len()));
                    return;
                }
            }
        }
    }
}

/// Whether a line looks like data rather than a header: four digits in a row, or an `@`.
pub fn looks_like_data(line: &str) -> bool {
    let mut run = 0;
    for b in line.bytes() {
        if b == b'@' {
            return true;
        }
        if b.is_ascii_digit() {
            run += 1;
            if run >= 4 {
                return true;
            }
        } else {
            run = 0;
        }
    }
    false
}

/// Column header list: (header text, lower-cased when ASCII; detector index), longest first.
#[derive(Clone, Debug, Default)]
pub struct Headers {
    entries: Vec<(String, usize)>,
}

impl Headers {
    /// Builds the list from (header, detector) pairs.
    pub fn new(pairs: impl IntoIterator<Item = (String, usize)>) -> Self {
        let mut entries: Vec<(String, usize)> = pairs
            .into_iter()
            .filter(|(h, _)| !h.trim().is_empty())
            .map(|(h, d)| (h.trim().to_ascii_lowercase(), d))
            .collect();
        entries.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(&b.0)));
        entries.dedup();
        Headers { entries }
    }

    /// Iterates the header texts.
    pub fn texts(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|(h, _)| h.as_str())
    }

    /// Detector named by a header cell: the longest header text it contains (ASCII headers only
    /// as whole words).
    pub fn lookup(&self, cell: &str) -> Option<usize> {
        let cell = crate::detectors::trim_cell(cell);
        if cell.is_empty() || cell.len() > 64 {
            return None;
        }
        let lower = cell.to_ascii_lowercase();
        for (h, d) in &self.entries {
            if h.is_ascii() {
                let lb = lower.as_bytes();
                let found = lower.match_indices(h.as_str()).any(|(i, _)| {
                    let before = i.checked_sub(1).and_then(|k| lb.get(k));
                    let after = lb.get(i + h.len());
                    !before.is_some_and(u8::is_ascii_alphanumeric)
                        && !after.is_some_and(u8::is_ascii_alphanumeric)
                });
                if found {
                    return Some(*d);
                }
            } else if lower.contains(h.as_str()) {
                return Some(*d);
            }
        }
        None
    }

    /// Detector whose header text equals `line` exactly (for one-column lists).
    pub fn exact(&self, line: &str) -> Option<usize> {
        let l = crate::detectors::trim_cell(line).to_ascii_lowercase();
        self.entries.iter().find(|(h, _)| *h == l).map(|(_, d)| *d)
    }

    /// Recognises a header row: a delimited line with no data-looking cell and at least one cell
    /// naming a detector.
    pub fn header_row(&self, line: &str, cells: &mut Vec<(usize, usize)>) -> Option<Table> {
        let delim = if line.contains('\t') {
            b'\t'
        } else if line.contains(',') {
            b','
        } else {
            return None;
        };
        if looks_like_data(line) {
            return None;
        }
        split_cells(line, delim, 1024, cells);
        let cols: Vec<Option<usize>> = cells
            .iter()
            .map(|&(s, e)| line.get(s..e).and_then(|c| self.lookup(c)))
            .collect();
        cols.iter().any(Option::is_some).then_some(Table {
            delim: Some(delim),
            cols,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cells(line: &str, d: u8) -> Vec<&str> {
        let mut v = Vec::new();
        split_cells(line, d, 100, &mut v);
        v.iter().map(|&(s, e)| &line[s..e]).collect()
    }

    #[test]
    fn csv_quotes() {
        assert_eq!(cells("a,b,c", b','), vec!["a", "b", "c"]);
        assert_eq!(cells("\"a,1\",b", b','), vec!["a,1", "b"]);
        assert_eq!(cells("\"a\"\"b\",c", b','), vec!["a\"\"b", "c"]);
        assert_eq!(cells("a,,", b','), vec!["a", "", ""]);
        assert_eq!(cells("\"open", b','), vec!["open"]);
        assert_eq!(cells("x\ty", b'\t'), vec!["x", "y"]);
        assert_eq!(cells("", b','), vec![""]);
        let mut v = Vec::new();
        split_cells("a,b,c,d", b',', 2, &mut v);
        assert_eq!(v.len(), 2);
    }

    #[test]
    fn header_lookup() {
        let h = Headers::new([
            ("基礎年金番号".to_string(), 0),
            ("年金番号".to_string(), 0),
            ("氏名".into(), 8),
            ("name".into(), 8),
            ("住所".into(), 7),
        ]);
        assert_eq!(h.lookup("基礎年金番号"), Some(0));
        assert_eq!(h.lookup("\"氏名（漢字）\""), Some(8));
        assert_eq!(h.lookup("Name"), Some(8));
        assert_eq!(h.lookup("filename"), None);
        assert_eq!(h.lookup("会社名"), None);
        let mut c = Vec::new();
        let t = h
            .header_row("No,氏名,基礎年金番号,住所,備考", &mut c)
            .unwrap();
        assert_eq!(t.cols, vec![None, Some(8), Some(0), Some(7), None]);
        assert!(h.header_row("1,山田太郎,1234-567890", &mut c).is_none());
        assert!(h.header_row("氏名", &mut c).is_none());
        assert_eq!(h.exact(" 基礎年金番号 "), Some(0));
    }
}
