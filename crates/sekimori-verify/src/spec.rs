//! The `test.yaml` descriptor of one suricata-verify test, read into typed form.
//!
//! Parsing never fails as a whole on odd content: a check that cannot be understood becomes
//! [`Check::Invalid`] with a message, so the test fails with that message instead of the runner
//! stopping. Only YAML that does not parse at all is an error.

use serde_json::Value as Json;
use serde_yaml::Value as Yaml;
use std::cmp::Ordering;
use std::collections::BTreeSet;
use std::fmt;

/// A dotted version such as `7`, `7.0` or `7.0.10`. Missing trailing components count as 0.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Version(pub Vec<u64>);

impl Version {
    /// The Suricata release whose behaviour sekimori reproduces, for `requires` decisions.
    pub fn emulated() -> Version {
        Version(vec![7, 0, 10])
    }

    /// Parses `7`, `7.0.10`, or a YAML number such as `6.0` (read as a float by YAML).
    pub fn parse(s: &str) -> Option<Version> {
        let s = s.trim();
        if s.is_empty() {
            return None;
        }
        let mut parts = Vec::new();
        for p in s.split('.') {
            parts.push(p.trim().parse::<u64>().ok()?);
        }
        Some(Version(parts))
    }

    fn from_yaml(v: &Yaml) -> Option<Version> {
        match v {
            Yaml::Number(n) => Version::parse(&n.to_string()),
            Yaml::String(s) => Version::parse(s),
            _ => None,
        }
    }

    fn component(&self, i: usize) -> u64 {
        self.0.get(i).copied().unwrap_or(0)
    }

    /// Compares with zero padding: `7` == `7.0.0`.
    pub fn cmp_padded(&self, other: &Version) -> Ordering {
        let n = self.0.len().max(other.0.len());
        for i in 0..n {
            match self.component(i).cmp(&other.component(i)) {
                Ordering::Equal => {}
                o => return o,
            }
        }
        Ordering::Equal
    }

    /// `version: 7.0` in upstream's sense: every component given matches (`7.0` matches 7.0.10).
    pub fn matches_prefix(&self, prefix: &Version) -> bool {
        prefix
            .0
            .iter()
            .enumerate()
            .all(|(i, p)| self.component(i) == *p)
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.0.iter().map(u64::to_string).collect();
        f.write_str(&parts.join("."))
    }
}

/// What the runner emulates when it evaluates `requires`.
#[derive(Clone, Debug)]
pub struct Environment {
    /// The Suricata version being emulated (7.0.10).
    pub version: Version,
    /// Build features considered present (`MAGIC`, `HAVE_JA3`, ...).
    pub features: BTreeSet<String>,
}

/// Features of the Suricata build that sekimori covers; anything else (`HAVE_LUA`, `HAVE_NSS`,
/// `NFQ`, ...) makes a test or check that requires it skipped.
pub const DEFAULT_FEATURES: &[&str] = &[
    "RUST",
    "MAGIC",
    "HAVE_JA3",
    "HAVE_JA4",
    "HAVE_LIBJANSSON",
    "PCRE_JIT",
];

impl Default for Environment {
    fn default() -> Self {
        Environment {
            version: Version::emulated(),
            features: DEFAULT_FEATURES.iter().map(|s| s.to_string()).collect(),
        }
    }
}

/// A `requires:` block (of the test or of one check).
#[derive(Clone, Debug, Default)]
pub struct Requires {
    /// `min-version`.
    pub min_version: Option<Version>,
    /// `lt-version`.
    pub lt_version: Option<Version>,
    /// `gt-version`.
    pub gt_version: Option<Version>,
    /// `version` (prefix match).
    pub version: Option<Version>,
    /// `features`.
    pub features: Vec<String>,
    /// `pcap: false` turns this off: the test runs without a pcap.
    pub pcap: bool,
    /// `script`: shell commands that must succeed (not run by this runner: the test is skipped).
    pub script: Vec<String>,
    /// Keys this runner does not know, or values it could not read.
    pub unknown: Vec<String>,
}

