//! `sekimori-verify`: runs the suricata-verify suite against a sekimori binary.
//!
//! ```text
//! sekimori-verify --sekimori PATH [--tests DIR] [--filter SUBSTR] [--keep-output DIR]
//!                 [--timeout SECS] [--feature NAME]... [--min-pass N] [-v]
//! ```
//! Prints `PASS name`, `FAIL name: why` or `SKIP name: why` per test, then
//! `X of Y tests that Suricata 7.0.10 passes` and, last, `N passed, M failed, K skipped`.
//! Exit status: 0, or 1 when fewer than `--min-pass` tests passed, 2 on a usage or setup error.

use sekimori_verify::{Outcome, RunOptions, run_all_with};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

const USAGE: &str = "usage: sekimori-verify --sekimori PATH [--tests DIR] [--filter SUBSTR] \
[--keep-output DIR] [--timeout SECS] [--feature NAME]... [--min-pass N] [-v]";

fn main() -> ExitCode {
    match real_main() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("sekimori-verify: {e}");
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
    }
}

fn real_main() -> Result<ExitCode, String> {
    let mut sekimori: Option<PathBuf> = None;
    let mut tests = PathBuf::from("../shared/data/suricata-verify/tests");
    let mut filter = None;
    let mut keep = None;
    let mut timeout = 60u64;
    let mut features = Vec::new();
    let mut min_pass: Option<usize> = None;
    let mut verbose = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let (flag, inline) = match a.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
            _ => (a.clone(), None),
        };
        let mut value = |name: &str| {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match flag.as_str() {
            "--sekimori" => sekimori = Some(PathBuf::from(value("--sekimori")?)),
            "--tests" => tests = PathBuf::from(value("--tests")?),
            "--filter" => filter = Some(value("--filter")?),
            "--keep-output" => keep = Some(PathBuf::from(value("--keep-output")?)),
            "--timeout" => {
                timeout = value("--timeout")?
                    .parse()
                    .map_err(|_| "--timeout needs a number of seconds".to_string())?
            }
            "--feature" => features.push(value("--feature")?),
            "--min-pass" => {
                min_pass = Some(
                    value("--min-pass")?
                        .parse()
                        .map_err(|_| "--min-pass needs a number".to_string())?,
                )
            }
            "-v" | "--verbose" => verbose = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(ExitCode::SUCCESS);
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    let sekimori = sekimori.ok_or("--sekimori PATH is required")?;
    let mut opts = RunOptions::new(sekimori, tests);
    opts.filter = filter;
    opts.keep_output = keep;
    opts.timeout = Duration::from_secs(timeout);
    opts.env.features.extend(features);
    let summary = run_all_with(&opts, |r| {
        println!("{}", r.line());
        if verbose {
            if !r.command.is_empty() {
                println!("    command: {}", r.command.join(" "));
            }
            if let Some(m) = &r.manifest {
                println!("    suricata 7.0.10: {m}");
            }
            for f in r.failures.iter().skip(1) {
                println!("    also: {f}");
            }
            for n in &r.notes {
                println!("    note: {n}");
            }
            println!(
                "    {} checks run, {} skipped, {:.2} s",
                r.checks_run,
                r.checks_skipped,
                r.duration.as_secs_f64()
            );
        } else if matches!(r.outcome, Outcome::Fail(_)) {
            for n in r.notes.iter().filter(|n| n.contains("ignored")) {
                println!("    note: {n}");
            }
        }
    })
    .map_err(|e| e.to_string())?;
    println!("{}", summary.suricata_line());
    println!("{}", summary.totals_line());
    Ok(match min_pass {
        Some(n) if summary.passed < n => {
            eprintln!(
                "sekimori-verify: {} passed, below the floor of {n}",
                summary.passed
            );
            ExitCode::from(1)
        }
        _ => ExitCode::SUCCESS,
    })
}
