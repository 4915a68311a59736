//! End-to-end tests of the runner.
//!
//! * A fake engine (a shell script) that writes a fixed eve.json checks the whole path: test
//!   discovery, the command line, exit codes, the retry without a refused config setting, and
//!   the checks. It needs nothing but `sh`.
//! * With the shared suricata-verify data present, a replay engine that copies Suricata 7.0.10's
//!   own eve.json for each test must pass the tests whose checks only look at eve.json records
//!   (the reference files have no stats records and no fast.log, so those tests cannot pass).
//! * With `SEKIMORI_BIN` set, the real binary runs a few tests: the runner must produce a
//!   result line for each, without a runner-level error.

use sekimori_verify::{Outcome, RunOptions, run_all, run_all_with};
use std::path::{Path, PathBuf};

fn write(path: &Path, text: &str) {
    if let Some(p) = path.parent() {
        std::fs::create_dir_all(p).unwrap();
    }
    std::fs::write(path, text).unwrap();
}

fn executable(path: &Path, script: &str) {
    write(path, script);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
}

/// A fake sekimori: records its arguments, refuses `stream.inline=yes` as sekimori refuses bad
/// values, fails on an option it does not know, and otherwise writes the test's `canned.json`.
const FAKE: &str = r#"#!/bin/sh
out=""
for a in "$@"; do
  case "$a" in
    stream.inline=yes) echo 'sekimori: error: invalid config value stream.inline = "yes": nope' >&2; exit 2;;
    --bogus) echo "error: unexpected argument '--bogus' found" >&2; echo "For more information, try '--help'." >&2; exit 2;;
  esac
done
while [ $# -gt 0 ]; do
  case "$1" in
    -l) out="$2"; shift 2;;
    *) echo "$1" >> "$TEST_DIR/../../args-$(basename "$TEST_DIR").txt"; shift;;
  esac
done
cp "$TEST_DIR/canned.json" "$out/eve.json"
echo "01/01/2020-00:00:00.000000  [**] [1:1:1] x [**]" > "$out/fast.log"
exit "${FAKE_EXIT:-0}"
"#;

const EVE: &str = r#"{"event_type":"alert","alert":{"signature_id":1,"metadata":{"tag":["a","b"]}},"dns":{"answers":[{"rrname":"example.com"}]}}
{"event_type":"alert","alert":{"signature_id":2}}
{"event_type":"stats","stats":{"decoder":{"pkts":7}}}
"#;

fn suite(root: &Path) -> PathBuf {
    let tests = root.join("tests");
    let t = |name: &str, yaml: &str| {
        write(&tests.join(name).join("test.yaml"), yaml);
        write(&tests.join(name).join("canned.json"), EVE);
        write(&tests.join(name).join("input.pcap"), "");
    };
    t(
        "pass-all",
        r#"
args:
  - -k none --set stream.midstream=true
  - --runmode=single
checks:
  - filter: {count: 2, match: {event_type: alert}}
  - filter:
      count: 1
      match:
        alert.signature_id: 1
        alert.metadata.tag.__len: 2
        dns.answers[0].rrname: example.com
        has-key: dns
        not-has-key: flow
  - filter: {requires: {min-version: 8}, count: 99, match: {event_type: alert}}
  - stats: {decoder.pkts: 7}
  - shell: {args: cat fast.log | wc -l | xargs, expect: 1}
  - shell: {args: test -e eve.json}
"#,
    );
    t(
        "wrong-count",
        "checks:\n  - filter: {count: 1, match: {event_type: alert, alert.signature_id: 3}}\n",
    );
    t(
        "needs-lua",
        "requires: {features: [HAVE_LUA]}\nchecks: []\n",
    );
    t("needs-8", "requires: {min-version: 8}\nchecks: []\n");
    t(
        "bad-check",
        "checks:\n  - filter: {count: 1, match: {'a[': 1}}\n",
    );
    t("exit-code", "exit-code: 1\nchecks: []\n");
    t("unknown-arg", "args: [--bogus]\nchecks: []\n");
    t("stats-missing", "checks:\n  - stats: {tcp.syn: 1}\n");
    t("bug-1-ips", "checks: []\n");
    // A config whose `stream.inline: yes` the fake engine refuses: the runner retries without it.
    t(
        "with-config",
        "checks:\n  - filter: {count: 2, match: {event_type: alert}}\n",
    );
    write(
        &tests.join("with-config/suricata.yaml"),
        "%YAML 1.1\n---\nstream: {inline: yes, midstream: true}\noutputs:\n  - eve-log: {enabled: yes, types: [alert, files]}\n",
    );
    // No pcap: upstream skips such a test.
    write(&tests.join("no-pcap/test.yaml"), "checks: []\n");
    write(
        &root.join("MANIFEST.tsv"),
        "test\tcategory\tresult_on_suricata_7.0.10\npass-all\tcontent\tOK\nwrong-count\tcontent\tOK\nexit-code\tcontent\tFAILED\n",
    );
    tests
}