impl Requires {
    fn parse(v: &Yaml) -> Requires {
        let mut r = Requires {
            pcap: true,
            ..Requires::default()
        };
        let Some(map) = v.as_mapping() else {
            if !v.is_null() {
                r.unknown.push("requires is not a mapping".into());
            }
            return r;
        };
        for (k, val) in map {
            let key = yaml_key(k);
            let version = || {
                Version::from_yaml(val)
                    .ok_or_else(|| format!("{key}: unreadable version {}", yaml_short(val)))
            };
            match key.as_str() {
                "min-version" => match version() {
                    Ok(v) => r.min_version = Some(v),
                    Err(e) => r.unknown.push(e),
                },
                "lt-version" => match version() {
                    Ok(v) => r.lt_version = Some(v),
                    Err(e) => r.unknown.push(e),
                },
                "gt-version" => match version() {
                    Ok(v) => r.gt_version = Some(v),
                    Err(e) => r.unknown.push(e),
                },
                "version" => match version() {
                    Ok(v) => r.version = Some(v),
                    Err(e) => r.unknown.push(e),
                },
                "features" => r.features = string_list(val),
                "pcap" => r.pcap = yaml_truthy(val).unwrap_or(true),
                "script" => r.script = string_list(val),
                other => r.unknown.push(format!("unknown requirement '{other}'")),
            }
        }
        r
    }

    /// Why this requirement is not met in `env`, or `None` when it is.
    pub fn unmet(&self, env: &Environment) -> Option<String> {
        if let Some(u) = self.unknown.first() {
            return Some(u.clone());
        }
        let ours = &env.version;
        if let Some(v) = &self.min_version
            && ours.cmp_padded(v) == Ordering::Less
        {
            return Some(format!("needs Suricata >= {v} (emulating {ours})"));
        }
        if let Some(v) = &self.lt_version
            && ours.cmp_padded(v) != Ordering::Less
        {
            return Some(format!("needs Suricata < {v} (emulating {ours})"));
        }
        if let Some(v) = &self.gt_version
            && ours.cmp_padded(v) != Ordering::Greater
        {
            return Some(format!("needs Suricata > {v} (emulating {ours})"));
        }
        if let Some(v) = &self.version
            && !ours.matches_prefix(v)
        {
            return Some(format!("only for Suricata {v} (emulating {ours})"));
        }
        if let Some(f) = self.features.iter().find(|f| !env.features.contains(*f)) {
            return Some(format!("needs feature {f}"));
        }
        if !self.script.is_empty() {
            return Some("requires.script is not supported by this runner".into());
        }
        None
    }
}

/// `skip:` entry: skip the test when a feature is present.
#[derive(Clone, Debug)]
pub struct SkipIf {
    /// The feature.
    pub feature: String,
    /// The message to give.
    pub msg: String,
}

/// One entry of `checks:`.
#[derive(Clone, Debug)]
pub enum Check {
    /// Count the records of a JSON-lines file that match every key.
    Filter(FilterCheck),
    /// Compare keys of the last `stats` record.
    Stats(StatsCheck),
    /// Run a shell command in the output directory.
    Shell(ShellCheck),
    /// Compare an output file with an expected file from the test directory.
    FileCompare(FileCompareCheck),
    /// A check this runner could not read; the test fails with the message.
    Invalid(String),
}

/// A `filter:` check.
#[derive(Clone, Debug)]
pub struct FilterCheck {
    /// Requirements for this check only.
    pub requires: Option<Requires>,
    /// File to read, relative to the output directory (default `eve.json`).
    pub filename: String,
    /// Exact number of matching records.
    pub count: u64,
    /// Keys and expected values, in the order written.
    pub matchers: Vec<(String, Json)>,
}

/// A `stats:` check.
#[derive(Clone, Debug)]
pub struct StatsCheck {
    /// Requirements for this check only.
    pub requires: Option<Requires>,
    /// Keys relative to the `stats` object, and their expected values.
    pub keys: Vec<(String, Json)>,
}

/// A `shell:` check.
#[derive(Clone, Debug)]
pub struct ShellCheck {
    /// Requirements for this check only.
    pub requires: Option<Requires>,
    /// The command (run with `sh -c`).
    pub args: String,
    /// Expected standard output, compared after trimming; without it the exit status must be 0.
    pub expect: Option<String>,
}

