//! The registry of parsers: the one place where protocols are listed.

use crate::config::AppConfig;
use crate::dns::DnsParser;
use crate::http::HttpParser;
use crate::parser::{AppParser, Probe, ProtocolInfo};
use crate::quic::QuicParser;
use crate::rfb::RfbParser;
use crate::smb::SmbParser;
use crate::smtp::SmtpParser;
use crate::tls::TlsParser;
use crate::types::{AppProto, Direction, Transport};

/// One registered protocol: its facts, its probe and its constructor, plus the detection ports
/// resolved from the configuration.
#[derive(Clone, Debug)]
pub struct ProtocolEntry {
    /// Identity and transports.
    pub info: ProtocolInfo,
    /// Content probe.
    pub probe: fn(Transport, Direction, &[u8]) -> Probe,
    /// Per-flow parser constructor.
    pub create: fn(&AppConfig, Transport) -> Box<dyn AppParser>,
    /// TCP server ports (hint / restriction).
    pub tcp_ports: Vec<u16>,
    /// UDP server ports (hint / restriction).
    pub udp_ports: Vec<u16>,
    /// Probe on any TCP port.
    pub tcp_any_port: bool,
    /// Probe on any UDP port.
    pub udp_any_port: bool,
}

fn create_boxed<P: AppParser>(cfg: &AppConfig, t: Transport) -> Box<dyn AppParser> {
    Box::new(P::create(cfg, t))
}

impl ProtocolEntry {
    /// The entry of parser type `P`, with ports from `cfg`.
    pub fn of<P: AppParser>(cfg: &AppConfig) -> Self {
        ProtocolEntry {
            info: P::info(),
            probe: P::probe,
            create: create_boxed::<P>,
            tcp_ports: P::ports(cfg, Transport::Tcp),
            udp_ports: P::ports(cfg, Transport::Udp),
            tcp_any_port: P::any_port(cfg, Transport::Tcp),
            udp_any_port: P::any_port(cfg, Transport::Udp),
        }
    }

    /// Runs over `t`.
    pub fn supports(&self, t: Transport) -> bool {
        match t {
            Transport::Tcp => self.info.tcp,
            Transport::Udp => self.info.udp,
        }
    }

    /// One of the flow's ports is a detection port of this protocol.
    pub fn port_match(&self, t: Transport, sport: u16, dport: u16) -> bool {
        let ports = match t {
            Transport::Tcp => &self.tcp_ports,
            Transport::Udp => &self.udp_ports,
        };
        ports.contains(&dport) || ports.contains(&sport)
    }

    /// May be probed on a flow with these ports.
    pub fn allowed(&self, t: Transport, sport: u16, dport: u16) -> bool {
        let any = match t {
            Transport::Tcp => self.tcp_any_port,
            Transport::Udp => self.udp_any_port,
        };
        self.supports(t) && (any || self.port_match(t, sport, dport))
    }
}

/// The list of protocols detection tries.
#[derive(Clone, Debug)]
pub struct Registry {
    entries: Vec<ProtocolEntry>,
}

impl Registry {
    /// Every built-in protocol. Add new parsers here.
    pub fn builtin(cfg: &AppConfig) -> Self {
        Registry {
            entries: vec![
                ProtocolEntry::of::<HttpParser>(cfg),
                ProtocolEntry::of::<DnsParser>(cfg),
                ProtocolEntry::of::<TlsParser>(cfg),
                ProtocolEntry::of::<SmtpParser>(cfg),
                ProtocolEntry::of::<SmbParser>(cfg),
                ProtocolEntry::of::<RfbParser>(cfg),
                ProtocolEntry::of::<QuicParser>(cfg),
            ],
        }
    }

    /// An empty registry (tests, or engines that register their own set).
    pub fn empty() -> Self {
        Registry {
            entries: Vec::new(),
        }
    }

    /// Adds (or replaces, for the same protocol) an entry.
    pub fn register(&mut self, e: ProtocolEntry) {
        self.entries.retain(|x| x.info.proto != e.info.proto);
        self.entries.push(e);
    }

    /// The entries, in registration order.
    pub fn entries(&self) -> &[ProtocolEntry] {
        &self.entries
    }

