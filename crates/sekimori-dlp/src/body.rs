//! Transfer syntaxes of request bodies that hide text from the detectors: HTML form posts
//! (`application/x-www-form-urlencoded`: `%XX` and `+`) and JSON (`\uXXXX` escapes, which many
//! clients use for every non-ASCII character). A [`BodyDecoder`] undoes them as the body
//! streams, keeping at most one incomplete escape between chunks, so `基礎年金番号` sent as
//! `%E5%9F%BA...` or `\u57fa...` reaches the detectors as text.
//!
//! Form fields become one line each (`&` → newline, `=` → `: `), so a field name acts as the
//! keyword beside its value, as a column header does in a CSV.

/// How a body is encoded, from its declared content type.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum BodyEncoding {
    /// Bytes as sent.
    #[default]
    Plain,
    /// `application/x-www-form-urlencoded`.
    FormUrlEncoded,
    /// `application/json` (and `+json` types): string escapes are decoded.
    Json,
}

impl BodyEncoding {
    /// The encoding of a content type (parameters and case ignored).
    pub fn from_content_type(ct: &[u8]) -> BodyEncoding {
        let ct = ct.split(|&b| b == b';').next().unwrap_or(ct);
        let ct = String::from_utf8_lossy(ct).trim().to_ascii_lowercase();
        if ct == "application/x-www-form-urlencoded" {
            BodyEncoding::FormUrlEncoded
        } else if ct == "application/json" || ct.ends_with("+json") || ct == "text/json" {
            BodyEncoding::Json
        } else {
            BodyEncoding::Plain
        }
    }
}

/// Streaming decoder of one body.
#[derive(Clone, Debug, Default)]
pub struct BodyDecoder {
    enc: BodyEncoding,
    /// An escape cut by the chunk boundary (at most `\uXXXX\uXXXX` = 12 bytes).
    pending: Vec<u8>,
    /// A high surrogate waiting for its low half (JSON).
    high: Option<u16>,
}

impl BodyDecoder {
    /// A decoder for `enc`.
    pub fn new(enc: BodyEncoding) -> BodyDecoder {
        BodyDecoder { enc, pending: Vec::new(), high: None }
    }

    /// The encoding it undoes.
    pub fn encoding(&self) -> BodyEncoding {
        self.enc
    }

    /// Decodes `input`, appending to `out` (which is not cleared).
    pub fn feed(&mut self, input: &[u8], out: &mut Vec<u8>) {
        if self.enc == BodyEncoding::Plain {
            out.extend_from_slice(input);
            return;
        }
        let joined;
        let data: &[u8] = if self.pending.is_empty() {
            input
        } else {
            let mut j = std::mem::take(&mut self.pending);
            j.extend_from_slice(input);
            joined = j;
            &joined
        };
        let used = match self.enc {
            BodyEncoding::FormUrlEncoded => form(data, out),
            BodyEncoding::Json => self.json(data, out),
            BodyEncoding::Plain => data.len(),
        };
        if let Some(rest) = data.get(used..) {
            self.pending.extend_from_slice(rest);
        }
    }

    /// Flushes what is left (an incomplete escape is passed on as it was sent).
    pub fn finish(&mut self, out: &mut Vec<u8>) {
        out.append(&mut self.pending);
        if self.high.take().is_some() {
            out.extend_from_slice("\u{FFFD}".as_bytes());
        }
    }

    /// Decodes JSON string escapes; returns how many bytes were used (the rest is an escape cut
    /// by the chunk end).
    fn json(&mut self, d: &[u8], out: &mut Vec<u8>) -> usize {
        let mut i = 0;
        while let Some(&c) = d.get(i) {
            if c != b'\\' {
                self.lone_high(out);
                out.push(c);
                i += 1;
                continue;
            }
            let Some(&e) = d.get(i + 1) else { return i };
            let simple = match e {
                b'n' => Some(b'\n'),
                b't' => Some(b'\t'),
                b'r' => Some(b'\r'),
                b'b' | b'f' => Some(b' '),
                b'"' | b'\\' | b'/' => Some(e),
                b'u' => None,
                other => {
                    // Not a JSON escape: keep it as sent.
                    self.lone_high(out);
                    out.extend_from_slice(&[b'\\', other]);
                    i += 2;
                    continue;
                }
            };
            if let Some(b) = simple {
                self.lone_high(out);
                out.push(b);
                i += 2;
                continue;
            }
            let Some(hex) = d.get(i + 2..i + 6) else { return i };
            let Some(u) = std::str::from_utf8(hex).ok().and_then(|h| u16::from_str_radix(h, 16).ok()) else {
                self.lone_high(out);
                out.extend_from_slice(b"\\u");
                i += 2;
                continue;
            };
            i += 6;
            match u {
                0xD800..=0xDBFF => {
                    self.lone_high(out);
                    self.high = Some(u);
                }
                0xDC00..=0xDFFF => match self.high.take() {
                    Some(h) => {
                        let cp = 0x10000 + ((u32::from(h) - 0xD800) << 10) + (u32::from(u) - 0xDC00);
                        push_char(out, char::from_u32(cp).unwrap_or('\u{FFFD}'));
                    }
                    None => push_char(out, '\u{FFFD}'),
                },
                _ => {
                    self.lone_high(out);
                    push_char(out, char::from_u32(u32::from(u)).unwrap_or('\u{FFFD}'));
                }
            }
        }
        i
    }

