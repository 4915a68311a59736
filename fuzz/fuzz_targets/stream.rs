//! Fuzz the TCP stream engine with arbitrary segment sequences.
//!
//! Input: byte 0 = config bits (midstream, async-oneside, inline, policy, small memcap/depth/
//! segment limit), then 8-byte records: [dir|flags] [seq offset u16] [ack offset u16]
//! [len u8] [payload seed u8] [window u8]. Asserts: no panic, data delivered per direction
//! never exceeds payload bytes sent in that direction, memory is fully returned at the end.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sekimori_capture::Timestamp;
use sekimori_decode::TcpInfo;
use sekimori_flow::Direction;
use sekimori_stream::{ALL_POLICIES, StreamConfig, StreamEngine, StreamSink, TcpSession};

#[derive(Default)]
struct Sink {
    data: [u64; 2],
    gaps: [u64; 2],
    closes: [u32; 2],
}

impl StreamSink for Sink {
    fn on_data(&mut self, dir: Direction, data: &[u8]) {
        assert!(!data.is_empty());
        self.data[dir.index()] += data.len() as u64;
    }
    fn on_gap(&mut self, dir: Direction, len: u64) {
        assert!(len > 0);
        self.gaps[dir.index()] += len;
    }
    fn on_close(&mut self, dir: Direction) {
        self.closes[dir.index()] += 1;
    }
}

fuzz_target!(|input: &[u8]| {
    let Some((&cfg_byte, rest)) = input.split_first() else {
        return;
    };
    let cfg = StreamConfig {
        midstream: cfg_byte & 1 != 0,
        async_oneside: cfg_byte & 2 != 0,
        inline: cfg_byte & 4 != 0,
        policy: ALL_POLICIES[usize::from(cfg_byte >> 3) % ALL_POLICIES.len()],
        memcap_bytes: if cfg_byte & 0x80 != 0 { 4096 } else { 1 << 20 },
        depth: if cfg_byte & 0x40 != 0 { 700 } else { 0 },
        max_queued_segments_per_direction: if cfg_byte & 0x20 != 0 { 8 } else { 1024 },
        ..StreamConfig::default()
    };
    let mut eng = StreamEngine::new(cfg);
    let mut sess = TcpSession::default();
    let mut sink = Sink::default();
    let mut sent = [0u64; 2];
    let base: [u32; 2] = [0xffff_ff00, 0x7fff_fff0];
    let mut payload = [0u8; 255];
    for (i, rec) in rest.chunks_exact(8).enumerate() {
        let dir = if rec[0] & 0x80 != 0 {
            Direction::ToClient
        } else {
            Direction::ToServer
        };
        let flags = rec[0] & 0x3f;
        let seq_off = u32::from(u16::from_le_bytes([rec[1], rec[2]]));
        let ack_off = u32::from(u16::from_le_bytes([rec[3], rec[4]]));
        let len = usize::from(rec[5]);
        for (j, b) in payload.iter_mut().enumerate().take(len) {
            *b = rec[6].wrapping_add(j as u8);
        }
        let me = dir.index();
        let tcp = TcpInfo {
            seq: base[me].wrapping_add(seq_off),
            ack: base[1 - me].wrapping_add(ack_off),
            flags,
            window: u16::from(rec[7]) << 8,
            header_len: 20,
            ..TcpInfo::default()
        };
        let ts = Timestamp(i as i64);
        let mut out = eng.process(&mut sess, dir, ts, &tcp, &payload[..len], &mut sink);
        if out.reuse {
            // What the engine does: end the old flow, start a new one with this packet.
            eng.flush(&mut sess, &mut sink);
            assert!(
                sink.closes.iter().all(|c| *c <= 1),
                "on_close more than once"
            );
            sink.closes = [0; 2];
            sess = TcpSession::default();
            out = eng.process(&mut sess, dir, ts, &tcp, &payload[..len], &mut sink);
            assert!(!out.reuse, "fresh session asked for reuse");
        }
        let role = out.role.unwrap_or_else(|| sess.role_of(dir));
        sent[role.index()] += len as u64;
        for d in 0..2 {
            assert!(sink.data[d] <= sent[d], "delivered more than sent");
        }
    }
    eng.flush(&mut sess, &mut sink);
    for d in 0..2 {
        assert!(sink.data[d] <= sent[d], "delivered more than sent");
        assert!(sink.closes[d] <= 1, "on_close more than once");
    }
    drop(sess);
    assert_eq!(eng.memory().used(), 0, "memory leak");
});
