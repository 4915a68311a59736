//! Replays a capture file through an [`AppLayer`] without the engine: decodes packets, tracks
//! flows, and delivers TCP payloads in sequence order per direction (out-of-order segments are
//! held, retransmitted bytes dropped, holes reported as gaps at the end) and UDP payloads as
//! datagrams. A tool for tests, benchmarks and quick checks of parsers on real traffic; the
//! engine's own pipeline (defragmentation, stream policies, timeouts) is not reproduced.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use sekimori_capture::{CaptureError, PacketSource, PcapFile, Timestamp};
use sekimori_decode::{Addr, L4, decode, tcp_flags};

use crate::layer::{AppLayer, AppSlot};
use crate::sink::AppSink;
use crate::types::{Direction, FlowCtx};

/// What a replay saw.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReplayStats {
    /// Packets read.
    pub packets: u64,
    /// TCP and UDP flows.
    pub flows: u64,
    /// Bytes reported missing in TCP streams.
    pub gap_bytes: u64,
    /// Retransmitted TCP bytes dropped.
    pub retransmitted: u64,
}

#[derive(Default)]
struct Half {
    next: Option<u32>,
    held: BTreeMap<u32, Vec<u8>>,
    /// Sequence number taken by the FIN, once seen.
    fin_seq: Option<u32>,
    fin: bool,
    closed: bool,
}

struct Flow {
    id: u64,
    client: (Addr, u16),
    server: (Addr, u16),
    proto: u8,
    vlan: Vec<u16>,
    slot: AppSlot,
    half: [Half; 2],
    ts: Timestamp,
    /// A RST was seen: later payload is ignored (the TCP session is over).
    reset: bool,
}

fn ctx<'a>(
    id: u64,
    client: (Addr, u16),
    server: (Addr, u16),
    proto: u8,
    vlan: &'a [u16],
    ts: Timestamp,
) -> FlowCtx<'a> {
    FlowCtx {
        id,
        src: client.0,
        dst: server.0,
        sport: client.1,
        dport: server.1,
        proto,
        vlan,
        ts,
    }
}

type Key = (Addr, u16, Addr, u16, u8);

fn key(a: (Addr, u16), b: (Addr, u16), proto: u8) -> Key {
    if (a.0, a.1) <= (b.0, b.1) {
        (a.0, a.1, b.0, b.1, proto)
    } else {
        (b.0, b.1, a.0, a.1, proto)
    }
}

/// Delivers held segments that became in-order.
fn drain(
    flow: &mut Flow,
    d: Direction,
    ts: Timestamp,
    layer: &mut AppLayer,
    sink: &mut dyn AppSink,
    st: &mut ReplayStats,
) {
    let i = d.index();
    let Flow {
        id,
        client,
        server,
        proto,
        vlan,
        slot,
        half,
        ..
    } = flow;
    let Some(h) = half.get_mut(i) else { return };
    loop {
        let Some(next) = h.next else { return };
        let Some((&seq, _)) = h
            .held
            .iter()
            .find(|(s, _)| next.wrapping_sub(**s) as i32 >= 0)
        else {
            return;
        };
        let Some(data) = h.held.remove(&seq) else {
            return;
        };
        let skip = next.wrapping_sub(seq) as usize;
        if skip < data.len() {
            let part = data.get(skip..).unwrap_or(&[]);
            h.next = Some(next.wrapping_add(part.len() as u32));
            st.retransmitted += skip as u64;
            let c = ctx(*id, *client, *server, *proto, vlan, ts);
            layer.on_stream_data(&c, slot, d, part, sink);
        } else {
            st.retransmitted += data.len() as u64;
        }
    }
}

/// Reports holes before held segments as gaps and delivers everything, then ends the flow.
fn flush(flow: &mut Flow, layer: &mut AppLayer, sink: &mut dyn AppSink, st: &mut ReplayStats) {
    let ts = flow.ts;
    for d in [Direction::ToServer, Direction::ToClient] {
        let i = d.index();
        while let Some(h) = flow.half.get_mut(i) {
            let Some((&seq, _)) = h.held.iter().next() else {
                break;
            };
            let next = h.next.unwrap_or(seq);
            let hole = seq.wrapping_sub(next) as i32;
            if hole > 0 {
                st.gap_bytes += hole as u64;
                h.next = Some(seq);
                let c = ctx(
                    flow.id,
                    flow.client,
                    flow.server,
                    flow.proto,
                    &flow.vlan,
                    ts,
                );
                layer.on_stream_gap(&c, &mut flow.slot, d, hole as u64, sink);
            }
            drain(flow, d, ts, layer, sink, st);
        }
        let closed = flow.half.get(i).is_none_or(|h| h.closed);
        if flow.proto == 6 && !closed {
            if let Some(h) = flow.half.get_mut(i) {
                h.closed = true;
            }
            let c = ctx(
                flow.id,
                flow.client,
                flow.server,
                flow.proto,
                &flow.vlan,
                ts,
            );
            layer.on_stream_close(&c, &mut flow.slot, d, sink);
        }
    }
    let c = ctx(
        flow.id,
        flow.client,
        flow.server,
        flow.proto,
        &flow.vlan,
        ts,
    );
    layer.on_flow_end(&c, &mut flow.slot, sink);
}

