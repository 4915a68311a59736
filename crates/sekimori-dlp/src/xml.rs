//! A minimal XML pull tokenizer for OOXML parts.
//!
//! Hand-written on purpose: text extraction needs only element names, two attributes (`r`, `t`)
//! and character data with the five predefined entities and character references. A small
//! tokenizer over the bounded part bytes never allocates per event, cannot be driven into DTD or
//! entity expansion, and never panics on malformed input (it just stops).

/// One tokenizer event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Event<'a> {
    /// `<name attrs>` or `<name attrs/>` (`empty`).
    Start {
        /// Local name (prefix stripped).
        name: &'a [u8],
        /// Raw attribute bytes.
        attrs: &'a [u8],
        /// Self-closing.
        empty: bool,
    },
    /// `</name>` (local name).
    End(&'a [u8]),
    /// Character data, still escaped.
    Text(&'a [u8]),
    /// CDATA content (not escaped).
    CData(&'a [u8]),
}

/// Pull tokenizer over a byte slice.
#[derive(Clone, Debug)]
pub(crate) struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

fn local(name: &[u8]) -> &[u8] {
    match name.iter().rposition(|&b| b == b':') {
        Some(p) => name.get(p + 1..).unwrap_or_default(),
        None => name,
    }
}

impl<'a> Reader<'a> {
    pub(crate) fn new(data: &'a [u8]) -> Self {
        Reader { data, pos: 0 }
    }

    fn find_from(&self, from: usize, pat: &[u8]) -> Option<usize> {
        memchr::memmem::find(self.data.get(from..)?, pat).map(|p| from + p)
    }
}

impl<'a> Iterator for Reader<'a> {
    type Item = Event<'a>;

    fn next(&mut self) -> Option<Event<'a>> {
        loop {
            let rest = self.data.get(self.pos..)?;
            if rest.is_empty() {
                return None;
            }
            if rest.first() != Some(&b'<') {
                let end = memchr::memchr(b'<', rest).map_or(self.data.len(), |p| self.pos + p);
                let t = self.data.get(self.pos..end)?;
                self.pos = end;
                return Some(Event::Text(t));
            }
            if rest.starts_with(b"<!--") {
                self.pos = self
                    .find_from(self.pos + 4, b"-->")
                    .map_or(self.data.len(), |p| p + 3);
                continue;
            }
            if rest.starts_with(b"<![CDATA[") {
                let s = self.pos + 9;
                let e = self.find_from(s, b"]]>").unwrap_or(self.data.len());
                self.pos = (e + 3).min(self.data.len());
                return Some(Event::CData(self.data.get(s..e)?));
            }
            if rest.starts_with(b"<?") {
                self.pos = self
                    .find_from(self.pos + 2, b"?>")
                    .map_or(self.data.len(), |p| p + 2);
                continue;
            }
            if rest.starts_with(b"<!") {
                self.pos = self
                    .find_from(self.pos + 2, b">")
                    .map_or(self.data.len(), |p| p + 1);
                continue;
            }
            // A tag: find its '>' outside quoted attribute values.
            let mut i = self.pos + 1;
            let mut quote = 0u8;
            let end = loop {
                let b = *self.data.get(i)?;
                if quote != 0 {
                    if b == quote {
                        quote = 0;
                    }
                } else if b == b'"' || b == b'\'' {
                    quote = b;
                } else if b == b'>' {
                    break i;
                }
                i += 1;
            };
            let inner = self.data.get(self.pos + 1..end)?;
            self.pos = end + 1;
            if let Some(n) = inner.strip_prefix(b"/") {
                let n = n
                    .split(|b| b.is_ascii_whitespace())
                    .next()
                    .unwrap_or_default();
                return Some(Event::End(local(n)));
            }
            let (inner, empty) = match inner.strip_suffix(b"/") {
                Some(x) => (x, true),
                None => (inner, false),
            };
            let nlen = inner
                .iter()
                .position(|b| b.is_ascii_whitespace())
                .unwrap_or(inner.len());
            let (name, attrs) = inner.split_at(nlen);
            return Some(Event::Start {
                name: local(name),
                attrs,
                empty,
            });
        }
    }
}

/// Value of attribute `key` (local name) in raw attribute bytes.
pub(crate) fn attr<'a>(attrs: &'a [u8], key: &[u8]) -> Option<&'a [u8]> {
    let mut i = 0;
    while i < attrs.len() {
        while attrs.get(i).is_some_and(u8::is_ascii_whitespace) {
            i += 1;
        }
        let ks = i;
        while attrs
            .get(i)
            .is_some_and(|&b| b != b'=' && !b.is_ascii_whitespace())
        {
            i += 1;
        }
        let k = attrs.get(ks..i)?;
        while attrs
            .get(i)
            .is_some_and(|&b| b == b'=' || b.is_ascii_whitespace())
        {
            i += 1;
        }
        let q = *attrs.get(i)?;
        if q != b'"' && q != b'\'' {
            return None;
        }
        let vs = i + 1;
        let ve = vs + memchr::memchr(q, attrs.get(vs..)?)?;
        if local(k) == key {
            return attrs.get(vs..ve);
        }
        i = ve + 1;
    }
    None
}