/// A `file-compare:` check.
#[derive(Clone, Debug)]
pub struct FileCompareCheck {
    /// Requirements for this check only.
    pub requires: Option<Requires>,
    /// Output file, relative to the output directory.
    pub filename: String,
    /// Expected file, relative to the test directory.
    pub expected: String,
}

impl Check {
    /// The check's own requirements, if any.
    pub fn requires(&self) -> Option<&Requires> {
        match self {
            Check::Filter(c) => c.requires.as_ref(),
            Check::Stats(c) => c.requires.as_ref(),
            Check::Shell(c) => c.requires.as_ref(),
            Check::FileCompare(c) => c.requires.as_ref(),
            Check::Invalid(_) => None,
        }
    }
}

/// A whole `test.yaml`.
#[derive(Clone, Debug)]
pub struct TestSpec {
    /// Test-level requirements.
    pub requires: Requires,
    /// `args`, split on whitespace (`${TEST_DIR}` not yet substituted).
    pub args: Vec<String>,
    /// `pcap:` path relative to the test directory.
    pub pcap: Option<String>,
    /// `rules:` path relative to the test directory.
    pub rules: Option<String>,
    /// Expected exit code of the engine (default 0).
    pub exit_code: i64,
    /// Extra environment variables.
    pub env: Vec<(String, String)>,
    /// `command:`: a custom command line (Suricata's; this runner skips such tests).
    pub command: Option<String>,
    /// `skip:` entries.
    pub skip: Vec<SkipIf>,
    /// `pre-check:` shell script run in the output directory before the checks.
    pub pre_check: Option<String>,
    /// The checks, in order.
    pub checks: Vec<Check>,
    /// Keys of test.yaml this runner ignores, for the notes.
    pub ignored_keys: Vec<String>,
}

/// `test.yaml` is not YAML, or not a mapping at its top.
#[derive(Debug, thiserror::Error)]
#[error("test.yaml: {0}")]
pub struct SpecError(pub String);

impl TestSpec {
    /// Reads the descriptor text.
    pub fn parse(text: &str) -> Result<TestSpec, SpecError> {
        let doc: Yaml = serde_yaml::from_str(text).map_err(|e| SpecError(e.to_string()))?;
        let empty = serde_yaml::Mapping::new();
        let map = match &doc {
            Yaml::Mapping(m) => m,
            Yaml::Null => &empty,
            _ => return Err(SpecError("top level is not a mapping".into())),
        };
        let mut spec = TestSpec {
            requires: Requires {
                pcap: true,
                ..Requires::default()
            },
            args: Vec::new(),
            pcap: None,
            rules: None,
            exit_code: 0,
            env: Vec::new(),
            command: None,
            skip: Vec::new(),
            pre_check: None,
            checks: Vec::new(),
            ignored_keys: Vec::new(),
        };
        for (k, v) in map {
            let key = yaml_key(k);
            match key.as_str() {
                "requires" => spec.requires = Requires::parse(v),
                "args" => {
                    spec.args = string_list(v)
                        .iter()
                        .flat_map(|a| a.split_whitespace().map(str::to_string))
                        .collect()
                }
                "pcap" => match v {
                    Yaml::String(s) => spec.pcap = Some(s.clone()),
                    Yaml::Bool(false) | Yaml::Null => {}
                    other => {
                        return Err(SpecError(format!("pcap: {}", yaml_short(other))));
                    }
                },
                "rules" => spec.rules = yaml_scalar_string(v),
                "exit-code" => {
                    spec.exit_code = match v {
                        Yaml::Number(n) => n.as_i64().ok_or_else(|| {
                            SpecError(format!("exit-code: {n} is not an integer"))
                        })?,
                        Yaml::String(s) => s
                            .trim()
                            .parse()
                            .map_err(|_| SpecError(format!("exit-code: {s:?}")))?,
                        other => {
                            return Err(SpecError(format!("exit-code: {}", yaml_short(other))));
                        }
                    }
                }
                "env" => {
                    if let Some(m) = v.as_mapping() {
                        for (ek, ev) in m {
                            spec.env
                                .push((yaml_key(ek), yaml_scalar_string(ev).unwrap_or_default()));
                        }
                    }
                }
                "command" => spec.command = yaml_scalar_string(v),
                "skip" => {
                    if let Some(seq) = v.as_sequence() {
                        for item in seq {
                            let get = |name: &str| item.get(name).and_then(yaml_scalar_string);
                            if let Some(feature) = get("feature") {
                                spec.skip.push(SkipIf {
                                    feature,
                                    msg: get("msg").unwrap_or_default(),
                                });
                            }
                        }
                    }
                }
                "pre-check" => spec.pre_check = yaml_scalar_string(v),
                "checks" => match v {
                    Yaml::Sequence(seq) => spec.checks = seq.iter().map(parse_check).collect(),
                    Yaml::Null => {}
                    other => spec.checks.push(Check::Invalid(format!(
                        "checks is not a list: {}",
                        yaml_short(other)
                    ))),
                },
                other => spec.ignored_keys.push(other.to_string()),
            }
        }
        Ok(spec)
    }
}

