//! Loads the ET Open ruleset (skipped when the file is absent) and checks the load rate.

use sekimori_rules::{CheckReport, Classifications, Vars, load_files};

#[test]
fn et_open_loads() {
    let Some(dir) = sekimori_fixtures::shared::path("data/rules") else { return };
    let rules = dir.join("et-open.rules");
    let classes = dir.join("et-open.classification.config");
    let (rules, classes) = (rules.as_path(), classes.as_path());
    let classes = if classes.exists() {
        let (c, errs) = Classifications::load(classes).expect("read classification.config");
        assert!(errs.is_empty(), "{errs:?}");
        c
    } else {
        Classifications::new()
    };
    let vars = Vars::suricata_defaults();
    let start = std::time::Instant::now();
    let set = load_files(&[rules], &vars, &classes);
    let elapsed = start.elapsed();
    let report = CheckReport::new(&set);
    eprintln!(
        "ET Open: loaded {} failed {} skipped {} in {:?}",
        report.loaded, report.failed, report.skipped, elapsed
    );
    eprintln!("{}", report.render_text());
    let total = report.loaded + report.failed;
    assert!(total >= 24_000, "only {total} rules seen");
    assert!(
        report.loaded * 100 >= total * 99,
        "load rate below 99%: {} of {total}",
        report.loaded
    );
    // Every loaded rule that has a content has a fast pattern.
    for r in &set.rules {
        let has_content = r.lists.iter().any(|l| {
            l.buffer.info().fp_priority > 0
                && l.matches
                    .iter()
                    .any(|m| matches!(m, sekimori_rules::Match::Content(_)))
        });
        assert_eq!(r.fast_pattern().is_some(), has_content, "sid {}", r.sid);
    }
}
