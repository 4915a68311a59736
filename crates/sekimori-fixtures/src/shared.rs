//! Where the public reference data lives for tests and benches: `../shared` beside the repository
//! (as CI lays it out) or `$SEKIMORI_SHARED`. One place, so every crate's tests look in the same
//! spot and a missing directory is never a silent pass in CI.

use std::path::{Path, PathBuf};

/// The shared directory (containing `data/` and `docs/`), when present.
///
/// When absent: `None` with a message on stderr, so the caller skips; but if
/// `SEKIMORI_REQUIRE_SHARED` is set (CI sets it) a missing directory panics, failing the test.
pub fn dir() -> Option<PathBuf> {
    let dir = std::env::var_os("SEKIMORI_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"));
    if dir.join("data").is_dir() {
        return Some(dir);
    }
    if std::env::var_os("SEKIMORI_REQUIRE_SHARED").is_some() {
        panic!("{} is missing and SEKIMORI_REQUIRE_SHARED is set", dir.display());
    }
    eprintln!("skipping: reference data not found at {} (set SEKIMORI_SHARED)", dir.display());
    None
}

/// A path inside the shared directory (`data/rules/et-open.rules`, ...), when present.
pub fn path(rel: &str) -> Option<PathBuf> {
    dir().map(|d| d.join(rel))
}

/// `data/suricata-verify/tests`, when present.
pub fn suricata_verify_tests() -> Option<PathBuf> {
    path("data/suricata-verify/tests")
}

/// Every `.pcap` / `.pcapng` file below `dir`, sorted.
pub fn pcaps_below(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else { continue };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "pcap" || x == "pcapng") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}
