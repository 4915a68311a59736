//! Fuzzes the behaviour layer with arbitrary event streams: flows, DNS answers, file reads and
//! layer alerts with hostile timestamps, addresses, names, paths and counters. The layer must never
//! panic, and its caps must hold.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sekimori_behavior::{
    Behavior, BehaviorConfig, DnsAnswer, FileRead, FlowSummary, HomeNet, Layer, LayerAlert,
};
use sekimori_capture::Timestamp;
use sekimori_decode::Addr;

struct Cursor<'a>(&'a [u8]);

impl Cursor<'_> {
    fn u8(&mut self) -> u8 {
        let (b, rest) = self.0.split_first().map_or((0, &[][..]), |(b, r)| (*b, r));
        self.0 = rest;
        b
    }
    fn u16(&mut self) -> u16 {
        u16::from_le_bytes([self.u8(), self.u8()])
    }
    fn u64(&mut self) -> u64 {
        let mut b = [0u8; 8];
        for x in &mut b {
            *x = self.u8();
        }
        u64::from_le_bytes(b)
    }
    fn ts(&mut self) -> Timestamp {
        // Mostly increasing small steps, sometimes arbitrary values.
        if self.u8() < 16 {
            Timestamp(self.u64() as i64)
        } else {
            Timestamp(i64::from(self.u16()) * 7_000_000_000)
        }
    }
    fn addr(&mut self) -> Addr {
        match self.u8() % 4 {
            0 => Addr::v4([10, 0, self.u8() % 4, self.u8() % 8]),
            1 => Addr::v4([self.u8(), self.u8(), self.u8(), self.u8()]),
            2 => Addr::v6([
                0xfd,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                self.u8(),
                self.u8(),
            ]),
            _ => Addr::v6([self.u8(); 16]),
        }
    }
    fn text(&mut self) -> String {
        let n = usize::from(self.u8() % 40);
        let mut v = Vec::with_capacity(n);
        for _ in 0..n {
            v.push(self.u8());
        }
        String::from_utf8_lossy(&v).into_owned()
    }
}

fuzz_target!(|data: &[u8]| {
    let mut c = BehaviorConfig::default();
    c.max_hosts = 8;
    c.max_dests_per_host = 16;
    c.max_network_dests = 32;
    c.beacon.max_conns_per_pair = 64;
    c.beacon.max_total_conns = 256;
    c.beacon.min_connections = 4;
    c.learning_days = 0;
    c.allowlist = vec!["allowed.example".into()];
    let home = HomeNet::parse("10.0.0.0/8,fd00::/8").unwrap_or_default();
    let Ok(mut b) = Behavior::new(c, home) else {
        return;
    };
    let mut cur = Cursor(data);
    let mut steps = 0;
    while !cur.0.is_empty() && steps < 2000 {
        steps += 1;
        match cur.u8() % 5 {
            0 | 1 => {
                let name = cur.text();
                let app = cur.text();
                let ts_start = cur.ts();
                let f = FlowSummary {
                    ts_start,
                    ts_end: if cur.u8() & 1 == 0 {
                        ts_start
                    } else {
                        cur.ts()
                    },
                    client: cur.addr(),
                    server: cur.addr(),
                    sport: cur.u16(),
                    dport: cur.u16(),
                    proto: cur.u8(),
                    app_proto: (!app.is_empty()).then_some(app.as_str()),
                    server_name: (!name.is_empty()).then_some(name.as_str()),
                    bytes_to_server: cur.u64(),
                    bytes_to_client: cur.u64(),
                    pkts_to_server: cur.u64(),
                    pkts_to_client: cur.u64(),
                    encrypted: cur.u8() & 1 == 1,
                    flow_id: cur.u64(),
                };
                b.on_flow(&f);
            }
            2 => {
                let name = cur.text();
                let addrs: Vec<Addr> = (0..cur.u8() % 4).map(|_| cur.addr()).collect();
                b.on_dns(&DnsAnswer {
                    ts: cur.ts(),
                    client: cur.addr(),
                    name: &name,
                    addrs: &addrs,
                });
            }
            3 => {
                let share = cur.text();
                let path = cur.text();
                b.on_file_read(&FileRead {
                    ts: cur.ts(),
                    client: cur.addr(),
                    server: cur.addr(),
                    sport: cur.u16(),
                    dport: cur.u16(),
                    share: Some(share.as_str()),
                    path: &path,
                    bytes: cur.u64(),
                    flow_id: cur.u64(),
                });
            }
            _ => {
                let kind = cur.text();
                let sig = cur.text();
                let layer = [
                    Layer::Signature,
                    Layer::Intel,
                    Layer::Policy,
                    Layer::Mail,
                    Layer::File,
                    Layer::Dlp,
                    Layer::Behavior,
                ][usize::from(cur.u8() % 7)];
                b.on_layer_alert(&LayerAlert {
                    ts: cur.ts(),
                    host: cur.addr(),
                    layer,
                    kind: &kind,
                    severity: cur.u8(),
                    signature: &sig,
                });
            }
        }
        for a in b.drain_alerts() {
            let _ = serde_json::to_string(&a.to_eve_json());
        }
        for i in b.drain_incidents() {
            let _ = serde_json::to_string(&i.to_eve_json());
        }
        assert!(b.host_count() <= 8);
        assert!(b.network_dest_count() <= 32);
        assert!(b.beacon_conn_count() <= 256);
    }
    let _ = b.finish();
});
