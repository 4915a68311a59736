//! Helpers shared by the integration tests: finding the public reference data, running the
//! `sekimori` binary, reading EVE files.
#![allow(dead_code)]

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// `../shared` beside the repository (or `$SEKIMORI_SHARED`), when present; see
/// `sekimori_fixtures::shared::dir` (a missing directory fails under `SEKIMORI_REQUIRE_SHARED`).
pub fn shared_dir() -> Option<PathBuf> {
    sekimori_fixtures::shared::dir()
}

/// Runs `sekimori` with `args`; returns its output.
pub fn sekimori(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sekimori"))
        .args(args)
        .output()
        .expect("the sekimori binary runs")
}

/// Runs `sekimori analyze -q -l DIR [extra] PCAP...` and returns (output, EVE records).
pub fn analyze(dir: &Path, extra: &[&str], pcaps: &[&Path]) -> (Output, Vec<Value>) {
    let mut args: Vec<String> = vec![
        "analyze".into(),
        "-q".into(),
        "-l".into(),
        dir.display().to_string(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    args.extend(pcaps.iter().map(|p| p.display().to_string()));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = sekimori(&refs);
    let eve = read_eve(&dir.join("eve.json"));
    (out, eve)
}

/// Reads an EVE file (missing file: no records). Every line must be valid JSON.
pub fn read_eve(path: &Path) -> Vec<Value> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Vec::new();
    };
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            serde_json::from_str(l)
                .unwrap_or_else(|e| panic!("{}: invalid JSON line {l:?}: {e}", path.display()))
        })
        .collect()
}

/// Records of one event type.
pub fn of_type<'a>(eve: &'a [Value], t: &str) -> Vec<&'a Value> {
    eve.iter().filter(|r| r["event_type"] == t).collect()
}

/// Every pcap/pcapng file below `dir`, sorted.
pub fn pcaps_below(dir: &Path) -> Vec<PathBuf> {
    sekimori_fixtures::shared::pcaps_below(dir)
}
