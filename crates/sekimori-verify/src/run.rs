//! Finding tests, building sekimori's command line, running it, and evaluating the checks.

use crate::check::{self, check_stats, compile, count_matches, near_miss, parse_json_lines};
use crate::config::translate_file;
use crate::spec::{Check, Environment, TestSpec, truncate};
use serde_json::Value as Json;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How to run the suite.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// The `sekimori` binary.
    pub sekimori: PathBuf,
    /// The `tests/` directory of the suricata-verify data.
    pub tests_dir: PathBuf,
    /// `MANIFEST.tsv` (default: beside `tests_dir`); a missing file just gives no comparison.
    pub manifest: Option<PathBuf>,
    /// Run only tests whose name contains this.
    pub filter: Option<String>,
    /// Keep each test's output in `<dir>/<test name>/` (default: a temporary directory).
    pub keep_output: Option<PathBuf>,
    /// Wall-clock limit for one engine run.
    pub timeout: Duration,
    /// Version and features that `requires` is evaluated against.
    pub env: Environment,
}

impl RunOptions {
    /// Options with the defaults: 60 s per test, the manifest beside `tests_dir`.
    pub fn new(sekimori: impl Into<PathBuf>, tests_dir: impl Into<PathBuf>) -> RunOptions {
        RunOptions {
            sekimori: sekimori.into(),
            tests_dir: tests_dir.into(),
            manifest: None,
            filter: None,
            keep_output: None,
            timeout: Duration::from_secs(60),
            env: Environment::default(),
        }
    }

    fn manifest_path(&self) -> PathBuf {
        self.manifest.clone().unwrap_or_else(|| {
            self.tests_dir
                .parent()
                .unwrap_or(Path::new("."))
                .join("MANIFEST.tsv")
        })
    }
}

/// The result of one test.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Every check held.
    Pass,
    /// The first failing check, with what was expected and what was found.
    Fail(String),
    /// The test needs something out of scope; the reason.
    Skip(String),
}

/// One test's result.
#[derive(Clone, Debug)]
pub struct TestResult {
    /// Path of the test under `tests/`, e.g. `dns/v2/dns-z-bit`.
    pub name: String,
    /// Pass, fail or skip.
    pub outcome: Outcome,
    /// Every failing check (the first is in `outcome`), for verbose output.
    pub failures: Vec<String>,
    /// Remarks: config settings not applied, checks skipped and why, ignored args.
    pub notes: Vec<String>,
    /// Checks evaluated.
    pub checks_run: usize,
    /// Checks skipped by their own `requires`.
    pub checks_skipped: usize,
    /// The result with Suricata 7.0.10 from MANIFEST.tsv (`OK`, `FAILED`, ...), if listed.
    pub manifest: Option<String>,
    /// The command line that was run (empty when the test was skipped before running).
    pub command: Vec<String>,
    /// Time taken.
    pub duration: Duration,
}

impl TestResult {
    /// Whether Suricata 7.0.10 passes this test according to MANIFEST.tsv.
    pub fn suricata_passes(&self) -> bool {
        self.manifest
            .as_deref()
            .is_some_and(|m| m.starts_with("OK"))
    }

    /// `PASS name`, `FAIL name: why` or `SKIP name: why`.
    pub fn line(&self) -> String {
        match &self.outcome {
            Outcome::Pass => format!("PASS {}", self.name),
            Outcome::Fail(why) => format!("FAIL {}: {why}", self.name),
            Outcome::Skip(why) => format!("SKIP {}: {why}", self.name),
        }
    }
}

/// The whole run.
#[derive(Clone, Debug, Default)]
pub struct Summary {
    /// Per test, in name order.
    pub results: Vec<TestResult>,
    /// Tests passed.
    pub passed: usize,
    /// Tests failed.
    pub failed: usize,
    /// Tests skipped.
    pub skipped: usize,
    /// Tests run here that Suricata 7.0.10 passes (MANIFEST result `OK...`).
    pub suricata_ok: usize,
    /// Of those, how many sekimori passes.
    pub suricata_ok_passed: usize,
}

