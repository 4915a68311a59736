//! A TCP connection between a client and a server, written into a [`Trace`] step by step.
//!
//! Sequence numbers are tracked like a real stack's: each side's next sequence number advances
//! with data, SYN and FIN, and every segment acknowledges what the peer has sent so far.
//! "Relative" sequence numbers (as Wireshark shows them) count from the first data byte:
//! relative 0 is ISN + 1, with or without a handshake.

use std::net::SocketAddr;

use crate::packet::{IpOpts, TcpFlags, TcpSpec, build_tcp};
use crate::trace::Trace;

/// One TCP segment, not yet on the wire: plan segments, then emit them in any order, twice, or
/// with other bytes (see [`TcpSession::plan_client`] and [`TcpSession::emit`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segment {
    /// Sent by the client (else by the server).
    pub from_client: bool,
    /// Absolute sequence number.
    pub seq: u32,
    /// Acknowledgment number (written only if `flags` has ACK).
    pub ack: u32,
    /// Flags.
    pub flags: TcpFlags,
    /// Payload.
    pub payload: Vec<u8>,
}

impl Segment {
    /// The same segment carrying other bytes (a retransmission with different content).
    pub fn with_payload(&self, payload: &[u8]) -> Segment {
        Segment {
            payload: payload.to_vec(),
            ..self.clone()
        }
    }

    /// Sequence space used: payload length, plus one for SYN and one for FIN.
    pub fn seq_len(&self) -> u32 {
        let mut n = self.payload.len() as u32;
        if self.flags.contains(TcpFlags::SYN) {
            n = n.wrapping_add(1);
        }
        if self.flags.contains(TcpFlags::FIN) {
            n = n.wrapping_add(1);
        }
        n
    }
}

/// A deterministic TCP connection. Defaults: client ISN 1000, server ISN 5000, MSS 1460,
/// window 65535, peers acknowledge data automatically.
#[derive(Clone, Debug)]
pub struct TcpSession {
    client: SocketAddr,
    server: SocketAddr,
    c_isn: u32,
    s_isn: u32,
    c_next: u32,
    s_next: u32,
    mss: usize,
    auto_ack: bool,
    window: u16,
    c_ip_id: u16,
    s_ip_id: u16,
}

impl TcpSession {
    /// A connection from `client` to `server` (both IPv4 or both IPv6). Nothing is sent until a
    /// method is called; skip [`TcpSession::handshake`] to start midstream.
    pub fn new(client: SocketAddr, server: SocketAddr) -> TcpSession {
        TcpSession {
            client,
            server,
            c_isn: 1000,
            s_isn: 5000,
            c_next: 1001,
            s_next: 5001,
            mss: 1460,
            auto_ack: true,
            window: 65535,
            c_ip_id: 1,
            s_ip_id: 1,
        }
    }

    /// Sets the initial sequence numbers (e.g. near 2^32 to test wrap-around).
    pub fn isn(mut self, client: u32, server: u32) -> Self {
        self.c_isn = client;
        self.s_isn = server;
        self.c_next = client.wrapping_add(1);
        self.s_next = server.wrapping_add(1);
        self
    }

    /// Maximum payload per segment for [`TcpSession::client`]/[`TcpSession::server`] (min 1).
    pub fn mss(mut self, mss: usize) -> Self {
        self.mss = mss.max(1);
        self
    }

    /// Whether the peer acknowledges data and FINs by itself (default on): after every second
    /// data segment and at the end of each `client`/`server` call, as delayed ACK does.
    pub fn auto_ack(mut self, on: bool) -> Self {
        self.auto_ack = on;
        self
    }

    /// Advertised window of every segment.
    pub fn window(mut self, window: u16) -> Self {
        self.window = window;
        self
    }

    /// The client endpoint.
    pub fn client_addr(&self) -> SocketAddr {
        self.client
    }

    /// The server endpoint.
    pub fn server_addr(&self) -> SocketAddr {
        self.server
    }

