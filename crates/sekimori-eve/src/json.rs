//! A small, allocation-free (after warm-up) JSON object writer that keeps field order, so records
//! come out in the order Suricata writes them. Every record of every layer is built with it.

use std::fmt::Write as _;

/// Writes one JSON object into a reusable byte buffer.
///
/// Keys are written as given (they are static, trusted identifiers); string values are escaped.
pub struct Obj<'b> {
    buf: &'b mut Vec<u8>,
    first: bool,
}

impl<'b> Obj<'b> {
    /// Starts an object at the end of `buf`.
    pub fn new(buf: &'b mut Vec<u8>) -> Self {
        buf.push(b'{');
        Obj { buf, first: true }
    }

    fn key(&mut self, k: &str) {
        if !self.first {
            self.buf.push(b',');
        }
        self.first = false;
        self.buf.push(b'"');
        self.buf.extend_from_slice(k.as_bytes());
        self.buf.extend_from_slice(b"\":");
    }

    /// A string field.
    pub fn str(&mut self, k: &str, v: &str) -> &mut Self {
        self.key(k);
        escape_str(self.buf, v.as_bytes());
        self
    }

    /// A string field from bytes that may not be UTF-8: printable ASCII as is, other bytes as
    /// `\uXXXX` of the byte value (Suricata writes raw protocol bytes the same way).
    pub fn bytes(&mut self, k: &str, v: &[u8]) -> &mut Self {
        self.key(k);
        escape_str(self.buf, v);
        self
    }

    /// An unsigned integer field.
    pub fn u64(&mut self, k: &str, v: u64) -> &mut Self {
        self.key(k);
        let mut b = itoa::Buffer::new();
        self.buf.extend_from_slice(b.format(v).as_bytes());
        self
    }

    /// A signed integer field.
    pub fn i64(&mut self, k: &str, v: i64) -> &mut Self {
        self.key(k);
        let mut b = itoa::Buffer::new();
        self.buf.extend_from_slice(b.format(v).as_bytes());
        self
    }

    /// A floating-point field (non-finite values are written as null).
    pub fn f64(&mut self, k: &str, v: f64) -> &mut Self {
        self.key(k);
        if v.is_finite() {
            let mut s = String::new();
            let _ = write!(s, "{v}");
            self.buf.extend_from_slice(s.as_bytes());
        } else {
            self.buf.extend_from_slice(b"null");
        }
        self
    }

    /// A boolean field.
    pub fn bool(&mut self, k: &str, v: bool) -> &mut Self {
        self.key(k);
        self.buf
            .extend_from_slice(if v { b"true" } else { b"false" });
        self
    }

    /// A field whose value is already-serialised JSON (caller guarantees validity).
    pub fn raw(&mut self, k: &str, json: &[u8]) -> &mut Self {
        self.key(k);
        self.buf.extend_from_slice(json);
        self
    }

    /// Already-serialised members (`"a":1,"b":{}`, no braces) appended as they are; nothing
    /// when empty.
    pub fn members(&mut self, raw: &[u8]) -> &mut Self {
        if !raw.is_empty() {
            if !self.first {
                self.buf.push(b',');
            }
            self.first = false;
            self.buf.extend_from_slice(raw);
        }
        self
    }

    /// A field whose JSON value is written by `f` straight into the buffer.
    pub fn raw_with(&mut self, k: &str, f: impl FnOnce(&mut Vec<u8>)) -> &mut Self {
        self.key(k);
        f(self.buf);
        self
    }

    /// A field holding a serde-serialisable value.
    pub fn serde<T: serde::Serialize + ?Sized>(&mut self, k: &str, v: &T) -> &mut Self {
        self.key(k);
        if serde_json::to_writer(&mut *self.buf, v).is_err() {
            self.buf.extend_from_slice(b"null");
        }
        self
    }