/// Appends XML character data to `out`, resolving the predefined entities and character
/// references; invalid UTF-8 is replaced.
pub(crate) fn unescape_into(text: &[u8], out: &mut String) {
    let mut i = 0;
    while i < text.len() {
        let Some(rel) = text.get(i..).and_then(|r| memchr::memchr(b'&', r)) else {
            out.push_str(&String::from_utf8_lossy(text.get(i..).unwrap_or_default()));
            return;
        };
        out.push_str(&String::from_utf8_lossy(
            text.get(i..i + rel).unwrap_or_default(),
        ));
        let amp = i + rel;
        let semi = text
            .get(amp..)
            .and_then(|r| r.iter().take(12).position(|&b| b == b';'));
        let Some(semi) = semi.map(|s| amp + s) else {
            out.push('&');
            i = amp + 1;
            continue;
        };
        let ent = text.get(amp + 1..semi).unwrap_or_default();
        let c = match ent {
            b"lt" => Some('<'),
            b"gt" => Some('>'),
            b"amp" => Some('&'),
            b"quot" => Some('"'),
            b"apos" => Some('\''),
            _ => {
                let num = match ent {
                    [b'#', b'x' | b'X', hex @ ..] => std::str::from_utf8(hex)
                        .ok()
                        .and_then(|h| u32::from_str_radix(h, 16).ok()),
                    [b'#', dec @ ..] => std::str::from_utf8(dec).ok().and_then(|d| d.parse().ok()),
                    _ => None,
                };
                num.and_then(char::from_u32)
            }
        };
        match c {
            Some(c) => {
                out.push(c);
                i = semi + 1;
            }
            None => {
                out.push('&');
                i = amp + 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events() {
        let x = br#"<?xml version="1.0"?><!-- c --><w:p a="x>y"><w:t xml:space="preserve">A&amp;B</w:t><w:br/><![CDATA[<z>]]></w:p>"#;
        let ev: Vec<Event<'_>> = Reader::new(x).collect();
        assert_eq!(
            ev,
            vec![
                Event::Start {
                    name: b"p",
                    attrs: br#" a="x>y""#,
                    empty: false
                },
                Event::Start {
                    name: b"t",
                    attrs: br#" xml:space="preserve""#,
                    empty: false
                },
                Event::Text(b"A&amp;B"),
                Event::End(b"t"),
                Event::Start {
                    name: b"br",
                    attrs: b"",
                    empty: true
                },
                Event::CData(b"<z>"),
                Event::End(b"p"),
            ]
        );
    }

    #[test]
    fn attributes_and_entities() {
        assert_eq!(attr(br#" r="B2" t='s'"#, b"t"), Some(&b"s"[..]));
        assert_eq!(attr(br#" r="B2" t='s'"#, b"r"), Some(&b"B2"[..]));
        assert_eq!(attr(br#" r="B2"#, b"x"), None);
        let mut s = String::new();
        unescape_into(b"a&lt;b&#x5C71;&#30000;&bogus;&", &mut s);
        assert_eq!(s, "a<b山田&bogus;&");
    }

    #[test]
    fn malformed_stops() {
        assert_eq!(Reader::new(b"<a").count(), 0);
        assert_eq!(Reader::new(b"<a b=\"").count(), 0);
        assert_eq!(Reader::new(b"<!--").count(), 0);
        assert_eq!(
            Reader::new(b"text").collect::<Vec<_>>(),
            vec![Event::Text(b"text")]
        );
    }
}
