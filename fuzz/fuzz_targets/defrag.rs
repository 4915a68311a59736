//! Fuzzes the reassembler with a sequence of IPv4/IPv6 fragments derived from the input, under a
//! small memcap and fragment limit, with time moving forward. Checks that nothing panics, that
//! memory stays under the memcap, that every reassembled datagram decodes as a non-fragment, and
//! that the counters add up.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sekimori_capture::{LinkType, Timestamp};
use sekimori_decode::decode;
use sekimori_defrag::{DefragConfig, DefragOutcome, Defragmenter, MIN_MEMCAP, OverlapPolicy};

/// Builds an IPv4 or IPv6 fragment carrying `data`.
fn fragment(v6: bool, id: u8, offset: u16, mf: bool, ext: bool, data: &[u8], out: &mut Vec<u8>) {
    out.clear();
    if v6 {
        let unfrag: &[u8] = if ext { &[44, 0, 1, 4, 0, 0, 0, 0] } else { &[] };
        let plen = unfrag.len() + 8 + data.len();
        out.extend_from_slice(&[0x60, 0, 0, 0]);
        out.extend_from_slice(&(plen as u16).to_be_bytes());
        out.push(if ext { 60 } else { 44 });
        out.push(64);
        out.extend_from_slice(&[0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
        out.extend_from_slice(&[0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
        out.extend_from_slice(unfrag);
        out.extend_from_slice(&[17, 0]);
        out.extend_from_slice(&((offset & 0xfff8) | u16::from(mf)).to_be_bytes());
        out.extend_from_slice(&u32::from(id).to_be_bytes());
    } else {
        let opts: &[u8] = if ext { &[0x94, 4, 0, 0] } else { &[] };
        let hlen = 20 + opts.len();
        out.push(0x40 | (hlen / 4) as u8);
        out.push(0);
        out.extend_from_slice(&((hlen + data.len()) as u16).to_be_bytes());
        out.extend_from_slice(&u16::from(id).to_be_bytes());
        out.extend_from_slice(&((offset >> 3) | if mf { 0x2000 } else { 0 }).to_be_bytes());
        out.extend_from_slice(&[64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]);
        out.extend_from_slice(opts);
    }
    out.extend_from_slice(data);
}

fuzz_target!(|input: &[u8]| {
    let Some((&mode, mut rest)) = input.split_first() else {
        return;
    };
    let cfg = DefragConfig {
        policy: OverlapPolicy::ALL[usize::from(mode) % OverlapPolicy::ALL.len()],
        memcap_bytes: MIN_MEMCAP,
        max_frags_per_datagram: 1 + usize::from(mode >> 3),
        max_trackers: 1 + usize::from(mode & 7),
        timeout_secs: 5,
        ..DefragConfig::default()
    };
    let Ok(mut df) = Defragmenter::new(cfg) else {
        return;
    };
    let mut clock = 0i64;
    let mut pkt = Vec::new();
    // Record: flags (v6, mf, ext, time step), id, offset hi, offset lo, data length, data.
    while let [flags, id, hi, lo, len, tail @ ..] = rest {
        let n = usize::from(*len).min(tail.len());
        let (data, next) = tail.split_at(n);
        rest = next;
        clock += i64::from(flags >> 4);
        let offset = u16::from_be_bytes([*hi, *lo]) & 0xfff8;
        fragment(
            flags & 1 != 0,
            id & 3,
            offset,
            flags & 2 != 0,
            flags & 4 != 0,
            data,
            &mut pkt,
        );
        let ts = Timestamp::from_micros(clock, 0);
        let d = decode(LinkType::RAW, &pkt);
        if let DefragOutcome::Reassembled { datagram, .. } = df.process(ts, &d) {
            let r = decode(LinkType::RAW, datagram);
            assert!(r.ip.is_some());
            assert!(!r.is_fragment());
        }
        assert!(
            df.mem_used() <= MIN_MEMCAP,
            "memcap exceeded: {}",
            df.mem_used()
        );
        if flags & 8 != 0 {
            df.expire(ts);
        }
    }
    let s = df.stats();
    assert_eq!(s.fragments, s.held + s.reassembled + s.dropped());
});
