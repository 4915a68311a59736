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

/// One row of `data/suricata-verify-eve/INDEX.tsv`: how Suricata 7.0.10 was run on a
/// suricata-verify test, and where its EVE output is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReferenceRun {
    /// The test's path below `suricata-verify/tests` (e.g. `dns/v2/dns-z-bit`).
    pub test: String,
    /// The pcap it read (`-r`), resolved.
    pub pcap: PathBuf,
    /// Suricata's `eve.json` for it.
    pub eve: PathBuf,
    /// Suricata wrote an EVE file.
    pub eve_written: bool,
    /// The test has its own suricata.yaml (then `config` is the one used).
    pub own_config: bool,
    /// The config used (`-c`), resolved.
    pub config: Option<PathBuf>,
    /// The rule file (`-S`), resolved, unless it was `/dev/null`.
    pub rules: Option<PathBuf>,
    /// The command line as recorded, with `$SV`, `$EVE`, `$ETC`, `$OUT` left in.
    pub command: String,
}

impl ReferenceRun {
    /// The value of `--set KEY=VALUE` in the command, when set.
    pub fn set(&self, key: &str) -> Option<&str> {
        let mut words = self.command.split_whitespace();
        while let Some(w) = words.next() {
            if w == "--set"
                && let Some((k, v)) = words.next().and_then(|kv| kv.split_once('='))
                && k == key
            {
                return Some(v);
            }
        }
        None
    }

    /// Whether the command has `word` (e.g. `--simulate-ips`).
    pub fn has_arg(&self, word: &str) -> bool {
        self.command.split_whitespace().any(|w| w == word)
    }
}

/// Every run of INDEX.tsv that read a pcap, in file order; empty when the shared data is absent.
pub fn reference_runs() -> Vec<ReferenceRun> {
    let Some(data) = path("data") else { return Vec::new() };
    let (sv, eve) = (data.join("suricata-verify/tests"), data.join("suricata-verify-eve"));
    let Ok(index) = std::fs::read_to_string(eve.join("INDEX.tsv")) else {
        return Vec::new();
    };
    parse_index(&index, &sv, &eve)
}

/// Parses INDEX.tsv text; `$SV` paths resolve below `sv`, `$EVE` paths below `eve`.
pub fn parse_index(index: &str, sv: &Path, eve: &Path) -> Vec<ReferenceRun> {
    let resolve = |p: &str| {
        if let Some(rest) = p.strip_prefix("$SV/") {
            Some(sv.join(rest))
        } else {
            p.strip_prefix("$EVE/").map(|rest| eve.join(rest))
        }
    };
    let mut out = Vec::new();
    for line in index.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        let (Some(test), Some(command)) = (cols.first(), cols.get(9)) else { continue };
        let arg = |flag: &str| {
            let mut w = command.split_whitespace();
            w.position(|x| x == flag).and_then(|_| w.next())
        };
        let Some(pcap) = arg("-r").and_then(resolve) else { continue };
        out.push(ReferenceRun {
            test: test.to_string(),
            pcap,
            eve: eve.join(test).join("eve.json"),
            eve_written: cols.get(4) == Some(&"True"),
            own_config: cols.get(7) == Some(&"True"),
            config: arg("-c").and_then(resolve),
            rules: arg("-S").and_then(resolve),
            command: command.to_string(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_rows_resolve_their_paths_and_settings() {
        let index = "test\tstatus\trc\texpected_rc\teve\tevents\tstats_dropped\town_config\tupstream\tcommand\n\
            a/b\tok\t0\t0\tTrue\t5\t0\tTrue\tOK\tsuricata --set x.y=1 -k none --simulate-ips -l $OUT -c $EVE/a/b/suricata-eve.yaml -r $SV/a/b/in.pcap -S /dev/null\n\
            nopcap\tok\t0\t0\tFalse\t0\t0\tFalse\tOK\tsuricata -l $OUT -c $EVE/suricata-eve.yaml\n";
        let runs = parse_index(index, Path::new("/sv"), Path::new("/eve"));
        assert_eq!(runs.len(), 1, "a run without a pcap is left out");
        let r = &runs[0];
        assert_eq!(r.test, "a/b");
        assert_eq!(r.pcap, Path::new("/sv/a/b/in.pcap"));
        assert_eq!(r.eve, Path::new("/eve/a/b/eve.json"));
        assert_eq!(r.config.as_deref(), Some(Path::new("/eve/a/b/suricata-eve.yaml")));
        assert_eq!(r.rules, None, "/dev/null is no rule file");
        assert!(r.eve_written && r.own_config);
        assert_eq!(r.set("x.y"), Some("1"));
        assert_eq!(r.set("x"), None);
        assert!(r.has_arg("--simulate-ips") && !r.has_arg("-v"));
    }
}
