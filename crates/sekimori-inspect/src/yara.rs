//! YARA rules (yara-x): compiled once from the configured files, scanned per buffer with a
//! time limit.

use std::path::PathBuf;
#[cfg(feature = "yara")]
use std::time::Duration;

use crate::error::InspectError;

/// The outcome of scanning one buffer.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct YaraOutcome {
    pub rules: Vec<String>,
    pub timeout: bool,
    pub error: bool,
}

/// Compiled rules.
#[cfg(feature = "yara")]
pub(crate) struct YaraRules {
    rules: yara_x::Rules,
    timeout: Duration,
}

#[cfg(feature = "yara")]
impl std::fmt::Debug for YaraRules {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("YaraRules")
            .field("rules", &self.rules.iter().len())
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// 1-based line of byte offset `at` in `src`.
#[cfg(feature = "yara")]
fn line_of(src: &str, at: usize) -> usize {
    src.as_bytes()
        .get(..at.min(src.len()))
        .unwrap_or_default()
        .iter()
        .filter(|&&c| c == b'\n')
        .count()
        + 1
}

#[cfg(feature = "yara")]
impl YaraRules {
    /// Compiles the rule files (each in its own namespace, named after the file).
    pub(crate) fn compile(
        paths: &[PathBuf],
        timeout_ms: u64,
    ) -> Result<Option<YaraRules>, InspectError> {
        if paths.is_empty() {
            return Ok(None);
        }
        let mut c = yara_x::Compiler::new();
        c.colorize_errors(false);
        for (i, p) in paths.iter().enumerate() {
            let src = std::fs::read_to_string(p).map_err(|source| InspectError::Io {
                path: p.clone(),
                source,
            })?;
            let ns = format!(
                "ns{i}_{}",
                p.file_stem()
                    .map(|s| s
                        .to_string_lossy()
                        .replace(|c: char| !c.is_ascii_alphanumeric(), "_"))
                    .unwrap_or_default()
            );
            c.new_namespace(&ns);
            let code = yara_x::SourceCode::from(src.as_str()).with_origin(p.display().to_string());
            if let Err(e) = c.add_source(code) {
                let line = e
                    .labels()
                    .next()
                    .map(|l| line_of(&src, l.span().start()))
                    .unwrap_or(0);
                return Err(InspectError::Yara {
                    path: p.clone(),
                    line,
                    message: e.title().to_owned(),
                });
            }
        }
        Ok(Some(YaraRules {
            rules: c.build(),
            timeout: Duration::from_millis(timeout_ms.max(1)),
        }))
    }

    /// Number of rules.
    pub(crate) fn len(&self) -> usize {
        self.rules.iter().len()
    }

    /// A scanner for a series of buffers (one per finished file and its archive entries).
    pub(crate) fn scanner(&self) -> YaraScanner<'_> {
        let mut s = yara_x::Scanner::new(&self.rules);
        s.set_timeout(self.timeout);
        YaraScanner { s }
    }
}

/// A scanner bound to compiled rules.
#[cfg(feature = "yara")]
pub(crate) struct YaraScanner<'r> {
    s: yara_x::Scanner<'r>,
}

#[cfg(feature = "yara")]
impl YaraScanner<'_> {
    pub(crate) fn scan(&mut self, data: &[u8]) -> YaraOutcome {
        match self.s.scan(data) {
            Ok(r) => YaraOutcome {
                rules: r
                    .matching_rules()
                    .map(|r| r.identifier().to_owned())
                    .collect(),
                ..YaraOutcome::default()
            },
            Err(yara_x::ScanError::Timeout) => YaraOutcome {
                timeout: true,
                ..YaraOutcome::default()
            },
            Err(_) => YaraOutcome {
                error: true,
                ..YaraOutcome::default()
            },
        }
    }
}

/// Stand-in without the `yara` feature: configuring rules is an error.
#[cfg(not(feature = "yara"))]
#[derive(Debug)]
pub(crate) struct YaraRules(());

#[cfg(not(feature = "yara"))]
impl YaraRules {
    pub(crate) fn compile(
        paths: &[PathBuf],
        _timeout_ms: u64,
    ) -> Result<Option<YaraRules>, InspectError> {
        if paths.is_empty() {
            Ok(None)
        } else {
            Err(InspectError::YaraDisabled)
        }
    }
    pub(crate) fn len(&self) -> usize {
        0
    }
    pub(crate) fn scanner(&self) -> YaraScanner<'_> {
        YaraScanner(std::marker::PhantomData)
    }
}

/// Stand-in scanner.
#[cfg(not(feature = "yara"))]
pub(crate) struct YaraScanner<'r>(std::marker::PhantomData<&'r ()>);

#[cfg(not(feature = "yara"))]
impl YaraScanner<'_> {
    pub(crate) fn scan(&mut self, _data: &[u8]) -> YaraOutcome {
        YaraOutcome::default()
    }
}

#[cfg(all(test, feature = "yara"))]
mod tests {
    use super::*;

    #[test]
    fn compiles_scans_and_reports_errors_with_lines() {
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("good.yar");
        std::fs::write(
            &good,
            "rule a { strings: $x = \"EVIL\" condition: $x }\nrule b { condition: filesize > 3 }\n",
        )
        .unwrap();
        let r = YaraRules::compile(std::slice::from_ref(&good), 1000)
            .unwrap()
            .unwrap();
        assert_eq!(r.len(), 2);
        let mut s = r.scanner();
        assert_eq!(s.scan(b"xxEVILxx").rules, ["a", "b"]);
        assert_eq!(s.scan(b"ok").rules, Vec::<String>::new());
        let bad = dir.path().join("bad.yar");
        std::fs::write(
            &bad,
            "rule ok { condition: true }\n\nrule broken {\n  condition: $nope\n}\n",
        )
        .unwrap();
        let e = YaraRules::compile(&[good, bad.clone()], 1000).unwrap_err();
        match &e {
            InspectError::Yara { path, line, .. } => {
                assert_eq!(path, &bad);
                assert_eq!(*line, 4);
            }
            other => panic!("{other:?}"),
        }
        assert!(e.to_string().contains("bad.yar:4: YARA:"), "{e}");
        assert!(YaraRules::compile(&[], 1000).unwrap().is_none());
    }
}
