//! Evaluation of `filter` and `stats` checks against EVE records.
//!
//! A match key is a dotted path into the record, where a component may carry array indexes
//! (`dns.answers[0].rrname`, `a[1][2]`). `__len` turns the value reached so far into its length
//! (array, object or string) and may appear anywhere in the path. A final `__gt`, `__gte`, `__lt`,
//! `__lte` compares numerically (or as strings when both are strings), `__find` and `__contains`
//! test containment (substring, or array element), `__startswith` and `__endswith` test strings.
//! Two special keys take a path as value: `has-key` (the path exists) and `not-has-key` (it does
//! not). Other values are compared for equality, integers exactly and other numbers as floats;
//! YAML 1.1 truth words (`yes`, `no`, ...) equal JSON booleans.

use crate::spec::truncate;
use serde_json::Value as Json;
use std::borrow::Cow;

/// A comparison at the end of a match key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operator {
    /// Plain equality.
    Eq,
    /// `__gt`.
    Gt,
    /// `__gte`.
    Gte,
    /// `__lt`.
    Lt,
    /// `__lte`.
    Lte,
    /// `__find`: the string value contains the expected substring.
    Find,
    /// `__contains`: the string contains the substring, or the array holds the element.
    Contains,
    /// `__startswith`.
    StartsWith,
    /// `__endswith`.
    EndsWith,
}

impl Operator {
    fn from_suffix(s: &str) -> Option<Operator> {
        Some(match s {
            "__gt" => Operator::Gt,
            "__gte" => Operator::Gte,
            "__lt" => Operator::Lt,
            "__lte" => Operator::Lte,
            "__find" => Operator::Find,
            "__contains" => Operator::Contains,
            "__startswith" => Operator::StartsWith,
            "__endswith" => Operator::EndsWith,
            _ => return None,
        })
    }
}

/// One step of a path.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Step<'a> {
    Key(&'a str),
    Index(usize),
    Len,
}

/// A key that cannot be read as a path.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("bad match key '{key}': {reason}")]
pub struct PathError {
    /// The key.
    pub key: String,
    /// What is wrong.
    pub reason: String,
}

/// Splits `a.b[0].__len` into steps, and the final operator if any.
fn parse_key(key: &str) -> Result<(Vec<Step<'_>>, Operator), PathError> {
    let err = |reason: &str| PathError {
        key: key.to_string(),
        reason: reason.to_string(),
    };
    if key.is_empty() {
        return Err(err("empty"));
    }
    let mut steps = Vec::new();
    let mut op = Operator::Eq;
    let parts: Vec<&str> = key.split('.').collect();
    let last = parts.len().saturating_sub(1);
    for (i, part) in parts.iter().enumerate() {
        if let Some(o) = Operator::from_suffix(part) {
            if i != last {
                return Err(err("a comparison operator must come last"));
            }
            op = o;
            continue;
        }
        if *part == "__len" {
            steps.push(Step::Len);
            continue;
        }
        let (name, mut rest) = match part.find('[') {
            Some(p) => part.split_at(p),
            None => (*part, ""),
        };
        if !name.is_empty() {
            steps.push(Step::Key(name));
        } else if rest.is_empty() {
            return Err(err("empty path component"));
        }
        while !rest.is_empty() {
            let Some(inner) = rest.strip_prefix('[') else {
                return Err(err("text after an index"));
            };
            let Some(close) = inner.find(']') else {
                return Err(err("unclosed '['"));
            };
            let idx: usize = inner
                .get(..close)
                .and_then(|n| n.trim().parse().ok())
                .ok_or_else(|| err("index is not a number"))?;
            steps.push(Step::Index(idx));
            rest = inner.get(close + 1..).unwrap_or("");
        }
    }
    if steps.is_empty() {
        return Err(err("no path before the operator"));
    }
    Ok((steps, op))
}

