//! A runner for the suricata-verify test suite against the `sekimori` binary.
//!
//! For each directory under the suite's `tests/` that has a `test.yaml`, the runner builds a
//! sekimori command line from the test's rules, args and config, runs it with a timeout, and
//! evaluates the test's `checks:` (filter counts and field matches, `stats`, `shell`,
//! `file-compare`) against what sekimori wrote. Tests or checks whose `requires` need something
//! out of scope (Suricata 8 behaviour, Lua, a custom command line, ...) are skipped with the
//! reason. `requires` is evaluated as if sekimori were Suricata 7.0.10 with the features in
//! [`DEFAULT_FEATURES`].
//!
//! The command line is
//! `sekimori analyze -q -l OUT [-S RULES]... [-c OUT/sekimori-test.toml] [--home-net=NETS]
//! [-k MODE] [--set K=V]... [--simulate-ips] PCAP`, where the TOML file, `--home-net`, `-k` and
//! the first `--set`s come from the test's `suricata.yaml` (see [`config`]), and the later
//! `--set`/`-k` from its `args`; `--simulate-ips` is added when the test's name contains `ips`
//! (as upstream does) or its args ask for it. `--runmode` and `--no-random` are dropped; other
//! args are passed through, so sekimori rejecting them fails the test.
//!
//! ```no_run
//! use sekimori_verify::{RunOptions, run_all_with};
//! let opts = RunOptions::new("target/debug/sekimori", "../shared/data/suricata-verify/tests");
//! let summary = run_all_with(&opts, |r| println!("{}", r.line())).unwrap();
//! println!("{}", summary.totals_line());
//! ```
#![deny(missing_docs)]

pub mod check;
pub mod config;
pub mod run;
pub mod spec;

pub use run::{
    Outcome, RunError, RunOptions, Summary, TestDir, TestResult, discover, load_manifest, run_all,
    run_all_with, run_test,
};
pub use spec::{DEFAULT_FEATURES, Environment, TestSpec, Version};