fn parse_check(item: &Yaml) -> Check {
    let Some(map) = item.as_mapping() else {
        return Check::Invalid(format!("check is not a mapping: {}", yaml_short(item)));
    };
    // A `requires:` may sit beside the check's kind as well as inside it.
    let outer_requires = item.get("requires").map(Requires::parse);
    let kinds: Vec<(String, &Yaml)> = map
        .iter()
        .map(|(k, v)| (yaml_key(k), v))
        .filter(|(k, _)| k != "requires")
        .collect();
    let [(kind, body)] = kinds.as_slice() else {
        let names: Vec<&str> = kinds.iter().map(|(k, _)| k.as_str()).collect();
        return Check::Invalid(format!(
            "check has {} kinds: {}",
            names.len(),
            names.join(", ")
        ));
    };
    let inner_requires = body.get("requires").map(Requires::parse);
    let requires = inner_requires.or(outer_requires);
    match kind.as_str() {
        "filter" => parse_filter(body, requires),
        "stats" => {
            let Some(m) = body.as_mapping() else {
                return Check::Invalid(format!("stats: not a mapping: {}", yaml_short(body)));
            };
            let mut keys = Vec::new();
            for (k, v) in m {
                let key = yaml_key(k);
                if key == "requires" {
                    continue;
                }
                match yaml_to_json(v) {
                    Ok(j) => keys.push((key, j)),
                    Err(e) => return Check::Invalid(format!("stats: {key}: {e}")),
                }
            }
            Check::Stats(StatsCheck { requires, keys })
        }
        "shell" => {
            let Some(args) = body.get("args").and_then(yaml_scalar_string) else {
                return Check::Invalid("shell: no args".into());
            };
            Check::Shell(ShellCheck {
                requires,
                args,
                expect: body.get("expect").and_then(yaml_scalar_string),
            })
        }
        "file-compare" => {
            let get = |n: &str| body.get(n).and_then(yaml_scalar_string);
            match (get("filename"), get("expected")) {
                (Some(filename), Some(expected)) => Check::FileCompare(FileCompareCheck {
                    requires,
                    filename,
                    expected,
                }),
                _ => Check::Invalid("file-compare: needs filename and expected".into()),
            }
        }
        other => Check::Invalid(format!("unknown check kind '{other}'")),
    }
}

fn parse_filter(body: &Yaml, requires: Option<Requires>) -> Check {
    if body.as_mapping().is_none() {
        return Check::Invalid(format!("filter: not a mapping: {}", yaml_short(body)));
    }
    let count = match body.get("count") {
        Some(Yaml::Number(n)) => match n.as_u64() {
            Some(c) => c,
            None => return Check::Invalid(format!("filter: count {n} is not a count")),
        },
        Some(Yaml::String(s)) => match s.trim().parse::<u64>() {
            Ok(c) => c,
            Err(_) => return Check::Invalid(format!("filter: count {s:?} is not a count")),
        },
        Some(other) => return Check::Invalid(format!("filter: count {}", yaml_short(other))),
        None => return Check::Invalid("filter: no count".into()),
    };
    let filename = body
        .get("filename")
        .and_then(yaml_scalar_string)
        .unwrap_or_else(|| "eve.json".to_string());
    let mut matchers = Vec::new();
    match body.get("match") {
        Some(Yaml::Mapping(m)) => {
            for (k, v) in m {
                let key = yaml_key(k);
                match yaml_to_json(v) {
                    Ok(j) => matchers.push((key, j)),
                    Err(e) => return Check::Invalid(format!("filter: match {key}: {e}")),
                }
            }
        }
        Some(Yaml::Null) | None => {}
        Some(other) => {
            return Check::Invalid(format!(
                "filter: match is not a mapping: {}",
                yaml_short(other)
            ));
        }
    }
    Check::Filter(FilterCheck {
        requires,
        filename,
        count,
        matchers,
    })
}