fn walk<'v>(record: &'v Json, steps: &[Step<'_>]) -> Option<Cow<'v, Json>> {
    let mut cur: Cow<'v, Json> = Cow::Borrowed(record);
    for step in steps {
        cur = match step {
            Step::Len => {
                let n = match cur.as_ref() {
                    Json::Array(a) => a.len(),
                    Json::Object(o) => o.len(),
                    Json::String(s) => s.chars().count(),
                    _ => return None,
                };
                Cow::Owned(Json::from(n as u64))
            }
            Step::Key(k) => match cur {
                Cow::Borrowed(v) => Cow::Borrowed(v.get(*k)?),
                Cow::Owned(v) => Cow::Owned(v.get(*k)?.clone()),
            },
            Step::Index(i) => match cur {
                Cow::Borrowed(v) => Cow::Borrowed(v.as_array()?.get(*i)?),
                Cow::Owned(v) => Cow::Owned(v.as_array()?.get(*i)?.clone()),
            },
        };
    }
    Some(cur)
}

/// The value at `path` (no operator allowed), or `None` when absent.
pub fn lookup<'v>(record: &'v Json, path: &str) -> Result<Option<Cow<'v, Json>>, PathError> {
    let (steps, op) = parse_key(path)?;
    if op != Operator::Eq {
        return Err(PathError {
            key: path.to_string(),
            reason: "an operator is not allowed here".into(),
        });
    }
    Ok(walk(record, &steps))
}

/// YAML 1.1 truth words as Suricata-verify's Python loader reads them.
fn truth_word(s: &str) -> Option<bool> {
    match s {
        "yes" | "Yes" | "YES" | "on" | "On" | "ON" | "true" | "True" | "TRUE" => Some(true),
        "no" | "No" | "NO" | "off" | "Off" | "OFF" | "false" | "False" | "FALSE" => Some(false),
        _ => None,
    }
}

/// Equality of an expected (YAML-sourced) value and an actual EVE value.
pub fn values_equal(expected: &Json, actual: &Json) -> bool {
    match (expected, actual) {
        (Json::Number(a), Json::Number(b)) => {
            if let (Some(x), Some(y)) = (a.as_i64(), b.as_i64()) {
                x == y
            } else if let (Some(x), Some(y)) = (a.as_u64(), b.as_u64()) {
                x == y
            } else {
                match (a.as_f64(), b.as_f64()) {
                    (Some(x), Some(y)) => x == y,
                    _ => false,
                }
            }
        }
        (Json::String(s), Json::Bool(b)) => truth_word(s) == Some(*b),
        (Json::Array(a), Json::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| values_equal(x, y))
        }
        (Json::Object(a), Json::Object(b)) => {
            a.len() == b.len()
                && a.iter()
                    .all(|(k, x)| b.get(k).is_some_and(|y| values_equal(x, y)))
        }
        (a, b) => a == b,
    }
}

fn compare(op: Operator, expected: &Json, actual: &Json) -> bool {
    use std::cmp::Ordering;
    let ordering = || -> Option<Ordering> {
        match (actual, expected) {
            (Json::Number(a), Json::Number(e)) => a.as_f64()?.partial_cmp(&e.as_f64()?),
            (Json::String(a), Json::String(e)) => Some(a.as_str().cmp(e.as_str())),
            _ => None,
        }
    };
    match op {
        Operator::Eq => values_equal(expected, actual),
        Operator::Gt => ordering() == Some(Ordering::Greater),
        Operator::Gte => matches!(ordering(), Some(Ordering::Greater | Ordering::Equal)),
        Operator::Lt => ordering() == Some(Ordering::Less),
        Operator::Lte => matches!(ordering(), Some(Ordering::Less | Ordering::Equal)),
        Operator::Find | Operator::Contains => match (actual, expected) {
            (Json::String(a), Json::String(e)) => a.contains(e.as_str()),
            (Json::Array(a), e) => a.iter().any(|x| values_equal(e, x)),
            (Json::Object(a), Json::String(e)) => a.contains_key(e),
            _ => false,
        },
        Operator::StartsWith => match (actual, expected) {
            (Json::String(a), Json::String(e)) => a.starts_with(e.as_str()),
            _ => false,
        },
        Operator::EndsWith => match (actual, expected) {
            (Json::String(a), Json::String(e)) => a.ends_with(e.as_str()),
            _ => false,
        },
    }
}