    fn lone_high(&mut self, out: &mut Vec<u8>) {
        if self.high.take().is_some() {
            push_char(out, '\u{FFFD}');
        }
    }
}

fn push_char(out: &mut Vec<u8>, c: char) {
    let mut b = [0u8; 4];
    out.extend_from_slice(c.encode_utf8(&mut b).as_bytes());
}

/// Decodes a form body; returns how many bytes were used.
fn form(d: &[u8], out: &mut Vec<u8>) -> usize {
    let mut i = 0;
    while let Some(&c) = d.get(i) {
        match c {
            b'%' => {
                let (Some(&h), Some(&l)) = (d.get(i + 1), d.get(i + 2)) else { return i };
                match (hex(h), hex(l)) {
                    (Some(h), Some(l)) => {
                        out.push(h << 4 | l);
                        i += 3;
                    }
                    _ => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b'&' => {
                out.push(b'\n');
                i += 1;
            }
            b'=' => {
                out.extend_from_slice(b": ");
                i += 1;
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    i
}

fn hex(b: u8) -> Option<u8> {
    char::from(b).to_digit(16).map(|v| v as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_split(enc: BodyEncoding, input: &[u8], at: usize) -> String {
        let mut d = BodyDecoder::new(enc);
        let mut out = Vec::new();
        let (a, b) = input.split_at(at.min(input.len()));
        d.feed(a, &mut out);
        d.feed(b, &mut out);
        d.finish(&mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn content_types() {
        assert_eq!(BodyEncoding::from_content_type(b"application/x-www-form-urlencoded; charset=UTF-8"), BodyEncoding::FormUrlEncoded);
        assert_eq!(BodyEncoding::from_content_type(b"Application/JSON"), BodyEncoding::Json);
        assert_eq!(BodyEncoding::from_content_type(b"application/vnd.api+json"), BodyEncoding::Json);
        assert_eq!(BodyEncoding::from_content_type(b"text/csv"), BodyEncoding::Plain);
        assert_eq!(BodyEncoding::from_content_type(b""), BodyEncoding::Plain);
    }

    #[test]
    fn form_fields_become_lines_at_every_split() {
        let body = "%E5%9F%BA%E7%A4%8E%E5%B9%B4%E9%87%91%E7%95%AA%E5%8F%B7=1234-567890&name=%E5%B1%B1%E7%94%B0+%E5%A4%AA%E9%83%8E";
        for at in 0..=body.len() {
            assert_eq!(decode_split(BodyEncoding::FormUrlEncoded, body.as_bytes(), at), "基礎年金番号: 1234-567890\nname: 山田 太郎", "split at {at}");
        }
    }

    #[test]
    fn json_escapes_at_every_split() {
        let body = r#"{"\u57fa\u790e\u5e74\u91d1\u756a\u53f7":"1234-567890","e":"\ud83d\ude00\n\"q\"","bad":"\x\uZZZZ"}"#;
        let want = "{\"基礎年金番号\":\"1234-567890\",\"e\":\"😀\n\"q\"\",\"bad\":\"\\x\\uZZZZ\"}";
        for at in 0..=body.len() {
            assert_eq!(decode_split(BodyEncoding::Json, body.as_bytes(), at), want, "split at {at}");
        }
    }

    #[test]
    fn hostile_input_is_passed_on_not_lost() {
        assert_eq!(decode_split(BodyEncoding::FormUrlEncoded, b"100%zz%", 3), "100%zz%");
        assert_eq!(decode_split(BodyEncoding::Json, b"\\ud800x\\udc00\\u12", 2), "\u{FFFD}x\u{FFFD}\\u12");
        assert_eq!(decode_split(BodyEncoding::Plain, b"a%41", 1), "a%41");
    }
}
