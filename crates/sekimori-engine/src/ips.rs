//! Inline prevention: the verdict on each packet, the per-flow drop that follows a drop or
//! reject (a rule, or a layer's policy such as DLP's `block_at`), and Suricata's `drop` record.
//! Offline, `--simulate-ips` runs the same logic so a pcap shows what an inline sensor would have
//! stopped; the acquisition layer for the inline mode reads [`Verdict`] from `Engine::process`.

use sekimori_decode::{Decoded, Ip, L4, tcp_flags};
use sekimori_eve::{EveWriter, Header, Obj};

/// What happens to one packet.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Verdict {
    /// Let it through (always, in IDS mode).
    #[default]
    Accept,
    /// Drop it.
    Drop,
    /// Drop it and answer with a TCP reset / ICMP unreachable (a `reject` rule).
    Reject,
}

impl Verdict {
    /// True for [`Verdict::Drop`] and [`Verdict::Reject`].
    pub fn is_drop(self) -> bool {
        self != Verdict::Accept
    }
}

/// Why a packet was dropped (`drop.reason`, and the `ips.drop_reason` stats).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DropReason {
    /// A drop/reject rule matched this packet.
    Rules,
    /// The flow was dropped earlier.
    FlowDrop,
    /// A layer's policy (DLP `block_at`, ...) dropped the flow.
    Layer(&'static str),
}

impl DropReason {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            DropReason::Rules => "rules",
            DropReason::FlowDrop => "flow drop",
            DropReason::Layer(l) => l,
        }
    }
}

/// IPS counters (`stats.ips`).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct IpsCounters {
    /// Packets let through.
    pub accepted: u64,
    /// Packets dropped or rejected.
    pub blocked: u64,
    /// Of which: by a rule on the packet itself.
    pub rules: u64,
    /// Of which: because their flow was dropped before.
    pub flow_drop: u64,
    /// Of which: by another layer's policy.
    pub layer: u64,
}

impl IpsCounters {
    pub(crate) fn count(&mut self, v: Verdict, reason: Option<DropReason>) {
        if !v.is_drop() {
            self.accepted += 1;
            return;
        }
        self.blocked += 1;
        match reason {
            Some(DropReason::Rules) => self.rules += 1,
            Some(DropReason::FlowDrop) => self.flow_drop += 1,
            Some(DropReason::Layer(_)) => self.layer += 1,
            None => {}
        }
    }

    /// Writes `stats.ips`.
    pub(crate) fn write(&self, o: &mut Obj<'_>) {
        o.obj("ips", |i| {
            i.u64("accepted", self.accepted).u64("blocked", self.blocked);
            i.obj("drop_reason", |r| {
                r.u64("rules", self.rules).u64("flow_drop", self.flow_drop).u64("layer_policy", self.layer);
            });
        });
    }
}

/// Suricata's `drop` record of one packet: the IP and transport header fields and the reason,
/// plus the `alert` object of the rule that dropped it, when one did (`alert` writes it).
pub(crate) fn write_drop(
    eve: &mut EveWriter,
    header: &Header<'_>,
    direction: &str,
    d: &Decoded<'_>,
    reason: DropReason,
    alert: Option<&dyn Fn(&mut Obj<'_>)>,
) {
    eve.record("drop", |b| {
        let mut o = Obj::new(b);
        header.write(&mut o);
        o.str("pkt_src", "wire/pcap").str("direction", direction);
        o.obj("drop", |x| {
            match d.ip {
                Some(Ip::V4(v4)) => {
                    x.u64("len", v4.total_len.into()).u64("tos", v4.tos.into()).u64("ttl", v4.ttl.into()).u64("ipid", v4.id.into());
                }
                Some(Ip::V6(v6)) => {
                    x.u64("len", u64::from(v6.payload_len) + 40)
                        .u64("tc", v6.traffic_class.into())
                        .u64("hoplimit", v6.hop_limit.into())
                        .u64("flowlbl", v6.flow_label.into());
                }
                None => {}
            }
            match d.l4 {
                L4::Tcp(t) => {
                    let f = |bit: u8| t.flags & bit != 0;
                    x.u64("tcpseq", t.seq.into())
                        .u64("tcpack", t.ack.into())
                        .u64("tcpwin", t.window.into())
                        .bool("syn", f(tcp_flags::SYN))
                        .bool("ack", f(tcp_flags::ACK))
                        .bool("psh", f(tcp_flags::PSH))
                        .bool("rst", f(tcp_flags::RST))
                        .bool("urg", f(tcp_flags::URG))
                        .bool("fin", f(tcp_flags::FIN))
                        .u64("tcpres", 0)
                        .u64("tcpurgp", t.urgent.into());
                }
                L4::Udp(u) => {
                    x.u64("udplen", u.len.into());
                }
                L4::Icmpv4(i) | L4::Icmpv6(i) => {
                    x.u64("icmp_id", i.id.into()).u64("icmp_seq", i.seq.into());
                }
                _ => {}
            }
            x.str("reason", reason.as_str());
        });
        if let Some(a) = alert {
            a(&mut o);
        }
        o.end();
    });
}