/// One key of a `match:` block, ready to test records.
#[derive(Clone, Debug)]
pub struct Matcher {
    key: String,
    kind: MatcherKind,
}

#[derive(Clone, Debug)]
enum MatcherKind {
    HasKey(Vec<String>),
    NotHasKey(Vec<String>),
    Value { op: Operator, expected: Json },
}

impl Matcher {
    /// Compiles a key and its expected value; bad keys are reported, not panicked on.
    pub fn new(key: &str, expected: &Json) -> Result<Matcher, PathError> {
        let paths = |v: &Json| -> Result<Vec<String>, PathError> {
            let list: Vec<String> = match v {
                Json::String(s) => vec![s.clone()],
                Json::Array(a) => a
                    .iter()
                    .map(|x| x.as_str().map(str::to_string))
                    .collect::<Option<_>>()
                    .unwrap_or_default(),
                _ => Vec::new(),
            };
            if list.is_empty() {
                return Err(PathError {
                    key: key.to_string(),
                    reason: "expects a path (or a list of paths)".into(),
                });
            }
            for p in &list {
                lookup(&Json::Null, p)?;
            }
            Ok(list)
        };
        let kind = match key {
            "has-key" => MatcherKind::HasKey(paths(expected)?),
            "not-has-key" => MatcherKind::NotHasKey(paths(expected)?),
            _ => {
                let (_, op) = parse_key(key)?;
                MatcherKind::Value {
                    op,
                    expected: expected.clone(),
                }
            }
        };
        Ok(Matcher {
            key: key.to_string(),
            kind,
        })
    }

    /// The key as written.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// Whether `record` satisfies this key.
    pub fn matches(&self, record: &Json) -> bool {
        let exists = |p: &String| lookup(record, p).ok().flatten().is_some();
        match &self.kind {
            MatcherKind::HasKey(paths) => paths.iter().all(exists),
            MatcherKind::NotHasKey(paths) => !paths.iter().any(exists),
            MatcherKind::Value { op, expected } => {
                let Ok((steps, _)) = parse_key(&self.key) else {
                    return false;
                };
                match walk(record, &steps) {
                    Some(actual) => compare(*op, expected, &actual),
                    None => false,
                }
            }
        }
    }

    /// What `record` holds at this key's path, for messages.
    pub fn actual(&self, record: &Json) -> String {
        match &self.kind {
            MatcherKind::HasKey(p) | MatcherKind::NotHasKey(p) => {
                let present: Vec<&str> = p
                    .iter()
                    .filter(|x| lookup(record, x).ok().flatten().is_some())
                    .map(String::as_str)
                    .collect();
                format!("present: [{}]", present.join(", "))
            }
            MatcherKind::Value { .. } => match parse_key(&self.key) {
                Ok((steps, _)) => match walk(record, &steps) {
                    Some(v) => truncate(&v.to_string(), 60),
                    None => "missing".to_string(),
                },
                Err(e) => e.to_string(),
            },
        }
    }

    /// `key=value` for messages.
    pub fn describe(&self) -> String {
        match &self.kind {
            MatcherKind::HasKey(p) => format!("has-key {}", p.join(",")),
            MatcherKind::NotHasKey(p) => format!("not-has-key {}", p.join(",")),
            MatcherKind::Value { expected, .. } => {
                format!("{}={}", self.key, truncate(&expected.to_string(), 60))
            }
        }
    }
}

/// Compiles a whole `match:` block.
pub fn compile(matchers: &[(String, Json)]) -> Result<Vec<Matcher>, PathError> {
    matchers.iter().map(|(k, v)| Matcher::new(k, v)).collect()
}