    /// A nested object field, filled by `f`.
    pub fn obj(&mut self, k: &str, f: impl FnOnce(&mut Obj<'_>)) -> &mut Self {
        self.key(k);
        let mut o = Obj::new(self.buf);
        f(&mut o);
        o.end();
        self
    }

    /// An array field, filled by `f`.
    pub fn arr(&mut self, k: &str, f: impl FnOnce(&mut Arr<'_>)) -> &mut Self {
        self.key(k);
        let mut a = Arr::new(self.buf);
        f(&mut a);
        a.end();
        self
    }

    /// Closes the object.
    pub fn end(self) {
        self.buf.push(b'}');
    }
}

/// Writes one JSON array.
pub struct Arr<'b> {
    buf: &'b mut Vec<u8>,
    first: bool,
}

impl<'b> Arr<'b> {
    fn new(buf: &'b mut Vec<u8>) -> Self {
        buf.push(b'[');
        Arr { buf, first: true }
    }
    fn sep(&mut self) {
        if !self.first {
            self.buf.push(b',');
        }
        self.first = false;
    }
    /// A string element.
    pub fn str(&mut self, v: &str) -> &mut Self {
        self.sep();
        escape_str(self.buf, v.as_bytes());
        self
    }
    /// An unsigned integer element.
    pub fn u64(&mut self, v: u64) -> &mut Self {
        self.sep();
        let mut b = itoa::Buffer::new();
        self.buf.extend_from_slice(b.format(v).as_bytes());
        self
    }
    /// An object element, filled by `f`.
    pub fn obj(&mut self, f: impl FnOnce(&mut Obj<'_>)) -> &mut Self {
        self.sep();
        let mut o = Obj::new(self.buf);
        f(&mut o);
        o.end();
        self
    }
    fn end(self) {
        self.buf.push(b']');
    }
}

/// Appends `v` as a JSON string. Valid UTF-8 passes through (escaping what JSON requires);
/// bytes that are not valid UTF-8 become `\u00XX`, so the output is always valid JSON.
pub fn escape_str(buf: &mut Vec<u8>, v: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    buf.push(b'"');
    for chunk in v.utf8_chunks() {
        for &c in chunk.valid().as_bytes() {
            match c {
                b'"' => buf.extend_from_slice(b"\\\""),
                b'\\' => buf.extend_from_slice(b"\\\\"),
                b'\n' => buf.extend_from_slice(b"\\n"),
                b'\r' => buf.extend_from_slice(b"\\r"),
                b'\t' => buf.extend_from_slice(b"\\t"),
                0x00..=0x1f => {
                    buf.extend_from_slice(b"\\u00");
                    buf.push(HEX[(c >> 4) as usize]);
                    buf.push(HEX[(c & 0xf) as usize]);
                }
                _ => buf.push(c),
            }
        }
        for &c in chunk.invalid() {
            buf.extend_from_slice(b"\\u00");
            buf.push(HEX[(c >> 4) as usize]);
            buf.push(HEX[(c & 0xf) as usize]);
        }
    }
    buf.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_order_and_nests() {
        let mut buf = Vec::new();
        let mut o = Obj::new(&mut buf);
        o.str("b", "x").u64("a", 7).obj("flow", |f| {
            f.bool("alerted", false).i64("age", -1);
        });
        o.arr("vlan", |a| {
            a.u64(6).u64(7);
        });
        o.end();
        assert_eq!(
            std::str::from_utf8(&buf).unwrap(),
            r#"{"b":"x","a":7,"flow":{"alerted":false,"age":-1},"vlan":[6,7]}"#
        );
    }

    #[test]
    fn escapes_control_quotes_and_invalid_utf8() {
        let mut buf = Vec::new();
        escape_str(&mut buf, b"a\"b\\c\n\x01\xff\xe6\x97\xa5");
        let s = std::str::from_utf8(&buf).unwrap();
        assert_eq!(s, "\"a\\\"b\\\\c\\n\\u0001\\u00ff日\"");
        let back: String = serde_json::from_str(s).unwrap();
        assert_eq!(back, "a\"b\\c\n\u{1}\u{ff}日");
    }
}
