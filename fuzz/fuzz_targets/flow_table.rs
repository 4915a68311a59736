//! Fuzzes the flow table with decoded packets built from arbitrary bytes, under a tiny cap and
//! with packet time jumping forwards and backwards. It checks that nothing panics and that the
//! counters add up.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sekimori_capture::{LinkType, Timestamp};
use sekimori_flow::{FlowConfig, FlowState, FlowTable};

fuzz_target!(|data: &[u8]| {
    let Some((&mode, mut rest)) = data.split_first() else {
        return;
    };
    let cfg = FlowConfig {
        max_flows: 1 + usize::from(mode & 0x0f),
        memcap_bytes: 0,
        midstream: mode & 0x10 != 0,
        vlan_tracking: mode & 0x20 == 0,
        seed: Some(u64::from(mode)),
        ..FlowConfig::default()
    };
    let Ok(mut table) = FlowTable::<u8>::new(cfg) else {
        return;
    };
    let mut clock: i64 = 1_000_000;
    let mut ended = 0u64;
    // Each record: time step (i8, seconds), state byte, length byte, then that many frame bytes.
    while let [step, st, len, tail @ ..] = rest {
        let n = usize::from(*len).min(tail.len());
        let (frame, next) = tail.split_at(n);
        rest = next;
        clock = clock.saturating_add(i64::from(*step as i8));
        let ts = Timestamp::from_micros(clock, u32::from(*st) * 1000);
        let linktype = if st & 0x80 != 0 {
            LinkType::RAW
        } else {
            LinkType::ETHERNET
        };
        let d = sekimori_decode::decode(linktype, frame);
        if let Some(h) = table.lookup(&d, ts, frame.len() as u32) {
            match st & 0x03 {
                1 => h.flow.state = FlowState::Established,
                2 => h.flow.state = FlowState::Closed,
                3 => h.flow.swap(),
                _ => {}
            }
            h.flow.user = h.flow.user.wrapping_add(1);
        }
        if st & 0x04 != 0 {
            table.expire(ts, |_| ended += 1);
        }
        assert!(table.len() <= table.capacity());
    }
    table.drain(|_| ended += 1);
    let s = *table.stats();
    assert!(table.is_empty());
    assert_eq!(ended, s.created);
    assert_eq!(
        s.created,
        s.ended_timeout + s.ended_shutdown + s.ended_forced + s.tcp_reuse
    );
});