    /// The entry of `proto`.
    pub fn get(&self, proto: AppProto) -> Option<&ProtocolEntry> {
        self.entries.iter().find(|e| e.info.proto == proto)
    }

    /// Probes `data` for a flow: protocols whose port matches are tried first, then those allowed
    /// on any port. Returns the detected protocol, or whether more data could still decide.
    pub fn detect(
        &self,
        t: Transport,
        sport: u16,
        dport: u16,
        dir: Direction,
        data: &[u8],
    ) -> Detect {
        let mut need_more = false;
        for pass in 0..2 {
            for e in &self.entries {
                if !e.allowed(t, sport, dport) {
                    continue;
                }
                let by_port = e.port_match(t, sport, dport);
                if (pass == 0) != by_port {
                    continue;
                }
                match (e.probe)(t, dir, data) {
                    Probe::Yes => return Detect::Found(e.info.proto),
                    Probe::Reverse => return Detect::Reversed(e.info.proto),
                    Probe::NeedMore => need_more = true,
                    Probe::No => {}
                }
            }
        }
        if need_more {
            Detect::NeedMore
        } else {
            Detect::None
        }
    }
}

/// Outcome of [`Registry::detect`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Detect {
    /// A protocol matched.
    Found(AppProto),
    /// A protocol matched, with the data in the opposite direction.
    Reversed(AppProto),
    /// Some protocol needs more bytes.
    NeedMore,
    /// No protocol matches.
    None,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Direction::*;

    #[test]
    fn detects_by_content_with_port_as_hint() {
        let cfg = AppConfig::default();
        let r = Registry::builtin(&cfg);
        // HTTP on any port, by content.
        assert_eq!(
            r.detect(Transport::Tcp, 40000, 8081, ToServer, b"GET / HTTP/1.1\r\n"),
            Detect::Found(AppProto::Http)
        );
        assert_eq!(
            r.detect(
                Transport::Tcp,
                40000,
                8081,
                ToClient,
                b"HTTP/1.1 200 OK\r\n"
            ),
            Detect::Found(AppProto::Http)
        );
        assert_eq!(
            r.detect(
                Transport::Tcp,
                40000,
                8081,
                ToServer,
                b"HTTP/1.1 200 OK\r\n"
            ),
            Detect::Reversed(AppProto::Http)
        );
        assert_eq!(
            r.detect(Transport::Tcp, 40000, 8081, ToServer, b"GE"),
            Detect::NeedMore
        );
        assert_eq!(
            r.detect(
                Transport::Tcp,
                40000,
                8081,
                ToServer,
                b"\x16\x03\x01\x02\x00"
            ),
            Detect::Found(AppProto::Tls)
        );
        // DNS only on its ports by default.
        let q = crate::dns::tests::query_bytes(0x1234, b"example.com", 1);
        assert_eq!(
            r.detect(Transport::Udp, 40000, 53, ToServer, &q),
            Detect::Found(AppProto::Dns)
        );
        assert_eq!(
            r.detect(Transport::Udp, 40000, 5353, ToServer, &q),
            Detect::None
        );
        // ... unless configured.
        let mut cfg = AppConfig::default();
        cfg.dns.any_port = true;
        let r = Registry::builtin(&cfg);
        assert_eq!(
            r.detect(Transport::Udp, 40000, 5353, ToServer, &q),
            Detect::Found(AppProto::Dns)
        );
        // Non-DNS on port 53 is not DNS.
        assert_eq!(
            r.detect(Transport::Udp, 40000, 53, ToServer, b"hello"),
            Detect::None
        );
    }

    #[test]
    fn register_replaces_same_protocol() {
        let cfg = AppConfig::default();
        let mut r = Registry::builtin(&cfg);
        let n = r.entries().len();
        let mut e = ProtocolEntry::of::<HttpParser>(&cfg);
        e.tcp_ports = vec![1];
        r.register(e);
        assert_eq!(r.entries().len(), n);
        assert_eq!(
            r.get(AppProto::Http).map(|e| e.tcp_ports.clone()),
            Some(vec![1])
        );
        assert!(Registry::empty().entries().is_empty());
    }
}