    /// Client initial sequence number.
    pub fn client_isn(&self) -> u32 {
        self.c_isn
    }

    /// Server initial sequence number.
    pub fn server_isn(&self) -> u32 {
        self.s_isn
    }

    /// Next sequence number the client will use.
    pub fn client_next_seq(&self) -> u32 {
        self.c_next
    }

    /// Next sequence number the server will use.
    pub fn server_next_seq(&self) -> u32 {
        self.s_next
    }

    /// SYN, SYN/ACK, ACK.
    pub fn handshake(&mut self, t: &mut Trace) -> &mut Self {
        let syn = Segment {
            from_client: true,
            seq: self.c_isn,
            ack: 0,
            flags: TcpFlags::SYN,
            payload: Vec::new(),
        };
        let syn_ack = Segment {
            from_client: false,
            seq: self.s_isn,
            ack: self.c_isn.wrapping_add(1),
            flags: TcpFlags::SYN_ACK,
            payload: Vec::new(),
        };
        self.emit(t, &syn).emit(t, &syn_ack);
        self.ack_from(t, true)
    }

    /// Client sends `data`, cut into MSS-sized segments (PSH|ACK), acknowledged by the server
    /// when auto-ACK is on.
    pub fn client(&mut self, t: &mut Trace, data: &[u8]) -> &mut Self {
        let chunks: Vec<&[u8]> = data.chunks(self.mss).collect();
        self.send(t, true, &chunks)
    }

    /// Server sends `data` (see [`TcpSession::client`]).
    pub fn server(&mut self, t: &mut Trace, data: &[u8]) -> &mut Self {
        let chunks: Vec<&[u8]> = data.chunks(self.mss).collect();
        self.send(t, false, &chunks)
    }

    /// Client sends exactly these segments, in order.
    pub fn client_segments(&mut self, t: &mut Trace, segments: &[&[u8]]) -> &mut Self {
        self.send(t, true, segments)
    }

    /// Server sends exactly these segments, in order.
    pub fn server_segments(&mut self, t: &mut Trace, segments: &[&[u8]]) -> &mut Self {
        self.send(t, false, segments)
    }

    /// Client sends `data` at relative sequence number `rel_seq` (0 = first data byte), whatever
    /// was sent before: overlaps, gaps, rewrites. Never auto-acknowledged. The client's next
    /// sequence number moves to the end of this segment if that is further.
    pub fn client_raw(&mut self, t: &mut Trace, rel_seq: u32, data: &[u8]) -> &mut Self {
        self.raw(t, true, rel_seq, data)
    }

    /// Server counterpart of [`TcpSession::client_raw`].
    pub fn server_raw(&mut self, t: &mut Trace, rel_seq: u32, data: &[u8]) -> &mut Self {
        self.raw(t, false, rel_seq, data)
    }

    /// A pure ACK from the client for everything the server sent.
    pub fn client_ack(&mut self, t: &mut Trace) -> &mut Self {
        self.ack_from(t, true)
    }

    /// A pure ACK from the server for everything the client sent.
    pub fn server_ack(&mut self, t: &mut Trace) -> &mut Self {
        self.ack_from(t, false)
    }

    /// Client FIN|ACK (acknowledged by the server when auto-ACK is on).
    pub fn fin_client(&mut self, t: &mut Trace) -> &mut Self {
        self.fin(t, true)
    }

    /// Server FIN|ACK (acknowledged by the client when auto-ACK is on).
    pub fn fin_server(&mut self, t: &mut Trace) -> &mut Self {
        self.fin(t, false)
    }

    /// Orderly close, always four segments: client FIN, server ACK, server FIN, client ACK.
    pub fn close(&mut self, t: &mut Trace) -> &mut Self {
        let auto = self.auto_ack;
        self.auto_ack = false;
        self.fin(t, true)
            .ack_from(t, false)
            .fin(t, false)
            .ack_from(t, true);
        self.auto_ack = auto;
        self
    }

