//! Fuzz the matcher: the first input byte splits the rest into rule options and a payload; a
//! rule that parses is compiled and run on the payload (packet scope) and, split in two, as
//! sticky buffers (transaction scope). Nothing may panic; the prefilter must agree with the
//! exhaustive evaluation.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sekimori_detect::{Buffers, DetectEngine, FlowFacts, FlowState, PacketInfo, Scope, Scratch};
use sekimori_rules::{AppProto, Buffer, Rule, Vars};

fuzz_target!(|data: &[u8]| {
    let Some((&n, rest)) = data.split_first() else {
        return;
    };
    let n = usize::from(n).min(rest.len());
    let (opts, payload) = rest.split_at(n);
    let opts = String::from_utf8_lossy(opts);
    let vars = Vars::suricata_defaults();
    let text = format!("alert tcp any any -> any any ({opts} sid:1;)");
    let http = format!("alert http any any -> any any (http.uri; {opts} sid:2;)");
    let rules: Vec<Rule> = [text, http]
        .iter()
        .filter_map(|t| Rule::parse(t, &vars).ok())
        .collect();
    if rules.is_empty() {
        return;
    }
    let e = DetectEngine::from_rules(&rules);
    let info = PacketInfo {
        ip_version: 4,
        ip_proto: 6,
        sport: 1234,
        dport: 80,
        flow: Some(FlowFacts {
            direction: sekimori_flow::Direction::ToServer,
            established: true,
        }),
        app_proto: Some(AppProto::Http),
        ..PacketInfo::default()
    };
    let mut s = Scratch::new();
    let mut fs = FlowState::new();
    let a: Vec<u32> = e
        .inspect(&info, &Buffers::packet(payload), Some(&mut fs), &mut s)
        .iter()
        .map(|a| a.sid)
        .collect();
    let b: Vec<u32> = e
        .inspect_all(&info, &Buffers::packet(payload), None, &mut s)
        .iter()
        .map(|a| a.sid)
        .collect();
    assert_eq!(a, b);
    let mut tx = Buffers::new(Scope::Transaction);
    let (u, h) = payload.split_at(payload.len() / 2);
    tx.add(Buffer::HttpUri, u).add(Buffer::HttpHeader, h);
    let a: Vec<u32> = e
        .inspect(&info, &tx, None, &mut s)
        .iter()
        .map(|a| a.sid)
        .collect();
    let b: Vec<u32> = e
        .inspect_all(&info, &tx, None, &mut s)
        .iter()
        .map(|a| a.sid)
        .collect();
    assert_eq!(a, b);
});