impl Summary {
    /// `N passed, M failed, K skipped`.
    pub fn totals_line(&self) -> String {
        format!(
            "{} passed, {} failed, {} skipped",
            self.passed, self.failed, self.skipped
        )
    }

    /// `X of Y tests that Suricata 7.0.10 passes`.
    pub fn suricata_line(&self) -> String {
        format!(
            "{} of {} tests that Suricata 7.0.10 passes",
            self.suricata_ok_passed, self.suricata_ok
        )
    }

    fn add(&mut self, r: TestResult) {
        match r.outcome {
            Outcome::Pass => self.passed += 1,
            Outcome::Fail(_) => self.failed += 1,
            Outcome::Skip(_) => self.skipped += 1,
        }
        if r.suricata_passes() {
            self.suricata_ok += 1;
            if r.outcome == Outcome::Pass {
                self.suricata_ok_passed += 1;
            }
        }
        self.results.push(r);
    }
}

/// A problem that stops the whole run.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The tests directory cannot be listed.
    #[error("cannot read tests directory {path}: {source}")]
    TestsDir {
        /// The directory.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The sekimori binary is not there.
    #[error("sekimori binary {0} not found")]
    Binary(PathBuf),
    /// The output directory cannot be created.
    #[error("cannot create output directory {path}: {source}")]
    Output {
        /// The directory.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

/// One test directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestDir {
    /// Path under `tests/` with `/` separators.
    pub name: String,
    /// The directory.
    pub path: PathBuf,
}

/// Every directory under `tests_dir` with a `test.yaml`, sorted by name.
pub fn discover(tests_dir: &Path) -> Result<Vec<TestDir>, RunError> {
    let mut out = Vec::new();
    let mut stack = vec![tests_dir.to_path_buf()];
    let mut first = true;
    while let Some(dir) = stack.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(source) if first => {
                return Err(RunError::TestsDir { path: dir, source });
            }
            Err(_) => continue,
        };
        first = false;
        for e in entries.flatten() {
            let p = e.path();
            // Not following symbolic links: a link cycle cannot loop the walk.
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                if p.join("test.yaml").is_file() {
                    let rel = p.strip_prefix(tests_dir).unwrap_or(&p);
                    let name = rel
                        .components()
                        .map(|c| c.as_os_str().to_string_lossy().into_owned())
                        .collect::<Vec<_>>()
                        .join("/");
                    out.push(TestDir {
                        name,
                        path: p.clone(),
                    });
                }
                stack.push(p);
            }
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// MANIFEST.tsv as test name → result column. Unreadable or missing: empty.
pub fn load_manifest(path: &Path) -> HashMap<String, String> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return HashMap::new();
    };
    text.lines()
        .skip(1)
        .filter_map(|l| {
            let mut cols = l.split('\t');
            let name = cols.next()?.trim();
            let _category = cols.next()?;
            let result = cols.next()?.trim();
            (!name.is_empty()).then(|| (name.to_string(), result.to_string()))
        })
        .collect()
}

/// Runs every test (matching the filter) and calls `each` with each result as it comes.
pub fn run_all_with(
    opts: &RunOptions,
    mut each: impl FnMut(&TestResult),
) -> Result<Summary, RunError> {
    if !opts.sekimori.is_file() {
        return Err(RunError::Binary(opts.sekimori.clone()));
    }
    let tests = discover(&opts.tests_dir)?;
    let manifest = load_manifest(&opts.manifest_path());
    let temp;
    let out_root = match &opts.keep_output {
        Some(d) => d.clone(),
        None => {
            temp = tempfile::Builder::new()
                .prefix("sekimori-verify-")
                .tempdir()
                .map_err(|source| RunError::Output {
                    path: std::env::temp_dir(),
                    source,
                })?;
            temp.path().to_path_buf()
        }
    };
    std::fs::create_dir_all(&out_root).map_err(|source| RunError::Output {
        path: out_root.clone(),
        source,
    })?;
    // Each test's output directory is emptied before its run: never inside the test data.
    if let (Ok(out), Ok(data)) = (out_root.canonicalize(), opts.tests_dir.canonicalize())
        && (out.starts_with(&data) || data.starts_with(&out))
    {
        return Err(RunError::Output {
            path: out_root,
            source: std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "the output directory overlaps the tests directory",
            ),
        });
    }
    let mut summary = Summary::default();
    for t in tests {
        if let Some(f) = &opts.filter
            && !t.name.contains(f.as_str())
        {
            continue;
        }
        let outdir = out_root.join(&t.name);
        let mut r = run_test(opts, &t, &outdir);
        r.manifest = manifest.get(&t.name).cloned();
        if r.manifest.is_none() && !manifest.is_empty() {
            r.notes.push("not listed in MANIFEST.tsv".into());
        }
        each(&r);
        summary.add(r);
    }
    Ok(summary)
}

