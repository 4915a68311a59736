//! pcaps written by sekimori-fixtures read back through PcapFile / MultiFileSource unchanged.

use sekimori_capture::{LinkType, MultiFileSource, PacketSource, PcapFile, Timestamp};
use sekimori_fixtures::{Link, TcpSession, Trace, Ts, ep, fragment, pick, udp_packet};

fn ts(t: Ts) -> Timestamp {
    Timestamp::from_micros(i64::from(t.secs), t.usecs)
}

#[test]
fn every_link_roundtrips() {
    for link in [
        Link::Ethernet,
        Link::Vlan(7),
        Link::QinQ { outer: 1, inner: 2 },
        Link::Raw,
        Link::LinuxSll,
        Link::Null,
    ] {
        let mut t = Trace::new(link);
        let mut s = TcpSession::new(ep("10.0.0.1:1234"), ep("10.0.0.2:80")).mss(100);
        s.handshake(&mut t)
            .client(&mut t, &[b'a'; 250])
            .close(&mut t);
        let d = udp_packet(ep("[2001:db8::1]:53"), ep("[2001:db8::2]:53"), &[1; 300]);
        t.push_ips(&pick(&fragment(&d, 128, 9).expect("frag"), &[2, 1, 0]));
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("t.pcap");
        t.write_pcap(&path).expect("write");
        let mut f = PcapFile::open(&path).expect("open");
        let mut n = 0;
        while let Some(p) = f.next_packet().expect("read") {
            let want = &t.frames()[n];
            assert_eq!(p.data, &want.data[..], "{link:?} frame {n}");
            assert_eq!(p.ts, ts(want.ts));
            assert_eq!(p.linktype, LinkType(t.linktype()));
            assert_eq!(p.orig_len as usize, want.data.len());
            n += 1;
        }
        assert_eq!(n, t.frames().len());
    }
}

#[test]
fn two_traces_merge_by_time() {
    let dir = tempfile::tempdir().expect("dir");
    let mut a = Trace::new(Link::Ethernet);
    a.at(Ts::new(100, 0)).step_us(10);
    let mut b = Trace::new(Link::Raw);
    b.at(Ts::new(100, 5)).step_us(10);
    for i in 0..5u8 {
        a.udp(ep("10.0.0.1:1"), ep("10.0.0.2:2"), &[i]);
        b.udp(ep("10.0.0.3:1"), ep("10.0.0.4:2"), &[i]);
    }
    a.write_pcap(dir.path().join("a.pcap")).expect("write");
    b.write_pcap(dir.path().join("b.pcap")).expect("write");
    let mut m = MultiFileSource::open(&[dir.path().join("a.pcap"), dir.path().join("b.pcap")])
        .expect("open");
    let mut order = Vec::new();
    while let Some(p) = m.next_packet().expect("read") {
        order.push((p.source, p.linktype, p.ts.subsec_micros()));
    }
    let want: Vec<(u16, LinkType, u32)> = (0..5)
        .flat_map(|i| {
            [
                (0, LinkType::ETHERNET, i * 10),
                (1, LinkType::RAW, i * 10 + 5),
            ]
        })
        .collect();
    assert_eq!(order, want);
}
