//! Fast-pattern selection, as Suricata 7 chooses the prefilter content of a rule:
//!
//! 1. a content with an explicit `fast_pattern` wins (payload list first, then buffers in order);
//! 2. otherwise only non-negated contents are candidates (negated ones only if nothing else);
//! 3. among buffers that can be prefiltered, the best priority group wins (lower is better:
//!    e.g. most app-layer buffers 2, payload and `http.stat_msg` 3, `http.method` and
//!    `http.stat_code` 4);
//! 4. in that group the longest content wins; ties go to the higher "pattern strength"
//!    (distinct letters 3, other printable 4, other bytes 6, repeated bytes 1), then to the
//!    first in rule order (Suricata breaks remaining ties by buffer registration order).

use crate::rule::{BufferList, Match};

/// Suricata's PatternStrength.
pub fn pattern_strength(pat: &[u8]) -> u32 {
    let mut seen = [false; 256];
    let mut s = 0u32;
    for &c in pat {
        let slot = &mut seen[usize::from(c)];
        if !*slot {
            s += if c.is_ascii_alphabetic() {
                3
            } else if c.is_ascii_graphic() || c == b' ' || c == 0 || c == 1 || c == 0xff {
                4
            } else {
                6
            };
            *slot = true;
        } else {
            s += 1;
        }
    }
    s
}

/// Choose the fast pattern among the lists: (list index, match index).
pub fn select(lists: &[BufferList]) -> Option<(usize, usize)> {
    let fp_ok = |l: &BufferList| l.buffer.info().fp_priority > 0;
    // 1. explicit
    let order = lists
        .iter()
        .enumerate()
        .filter(|(_, l)| l.buffer == crate::buffer::Buffer::Payload)
        .chain(
            lists
                .iter()
                .enumerate()
                .filter(|(_, l)| l.buffer != crate::buffer::Buffer::Payload),
        );
    for (li, l) in order {
        if !fp_ok(l) {
            continue;
        }
        for (mi, m) in l.matches.iter().enumerate() {
            if let Match::Content(c) = m
                && c.fast_pattern.is_some()
            {
                return Some((li, mi));
            }
        }
    }
    // 2. candidates
    let mut pos = 0usize;
    let mut neg = 0usize;
    for l in lists.iter().filter(|l| fp_ok(l)) {
        for m in &l.matches {
            if let Match::Content(c) = m {
                if c.negated {
                    neg += 1;
                } else {
                    pos += 1;
                }
            }
        }
    }
    let use_negated = if pos > 0 {
        false
    } else if neg > 0 {
        true
    } else {
        return None;
    };
    let candidate = |m: &Match| -> Option<usize> {
        match m {
            Match::Content(c) if c.negated == use_negated || (!use_negated && !c.negated) => {
                Some(c.pattern.len())
            }
            _ => None,
        }
    };
    // 3. best priority group
    let best_prio = lists
        .iter()
        .filter(|l| fp_ok(l) && l.matches.iter().any(|m| candidate(m).is_some()))
        .map(|l| l.buffer.info().fp_priority)
        .min()?;
    let in_group = |l: &BufferList| fp_ok(l) && l.buffer.info().fp_priority == best_prio;
    // 4. longest, then strongest, then first
    let max_len = lists
        .iter()
        .filter(|l| in_group(l))
        .flat_map(|l| l.matches.iter().filter_map(candidate))
        .max()?;
    let mut best: Option<((usize, usize), u32)> = None;
    for (li, l) in lists.iter().enumerate().filter(|(_, l)| in_group(l)) {
        for (mi, m) in l.matches.iter().enumerate() {
            let Match::Content(c) = m else { continue };
            if candidate(m) != Some(max_len) {
                continue;
            }
            let st = pattern_strength(&c.pattern);
            if best.is_none_or(|(_, bs)| st > bs) {
                best = Some(((li, mi), st));
            }
        }
    }
    best.map(|(p, _)| p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::buffer::Buffer;
    use crate::net::Vars;
    use crate::rule::Rule;

    fn fp(rule: &str) -> Option<(Buffer, Vec<u8>)> {
        let r = Rule::parse(rule, &Vars::suricata_defaults()).unwrap();
        r.fast_pattern().map(|f| (f.buffer, f.bytes.to_vec()))
    }

    #[test]
    fn strength() {
        assert_eq!(pattern_strength(b"aaa"), 5);
        assert_eq!(pattern_strength(b"ab"), 6);
        assert_eq!(pattern_strength(b"/1"), 8);
        assert_eq!(pattern_strength(b"\x02\x03"), 12);
    }

    #[test]
    fn explicit_wins() {
        let r = "alert http any any -> any any (http.uri; content:\"/a\"; fast_pattern; http.header; content:\"much-longer-header\"; sid:1;)";
        assert_eq!(fp(r), Some((Buffer::HttpUri, b"/a".to_vec())));
        let r = "alert tcp any any -> any any (content:\"abcdefgh\"; fast_pattern:2,3; sid:1;)";
        assert_eq!(fp(r), Some((Buffer::Payload, b"cde".to_vec())));
    }

    #[test]
    fn priority_then_length() {
        // http.method (priority 4) loses to a shorter http.uri (priority 2)
        let r = "alert http any any -> any any (http.method; content:\"POST\"; http.uri; content:\"/x\"; sid:1;)";
        assert_eq!(fp(r), Some((Buffer::HttpUri, b"/x".to_vec())));
        // payload (priority 3) loses to an app buffer (priority 2)
        let r = "alert http any any -> any any (content:\"longer payload pattern\"; http.uri; content:\"/x\"; sid:1;)";
        assert_eq!(fp(r), Some((Buffer::HttpUri, b"/x".to_vec())));
        // same group: longest wins
        let r = "alert http any any -> any any (http.uri; content:\"/x\"; http.host; content:\"example.com\"; sid:1;)";
        assert_eq!(fp(r), Some((Buffer::HttpHost, b"example.com".to_vec())));
        // only method: method is used
        let r = "alert http any any -> any any (http.method; content:\"GET\"; sid:1;)";
        assert_eq!(fp(r), Some((Buffer::HttpMethod, b"GET".to_vec())));
    }

    #[test]
    fn strength_breaks_length_ties() {
        let r = "alert tcp any any -> any any (content:\"aaaa\"; content:\"abcd\"; sid:1;)";
        assert_eq!(fp(r), Some((Buffer::Payload, b"abcd".to_vec())));
        let r = "alert tcp any any -> any any (content:\"abcd\"; content:\"efgh\"; sid:1;)";
        assert_eq!(fp(r), Some((Buffer::Payload, b"abcd".to_vec())));
    }

    #[test]
    fn negated_excluded_unless_alone() {
        let r = "alert tcp any any -> any any (content:!\"a-very-long-negated-one\"; content:\"ab\"; sid:1;)";
        assert_eq!(fp(r), Some((Buffer::Payload, b"ab".to_vec())));
        let r = "alert tcp any any -> any any (content:!\"neg\"; sid:1;)";
        assert_eq!(fp(r), Some((Buffer::Payload, b"neg".to_vec())));
        let r = "alert tcp any any -> any any (pcre:\"/a/\"; sid:1;)";
        assert_eq!(fp(r), None);
    }
}