/// Replays `path` through `layer`, handing results to `sink`. Flows end at the end of the file,
/// in the order they started.
pub fn replay_pcap(
    path: &Path,
    layer: &mut AppLayer,
    sink: &mut dyn AppSink,
) -> Result<ReplayStats, CaptureError> {
    let mut src = PcapFile::open(path)?;
    let mut flows: HashMap<Key, Flow> = HashMap::new();
    let mut order: Vec<Key> = Vec::new();
    let mut st = ReplayStats::default();
    loop {
        let pkt = match src.next_packet() {
            Ok(Some(p)) => p,
            Ok(None) => break,
            Err(e) => {
                if st.packets == 0 {
                    return Err(e);
                }
                break;
            }
        };
        st.packets += 1;
        let d = decode(pkt.linktype, pkt.data);
        if d.is_fragment() {
            continue;
        }
        let (sport, dport, proto, flags, seq, ack) = match d.l4 {
            L4::Tcp(t) => (t.sport, t.dport, 6u8, t.flags, t.seq, t.ack),
            L4::Udp(u) => (u.sport, u.dport, 17u8, 0, 0, 0),
            _ => continue,
        };
        let a = (d.src, sport);
        let b = (d.dst, dport);
        let k = key(a, b, proto);
        // A new SYN on a flow that was closed or reset starts a new session (port reuse).
        let syn_only = proto == 6 && flags & tcp_flags::SYN != 0 && flags & tcp_flags::ACK == 0;
        if syn_only
            && flows
                .get(&k)
                .is_some_and(|f| f.half.iter().any(|h| h.fin || h.closed))
            && let Some(mut old) = flows.remove(&k)
        {
            flush(&mut old, layer, sink, &mut st);
        }
        let flow = flows.entry(k).or_insert_with(|| {
            st.flows += 1;
            order.push(k);
            // The initiator is the SYN sender, else the first sender.
            let (client, server) =
                if proto == 6 && flags & tcp_flags::SYN != 0 && flags & tcp_flags::ACK != 0 {
                    (b, a)
                } else {
                    (a, b)
                };
            Flow {
                id: st.flows,
                client,
                server,
                proto,
                vlan: d.vlans().to_vec(),
                slot: None,
                half: [Half::default(), Half::default()],
                ts: pkt.ts,
                reset: false,
            }
        });
        flow.ts = pkt.ts;
        let dir = if (d.src, sport) == flow.client {
            Direction::ToServer
        } else {
            Direction::ToClient
        };
        let ts = pkt.ts;
        if proto == 17 {
            let c = ctx(
                flow.id,
                flow.client,
                flow.server,
                flow.proto,
                &flow.vlan,
                ts,
            );
            layer.on_udp(&c, &mut flow.slot, dir, d.payload, sink);
            continue;
        }
        let i = dir.index();
        if flow.reset {
            continue;
        }
        // The other side acknowledged bytes of this side's peer that were never seen: they are
        // lost (Suricata declares the gap when the ACK passes it).
        if flags & tcp_flags::ACK != 0 {
            let o = dir.reverse().index();
            if let Some(oh) = flow.half.get_mut(o)
                && let Some(next) = oh.next
            {
                let upto = match oh.fin_seq {
                    Some(f) if ack == f.wrapping_add(1) => f,
                    _ => ack,
                };
                let first_held = oh.held.keys().next().copied();
                let hole_end = match first_held {
                    Some(s) if (upto.wrapping_sub(s) as i32) > 0 => s,
                    _ => upto,
                };
                let hole = hole_end.wrapping_sub(next) as i32;
                if hole > 0 && hole < (1 << 30) && !oh.closed {
                    st.gap_bytes += hole as u64;
                    oh.next = Some(hole_end);
                    let c = ctx(
                        flow.id,
                        flow.client,
                        flow.server,
                        flow.proto,
                        &flow.vlan,
                        ts,
                    );
                    layer.on_stream_gap(&c, &mut flow.slot, dir.reverse(), hole as u64, sink);
                    drain(flow, dir.reverse(), ts, layer, sink, &mut st);
                }
            }
        }
        let Some(h) = flow.half.get_mut(i) else {
            continue;
        };
        if flags & tcp_flags::SYN != 0 {
            h.next = Some(seq.wrapping_add(1));
        } else if h.next.is_none() {
            h.next = Some(seq);
        }
        let payload = d.payload;
        if !payload.is_empty() {
            let s = if flags & tcp_flags::SYN != 0 {
                seq.wrapping_add(1)
            } else {
                seq
            };
            h.held.entry(s).or_insert_with(|| payload.to_vec());
            drain(flow, dir, ts, layer, sink, &mut st);
        }
        let Some(h) = flow.half.get_mut(i) else {
            continue;
        };
        if flags & tcp_flags::FIN != 0 {
            h.fin_seq = Some(seq.wrapping_add(payload.len() as u32));
        }
        if flags & tcp_flags::FIN != 0 {
            h.fin = true;
        }
        if h.fin && h.held.is_empty() && !h.closed {
            h.closed = true;
            let c = ctx(
                flow.id,
                flow.client,
                flow.server,
                flow.proto,
                &flow.vlan,
                ts,
            );
            layer.on_stream_close(&c, &mut flow.slot, dir, sink);
        }
        if flags & tcp_flags::RST != 0 {
            // The session is over in both directions.
            flow.reset = true;
            for d in [Direction::ToServer, Direction::ToClient] {
                if let Some(h) = flow.half.get_mut(d.index()) {
                    h.fin = true;
                }
            }
        }
    }
    for k in order {
        if let Some(mut f) = flows.remove(&k) {
            flush(&mut f, layer, sink, &mut st);
        }
    }
    Ok(st)
}
