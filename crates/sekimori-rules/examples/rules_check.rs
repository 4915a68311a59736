//! `cargo run --example rules_check -- FILE... [--json] [--all]`: load rule files and print the check report.

use sekimori_rules::{CheckReport, Classifications, Vars, load_files};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let json = args.iter().any(|a| a == "--json");
    let all = args.iter().any(|a| a == "--all");
    let mut classes = Classifications::new();
    let mut files = Vec::new();
    let it = args.iter().filter(|a| !a.starts_with("--"));
    for a in it {
        if a.ends_with("classification.config") {
            if let Ok((c, _)) = Classifications::load(std::path::Path::new(a)) {
                classes = c;
            }
        } else {
            files.push(a.clone());
        }
    }
    let start = std::time::Instant::now();
    let set = load_files(&files, &Vars::suricata_defaults(), &classes);
    let elapsed = start.elapsed();
    let rep = CheckReport::new(&set);
    if json {
        println!("{}", rep.to_json());
    } else if all {
        for e in &set.errors {
            println!("{e}");
        }
        println!(
            "loaded {} failed {} skipped {} in {elapsed:?}",
            rep.loaded, rep.failed, rep.skipped
        );
    } else {
        print!("{}", rep.render_text());
        println!("(load time {elapsed:?})");
    }
}