/// Number of records that satisfy every matcher.
pub fn count_matches(records: &[Json], matchers: &[Matcher]) -> u64 {
    records
        .iter()
        .filter(|r| matchers.iter().all(|m| m.matches(r)))
        .count() as u64
}

/// When fewer records match than expected, a hint: which single key, dropped, lets the most
/// records match, and what those records hold there. `None` when no single key lets more
/// records match than `found` (the count with every key).
pub fn near_miss(records: &[Json], matchers: &[Matcher], found: u64) -> Option<String> {
    if matchers.len() < 2 {
        return None;
    }
    let mut best: Option<(usize, Vec<&Json>)> = None;
    for skip in 0..matchers.len() {
        let hits: Vec<&Json> = records
            .iter()
            .filter(|r| {
                matchers
                    .iter()
                    .enumerate()
                    .all(|(i, m)| i == skip || m.matches(r))
            })
            .collect();
        if hits.len() as u64 > found && best.as_ref().is_none_or(|(_, b)| hits.len() > b.len()) {
            best = Some((skip, hits));
        }
    }
    let Some((skip, hits)) = best else {
        return closest(records, matchers);
    };
    let m = matchers.get(skip)?;
    let mut seen: Vec<String> = Vec::new();
    for r in hits.iter().filter(|r| !m.matches(r)) {
        let a = m.actual(r);
        if !seen.contains(&a) {
            seen.push(a);
        }
        if seen.len() == 3 {
            break;
        }
    }
    Some(format!(
        "{} record(s) match all but {} (found: {})",
        hits.len() as u64 - found,
        m.describe(),
        seen.join(" | ")
    ))
}

/// When no single key explains a shortfall: the record that satisfies the most keys (at least
/// one, and with the same `event_type` when the filter names one), and the keys it misses.
fn closest(records: &[Json], matchers: &[Matcher]) -> Option<String> {
    let same_type = |r: &Json| {
        matchers
            .iter()
            .filter(|m| m.key() == "event_type")
            .all(|m| m.matches(r))
    };
    let mut best: Option<(usize, &Json)> = None;
    for r in records.iter().filter(|r| same_type(r)) {
        let n = matchers.iter().filter(|m| m.matches(r)).count();
        if n > 0 && n < matchers.len() && best.is_none_or(|(b, _)| n > b) {
            best = Some((n, r));
        }
    }
    let (n, r) = best?;
    let misses: Vec<String> = matchers
        .iter()
        .filter(|m| !m.matches(r))
        .take(4)
        .map(|m| format!("{} (found {})", m.describe(), m.actual(r)))
        .collect();
    Some(format!(
        "closest record matches {n} of {} keys, misses: {}",
        matchers.len(),
        misses.join(", ")
    ))
}

/// Reads a JSON-lines file: one record per non-empty line.
pub fn parse_json_lines(text: &str) -> Result<Vec<Json>, String> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        match serde_json::from_str::<Json>(line) {
            Ok(v) => out.push(v),
            Err(e) => {
                return Err(format!(
                    "line {} is not JSON ({e}): {}",
                    i + 1,
                    truncate(line, 80)
                ));
            }
        }
    }
    Ok(out)
}