    /// Client RST|ACK at its next sequence number.
    pub fn rst_client(&mut self, t: &mut Trace) -> &mut Self {
        let s = self.make(true, TcpFlags::RST_ACK, self.c_next, Vec::new());
        self.emit(t, &s)
    }

    /// Server RST|ACK at its next sequence number.
    pub fn rst_server(&mut self, t: &mut Trace) -> &mut Self {
        let s = self.make(false, TcpFlags::RST_ACK, self.s_next, Vec::new());
        self.emit(t, &s)
    }

    /// Client data cut into MSS-sized segments, *not* emitted: the client's sequence number
    /// advances as if they were sent. Emit them with [`TcpSession::emit`] /
    /// [`TcpSession::emit_order`] (reordered, duplicated, altered), then maybe
    /// [`TcpSession::server_ack`].
    pub fn plan_client(&mut self, data: &[u8]) -> Vec<Segment> {
        self.plan(true, data)
    }

    /// Server counterpart of [`TcpSession::plan_client`].
    pub fn plan_server(&mut self, data: &[u8]) -> Vec<Segment> {
        self.plan(false, data)
    }

    /// A free-form segment at relative sequence number `rel_seq` with any flags, acknowledging
    /// what the peer has sent. Does not change the session state.
    pub fn segment(
        &self,
        from_client: bool,
        flags: TcpFlags,
        rel_seq: u32,
        payload: &[u8],
    ) -> Segment {
        let isn = if from_client { self.c_isn } else { self.s_isn };
        self.make(
            from_client,
            flags,
            isn.wrapping_add(1).wrapping_add(rel_seq),
            payload.to_vec(),
        )
    }

    /// Puts one segment on the wire (the session state is not changed).
    pub fn emit(&mut self, t: &mut Trace, seg: &Segment) -> &mut Self {
        let (src, dst) = if seg.from_client {
            (self.client, self.server)
        } else {
            (self.server, self.client)
        };
        let id = if seg.from_client {
            &mut self.c_ip_id
        } else {
            &mut self.s_ip_id
        };
        let ip = IpOpts {
            id: *id,
            ..IpOpts::default()
        };
        *id = id.wrapping_add(1);
        let p = build_tcp(&TcpSpec {
            src,
            dst,
            seq: seg.seq,
            ack: seg.ack,
            flags: seg.flags,
            window: self.window,
            payload: &seg.payload,
            ip,
        });
        t.push_ip(&p);
        self
    }

    /// Emits `segs[i]` for each `i` in `order` (repeat an index for a duplicate).
    ///
    /// # Panics
    /// If an index is out of range (a bug in the test).
    pub fn emit_order(&mut self, t: &mut Trace, segs: &[Segment], order: &[usize]) -> &mut Self {
        for &i in order {
            match segs.get(i) {
                Some(s) => self.emit(t, s),
                None => panic!(
                    "sekimori-fixtures: emit_order index {i} out of range ({} segments)",
                    segs.len()
                ),
            };
        }
        self
    }

    fn make(&self, from_client: bool, flags: TcpFlags, seq: u32, payload: Vec<u8>) -> Segment {
        let ack = if from_client {
            self.s_next
        } else {
            self.c_next
        };
        Segment {
            from_client,
            seq,
            ack,
            flags,
            payload,
        }
    }

    fn next_mut(&mut self, from_client: bool) -> &mut u32 {
        if from_client {
            &mut self.c_next
        } else {
            &mut self.s_next
        }
    }

    fn plan(&mut self, from_client: bool, data: &[u8]) -> Vec<Segment> {
        let mut out = Vec::new();
        for chunk in data.chunks(self.mss) {
            let seq = *self.next_mut(from_client);
            out.push(self.make(from_client, TcpFlags::PSH_ACK, seq, chunk.to_vec()));
            *self.next_mut(from_client) = seq.wrapping_add(chunk.len() as u32);
        }
        out
    }