/// Runs every test (matching the filter).
pub fn run_all(opts: &RunOptions) -> Result<Summary, RunError> {
    run_all_with(opts, |_| {})
}

/// Runs one test with its output in `outdir` (emptied first). Never panics; every problem
/// becomes a failing or skipped outcome.
pub fn run_test(opts: &RunOptions, test: &TestDir, outdir: &Path) -> TestResult {
    let started = Instant::now();
    let mut r = TestResult {
        name: test.name.clone(),
        outcome: Outcome::Pass,
        failures: Vec::new(),
        notes: Vec::new(),
        checks_run: 0,
        checks_skipped: 0,
        manifest: None,
        command: Vec::new(),
        duration: Duration::ZERO,
    };
    r.outcome = run_test_inner(opts, test, outdir, &mut r);
    if let (Outcome::Pass, Some(first)) = (&r.outcome, r.failures.first()) {
        r.outcome = Outcome::Fail(first.clone());
    }
    r.duration = started.elapsed();
    r
}

fn fail(r: &mut TestResult, msg: String) -> Outcome {
    r.failures.push(msg.clone());
    Outcome::Fail(msg)
}

fn run_test_inner(opts: &RunOptions, test: &TestDir, outdir: &Path, r: &mut TestResult) -> Outcome {
    let yaml_path = test.path.join("test.yaml");
    let text = match std::fs::read_to_string(&yaml_path) {
        Ok(t) => t,
        Err(e) => return fail(r, format!("cannot read test.yaml: {e}")),
    };
    let spec = match TestSpec::parse(&text) {
        Ok(s) => s,
        Err(e) => return fail(r, e.to_string()),
    };
    for k in &spec.ignored_keys {
        r.notes.push(format!("test.yaml key '{k}' ignored"));
    }
    if let Some(why) = spec.requires.unmet(&opts.env) {
        return Outcome::Skip(why);
    }
    if let Some(s) = spec
        .skip
        .iter()
        .find(|s| opts.env.features.contains(&s.feature))
    {
        return Outcome::Skip(format!("skip when {} is present: {}", s.feature, s.msg));
    }
    if spec.command.is_some() {
        return Outcome::Skip("has its own Suricata command line (command:)".into());
    }

    // Inputs.
    let pcap = if !spec.requires.pcap {
        None
    } else if let Some(p) = &spec.pcap {
        let p = test.path.join(p);
        if !p.is_file() {
            return fail(r, format!("pcap {} not found", p.display()));
        }
        Some(p)
    } else {
        let found = files_with_ext(&test.path, &["pcap", "pcapng"]);
        match found.as_slice() {
            [one] => Some(one.clone()),
            [] => return Outcome::Skip("no pcap in the test directory".into()),
            _ => {
                return fail(
                    r,
                    format!(
                        "{} pcaps in the test directory and no pcap: key",
                        found.len()
                    ),
                );
            }
        }
    };
    let rules = match &spec.rules {
        Some(p) => vec![test.path.join(p)],
        None => files_with_ext(&test.path, &["rules"]),
    };

    // Output directory: ours, emptied so that old files cannot satisfy a check.
    if outdir.exists()
        && let Err(e) = std::fs::remove_dir_all(outdir)
    {
        return fail(r, format!("cannot clear {}: {e}", outdir.display()));
    }
    if let Err(e) = std::fs::create_dir_all(outdir) {
        return fail(r, format!("cannot create {}: {e}", outdir.display()));
    }

    // Command line.
    let mut cmd: Vec<String> = vec![
        opts.sekimori.to_string_lossy().into_owned(),
        "analyze".into(),
        "-q".into(),
        "-l".into(),
        outdir.to_string_lossy().into_owned(),
    ];
    for rule in &rules {
        cmd.push("-S".into());
        cmd.push(rule.to_string_lossy().into_owned());
    }
    // As the upstream runner: a rule that does not load fails the start-up.
    if !rules.is_empty() {
        cmd.push("--init-errors-fatal".into());
    }
    let mut config_sets: Vec<String> = Vec::new();
    let mut eve_name = "eve.json".to_string();
    let suricata_yaml = test.path.join("suricata.yaml");
    if suricata_yaml.is_file() {
        match translate_file(&suricata_yaml, outdir) {
            Ok(t) => {
                if let Some(toml) = &t.toml {
                    let p = outdir.join("sekimori-test.toml");
                    if let Err(e) = std::fs::write(&p, toml) {
                        return fail(r, format!("cannot write {}: {e}", p.display()));
                    }
                    cmd.push("-c".into());
                    cmd.push(p.to_string_lossy().into_owned());
                }
                if !t.home_net.is_empty() {
                    cmd.push(format!("--home-net={}", t.home_net.join(",")));
                }
                if let Some(k) = &t.checksum {
                    cmd.push("-k".into());
                    cmd.push(k.clone());
                }
                for s in &t.sets {
                    cmd.push("--set".into());
                    cmd.push(s.clone());
                    if let Some((k, _)) = s.split_once('=') {
                        config_sets.push(k.to_string());
                    }
                }
                if !t.ignored.is_empty() {
                    r.notes.push(format!(
                        "suricata.yaml partly ignored (no sekimori counterpart): {}",
                        t.ignored.join(", ")
                    ));
                }
                if let Some(f) = t.eve_filename {
                    eve_name = f;
                }
            }
            Err(e) => r.notes.push(format!("suricata.yaml not applied: {e}")),
        }
    }
    let test_dir_str = test.path.to_string_lossy().into_owned();
    let args: Vec<String> = spec
        .args
        .iter()
        .map(|a| a.replace("${TEST_DIR}", &test_dir_str))
        .collect();
    let mut simulate_ips = test.name.contains("ips");
    let mut i = 0;
    while let Some(a) = args.get(i) {
        i += 1;
        match a.as_str() {
            "--set" | "-k" => match args.get(i) {
                Some(v) => {
                    cmd.push(a.clone());
                    cmd.push(v.clone());
                    i += 1;
                }
                None => r.notes.push(format!("args: {a} without a value ignored")),
            },
            "--simulate-ips" => simulate_ips = true,
            "--no-random" => {}
            "--runmode" => {
                i += 1;
            }
            _ if a.starts_with("--runmode=") => {}
            _ if a.starts_with("--set=") => {
                cmd.push("--set".into());
                cmd.push(a.trim_start_matches("--set=").to_string());
            }
            _ => {
                r.notes.push(format!("args: {a} passed through as is"));
                cmd.push(a.clone());
            }
        }
    }
    if simulate_ips {
        cmd.push("--simulate-ips".into());
    }
    // `-k` may come from the config and from args; sekimori takes it once, and the command
    // line wins over the config, as in Suricata.
    dedupe_option(&mut cmd, "-k");
    // Suricata's `stream.inline: auto` means inline exactly when running as an IPS.
    for a in cmd.iter_mut() {
        if a == "stream.inline=auto" {
            *a = format!("stream.inline={simulate_ips}");
        }
    }
    if let Some(p) = &pcap {
        cmd.push(p.to_string_lossy().into_owned());
    }
    r.command = cmd.clone();

    // Run. A setting from suricata.yaml whose value sekimori refuses (Suricata's `auto` where
    // sekimori wants a boolean, ...) is a translation gap, not an engine failure: run again
    // without it, and say so.
    let stdout_path = outdir.join("sekimori.stdout");
    let stderr_path = outdir.join("sekimori.stderr");
    let mut attempts = 0;
    let (run, stderr) = loop {
        let run = run_engine(
            &cmd,
            outdir,
            &test_dir_str,
            &spec.env,
            &stdout_path,
            &stderr_path,
            opts.timeout,
        );
        let stderr = std::fs::read_to_string(&stderr_path).unwrap_or_default();
        attempts += 1;
        let refused = matches!(run, Ok(c) if c != Some(spec.exit_code))
            .then(|| refused_config_key(&stderr, &config_sets))
            .flatten();
        match refused {
            Some(key) if attempts < 8 => {
                let prefix = format!("{key}=");
                let mut dropped = String::new();
                let mut k = 0;
                while k + 1 < cmd.len() {
                    if cmd.get(k).is_some_and(|a| a == "--set")
                        && cmd.get(k + 1).is_some_and(|v| v.starts_with(&prefix))
                    {
                        dropped = cmd.get(k + 1).cloned().unwrap_or_default();
                        cmd.drain(k..k + 2);
                    } else {
                        k += 1;
                    }
                }
                config_sets.retain(|c| c != &key);
                r.notes.push(format!(
                    "suricata.yaml setting {dropped} refused by sekimori; run without it"
                ));
                r.command = cmd.clone();
            }
            _ => break (run, stderr),
        }
    };
    let ignored_sets: Vec<String> = stderr
        .lines()
        .filter_map(|l| l.strip_prefix("sekimori: warning: --set "))
        .filter_map(|l| l.split(':').next())
        .map(str::to_string)
        .collect();
    let (from_config, from_args): (Vec<String>, Vec<String>) = ignored_sets
        .into_iter()
        .partition(|k| config_sets.contains(k));
    if !from_config.is_empty() {
        r.notes.push(format!(
            "suricata.yaml settings sekimori ignored: {}",
            from_config.join(", ")
        ));
    }
    if !from_args.is_empty() {
        r.notes.push(format!(
            "--set from args sekimori ignored: {}",
            from_args.join(", ")
        ));
    }
    let code = match run {
        Ok(code) => code,
        Err(e) => return fail(r, e),
    };
    if code != Some(spec.exit_code) {
        let why = error_line(&stderr)
            .map(|l| format!(" ({})", truncate(l, 200)))
            .unwrap_or_default();
        let got = code.map_or_else(|| "killed by a signal".to_string(), |c| c.to_string());
        return fail(
            r,
            format!("exit code {got}, expected {}{why}", spec.exit_code),
        );
    }

    expose_engine_log(outdir);

    if let Some(script) = &spec.pre_check
        && let Err(e) = shell(script, outdir, &test_dir_str, opts.timeout).and_then(|(ok, out)| {
            if ok {
                Ok(())
            } else {
                Err(format!("pre-check failed: {}", truncate(out.trim(), 120)))
            }
        })
    {
        return fail(r, e);
    }

    // Checks.
    let mut files: HashMap<String, Result<Vec<Json>, String>> = HashMap::new();
    for (n, c) in spec.checks.iter().enumerate() {
        let idx = n + 1;
        if let Some(req) = c.requires()
            && let Some(why) = req.unmet(&opts.env)
        {
            r.checks_skipped += 1;
            r.notes.push(format!("check #{idx} skipped: {why}"));
            continue;
        }
        r.checks_run += 1;
        let result = evaluate(
            c,
            outdir,
            &test.path,
            &test_dir_str,
            &eve_name,
            &mut files,
            opts.timeout,
        );
        if let Err(msg) = result {
            r.failures.push(format!("check #{idx}: {msg}"));
        }
    }
    Outcome::Pass
}