#[cfg(unix)]
#[test]
fn fake_engine_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let tests = suite(dir.path());
    let fake = dir.path().join("fake-sekimori");
    executable(&fake, FAKE);
    let mut opts = RunOptions::new(&fake, &tests);
    opts.keep_output = Some(dir.path().join("out"));
    let mut lines = Vec::new();
    let summary = run_all_with(&opts, |r| lines.push(r.line())).unwrap();
    let by_name = |n: &str| summary.results.iter().find(|r| r.name == n).unwrap();

    assert_eq!(
        by_name("pass-all").outcome,
        Outcome::Pass,
        "{:?}",
        by_name("pass-all")
    );
    assert_eq!(by_name("pass-all").checks_run, 5);
    assert_eq!(by_name("pass-all").checks_skipped, 1);
    let args = std::fs::read_to_string(dir.path().join("args-pass-all.txt")).unwrap();
    let args: Vec<&str> = args.lines().collect();
    assert_eq!(args.first(), Some(&"analyze"));
    assert!(args.windows(2).any(|w| w == ["-k", "none"]), "{args:?}");
    assert!(
        args.windows(2)
            .any(|w| w == ["--set", "stream.midstream=true"]),
        "{args:?}"
    );
    assert!(!args.contains(&"-S"), "no rules file, no -S: {args:?}");
    assert!(
        !args.iter().any(|a| a.contains("runmode")),
        "runmode dropped: {args:?}"
    );
    assert!(!args.contains(&"--simulate-ips"));
    assert!(args.last().unwrap().ends_with("pass-all/input.pcap"));

    let Outcome::Fail(why) = &by_name("wrong-count").outcome else {
        panic!()
    };
    assert!(why.contains("expected 1 record(s), found 0"), "{why}");
    assert!(
        why.contains("match all but alert.signature_id=3 (found: 1 | 2)"),
        "{why}"
    );
    assert_eq!(
        by_name("needs-lua").outcome,
        Outcome::Skip("needs feature HAVE_LUA".into())
    );
    assert!(matches!(&by_name("needs-8").outcome, Outcome::Skip(w) if w.contains(">= 8")));
    assert!(matches!(&by_name("no-pcap").outcome, Outcome::Skip(w) if w.contains("no pcap")));
    assert!(
        matches!(&by_name("bad-check").outcome, Outcome::Fail(w) if w.contains("bad match key"))
    );
    assert!(
        matches!(&by_name("exit-code").outcome, Outcome::Fail(w) if w.contains("exit code 0, expected 1"))
    );
    let Outcome::Fail(why) = &by_name("unknown-arg").outcome else {
        panic!()
    };
    assert!(why.contains("unexpected argument '--bogus'"), "{why}");
    assert!(
        matches!(&by_name("stats-missing").outcome, Outcome::Fail(w) if w.contains("tcp.syn: expected 1, found missing"))
    );
    let args = std::fs::read_to_string(dir.path().join("args-bug-1-ips.txt")).unwrap();
    assert!(
        args.lines().any(|a| a == "--simulate-ips"),
        "name contains ips"
    );

    let wc = by_name("with-config");
    assert_eq!(wc.outcome, Outcome::Pass, "{wc:?}");
    assert!(
        wc.notes
            .iter()
            .any(|n| n.contains("stream.inline=yes refused")),
        "{:?}",
        wc.notes
    );
    let toml =
        std::fs::read_to_string(dir.path().join("out/with-config/sekimori-test.toml")).unwrap();
    assert!(toml.contains("fileinfo"), "{toml}");
    assert!(wc.command.iter().any(|a| a == "stream.midstream=true"));
    assert!(!wc.command.iter().any(|a| a.starts_with("stream.inline")));

    assert_eq!(summary.totals_line(), "3 passed, 5 failed, 3 skipped");
    assert_eq!(
        summary.suricata_line(),
        "1 of 2 tests that Suricata 7.0.10 passes"
    );
    assert_eq!(lines.len(), 11);
    assert!(lines.contains(&"PASS pass-all".to_string()));

    // Output inside (or around) the test data is refused: outputs are emptied before each run.
    let mut inside = opts.clone();
    inside.keep_output = Some(tests.join("pass-all"));
    assert!(run_all(&inside).is_err());
    inside.keep_output = Some(dir.path().to_path_buf());
    assert!(run_all(&inside).is_err());
    assert!(
        tests.join("pass-all/test.yaml").is_file(),
        "test data untouched"
    );

    // The filter narrows the run; a missing binary is a runner error.
    opts.filter = Some("needs".into());
    assert_eq!(run_all(&opts).unwrap().results.len(), 2);
    opts.sekimori = dir.path().join("nope");
    assert!(run_all(&opts).is_err());
}

