//! The bundled sample capture: an hour of a small office's traffic in which one PC resolves and
//! visits a web site, fetches a page, and calls home to a command-and-control host every five
//! minutes, with a fragmented DNS answer, an IPv6 session, a VLAN-tagged host and a ping.
//! Deterministic, so `samples/sekimori-sample.pcap` can be checked against it.

use crate::{Link, TcpSession, Trace, Ts, ep, fragment, pick, udp_packet};
use std::net::IpAddr;

/// A DNS message with one question (and one A answer when `answer` is given).
fn dns(id: u16, name: &str, answer: Option<[u8; 4]>) -> Vec<u8> {
    let mut m = Vec::new();
    m.extend_from_slice(&id.to_be_bytes());
    m.extend_from_slice(if answer.is_some() { &[0x81, 0x80] } else { &[0x01, 0x00] });
    m.extend_from_slice(&[0, 1, 0, u8::from(answer.is_some()), 0, 0, 0, 0]);
    for label in name.split('.') {
        m.push(label.len() as u8);
        m.extend_from_slice(label.as_bytes());
    }
    m.extend_from_slice(&[0, 0, 1, 0, 1]);
    if let Some(a) = answer {
        m.extend_from_slice(&[0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4]);
        m.extend_from_slice(&a);
    }
    m
}

/// Builds the sample trace.
pub fn office_hour() -> Trace {
    let start = Ts::new(1_431_936_000, 0); // 2015-05-18 08:00:00 UTC
    let pc = "192.168.10.23";
    let mut t = Trace::new(Link::Ethernet);
    t.at(start);

    // The PC looks up the web site and fetches a page.
    t.udp(ep(&format!("{pc}:53001")), ep("192.168.10.1:53"), &dns(0x1a2b, "www.example.co.jp", None));
    t.udp(ep("192.168.10.1:53"), ep(&format!("{pc}:53001")), &dns(0x1a2b, "www.example.co.jp", Some([203, 0, 113, 10])));
    let mut web = TcpSession::new(ep(&format!("{pc}:49200")), ep("203.0.113.10:80")).mss(536);
    web.handshake(&mut t)
        .client(&mut t, b"GET /news/index.html HTTP/1.1\r\nHost: www.example.co.jp\r\nUser-Agent: Mozilla/5.0\r\n\r\n");
    let page: Vec<u8> = b"<html><body>".iter().chain([b'x'; 3000].iter()).chain(b"</body></html>".iter()).copied().collect();
    let mut resp = format!("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\n\r\n", page.len()).into_bytes();
    resp.extend_from_slice(&page);
    web.server(&mut t, &resp).close(&mut t);

    // A large DNS answer arrives in IP fragments, out of order.
    t.advance_us(2_000_000);
    let big = udp_packet(ep("192.168.10.1:53"), ep(&format!("{pc}:53002")), &[0x42; 1400]);
    let frags = fragment(&big, 512, 0x7777).expect("a valid UDP datagram fragments");
    let order: Vec<usize> = (0..frags.len()).rev().collect();
    t.push_ips(&pick(&frags, &order));

    // A ping to the gateway.
    let a: IpAddr = [192, 168, 10, 23].into();
    let g: IpAddr = [192, 168, 10, 1].into();
    t.icmp_echo_request(a, g, 7, 1, b"abcdefgh").icmp_echo_reply(g, a, 7, 1, b"abcdefgh");

    // Every five minutes for an hour, the PC posts a short status to the same outside host.
    for i in 0..12u16 {
        t.at(start.plus_micros(60_000_000 + u64::from(i) * 300_000_000));
        let mut c2 = TcpSession::new(ep(&format!("{pc}:{}", 50000 + i)), ep("198.51.100.77:80"));
        let body = format!("id=PC23&seq={i}");
        let req = format!(
            "POST /img/status.php HTTP/1.1\r\nHost: cdn.example-partner.jp\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        c2.handshake(&mut t).client(&mut t, req.as_bytes()).server(&mut t, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK").close(&mut t);
    }

    // An IPv6 session and a host on VLAN 20.
    let mut v6 = Trace::new(Link::Ethernet);
    v6.at(start.plus_micros(1_800_000_000));
    TcpSession::new(ep("[2001:db8:10::23]:51000"), ep("[2001:db8:99::80]:443"))
        .handshake(&mut v6)
        .client(&mut v6, &[0x16, 0x03, 0x01, 0x00, 0x05, 1, 2, 3, 4, 5])
        .close(&mut v6);
    let mut vlan = Trace::new(Link::Vlan(20));
    vlan.at(start.plus_micros(1_900_000_000));
    vlan.udp(ep("192.168.20.5:40000"), ep("192.168.10.1:53"), &dns(0x0042, "intranet.example.local", None));
    t.extend_frames(v6.into_frames()).extend_frames(vlan.into_frames()).sort_by_time();

    t
}