/// Evaluates a `stats:` check against the last `stats` record; `Err` names the first mismatch.
pub fn check_stats(records: &[Json], keys: &[(String, Json)]) -> Result<(), String> {
    let Some(stats) = records
        .iter()
        .rev()
        .find(|r| r.get("event_type").and_then(Json::as_str) == Some("stats"))
    else {
        return Err("stats: no stats record in eve.json".into());
    };
    let Some(body) = stats.get("stats") else {
        return Err("stats: the stats record has no 'stats' object".into());
    };
    for (key, expected) in keys {
        let m = Matcher::new(key, expected).map_err(|e| format!("stats: {e}"))?;
        if !m.matches(body) {
            return Err(format!(
                "stats: {key}: expected {}, found {}",
                truncate(&expected.to_string(), 60),
                m.actual(body)
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rec() -> Json {
        json!({
            "event_type": "alert",
            "src_port": 53,
            "alert": {"signature_id": 1, "metadata": {"tag": ["a", "b", "c"]}, "rule": "x"},
            "dns": {"answers": [{"rrname": "example.com", "ttl": 300}, {"rrname": "b"}]},
            "grid": [[1, 2], [3, 4]],
            "fileinfo": {"size": 10, "filename": "eicar.txt", "stored": false},
            "big": 18446744073709551615u64,
            "f": 1.5
        })
    }

    fn m(key: &str, v: Json) -> bool {
        Matcher::new(key, &v).unwrap().matches(&rec())
    }

    #[test]
    fn paths_and_indexes() {
        assert!(m("event_type", json!("alert")));
        assert!(m("alert.signature_id", json!(1)));
        assert!(!m("alert.signature_id", json!(2)));
        assert!(!m("alert.signature_id", json!("1")), "string is not number");
        assert!(m("dns.answers[0].rrname", json!("example.com")));
        assert!(m("dns.answers[1].rrname", json!("b")));
        assert!(
            !m("dns.answers[2].rrname", json!("b")),
            "out of range is absent"
        );
        assert!(m("grid[1][0]", json!(3)));
        assert!(!m("alert[0]", json!(1)), "index on object");
        assert!(!m("nothing.here", json!(1)));
        assert!(m("alert.metadata.tag[2]", json!("c")));
        assert!(m("big", json!(18446744073709551615u64)));
        assert!(m("f", json!(1.5)));
        assert!(
            m("fileinfo.stored", json!("no")),
            "YAML 1.1 'no' equals false"
        );
        assert!(!m("fileinfo.stored", json!("yes")));
        assert!(m("alert.metadata", json!({"tag": ["a", "b", "c"]})));
        assert!(!m("alert.metadata", json!({"tag": ["a", "b"]})));
    }

    #[test]
    fn operators() {
        assert!(m("alert.metadata.tag.__len", json!(3)));
        assert!(!m("alert.metadata.tag.__len", json!(2)));
        assert!(m("dns.answers.__len", json!(2)));
        assert!(m("fileinfo.filename.__len", json!(9)));
        assert!(m("alert.__len", json!(3)), "object length");
        assert!(!m("src_port.__len", json!(1)), "number has no length");
        assert!(m("alert.metadata.tag.__len.__gt", json!(2)));
        assert!(m("fileinfo.size.__gt", json!(0)));
        assert!(!m("fileinfo.size.__gt", json!(10)));
        assert!(m("fileinfo.size.__gte", json!(10)));
        assert!(m("fileinfo.size.__lt", json!(10.5)));
        assert!(m("fileinfo.size.__lte", json!(10)));
        assert!(
            !m("fileinfo.size.__lt", json!("11")),
            "no number/string ordering"
        );
        assert!(m("fileinfo.filename.__find", json!("car")));
        assert!(m("fileinfo.filename.__contains", json!("eic")));
        assert!(m("alert.metadata.tag.__contains", json!("b")));
        assert!(!m("alert.metadata.tag.__contains", json!("z")));
        assert!(m("fileinfo.filename.__startswith", json!("eicar")));
        assert!(m("fileinfo.filename.__endswith", json!(".txt")));
        assert!(!m("fileinfo.filename.__endswith", json!(".exe")));
        assert!(!m("missing.__gt", json!(0)));
    }

    #[test]
    fn has_key_and_not_has_key() {
        assert!(m("has-key", json!("alert.rule")));
        assert!(!m("has-key", json!("alert.engine")));
        assert!(m("has-key", json!("dns.answers[0].ttl")));
        assert!(!m("has-key", json!("dns.answers[1].ttl")));
        assert!(m("not-has-key", json!("flow")));
        assert!(!m("not-has-key", json!("alert")));
        assert!(m("has-key", json!(["alert", "dns"])));
        assert!(!m("not-has-key", json!(["flow", "dns"])));
    }

    #[test]
    fn bad_keys_are_errors() {
        for (k, v) in [
            ("", json!(1)),
            ("a..b", json!(1)),
            ("a[", json!(1)),
            ("a[x]", json!(1)),
            ("a[1]b", json!(1)),
            ("a.__gt.b", json!(1)),
            ("__gt", json!(1)),
            ("has-key", json!(1)),
            ("has-key", json!([])),
            ("not-has-key", json!("a[")),
        ] {
            assert!(Matcher::new(k, &v).is_err(), "{k}");
        }
        assert!(lookup(&rec(), "a.__gt").is_err());
    }

    #[test]
    fn counts_and_near_miss() {
        let records = parse_json_lines(
            r#"{"event_type":"alert","alert":{"signature_id":1},"pcap_cnt":4}

{"event_type":"alert","alert":{"signature_id":2},"pcap_cnt":5}
{"event_type":"flow"}
"#,
        )
        .unwrap();
        assert_eq!(records.len(), 3);
        let ms = |pairs: &[(&str, Json)]| {
            compile(
                &pairs
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.clone()))
                    .collect::<Vec<_>>(),
            )
            .unwrap()
        };
        assert_eq!(
            count_matches(&records, &ms(&[("event_type", json!("alert"))])),
            2
        );
        assert_eq!(
            count_matches(&records, &ms(&[])),
            3,
            "empty match counts all"
        );
        let want = ms(&[
            ("event_type", json!("alert")),
            ("alert.signature_id", json!(3)),
        ]);
        assert_eq!(count_matches(&records, &want), 0);
        let hint = near_miss(&records, &want, 0).unwrap();
        assert!(
            hint.contains("2 record(s) match all but alert.signature_id=3"),
            "{hint}"
        );
        assert!(hint.contains("1 | 2"), "{hint}");
        assert!(near_miss(&records, &ms(&[("event_type", json!("dns"))]), 0).is_none());
        // Dropping a key must let more records match than already do, or there is no hint.
        let both = ms(&[("event_type", json!("alert")), ("pcap_cnt", json!(4))]);
        assert_eq!(count_matches(&records, &both), 1);
        let hint = near_miss(&records, &both, 1).unwrap();
        assert!(
            hint.starts_with("1 record(s) match all but pcap_cnt=4 (found: 5)"),
            "{hint}"
        );
        let flows = ms(&[("event_type", json!("flow")), ("nothing", json!(1))]);
        assert!(
            near_miss(&records, &flows, 0)
                .unwrap()
                .contains("match all but nothing=1 (found: missing)")
        );
        // Dropping x lets no more records match than the 1 claimed: the closest record speaks.
        let flow_x = ms(&[("event_type", json!("flow")), ("x", Json::Null)]);
        assert_eq!(
            near_miss(&records, &flow_x, 1).unwrap(),
            "closest record matches 1 of 2 keys, misses: x=null (found missing)"
        );
        assert!(
            parse_json_lines("{\"a\":1}\nnot json\n")
                .unwrap_err()
                .contains("line 2")
        );
    }

    #[test]
    fn stats_use_the_last_record() {
        let records = parse_json_lines(
            r#"{"event_type":"stats","stats":{"decoder":{"pkts":1}}}
{"event_type":"stats","stats":{"decoder":{"pkts":42},"file_store":{"fs_errors":0}}}
{"event_type":"flow"}
"#,
        )
        .unwrap();
        let k = |key: &str, v: Json| vec![(key.to_string(), v)];
        assert!(check_stats(&records, &k("decoder.pkts", json!(42))).is_ok());
        assert!(check_stats(&records, &k("file_store.fs_errors", json!(0))).is_ok());
        let e = check_stats(&records, &k("decoder.pkts", json!(1))).unwrap_err();
        assert!(e.contains("expected 1, found 42"), "{e}");
        let e = check_stats(&records, &k("tcp.syn", json!(1))).unwrap_err();
        assert!(e.contains("found missing"), "{e}");
        assert!(
            check_stats(&records[2..], &k("a", json!(1)))
                .unwrap_err()
                .contains("no stats record")
        );
    }
}