/// Suricata's tests read its log, `suricata.log`; sekimori writes the same lines to
/// `sekimori.log`. Make the log readable under Suricata's name (a symlink, else a copy) when
/// the engine did not write one of that name itself.
fn expose_engine_log(outdir: &Path) {
    let ours = outdir.join("sekimori.log");
    let theirs = outdir.join("suricata.log");
    if !ours.is_file() || theirs.symlink_metadata().is_ok() {
        return;
    }
    #[cfg(unix)]
    if std::os::unix::fs::symlink("sekimori.log", &theirs).is_ok() {
        return;
    }
    let _ = std::fs::copy(&ours, &theirs);
}

/// Evaluates one check; `Err` says what was expected and what was found.
fn evaluate(
    c: &Check,
    outdir: &Path,
    test_dir: &Path,
    test_dir_str: &str,
    eve_name: &str,
    files: &mut HashMap<String, Result<Vec<Json>, String>>,
    timeout: Duration,
) -> Result<(), String> {
    let mut records = |name: &str| -> Result<Vec<Json>, String> {
        files
            .entry(name.to_string())
            .or_insert_with(|| {
                let p = outdir.join(name);
                match std::fs::read_to_string(&p) {
                    Ok(t) => parse_json_lines(&t).map_err(|e| format!("{name}: {e}")),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                        Err(format!("{name} missing"))
                    }
                    Err(e) => Err(format!("cannot read {name}: {e}")),
                }
            })
            .clone()
    };
    match c {
        Check::Invalid(msg) => Err(format!("unreadable check: {msg}")),
        Check::Filter(f) => {
            let name = if f.filename == "eve.json" {
                eve_name
            } else {
                f.filename.as_str()
            };
            let matchers = compile(&f.matchers).map_err(|e| e.to_string())?;
            let recs = records(name)?;
            let found = count_matches(&recs, &matchers);
            if found == f.count {
                return Ok(());
            }
            let what: Vec<String> = matchers.iter().map(check::Matcher::describe).collect();
            let mut msg = format!(
                "filter {{{}}}: expected {} record(s), found {found}",
                truncate(&what.join(", "), 240),
                f.count
            );
            if found < f.count
                && let Some(hint) = near_miss(&recs, &matchers, found)
            {
                msg.push_str("; ");
                msg.push_str(&hint);
            }
            Err(msg)
        }
        Check::Stats(s) => {
            let recs = records(eve_name)?;
            check_stats(&recs, &s.keys)
        }
        Check::Shell(s) => {
            let (ok, out) = shell(&s.args, outdir, test_dir_str, timeout)?;
            match &s.expect {
                Some(want) => {
                    if out.trim() == want.trim() {
                        Ok(())
                    } else {
                        Err(format!(
                            "shell `{}`: expected {:?}, got {:?}",
                            truncate(&s.args, 100),
                            want.trim(),
                            truncate(out.trim(), 100)
                        ))
                    }
                }
                None if ok => Ok(()),
                None => Err(format!("shell `{}` failed", truncate(&s.args, 100))),
            }
        }
        Check::FileCompare(fc) => {
            let got = std::fs::read(outdir.join(&fc.filename))
                .map_err(|e| format!("file-compare: {}: {e}", fc.filename))?;
            let want = std::fs::read(test_dir.join(&fc.expected))
                .map_err(|e| format!("file-compare: expected {}: {e}", fc.expected))?;
            if got == want {
                Ok(())
            } else {
                Err(format!(
                    "file-compare: {} differs from {} ({} vs {} bytes)",
                    fc.filename,
                    fc.expected,
                    got.len(),
                    want.len()
                ))
            }
        }
    }
}

