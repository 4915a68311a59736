//! The suricata-verify subset run through sekimori by the workspace's runner
//! (`crates/sekimori-verify`): each test's rules, arguments and config, then the `checks:` of its
//! test.yaml against sekimori's output. Fails when the pass count drops below the best so far.

mod common;

use sekimori_verify::{RunOptions, run_all};

/// Tests passed so far: 131 of 145 run, of which 130 are among the 142 Suricata 7.0.10 passes
/// (the goal is 90% of those, 128).
const MIN_PASSED: usize = 131;

#[test]
fn suricata_verify_tests_pass() {
    let Some(shared) = common::shared_dir() else { return };
    let tests = shared.join("data/suricata-verify/tests");
    let mut opts = RunOptions::new(env!("CARGO_BIN_EXE_sekimori"), &tests);
    opts.manifest = Some(shared.join("data/suricata-verify/MANIFEST.tsv"));
    let summary = run_all(&opts).expect("the runner starts");
    for r in &summary.results {
        println!("{}", r.line());
    }
    println!("{}", summary.suricata_line());
    println!("{}", summary.totals_line());
    assert!(summary.passed >= MIN_PASSED, "{} passed, fewer than {MIN_PASSED}", summary.passed);
}