/// A YAML mapping key as text (numbers and booleans as written).
pub(crate) fn yaml_key(k: &Yaml) -> String {
    yaml_scalar_string(k).unwrap_or_else(|| yaml_short(k))
}

/// A scalar as text; `None` for sequences, mappings and null.
pub(crate) fn yaml_scalar_string(v: &Yaml) -> Option<String> {
    match v {
        Yaml::String(s) => Some(s.clone()),
        Yaml::Number(n) => Some(n.to_string()),
        Yaml::Bool(b) => Some(b.to_string()),
        Yaml::Tagged(t) => yaml_scalar_string(&t.value),
        _ => None,
    }
}

/// YAML 1.1 truth values (`yes`, `on`, `true`, ...), as Suricata reads its config.
pub(crate) fn yaml_truthy(v: &Yaml) -> Option<bool> {
    match v {
        Yaml::Bool(b) => Some(*b),
        Yaml::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "yes" | "true" | "on" | "y" | "1" => Some(true),
            "no" | "false" | "off" | "n" | "0" => Some(false),
            _ => None,
        },
        Yaml::Number(n) => n.as_i64().map(|i| i != 0),
        _ => None,
    }
}

/// A scalar or a list of scalars as strings.
pub(crate) fn string_list(v: &Yaml) -> Vec<String> {
    match v {
        Yaml::Sequence(seq) => seq.iter().filter_map(yaml_scalar_string).collect(),
        other => yaml_scalar_string(other).into_iter().collect(),
    }
}

/// A short rendering of a YAML value for messages.
pub(crate) fn yaml_short(v: &Yaml) -> String {
    let s = serde_yaml::to_string(v).unwrap_or_else(|_| format!("{v:?}"));
    let s = s.trim().replace('\n', " ");
    truncate(&s, 80)
}

/// `s` cut to at most `max` characters, with `…` when cut.
pub(crate) fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(max).collect();
        out.push('…');
        out
    }
}