/// Keeps only the last `flag VALUE` pair of `cmd`.
fn dedupe_option(cmd: &mut Vec<String>, flag: &str) {
    let positions: Vec<usize> = cmd
        .iter()
        .enumerate()
        .filter(|(_, a)| a.as_str() == flag)
        .map(|(i, _)| i)
        .collect();
    if let Some((_, earlier)) = positions.split_last() {
        for &i in earlier.iter().rev() {
            if i + 1 < cmd.len() {
                cmd.drain(i..i + 2);
            }
        }
    }
}

/// The Suricata-named key of `ours` that sekimori refused a value for, from its error message
/// `invalid config value KEY = ...`.
fn refused_config_key(stderr: &str, ours: &[String]) -> Option<String> {
    stderr.lines().find_map(|l| {
        let rest = l.split("invalid config value ").nth(1)?;
        let key = rest.split(" = ").next()?.trim();
        ours.iter().find(|k| k.as_str() == key).cloned()
    })
}

/// The line of the engine's stderr that best says why it failed.
fn error_line(stderr: &str) -> Option<&str> {
    let lines = || stderr.lines().map(str::trim).filter(|l| !l.is_empty());
    lines()
        .find(|l| l.starts_with("error:") || l.contains(": error:"))
        .or_else(|| lines().next_back())
}

