//! A trace: the frames of one pcap file, one link type, and a clock that advances by a fixed
//! step after every frame.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::path::Path;

use crate::link::Link;
use crate::packet::{IpOpts, build_icmp_echo, build_icmp_port_unreachable, build_udp};
use crate::pcap::{Frame, Ts, pcap_bytes, write_pcap};

/// Frames in capture order, with a deterministic clock.
///
/// Every `push_*` stamps the frame with the current time, then advances the clock by the step
/// (1 ms by default). Start: [`Ts::DEFAULT_START`].
#[derive(Clone, Debug)]
pub struct Trace {
    link: Link,
    now: Ts,
    step_us: u64,
    next_ip_id: u16,
    frames: Vec<Frame>,
}

impl Trace {
    /// An empty trace framing packets with `link`.
    pub fn new(link: Link) -> Trace {
        Trace {
            link,
            now: Ts::DEFAULT_START,
            step_us: 1_000,
            next_ip_id: 0x100,
            frames: Vec::new(),
        }
    }

    /// Sets the current time.
    pub fn at(&mut self, ts: Ts) -> &mut Self {
        self.now = ts;
        self
    }

    /// Sets how far the clock moves after each frame (microseconds; 0 = all frames at the same
    /// time).
    pub fn step_us(&mut self, us: u64) -> &mut Self {
        self.step_us = us;
        self
    }

    /// Moves the clock forward (e.g. past a timeout).
    pub fn advance_us(&mut self, us: u64) -> &mut Self {
        self.now = self.now.plus_micros(us);
        self
    }

    /// The time the next frame will get.
    pub fn now(&self) -> Ts {
        self.now
    }

    /// The link encapsulation.
    pub fn link(&self) -> Link {
        self.link
    }

    /// The pcap link type of this trace.
    pub fn linktype(&self) -> u32 {
        self.link.linktype()
    }

    /// Appends a complete link-layer frame as is.
    pub fn push_frame(&mut self, frame: &[u8]) -> &mut Self {
        self.frames.push(Frame {
            ts: self.now,
            data: frame.to_vec(),
        });
        self.now = self.now.plus_micros(self.step_us);
        self
    }

    /// Frames an IP packet with the trace's link and appends it.
    pub fn push_ip(&mut self, ip: &[u8]) -> &mut Self {
        let f = self.link.wrap(ip);
        self.push_frame(&f)
    }

    /// Appends each IP packet in order.
    pub fn push_ips<P: AsRef<[u8]>>(&mut self, packets: &[P]) -> &mut Self {
        for p in packets {
            self.push_ip(p.as_ref());
        }
        self
    }

    /// IPv4 identification for the next packet this trace builds itself.
    fn ip_opts(&mut self) -> IpOpts {
        let id = self.next_ip_id;
        self.next_ip_id = self.next_ip_id.wrapping_add(1);
        IpOpts {
            id,
            ..IpOpts::default()
        }
    }

    /// A UDP datagram.
    pub fn udp(&mut self, src: SocketAddr, dst: SocketAddr, payload: &[u8]) -> &mut Self {
        let o = self.ip_opts();
        let p = build_udp(src, dst, payload, o);
        self.push_ip(&p)
    }

    /// An ICMP/ICMPv6 echo request.
    pub fn icmp_echo_request(
        &mut self,
        src: IpAddr,
        dst: IpAddr,
        id: u16,
        seq: u16,
        payload: &[u8],
    ) -> &mut Self {
        let o = self.ip_opts();
        let p = build_icmp_echo(src, dst, false, id, seq, payload, o);
        self.push_ip(&p)
    }

    /// An ICMP/ICMPv6 echo reply.
    pub fn icmp_echo_reply(
        &mut self,
        src: IpAddr,
        dst: IpAddr,
        id: u16,
        seq: u16,
        payload: &[u8],
    ) -> &mut Self {
        let o = self.ip_opts();
        let p = build_icmp_echo(src, dst, true, id, seq, payload, o);
        self.push_ip(&p)
    }

    /// An ICMP port unreachable from `from` to `to` quoting `original` (see
    /// [`crate::icmp_port_unreachable_packet`]).
    pub fn icmp_port_unreachable(
        &mut self,
        from: IpAddr,
        to: IpAddr,
        original: &[u8],
    ) -> &mut Self {
        let o = self.ip_opts();
        let p = build_icmp_port_unreachable(from, to, original, o);
        self.push_ip(&p)
    }