    fn send(&mut self, t: &mut Trace, from_client: bool, chunks: &[&[u8]]) -> &mut Self {
        let mut unacked = 0;
        for chunk in chunks {
            let seq = *self.next_mut(from_client);
            let s = self.make(from_client, TcpFlags::PSH_ACK, seq, chunk.to_vec());
            *self.next_mut(from_client) = seq.wrapping_add(chunk.len() as u32);
            self.emit(t, &s);
            unacked += 1;
            if self.auto_ack && unacked == 2 {
                self.ack_from(t, !from_client);
                unacked = 0;
            }
        }
        if self.auto_ack && unacked > 0 {
            self.ack_from(t, !from_client);
        }
        self
    }

    fn raw(&mut self, t: &mut Trace, from_client: bool, rel_seq: u32, data: &[u8]) -> &mut Self {
        let s = self.segment(from_client, TcpFlags::PSH_ACK, rel_seq, data);
        let end = s.seq.wrapping_add(data.len() as u32);
        let next = self.next_mut(from_client);
        if (end.wrapping_sub(*next) as i32) > 0 {
            *next = end;
        }
        self.emit(t, &s)
    }

    fn ack_from(&mut self, t: &mut Trace, from_client: bool) -> &mut Self {
        let seq = *self.next_mut(from_client);
        let s = self.make(from_client, TcpFlags::ACK, seq, Vec::new());
        self.emit(t, &s)
    }