fn files_with_ext(dir: &Path, exts: &[&str]) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.path())
                .filter(|p| {
                    p.is_file()
                        && p.extension()
                            .and_then(|e| e.to_str())
                            .is_some_and(|e| exts.contains(&e))
                })
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

/// Runs the engine; `Ok(exit code)` (None when killed by a signal), `Err` when it could not be
/// started or ran out of time.
fn run_engine(
    cmd: &[String],
    cwd: &Path,
    test_dir: &str,
    env: &[(String, String)],
    stdout: &Path,
    stderr: &Path,
    timeout: Duration,
) -> Result<Option<i64>, String> {
    let (prog, args) = cmd.split_first().ok_or("empty command")?;
    let out = std::fs::File::create(stdout)
        .map_err(|e| format!("cannot create {}: {e}", stdout.display()))?;
    let err = std::fs::File::create(stderr)
        .map_err(|e| format!("cannot create {}: {e}", stderr.display()))?;
    let mut c = Command::new(prog);
    c.args(args)
        .current_dir(cwd)
        .env("TZ", "UTC")
        .env("TEST_DIR", test_dir)
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err);
    for (k, v) in env {
        c.env(k, v);
    }
    let mut child = c.spawn().map_err(|e| format!("cannot start {prog}: {e}"))?;
    wait_with_timeout(&mut child, timeout).map(|status| status.code().map(i64::from))
}

