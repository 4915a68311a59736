#![no_main]
//! Arbitrary text -> rule parsing and file loading: must never panic.

use libfuzzer_sys::fuzz_target;
use sekimori_rules::{load_str, parse_threshold_config, Classifications, Rule, Vars};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let vars = Vars::suricata_defaults();
    if let Ok(rule) = Rule::parse(text, &vars) {
        let _ = rule.fast_pattern();
    }
    let _ = load_str(text, &vars, &Classifications::new());
    let _ = Classifications::parse(text);
    let _ = parse_threshold_config(text, &vars);
    let _ = vars.resolve_addresses(text);
    let _ = vars.resolve_ports(text);
});