    fn fin(&mut self, t: &mut Trace, from_client: bool) -> &mut Self {
        let seq = *self.next_mut(from_client);
        let s = self.make(from_client, TcpFlags::FIN_ACK, seq, Vec::new());
        *self.next_mut(from_client) = seq.wrapping_add(1);
        self.emit(t, &s);
        if self.auto_ack {
            self.ack_from(t, !from_client);
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ep;
    use crate::link::Link;
    use etherparse::{NetSlice, SlicedPacket, TransportSlice};

    /// (from_client, seq, ack, flags, payload) of every frame.
    type Seg = (bool, u32, u32, u8, Vec<u8>);

    fn segs(t: &Trace, client_port: u16) -> Vec<Seg> {
        t.frames()
            .iter()
            .map(|f| {
                let p = match t.link() {
                    Link::Raw => SlicedPacket::from_ip(&f.data),
                    _ => SlicedPacket::from_ethernet(&f.data),
                }
                .expect("parses");
                let Some(TransportSlice::Tcp(tcp)) = &p.transport else {
                    panic!("not tcp")
                };
                let h = tcp.to_header();
                let flags = (h.fin as u8)
                    | (h.syn as u8) << 1
                    | (h.rst as u8) << 2
                    | (h.psh as u8) << 3
                    | (h.ack as u8) << 4;
                (
                    tcp.source_port() == client_port,
                    tcp.sequence_number(),
                    tcp.acknowledgment_number(),
                    flags,
                    tcp.payload().to_vec(),
                )
            })
            .collect()
    }

    fn sess() -> TcpSession {
        TcpSession::new(ep("10.0.0.1:40000"), ep("10.0.0.2:80"))
    }

    #[test]
    fn handshake_data_close() {
        let mut t = Trace::new(Link::Ethernet);
        let mut s = sess();
        s.handshake(&mut t)
            .client(&mut t, b"GET / HTTP/1.0\r\n\r\n")
            .server(&mut t, b"HTTP/1.0 200 OK\r\n\r\n")
            .close(&mut t);
        let v = segs(&t, 40000);
        let syn = TcpFlags::SYN.0;
        let sa = TcpFlags::SYN_ACK.0;
        let a = TcpFlags::ACK.0;
        let pa = TcpFlags::PSH_ACK.0;
        let fa = TcpFlags::FIN_ACK.0;
        assert_eq!(
            v,
            vec![
                (true, 1000, 0, syn, vec![]),
                (false, 5000, 1001, sa, vec![]),
                (true, 1001, 5001, a, vec![]),
                (true, 1001, 5001, pa, b"GET / HTTP/1.0\r\n\r\n".to_vec()),
                (false, 5001, 1019, a, vec![]),
                (false, 5001, 1019, pa, b"HTTP/1.0 200 OK\r\n\r\n".to_vec()),
                (true, 1019, 5020, a, vec![]),
                (true, 1019, 5020, fa, vec![]),
                (false, 5020, 1020, a, vec![]),
                (false, 5020, 1020, fa, vec![]),
                (true, 1020, 5021, a, vec![]),
            ]
        );
        assert_eq!((s.client_next_seq(), s.server_next_seq()), (1020, 5021));
        // Clock: 1 ms apart.
        assert_eq!(
            t.frames()[1].ts.as_micros() - t.frames()[0].ts.as_micros(),
            1000
        );
    }

    #[test]
    fn mss_segmentation_with_delayed_acks() {
        let mut t = Trace::new(Link::Raw);
        let mut s = sess().mss(10);
        let data: Vec<u8> = (0..35u8).collect();
        s.client(&mut t, &data);
        let v = segs(&t, 40000);
        let shape: Vec<(bool, u32, u32, usize)> =
            v.iter().map(|x| (x.0, x.1, x.2, x.4.len())).collect();
        assert_eq!(
            shape,
            vec![
                (true, 1001, 5001, 10),
                (true, 1011, 5001, 10),
                (false, 5001, 1021, 0),
                (true, 1021, 5001, 10),
                (true, 1031, 5001, 5),
                (false, 5001, 1036, 0),
            ]
        );
        let joined: Vec<u8> = v.iter().filter(|x| x.0).flat_map(|x| x.4.clone()).collect();
        assert_eq!(joined, data);
    }

    #[test]
    fn explicit_segments_and_no_auto_ack() {
        let mut t = Trace::new(Link::Raw);
        let mut s = sess().auto_ack(false);
        s.client_segments(&mut t, &[b"ab", b"", b"cde"])
            .server_segments(&mut t, &[b"x"]);
        let v = segs(&t, 40000);
        let shape: Vec<(bool, u32, usize)> = v.iter().map(|x| (x.0, x.1, x.4.len())).collect();
        assert_eq!(
            shape,
            vec![
                (true, 1001, 2),
                (true, 1003, 0),
                (true, 1003, 3),
                (false, 5001, 1)
            ]
        );
        assert_eq!(v[3].2, 1006, "server acks client data");
    }

    #[test]
    fn overlaps_at_relative_sequence_numbers() {
        let mut t = Trace::new(Link::Raw);
        let mut s = sess();
        s.handshake(&mut t);
        s.client_raw(&mut t, 0, b"AAAAAAAA")
            .client_raw(&mut t, 4, b"BBBBBBBB")
            .client_raw(&mut t, 2, b"CC");
        let v = segs(&t, 40000);
        assert_eq!((v[3].1, v[4].1, v[5].1), (1001, 1005, 1003));
        assert_eq!(s.client_next_seq(), 1013, "moved to the furthest end");
        // Server data after that acks the furthest byte.
        s.server(&mut t, b"ok");
        let v = segs(&t, 40000);
        assert_eq!(v[6].2, 1013);
    }

    #[test]
    fn out_of_order_duplicates_and_altered_retransmission() {
        let mut t = Trace::new(Link::Raw);
        let mut s = sess().mss(4);
        let planned = s.plan_client(b"0123456789");
        assert_eq!(planned.len(), 3);
        assert_eq!(t.frames().len(), 0, "planning emits nothing");
        s.emit_order(&mut t, &planned, &[2, 0, 0, 1]);
        s.emit(&mut t, &planned[1].with_payload(b"XXXX"));
        s.server_ack(&mut t);
        let v = segs(&t, 40000);
        let shape: Vec<(u32, Vec<u8>)> = v.iter().map(|x| (x.1, x.4.clone())).collect();
        assert_eq!(
            shape,
            vec![
                (1009, b"89".to_vec()),
                (1001, b"0123".to_vec()),
                (1001, b"0123".to_vec()),
                (1005, b"4567".to_vec()),
                (1005, b"XXXX".to_vec()),
                (5001, vec![]),
            ]
        );
        assert_eq!(v[5].2, 1011);
        // IP ids keep increasing per direction, even for duplicates.
        let ids: Vec<u16> = t
            .frames()
            .iter()
            .map(|f| {
                let p = SlicedPacket::from_ip(&f.data).expect("ip");
                let Some(NetSlice::Ipv4(ip)) = p.net else {
                    panic!("v4")
                };
                ip.header().identification()
            })
            .collect();
        assert_eq!(ids, vec![1, 2, 3, 4, 5, 1]);
    }

    #[test]
    fn sequence_wrap() {
        let mut t = Trace::new(Link::Raw);
        let mut s = sess().isn(0xffff_fff0, 0xffff_ffff).mss(8);
        s.handshake(&mut t)
            .client(&mut t, &[7u8; 40])
            .server(&mut t, b"hi");
        let v = segs(&t, 40000);
        assert_eq!(v[0].1, 0xffff_fff0);
        assert_eq!((v[1].1, v[1].2), (0xffff_ffff, 0xffff_fff1));
        assert_eq!(v[2].2, 0, "client acks server ISN+1 = 0 after wrap");
        let client_data: Vec<u32> = v
            .iter()
            .filter(|x| x.0 && !x.4.is_empty())
            .map(|x| x.1)
            .collect();
        assert_eq!(
            client_data,
            vec![
                0xffff_fff1,
                0xffff_fff9,
                0x0000_0001,
                0x0000_0009,
                0x0000_0011
            ]
        );
        assert_eq!(s.client_next_seq(), 0x19);
        let server_data = v
            .iter()
            .find(|x| !x.0 && !x.4.is_empty())
            .expect("server data");
        assert_eq!((server_data.1, server_data.2), (0, 0x19));
    }

    #[test]
    fn midstream_start_rst_and_fin_from_server() {
        let mut t = Trace::new(Link::Ethernet);
        let mut s = sess();
        s.server(&mut t, b"late")
            .fin_server(&mut t)
            .rst_client(&mut t);
        let v = segs(&t, 40000);
        assert_eq!(v[0].3 & TcpFlags::SYN.0, 0, "no SYN midstream");
        assert_eq!((v[0].0, v[0].1, v[0].2), (false, 5001, 1001));
        assert_eq!((v[1].0, v[1].3), (true, TcpFlags::ACK.0));
        assert_eq!((v[2].0, v[2].1, v[2].3), (false, 5005, TcpFlags::FIN_ACK.0));
        assert_eq!((v[3].0, v[3].2), (true, 5006));
        assert_eq!((v[4].0, v[4].1, v[4].3), (true, 1001, TcpFlags::RST_ACK.0));
        s.rst_server(&mut t);
        assert_eq!(segs(&t, 40000)[5].3, TcpFlags::RST_ACK.0);
    }

    #[test]
    fn free_form_segment_and_ipv6_vlan() {
        let mut t = Trace::new(Link::Vlan(42));
        let mut s = TcpSession::new(ep("[2001:db8::1]:5555"), ep("[2001:db8::2]:443")).window(1024);
        let syn_data = s.segment(true, TcpFlags::SYN, u32::MAX, b"early");
        assert_eq!(syn_data.seq, 1000);
        assert_eq!(syn_data.seq_len(), 6);
        s.emit(&mut t, &syn_data);
        let p = SlicedPacket::from_ethernet(&t.frames()[0].data).expect("parse");
        assert!(matches!(p.net, Some(NetSlice::Ipv6(_))));
        let Some(TransportSlice::Tcp(tcp)) = &p.transport else {
            panic!("tcp")
        };
        assert!(tcp.syn());
        assert_eq!((tcp.window_size(), tcp.payload()), (1024, &b"early"[..]));
        assert_eq!((s.client_isn(), s.server_isn()), (1000, 5000));
        assert_eq!(s.server_addr(), ep("[2001:db8::2]:443"));
        assert_eq!(s.client_addr().port(), 5555);
    }
}
