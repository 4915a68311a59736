//! Parse the whole ET Open ruleset (skipped when absent).

use criterion::{Criterion, criterion_group, criterion_main};
use sekimori_rules::{Classifications, Vars, load_str};

fn bench_load(c: &mut Criterion) {
    let Some(dir) = sekimori_fixtures::shared::path("data/rules") else { return };
    let path = dir.join("et-open.rules");
    let Ok(text) = std::fs::read_to_string(&path) else {
        eprintln!("skipping: {} absent", path.display());
        return;
    };
    let (classes, _) = Classifications::load(&dir.join("et-open.classification.config")).unwrap_or_default();
    let vars = Vars::suricata_defaults();
    let mut g = c.benchmark_group("rules");
    g.sample_size(10);
    g.bench_function("load_et_open", |b| {
        b.iter(|| {
            let set = load_str(&text, &vars, &classes);
            assert!(set.rules.len() > 24_000);
            set.rules.len()
        })
    });
    g.finish();
}

criterion_group!(benches, bench_load);
criterion_main!(benches);
