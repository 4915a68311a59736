//! Buffer transforms (`dotprefix`, `to_lowercase`, `url_decode`, `to_sha256`, ...) applied to an
//! inspection buffer before its match list, in rule order.

use md5::Digest;
use sekimori_rules::Transform;

/// Is this transform implemented?
pub(crate) fn supported(t: &Transform) -> bool {
    !matches!(
        t,
        Transform::HeaderLowercase | Transform::StripPseudoHeaders
    )
}

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

fn hexval(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

thread_local! {
    /// Compiled `pcrexform` expressions by pattern (`None`: does not compile).
    static PCREXFORM: std::cell::RefCell<std::collections::HashMap<String, Option<pcre2::bytes::Regex>>> =
        std::cell::RefCell::new(std::collections::HashMap::new());
}

/// `pcrexform`: the buffer becomes the expression's first capture group (the whole match if it
/// has none); a buffer the expression does not match stays as it is.
fn pcrexform(pattern: &str, src: &[u8], dst: &mut Vec<u8>) {
    let out = PCREXFORM.with(|cache| {
        let mut cache = cache.borrow_mut();
        let re = cache.entry(pattern.to_string()).or_insert_with(|| {
            pcre2::bytes::RegexBuilder::new()
                .jit_if_available(true)
                .build(pattern)
                .ok()
        });
        let caps = re.as_ref()?.captures(src).ok()??;
        let m = caps.get(1).or_else(|| caps.get(0))?;
        Some((m.start(), m.end()))
    });
    match out.and_then(|(a, b)| src.get(a..b)) {
        Some(m) => dst.extend_from_slice(m),
        None => dst.extend_from_slice(src),
    }
}

/// Apply one transform from `src` into `dst` (cleared first).
pub(crate) fn apply(t: &Transform, src: &[u8], dst: &mut Vec<u8>) {
    dst.clear();
    match t {
        Transform::Pcrexform(p) => pcrexform(p, src, dst),
        Transform::Dotprefix => {
            dst.push(b'.');
            dst.extend_from_slice(src);
        }
        Transform::ToLowercase => dst.extend(src.iter().map(u8::to_ascii_lowercase)),
        Transform::ToUppercase => dst.extend(src.iter().map(u8::to_ascii_uppercase)),
        Transform::StripWhitespace => dst.extend(src.iter().copied().filter(|&c| !is_space(c))),
        Transform::CompressWhitespace => {
            let mut prev_space = false;
            for &c in src {
                if is_space(c) {
                    if !prev_space {
                        dst.push(b' ');
                    }
                    prev_space = true;
                } else {
                    dst.push(c);
                    prev_space = false;
                }
            }
        }
        Transform::UrlDecode => {
            let mut i = 0;
            while let Some(&c) = src.get(i) {
                if c == b'%'
                    && let (Some(h), Some(l)) = (
                        src.get(i + 1).copied().and_then(hexval),
                        src.get(i + 2).copied().and_then(hexval),
                    )
                {
                    dst.push((h << 4) | l);
                    i += 3;
                    continue;
                }
                dst.push(if c == b'+' { b' ' } else { c });
                i += 1;
            }
        }
        Transform::Xor(key) => {
            if key.is_empty() {
                dst.extend_from_slice(src);
            } else {
                dst.extend(src.iter().zip(key.iter().cycle()).map(|(&a, &k)| a ^ k));
            }
        }
        Transform::ToMd5 => dst.extend_from_slice(&md5::Md5::digest(src)),
        Transform::ToSha1 => dst.extend_from_slice(&sha1::Sha1::digest(src)),
        Transform::ToSha256 => dst.extend_from_slice(&sha2::Sha256::digest(src)),
        Transform::HeaderLowercase | Transform::StripPseudoHeaders => dst.extend_from_slice(src),
    }
}

/// Apply a chain of transforms; the result is left in `a` (using `b` as scratch).
pub(crate) fn apply_all(ts: &[Transform], src: &[u8], a: &mut Vec<u8>, b: &mut Vec<u8>) {
    a.clear();
    a.extend_from_slice(src);
    for t in ts {
        apply(t, a, b);
        std::mem::swap(a, b);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(t: Transform, s: &[u8]) -> Vec<u8> {
        let mut d = Vec::new();
        apply(&t, s, &mut d);
        d
    }

    #[test]
    fn simple_transforms() {
        assert_eq!(run(Transform::Dotprefix, b"a.com"), b".a.com");
        assert_eq!(run(Transform::ToLowercase, b"AbC1"), b"abc1");
        assert_eq!(run(Transform::ToUppercase, b"AbC1"), b"ABC1");
        assert_eq!(run(Transform::StripWhitespace, b" a \t b\r\n"), b"ab");
        assert_eq!(run(Transform::CompressWhitespace, b"a  \t b "), b"a b ");
        assert_eq!(run(Transform::UrlDecode, b"%41+b%2"), b"A b%2");
        assert_eq!(run(Transform::UrlDecode, b"%zz%"), b"%zz%");
        assert_eq!(
            run(Transform::Xor(vec![1, 2]), b"\x01\x02\x03"),
            b"\x00\x00\x02"
        );
        assert_eq!(run(Transform::ToMd5, b"").len(), 16);
        assert_eq!(
            run(Transform::ToSha256, b"abc")[..4],
            [0xba, 0x78, 0x16, 0xbf]
        );
        assert_eq!(run(Transform::ToSha1, b"abc")[..2], [0xa9, 0x99]);
    }

    #[test]
    fn chain() {
        let (mut a, mut b) = (Vec::new(), Vec::new());
        apply_all(
            &[
                Transform::StripWhitespace,
                Transform::ToLowercase,
                Transform::Dotprefix,
            ],
            b" Ex AMPLE.com",
            &mut a,
            &mut b,
        );
        assert_eq!(a, b".example.com");
    }
}