/// Converts a YAML value to JSON for comparison with EVE records.
pub fn yaml_to_json(v: &Yaml) -> Result<Json, String> {
    Ok(match v {
        Yaml::Null => Json::Null,
        Yaml::Bool(b) => Json::Bool(*b),
        Yaml::Number(n) => {
            if let Some(i) = n.as_i64() {
                Json::from(i)
            } else if let Some(u) = n.as_u64() {
                Json::from(u)
            } else {
                let f = n.as_f64().unwrap_or(f64::NAN);
                serde_json::Number::from_f64(f)
                    .map(Json::Number)
                    .ok_or_else(|| format!("number {n} has no JSON form"))?
            }
        }
        Yaml::String(s) => Json::String(s.clone()),
        Yaml::Sequence(seq) => Json::Array(seq.iter().map(yaml_to_json).collect::<Result<_, _>>()?),
        Yaml::Mapping(m) => {
            let mut obj = serde_json::Map::new();
            for (k, val) in m {
                obj.insert(yaml_key(k), yaml_to_json(val)?);
            }
            Json::Object(obj)
        }
        Yaml::Tagged(t) => yaml_to_json(&t.value)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_compare_with_padding_and_prefix() {
        let ours = Version::emulated();
        assert_eq!(
            ours.cmp_padded(&Version::parse("7").unwrap()),
            Ordering::Greater
        );
        assert_eq!(
            ours.cmp_padded(&Version::parse("7.0.10").unwrap()),
            Ordering::Equal
        );
        assert_eq!(
            ours.cmp_padded(&Version::parse("7.0.12").unwrap()),
            Ordering::Less
        );
        assert_eq!(
            ours.cmp_padded(&Version::parse("8").unwrap()),
            Ordering::Less
        );
        assert!(ours.matches_prefix(&Version::parse("7.0").unwrap()));
        assert!(!ours.matches_prefix(&Version::parse("7.1").unwrap()));
        assert!(Version::parse("7.x").is_none());
        assert!(Version::parse("").is_none());
    }

    #[test]
    fn requires_decides_skips() {
        let env = Environment::default();
        let r = |y: &str| Requires::parse(&serde_yaml::from_str::<Yaml>(y).unwrap());
        assert_eq!(r("min-version: 7").unmet(&env), None);
        assert_eq!(r("min-version: 6.0").unmet(&env), None, "YAML float 6.0");
        assert!(r("min-version: 8").unmet(&env).unwrap().contains(">= 8"));
        assert!(r("min-version: 7.0.12").unmet(&env).is_some());
        assert_eq!(r("lt-version: 8").unmet(&env), None);
        assert!(r("lt-version: 7").unmet(&env).unwrap().contains("< 7"));
        assert_eq!(r("gt-version: 6.0.11").unmet(&env), None);
        assert!(r("gt-version: 7.0.10").unmet(&env).is_some());
        assert_eq!(r("version: 7.0").unmet(&env), None);
        assert!(r("version: 6").unmet(&env).is_some());
        assert_eq!(r("features: [MAGIC, HAVE_JA3]").unmet(&env), None);
        assert_eq!(
            r("features: [HAVE_LUA]").unmet(&env).unwrap(),
            "needs feature HAVE_LUA"
        );
        assert!(
            r("frobnicate: 1")
                .unmet(&env)
                .unwrap()
                .contains("frobnicate")
        );
        assert!(
            r("min-version: [1]")
                .unmet(&env)
                .unwrap()
                .contains("unreadable")
        );
        assert!(!r("pcap: false").pcap);
        assert!(r("min-version: 7").pcap);
    }

    #[test]
    fn parses_a_full_descriptor() {
        let spec = TestSpec::parse(
            r#"
requires:
  min-version: 7
pcap: ../other/input.pcap
args:
- -k none --set stream.midstream=true
exit-code: 1
env:
  SURICATA_EVE_DNS_VERSION: 2
checks:
  - filter:
      requires:
        min-version: 8
      count: 2
      match:
        event_type: alert
        alert.signature_id: 1
  - requires:
      lt-version: 8
    filter:
      filename: other.json
      count: 0
      match: {has-key: flow}
  - stats:
      decoder.pkts: 42
  - shell:
      args: cat fast.log | wc -l | xargs
      expect: 1
  - file-compare: {filename: a.csv, expected: expected/a.csv}
"#,
        )
        .unwrap();
        assert_eq!(spec.args, ["-k", "none", "--set", "stream.midstream=true"]);
        assert_eq!(spec.pcap.as_deref(), Some("../other/input.pcap"));
        assert_eq!(spec.exit_code, 1);
        assert_eq!(
            spec.env,
            [("SURICATA_EVE_DNS_VERSION".to_string(), "2".to_string())]
        );
        assert_eq!(spec.checks.len(), 5);
        let Check::Filter(f) = &spec.checks[0] else {
            panic!("{:?}", spec.checks[0])
        };
        assert_eq!(f.count, 2);
        assert_eq!(f.filename, "eve.json");
        assert_eq!(
            f.matchers[1],
            ("alert.signature_id".to_string(), Json::from(1))
        );
        assert!(f.requires.as_ref().unwrap().min_version.is_some());
        let Check::Filter(f) = &spec.checks[1] else {
            panic!()
        };
        assert_eq!(f.filename, "other.json");
        assert!(
            f.requires.as_ref().unwrap().lt_version.is_some(),
            "outer requires kept"
        );
        let Check::Stats(s) = &spec.checks[2] else {
            panic!()
        };
        assert_eq!(s.keys, [("decoder.pkts".to_string(), Json::from(42))]);
        let Check::Shell(s) = &spec.checks[3] else {
            panic!()
        };
        assert_eq!(s.expect.as_deref(), Some("1"));
        assert!(matches!(spec.checks[4], Check::FileCompare(_)));
    }

    #[test]
    fn odd_checks_become_invalid_not_errors() {
        let spec = TestSpec::parse(
            r#"
checks:
  - 5
  - filter: {match: {a: 1}}
  - filter: {count: -1}
  - filter: {count: 1, match: [a, b]}
  - bogus: {}
  - filter: {count: 1}
    stats: {a: 1}
  - shell: {expect: 1}
  - file-compare: {filename: a}
  - stats: [1, 2]
"#,
        )
        .unwrap();
        assert_eq!(spec.checks.len(), 9);
        for c in &spec.checks {
            assert!(matches!(c, Check::Invalid(_)), "{c:?}");
        }
    }

    #[test]
    fn hostile_documents() {
        assert!(TestSpec::parse("[1, 2]").is_err());
        assert!(TestSpec::parse("a: [").is_err());
        assert!(TestSpec::parse("exit-code: [1]").is_err());
        assert!(TestSpec::parse("").unwrap().checks.is_empty());
        assert!(TestSpec::parse("checks: 5").unwrap().checks.len() == 1);
        // Deep nesting is refused by the YAML parser, not a stack overflow.
        let deep = "[".repeat(100_000);
        assert!(TestSpec::parse(&deep).is_err());
        let spec = TestSpec::parse("checks:\n- filter: {count: 1, match: {a: .nan}}\n").unwrap();
        assert!(matches!(spec.checks[0], Check::Invalid(_)));
    }

    /// Mutated descriptors never panic the parser, the requirement check or the evaluator.
    #[test]
    fn mutated_descriptors_do_not_panic() {
        let base = r#"requires:
  min-version: 7.0.3
  features: [MAGIC]
args: [-k none, --set a.b=1]
pcap: ../x/input.pcap
checks:
  - filter:
      requires: {lt-version: 8}
      count: 1
      match:
        event_type: alert
        dns.answers[0].rrname.__len: 11
        alert.metadata.tag.__contains: a
        has-key: alert
  - stats: {decoder.pkts: 1}
  - shell: {args: "true", expect: 1}
"#;
        let record = serde_json::json!({"event_type": "alert", "alert": {"metadata": {"tag": ["a"]}},
            "dns": {"answers": [{"rrname": "example.com"}]}});
        let bytes = base.as_bytes();
        let replacements = b"[]{}:-,.'\"\n #&*!|>%@`0_";
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let env = Environment::default();
        let mut parsed = 0;
        for _ in 0..3000 {
            let mut m = bytes.to_vec();
            for _ in 0..(next() % 4 + 1) {
                let len = m.len().max(1) as u64;
                let pos = (next() % len) as usize;
                let r = replacements[(next() % replacements.len() as u64) as usize];
                match next() % 3 {
                    0 => {
                        if let Some(b) = m.get_mut(pos) {
                            *b = r;
                        }
                    }
                    1 => m.insert(pos.min(m.len()), r),
                    _ => {
                        if pos < m.len() {
                            m.remove(pos);
                        }
                    }
                }
            }
            let text = String::from_utf8_lossy(&m);
            if let Ok(spec) = TestSpec::parse(&text) {
                parsed += 1;
                let _ = spec.requires.unmet(&env);
                for c in &spec.checks {
                    if let Some(r) = c.requires() {
                        let _ = r.unmet(&env);
                    }
                    if let Check::Filter(f) = c
                        && let Ok(ms) = crate::check::compile(&f.matchers)
                    {
                        let recs = [record.clone()];
                        let found = crate::check::count_matches(&recs, &ms);
                        let _ = crate::check::near_miss(&recs, &ms, found);
                    }
                    if let Check::Stats(st) = c {
                        let _ = crate::check::check_stats(std::slice::from_ref(&record), &st.keys);
                    }
                }
            }
            if let Ok(Yaml::Mapping(doc)) = serde_yaml::from_str::<Yaml>(&text) {
                let _ = crate::config::translate(&doc, std::path::Path::new("/out"));
            }
        }
        assert!(parsed > 500, "mutations should mostly stay YAML: {parsed}");
    }
}