fn shared() -> Option<(PathBuf, PathBuf)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data");
    let tests = root.join("suricata-verify/tests");
    let eve = root.join("suricata-verify-eve");
    (tests.is_dir() && eve.is_dir()).then_some((tests, eve))
}

/// Suricata's own output must satisfy the checks of the tests it passes, where the reference
/// files can show it (not stats, fast.log, file store or suricata.log): this pins the evaluator
/// to Suricata-verify's semantics.
#[cfg(unix)]
#[test]
fn suricata_reference_output_passes_its_tests() {
    let Some((tests, eve)) = shared() else {
        eprintln!("skipped: shared suricata-verify data not found");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let replay = dir.path().join("replay");
    executable(
        &replay,
        &format!(
            "#!/bin/sh\nout=\"\"\nwhile [ $# -gt 0 ]; do case \"$1\" in -l) out=\"$2\"; shift 2;; *) shift;; esac; done\n\
             rel=\"${{TEST_DIR#{}/}}\"\nsrc=\"{}/$rel/eve.json\"\n[ -f \"$src\" ] && cp \"$src\" \"$out/eve.json\"\nexit 0\n",
            tests.display(),
            eve.display()
        ),
    );
    let summary = run_all(&RunOptions::new(&replay, &tests)).unwrap();
    // Every failure must be one the reference data explains.
    for r in &summary.results {
        if let Outcome::Fail(why) = &r.outcome {
            let explained = why.contains("event_type=\"stats\"")
                || why.contains("stats:")
                || why.contains("shell `")
                || why.contains("exit code 0, expected 1")
                || !r.suricata_passes()
                || r.name == "ja4-tls-7.0.x"; // ja4 logging was forced in the reference run
            assert!(explained, "{}", r.line());
        }
    }
    assert!(summary.passed >= 110, "{}", summary.totals_line());
}

/// The real binary, when the lead's build provides it.
#[test]
fn real_binary_smoke() {
    let Ok(bin) = std::env::var("SEKIMORI_BIN") else {
        eprintln!("skipped: set SEKIMORI_BIN to a sekimori binary to run this test");
        return;
    };
    let Some((tests, _)) = shared() else {
        eprintln!("skipped: shared suricata-verify data not found");
        return;
    };
    let mut opts = RunOptions::new(bin, &tests);
    opts.filter = Some("alert-".into());
    let summary = run_all(&opts).unwrap();
    assert!(summary.results.len() >= 4, "{}", summary.totals_line());
    assert_eq!(
        summary.passed + summary.failed + summary.skipped,
        summary.results.len()
    );
    for r in &summary.results {
        println!("{}", r.line());
    }
}