fn wait_with_timeout(
    child: &mut std::process::Child,
    timeout: Duration,
) -> Result<std::process::ExitStatus, String> {
    let deadline = Instant::now() + timeout;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Ok(status),
            Ok(None) => {}
            Err(e) => return Err(format!("cannot wait for the engine: {e}")),
        }
        if Instant::now() >= deadline {
            // Our own child, by its handle.
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("timed out after {} s", timeout.as_secs()));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Runs `script` with `sh -c` in `cwd`; returns (exit status 0, stdout).
fn shell(
    script: &str,
    cwd: &Path,
    test_dir: &str,
    timeout: Duration,
) -> Result<(bool, String), String> {
    let out_path = cwd.join(".sekimori-verify-shell.out");
    let out = std::fs::File::create(&out_path).map_err(|e| format!("shell: {e}"))?;
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(script)
        .current_dir(cwd)
        .env("TEST_DIR", test_dir)
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("shell: cannot start sh: {e}"))?;
    let status = wait_with_timeout(&mut child, timeout)
        .map_err(|e| format!("shell `{}`: {e}", truncate(script, 60)))?;
    let text = std::fs::read_to_string(&out_path).unwrap_or_default();
    let _ = std::fs::remove_file(&out_path);
    Ok((status.success(), text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_and_discovery() {
        let dir = tempfile::tempdir().unwrap();
        let tests = dir.path().join("tests");
        for t in ["a", "b/c", "b/d/e"] {
            std::fs::create_dir_all(tests.join(t)).unwrap();
            std::fs::write(tests.join(t).join("test.yaml"), "checks: []\n").unwrap();
        }
        std::fs::create_dir_all(tests.join("nodesc")).unwrap();
        let found: Vec<String> = discover(&tests)
            .unwrap()
            .into_iter()
            .map(|t| t.name)
            .collect();
        assert_eq!(found, ["a", "b/c", "b/d/e"]);
        assert!(discover(&dir.path().join("missing")).is_err());
        std::fs::write(
            dir.path().join("MANIFEST.tsv"),
            "test\tcategory\tresult\na\tcontent\tOK\nb/c\tdns\tFAILED\nbroken line\n",
        )
        .unwrap();
        let m = load_manifest(&dir.path().join("MANIFEST.tsv"));
        assert_eq!(m.len(), 2);
        assert_eq!(m["b/c"], "FAILED");
        assert!(load_manifest(&dir.path().join("nope.tsv")).is_empty());
    }

    #[test]
    fn later_option_wins() {
        let mut cmd: Vec<String> = ["x", "-k", "all", "-S", "r", "-k", "none", "p"]
            .map(String::from)
            .to_vec();
        dedupe_option(&mut cmd, "-k");
        assert_eq!(cmd, ["x", "-S", "r", "-k", "none", "p"]);
        let mut cmd: Vec<String> = ["x", "-k"].map(String::from).to_vec();
        dedupe_option(&mut cmd, "-k");
        assert_eq!(cmd, ["x", "-k"], "a lone flag is left alone");
    }

    #[test]
    fn engine_error_lines() {
        let clap = "error: unexpected argument '--simulate-ips' found\n\n  tip: ...\n\nFor more information, try '--help'.\n";
        assert_eq!(
            error_line(clap),
            Some("error: unexpected argument '--simulate-ips' found")
        );
        assert_eq!(
            error_line("a\nsekimori: error: bad rule\nb\n"),
            Some("sekimori: error: bad rule")
        );
        assert_eq!(error_line("x\n\n last \n"), Some("last"));
        assert_eq!(error_line(""), None);
        let refused =
            "sekimori: error: invalid config value stream.inline = \"auto\": invalid type";
        let ours = vec!["stream.inline".to_string()];
        assert_eq!(
            refused_config_key(refused, &ours).as_deref(),
            Some("stream.inline")
        );
        assert_eq!(
            refused_config_key(refused, &[]),
            None,
            "only keys the runner added"
        );
        assert_eq!(refused_config_key("invalid config value", &ours), None);
    }

    #[test]
    fn timeout_kills_the_child() {
        let mut child = Command::new("sleep").arg("5").spawn().unwrap();
        let e = wait_with_timeout(&mut child, Duration::from_millis(50)).unwrap_err();
        assert!(e.contains("timed out"), "{e}");
    }

    #[test]
    fn engine_log_is_readable_as_suricata_log() {
        let dir = tempfile::tempdir().unwrap();
        // Nothing to expose: nothing made.
        expose_engine_log(dir.path());
        assert!(!dir.path().join("suricata.log").exists());
        std::fs::write(
            dir.path().join("sekimori.log"),
            "x <Error> -- detect: boom\n",
        )
        .unwrap();
        expose_engine_log(dir.path());
        let (ok, out) = shell(
            "grep -c Error suricata.log",
            dir.path(),
            "",
            Duration::from_secs(10),
        )
        .unwrap();
        assert!(ok);
        assert_eq!(out.trim(), "1");
        // An existing suricata.log is left alone.
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("sekimori.log"), "a\n").unwrap();
        std::fs::write(dir.path().join("suricata.log"), "b\n").unwrap();
        expose_engine_log(dir.path());
        assert_eq!(
            std::fs::read_to_string(dir.path().join("suricata.log")).unwrap(),
            "b\n"
        );
    }

    #[test]
    fn shell_checks_compare_trimmed_output() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("fast.log"), "a\nb\n").unwrap();
        let (ok, out) = shell(
            "cat fast.log | wc -l | xargs",
            dir.path(),
            "",
            Duration::from_secs(10),
        )
        .unwrap();
        assert!(ok);
        assert_eq!(out.trim(), "2");
        let (ok, _) = shell("test -e nothing", dir.path(), "", Duration::from_secs(10)).unwrap();
        assert!(!ok);
    }
}