    /// The frames so far.
    pub fn frames(&self) -> &[Frame] {
        &self.frames
    }

    /// Takes the frames out.
    pub fn into_frames(self) -> Vec<Frame> {
        self.frames
    }

    /// Appends frames from elsewhere (kept as they are, timestamps included).
    pub fn extend_frames(&mut self, frames: impl IntoIterator<Item = Frame>) -> &mut Self {
        self.frames.extend(frames);
        self
    }

    /// Sorts frames by timestamp (stable: equal times keep their order). Useful after
    /// [`Trace::extend_frames`].
    pub fn sort_by_time(&mut self) -> &mut Self {
        self.frames.sort_by_key(|f| f.ts);
        self
    }

    /// The whole pcap file in memory.
    pub fn pcap_bytes(&self) -> Vec<u8> {
        pcap_bytes(self.linktype(), &self.frames)
    }

    /// Writes the pcap file.
    pub fn write_pcap(&self, path: impl AsRef<Path>) -> io::Result<()> {
        write_pcap(path, self.linktype(), &self.frames)
    }
}

impl Default for Trace {
    fn default() -> Self {
        Trace::new(Link::Ethernet)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ep;
    use crate::pcap::tests::read_back;
    use etherparse::{NetSlice, SlicedPacket, TransportSlice};

    #[test]
    fn clock_steps_and_ip_ids_advance() {
        let mut t = Trace::new(Link::Ethernet);
        t.at(Ts::new(100, 999_500)).step_us(250);
        t.udp(ep("10.0.0.1:1"), ep("10.0.0.2:2"), b"a").udp(
            ep("10.0.0.1:1"),
            ep("10.0.0.2:2"),
            b"b",
        );
        t.advance_us(1_000_000);
        t.udp(ep("10.0.0.1:1"), ep("10.0.0.2:2"), b"c");
        let ts: Vec<Ts> = t.frames().iter().map(|f| f.ts).collect();
        assert_eq!(
            ts,
            vec![
                Ts::new(100, 999_500),
                Ts::new(100, 999_750),
                Ts::new(102, 0)
            ]
        );
        let ids: Vec<u16> = t
            .frames()
            .iter()
            .map(|f| {
                let s = SlicedPacket::from_ethernet(&f.data).expect("parse");
                let Some(NetSlice::Ipv4(ip)) = s.net else {
                    panic!("v4")
                };
                ip.header().identification()
            })
            .collect();
        assert_eq!(ids, vec![0x100, 0x101, 0x102]);
        assert_eq!(t.now(), Ts::new(102, 250));
    }

    #[test]
    fn icmp_methods_and_pcap_output() {
        let a: IpAddr = "10.0.0.1".parse().expect("ip");
        let b: IpAddr = "10.0.0.2".parse().expect("ip");
        let mut t = Trace::new(Link::Raw);
        t.icmp_echo_request(a, b, 1, 1, b"p")
            .icmp_echo_reply(b, a, 1, 1, b"p");
        let orig = crate::udp_packet(ep("10.0.0.1:9"), ep("10.0.0.2:9"), b"x");
        t.icmp_port_unreachable(b, a, &orig);
        let (lt, recs) = read_back(&t.pcap_bytes());
        assert_eq!((lt, recs.len()), (101, 3));
        let types: Vec<u8> = recs
            .iter()
            .map(|r| {
                let s = SlicedPacket::from_ip(&r.4).expect("parse");
                let Some(TransportSlice::Icmpv4(i)) = s.transport else {
                    panic!("icmp")
                };
                i.type_u8()
            })
            .collect();
        assert_eq!(types, vec![8, 0, 3]);
    }

    #[test]
    fn merge_and_sort() {
        let mut a = Trace::new(Link::Raw);
        a.at(Ts::new(1, 0)).push_ip(&[0x45]).push_ip(&[0x45, 1]);
        let mut b = Trace::new(Link::Raw);
        b.at(Ts::new(1, 500)).push_ip(&[0x45, 2]);
        a.extend_frames(b.into_frames()).sort_by_time();
        let lens: Vec<usize> = a.frames().iter().map(|f| f.data.len()).collect();
        assert_eq!(lens, vec![1, 2, 2]);
        assert_eq!(a.frames()[1].ts, Ts::new(1, 500));
        let dir = tempfile::tempdir().expect("dir");
        let p = dir.path().join("t.pcap");
        a.write_pcap(&p).expect("write");
        assert_eq!(read_back(&std::fs::read(&p).expect("read")).1.len(), 3);
    }
}
