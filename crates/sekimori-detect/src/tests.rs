//! Unit tests of the matching semantics, through the public API with small hand-written rules.

use crate::*;
use sekimori_capture::Timestamp;
use sekimori_decode::Addr;
use sekimori_flow::Direction as FlowDir;
use sekimori_rules::{AppProto, Buffer, Rule, Vars, load_str};

fn engine(rules: &[&str]) -> DetectEngine {
    let text = rules.join("\n");
    let set = load_str(&text, &Vars::suricata_defaults(), &Default::default());
    assert!(set.errors.is_empty(), "{:?}", set.errors);
    let e = DetectEngine::new(&set);
    assert!(e.skipped().is_empty(), "{:?}", e.skipped());
    e
}

fn tcp_info() -> PacketInfo {
    PacketInfo {
        ip_version: 4,
        src: Addr::v4([10, 0, 0, 1]),
        dst: Addr::v4([10, 0, 0, 2]),
        sport: 40000,
        dport: 80,
        ip_proto: 6,
        ttl: 64,
        tcp: Some(TcpFacts {
            flags: 0x18,
            ..TcpFacts::default()
        }),
        flow: Some(FlowFacts {
            direction: FlowDir::ToServer,
            established: true,
        }),
        ..PacketInfo::default()
    }
}

fn sids(e: &DetectEngine, info: &PacketInfo, bufs: &Buffers<'_>) -> Vec<u32> {
    let mut s = Scratch::new();
    let mut v: Vec<u32> = e
        .inspect(info, bufs, None, &mut s)
        .iter()
        .map(|a| a.sid)
        .collect();
    v.sort();
    let mut s2 = Scratch::new();
    let mut w: Vec<u32> = e
        .inspect_all(info, bufs, None, &mut s2)
        .iter()
        .map(|a| a.sid)
        .collect();
    w.sort();
    assert_eq!(v, w, "prefiltered and exhaustive evaluation disagree");
    v
}

/// Does a single payload rule (options only) match the payload?
fn fires(opts: &str, payload: &[u8]) -> bool {
    let e = engine(&[&format!("alert tcp any any -> any any ({opts} sid:1;)")]);
    let info = tcp_info();
    let bufs = Buffers::packet(payload);
    let a = sids(&e, &info, &bufs);
    // the prefiltered and the exhaustive path must agree
    let mut s = Scratch::new();
    let b: Vec<u32> = e
        .inspect_all(&info, &bufs, None, &mut s)
        .iter()
        .map(|a| a.sid)
        .collect();
    assert_eq!(a, b, "prefilter disagrees for {opts} on {payload:?}");
    !a.is_empty()
}

#[test]
fn relative_backtracking() {
    let r = r#"content:"a"; content:"b"; distance:0; within:1;"#;
    assert!(fires(r, b"a-a-ab"));
    assert!(!fires(r, b"a-a-a-b"));
    assert!(!fires(r, b"ba"));
    // three levels: the middle content must be retried too
    let r = r#"content:"x"; content:"y"; distance:0; within:2; content:"z"; distance:0; within:1;"#;
    assert!(fires(r, b"x.y.x.y-x.yz"));
    assert!(!fires(r, b"x.y.x.y-x.y.z"));
    // distance greater than 0
    let r = r#"content:"ab"; content:"cd"; distance:2; within:2;"#;
    assert!(fires(r, b"ab..cd"));
    assert!(!fires(r, b"ab.cd"));
    assert!(fires(r, b"ab.cd ab..cd"));
    // negative distance looks back
    let r = r#"content:"world"; content:"hello "; distance:-11; within:6;"#;
    assert!(fires(r, b"hello world"));
    assert!(!fires(r, b"hallo world"));
}

#[test]
fn negated_contents() {
    assert!(fires(r#"content:!"evil";"#, b"good stuff"));
    assert!(!fires(r#"content:!"evil";"#, b"so evil"));
    let r = r#"content:"foo"; content:!"bar"; distance:0; within:5;"#;
    assert!(!fires(r, b"foo1bar"));
    assert!(fires(r, b"foo12345bar"));
    // a negated relative content that hits makes the earlier content retry
    let r = r#"content:"a"; content:!"x"; distance:0; within:1;"#;
    assert!(fires(r, b"axab"));
    assert!(!fires(r, b"axax"));
    assert!(
        fires(r, b"a"),
        "nothing after a: the negated content is absent"
    );
}

#[test]
fn depth_offset_startswith_endswith() {
    let r = r#"content:"abc"; offset:2; depth:3;"#;
    assert!(fires(r, b"xxabc"));
    assert!(!fires(r, b"xxxabc"));
    assert!(!fires(r, b"abc"));
    let r = r#"content:"abc"; depth:4;"#;
    assert!(fires(r, b"xabc"));
    assert!(!fires(r, b"xxabc"));
    assert!(fires(r#"content:"GET"; startswith;"#, b"GET /"));
    assert!(!fires(r#"content:"GET"; startswith;"#, b" GET /"));
    assert!(fires(r#"content:"end"; endswith;"#, b"the end"));
    assert!(!fires(r#"content:"end"; endswith;"#, b"the end."));
    assert!(fires(r#"content:"end"; endswith;"#, b"end end"));
    assert!(fires(r#"content:"AbC"; nocase;"#, b"xxabcxx"));
    assert!(!fires(r#"content:"AbC";"#, b"xxabcxx"));
    assert!(!fires(r#"content:"abcdef";"#, b"abc"));
    assert!(!fires(r#"content:"a";"#, b""));
}

#[test]
fn byte_keywords() {
    let r = r#"content:"|00|"; byte_jump:1,0,relative; content:"XYZ"; within:3;"#;
    assert!(fires(r, b"\x00\x03abcXYZ"));
    assert!(!fires(r, b"\x00\x02abcXYZ"));
    assert!(!fires(r, b"\x00\xffabcXYZ"), "jump out of the buffer");
    assert!(fires("byte_test:2,>,0x100,0;", b"\x01\x01"));
    assert!(!fires("byte_test:2,>,0x100,0;", b"\x01\x00"));
    assert!(!fires("byte_test:2,>,0x100,0;", b"\x01"), "short buffer");
    assert!(fires("byte_test:2,=,258,0,little;", b"\x02\x01"));
    assert!(fires("byte_test:3,=,123,1,string,dec;", b"x123"));
    assert!(fires("byte_test:1,&,0x80,0;", b"\x81"));
    assert!(fires("byte_test:1,!&,0x80,0;", b"\x01"));
    let r = r#"byte_extract:1,0,len; content:"Z"; distance:len; within:1;"#;
    assert!(fires(r, b"\x02abZ"));
    assert!(!fires(r, b"\x01abZ"));
    let r = "byte_math:bytes 1, offset 0, oper +, rvalue 1, result r; byte_test:1,=,r,1;";
    assert!(fires(r, b"\x02\x03"));
    assert!(!fires(r, b"\x02\x02"));
    let r = "byte_math:bytes 1, offset 0, oper /, rvalue 0, result r; byte_test:1,=,r,1;";
    assert!(!fires(r, b"\x02\x03"), "division by zero never matches");
}

#[test]
fn pcre_relative_and_flags() {
    let r = r#"content:"user"; pcre:"/^\s+admin/R";"#;
    assert!(fires(r, b"user   admin"));
    assert!(!fires(r, b"userX admin"));
    // the pcre is retried after each occurrence of the content
    assert!(fires(r, b"userX user admin"));
    assert!(fires(r#"pcre:"/ADMIN/i";"#, b"admin"));
    assert!(!fires(r#"pcre:"/ADMIN/";"#, b"admin"));
    assert!(fires(r#"pcre:"/^b/m";"#, b"a\nb"));
    assert!(!fires(r#"pcre:"/^b/";"#, b"a\nb"));
    assert!(fires(r#"pcre:"/a.b/s";"#, b"a\nb"));
    assert!(!fires(r#"pcre:"/a.b/";"#, b"a\nb"));
    assert!(fires(r#"pcre:"/a b c/x";"#, b"abc"));
    assert!(fires(r#"content:"x"; pcre:!"/evil/";"#, b"x good"));
    assert!(!fires(r#"content:"x"; pcre:!"/evil/";"#, b"x evil"));
    // content relative to a pcre match end
    let r = r#"pcre:"/id=\d+/"; content:"\;"; within:1;"#;
    assert!(fires(r, b"id=42;"));
    assert!(!fires(r, b"id=42 ;"));
}

#[test]
fn transformed_fast_pattern_is_prefiltered() {
    let e = engine(&[
        r#"alert dns any any -> any any (dns.query; dotprefix; content:".evil.com"; endswith; sid:1;)"#,
    ]);
    assert_eq!(e.stats.prefiltered, 1);
    assert_eq!(e.stats.always, 0);
    let info = PacketInfo {
        ip_proto: 17,
        app_proto: Some(AppProto::Dns),
        tcp: None,
        ..tcp_info()
    };
    let mut b = Buffers::new(Scope::Transaction);
    b.add(Buffer::DnsQuery, b"www.example.org")
        .add(Buffer::DnsQuery, b"evil.com");
    assert_eq!(sids(&e, &info, &b), [1]);
    let mut b = Buffers::new(Scope::Transaction);
    b.add(Buffer::DnsQuery, b"notevil.com");
    assert!(sids(&e, &info, &b).is_empty());
}

#[test]
fn byte_jump_zero_bytes() {
    // Suricata: a 0-byte binary read yields 0 (the cursor stays); a 0-byte string read fails
    assert!(fires(
        r#"content:"a"; byte_jump:0,0,relative; content:"b"; within:1;"#,
        b"ab"
    ));
    assert!(!fires(
        r#"content:"a"; byte_jump:0,0,relative,string,dec; content:"b"; within:1;"#,
        b"ab"
    ));
}

#[test]
fn packet_and_stream_buffers() {
    let e = engine(&[
        r#"alert tcp any any -> any any (content:"abc"; sid:1;)"#,
        r#"alert tcp-pkt any any -> any any (content:"abc"; sid:2;)"#,
        r#"alert tcp-stream any any -> any any (content:"abc"; sid:3;)"#,
        r#"alert tcp any any -> any any (flow:no_stream; content:"abc"; sid:4;)"#,
        r#"alert tcp any any -> any any (flow:only_stream; content:"abc"; sid:5;)"#,
    ]);
    let info = tcp_info();
    let mut b = Buffers::packet(b"xxab");
    b.stream = Some(b"xxabc");
    assert_eq!(sids(&e, &info, &b), [1, 3, 5]);
    let mut b = Buffers::packet(b"abc");
    b.stream = Some(b"ab");
    assert_eq!(sids(&e, &info, &b), [1, 2, 4]);
}

#[test]
fn isdataat() {
    assert!(!fires(r#"content:"ab"; isdataat:2,relative;"#, b"abc"));
    assert!(fires(r#"content:"ab"; isdataat:2,relative;"#, b"abcd"));
    assert!(fires(r#"content:"ab"; isdataat:!1,relative;"#, b"xab"));
    assert!(!fires(r#"content:"ab"; isdataat:!1,relative;"#, b"xabc"));
    assert!(fires(r#"content:"a"; isdataat:3;"#, b"abcd"));
    assert!(!fires(r#"content:"a"; isdataat:4;"#, b"abcd"));
}

fn http_info() -> PacketInfo {
    PacketInfo {
        app_proto: Some(AppProto::Http),
        ..tcp_info()
    }
}

#[test]
fn sticky_buffers_bsize_transforms_urilen() {
    let e = engine(&[
        r#"alert http any any -> any any (http.uri; bsize:5<>10; sid:1;)"#,
        r#"alert http any any -> any any (http.host; dotprefix; content:".example.com"; endswith; sid:2;)"#,
        r#"alert http any any -> any any (http.uri; content:"/admin"; urilen:>3; sid:3;)"#,
        r#"alert http any any -> any any (http.user_agent; to_lowercase; content:"curl"; sid:4;)"#,
        r#"alert http any any -> any any (http.uri; url_decode; content:"/a b"; sid:5;)"#,
        r#"alert http any any -> any any (http.method; content:"GET"; http.uri; content:"/x"; sid:6;)"#,
        r#"alert http any any -> any any (http.uri; bsize:7; sid:7;)"#,
    ]);
    let info = http_info();
    let mut b = Buffers::new(Scope::Transaction);
    b.add(Buffer::HttpUri, b"/admin?")
        .add(Buffer::HttpHost, b"www.example.com")
        .add(Buffer::HttpUserAgent, b"CURL/8")
        .add(Buffer::HttpMethod, b"GET");
    assert_eq!(sids(&e, &info, &b), [1, 2, 3, 4, 7]);
    let mut b = Buffers::new(Scope::Transaction);
    b.add(Buffer::HttpUri, b"/a%20b")
        .add(Buffer::HttpHost, b"badexample.com")
        .add(Buffer::HttpMethod, b"GET");
    assert_eq!(sids(&e, &info, &b), [1, 5]);
    let mut b = Buffers::new(Scope::Transaction);
    b.add(Buffer::HttpUri, b"/x")
        .add(Buffer::HttpMethod, b"GET");
    assert_eq!(sids(&e, &info, &b), [6]);
    // a packet-scope call never runs transaction rules
    let b = Buffers::packet(b"GET /x HTTP/1.1");
    assert!(sids(&e, &info, &b).is_empty());
    // wrong app protocol
    let mut b = Buffers::new(Scope::Transaction);
    b.add(Buffer::HttpUri, b"/x")
        .add(Buffer::HttpMethod, b"GET");
    let dns = PacketInfo {
        app_proto: Some(AppProto::Dns),
        ..http_info()
    };
    assert!(sids(&e, &dns, &b).is_empty());
}

#[test]
fn header_flow_and_packet_keywords() {
    let e = engine(&[
        "alert tcp any any -> any 80 (content:\"x\"; sid:1;)",
        "alert tcp any 80 -> any any (content:\"x\"; sid:2;)",
        "alert tcp any 80 <> any any (content:\"x\"; sid:3;)",
        "alert tcp 10.0.0.0/24 any -> !10.0.0.1 any (content:\"x\"; sid:4;)",
        "alert tcp any any -> any any (flow:established,to_server; content:\"x\"; sid:5;)",
        "alert tcp any any -> any any (flow:to_client; content:\"x\"; sid:6;)",
        "alert tcp any any -> any any (dsize:1; sid:7;)",
        "alert tcp any any -> any any (ttl:<10; content:\"x\"; sid:8;)",
        "alert tcp any any -> any any (flags:PA; content:\"x\"; sid:9;)",
        "alert tcp any any -> any any (flags:S; sid:10;)",
        "alert udp any any -> any any (content:\"x\"; sid:11;)",
        "alert icmp any any -> any any (itype:8; icode:0; sid:12;)",
        "alert ip any any -> any any (ip_proto:6; content:\"x\"; sid:13;)",
    ]);
    let info = tcp_info();
    assert_eq!(
        sids(&e, &info, &Buffers::packet(b"x")),
        [1, 3, 4, 5, 7, 9, 13]
    );
    let icmp = PacketInfo {
        ip_proto: 1,
        sport: 0,
        dport: 0,
        tcp: None,
        flow: None,
        icmp: Some(IcmpFacts {
            itype: 8,
            icode: 0,
            ..IcmpFacts::default()
        }),
        ..tcp_info()
    };
    assert_eq!(sids(&e, &icmp, &Buffers::packet(b"")), [12]);
    let syn = PacketInfo {
        tcp: Some(TcpFacts {
            flags: 0x02,
            ..TcpFacts::default()
        }),
        ttl: 5,
        ..tcp_info()
    };
    assert_eq!(sids(&e, &syn, &Buffers::packet(b"")), [10]);
}

#[test]
fn prefilter_direction_variants() {
    let e = engine(&[
        r#"alert tcp any any -> any any (flow:to_client; content:"x"; sid:1;)"#,
        r#"alert tcp any any -> any any (content:"x"; sid:2;)"#,
        r#"alert tcp any any -> any any (flow:to_server; content:"x"; sid:3;)"#,
    ]);
    let ts = tcp_info();
    let tc = PacketInfo {
        flow: Some(FlowFacts {
            direction: FlowDir::ToClient,
            established: true,
        }),
        ..tcp_info()
    };
    let none = PacketInfo {
        flow: None,
        ..tcp_info()
    };
    let b = Buffers::packet(b"--x--");
    assert_eq!(sids(&e, &ts, &b), [2, 3]);
    assert_eq!(sids(&e, &tc, &b), [1, 2]);
    assert_eq!(sids(&e, &none, &b), [2]);
}

#[test]
fn flowbits_across_packets() {
    let e = engine(&[
        r#"alert tcp any any -> any any (content:"login"; flowbits:set,logged; flowbits:noalert; sid:1;)"#,
        r#"alert tcp any any -> any any (content:"cmd"; flowbits:isset,logged; sid:2;)"#,
        r#"alert tcp any any -> any any (content:"cmd"; flowbits:isnotset,logged; sid:3;)"#,
        r#"alert tcp any any -> any any (content:"logout"; flowbits:unset,logged; sid:4;)"#,
        r#"alert tcp any any -> any any (content:"flip"; flowbits:toggle,logged; sid:5;)"#,
    ]);
    let info = tcp_info();
    let mut fs = FlowState::new();
    let mut s = Scratch::new();
    let mut run = |p: &[u8], fs: &mut FlowState| -> Vec<u32> {
        e.inspect(&info, &Buffers::packet(p), Some(fs), &mut s)
            .iter()
            .map(|a| a.sid)
            .collect()
    };
    assert_eq!(run(b"cmd", &mut fs), [3]);
    assert_eq!(run(b"login", &mut fs), Vec::<u32>::new(), "noalert");
    let bit = e.flowbit_id("logged").unwrap();
    assert!(fs.is_set(bit));
    assert_eq!(run(b"cmd", &mut fs), [2]);
    // set and test in the same packet: setters run first
    let mut fs2 = FlowState::new();
    assert_eq!(run(b"login cmd", &mut fs2), [2]);
    assert_eq!(run(b"logout", &mut fs), [4]);
    assert_eq!(run(b"cmd", &mut fs), [3]);
    assert_eq!(run(b"flip", &mut fs), [5]);
    assert_eq!(run(b"cmd", &mut fs), [2]);
    // without flow state isset never matches, isnotset does
    let mut s2 = Scratch::new();
    let v: Vec<u32> = e
        .inspect(&info, &Buffers::packet(b"cmd"), None, &mut s2)
        .iter()
        .map(|a| a.sid)
        .collect();
    assert_eq!(v, [3]);
}

#[test]
fn address_table_rules() {
    let e = engine(&[
        "alert tcp [1.2.3.4,10.0.0.1] any -> $HOME_NET any (flowbits:set,t; sid:1;)",
        "alert tcp $HOME_NET any -> [10.0.0.2] any (flags:PA; sid:2;)",
        "alert tcp [10.0.0.2] any <> any any (flags:PA; sid:3;)",
        "alert tcp [1.2.3.4] any -> any any (flags:PA; sid:4;)",
        "alert tcp any any <> [10.0.0.1] any (flags:PA; sid:5;)",
        "alert tcp [2001:db8::1] any -> any any (flags:PA; sid:6;)",
    ]);
    assert_eq!(e.stats.addr_indexed, 6);
    assert_eq!(sids(&e, &tcp_info(), &Buffers::packet(b"")), [1, 2, 3, 5]);
    let v6 = PacketInfo {
        ip_version: 6,
        src: Addr::v6([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]),
        dst: Addr::v6([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]),
        ..tcp_info()
    };
    assert_eq!(sids(&e, &v6, &Buffers::packet(b"")), [6]);
}

#[test]
fn flowbit_gated_rules() {
    let e = engine(&[
        r#"alert tcp any any -> any any (content:"x"; flowbits:set,a; flowbits:noalert; sid:1;)"#,
        r#"alert tcp any any -> any any (flowbits:isset,a; sid:2;)"#,
        r#"alert tcp any any -> any any (flowbits:isset,b|a; flags:PA; sid:3;)"#,
    ]);
    assert_eq!(e.stats.flowbit_gated, 2);
    let info = tcp_info();
    let mut fs = FlowState::new();
    let mut s = Scratch::new();
    let mut run = |p: &[u8], fs: &mut FlowState| -> Vec<u32> {
        let a: Vec<u32> = e
            .inspect(&info, &Buffers::packet(p), Some(&mut fs.clone()), &mut s)
            .iter()
            .map(|a| a.sid)
            .collect();
        let b: Vec<u32> = e
            .inspect_all(&info, &Buffers::packet(p), Some(fs), &mut s)
            .iter()
            .map(|a| a.sid)
            .collect();
        assert_eq!(a, b);
        a
    };
    assert!(run(b"y", &mut fs).is_empty());
    assert_eq!(
        run(b"x", &mut fs),
        [2, 3],
        "set, then isset in the same packet"
    );
    assert_eq!(run(b"y", &mut fs), [2, 3]);
}

#[test]
fn thresholds_suppress_and_pass() {
    let mut e = engine(&[
        r#"alert tcp any any -> any any (content:"a"; threshold:type limit, track by_src, count 1, seconds 60; sid:1;)"#,
        r#"alert tcp any any -> any any (content:"b"; detection_filter:track by_src, count 2, seconds 60; sid:2;)"#,
        r#"alert tcp any any -> any any (content:"c"; sid:3;)"#,
        r#"alert tcp any any -> any any (content:"d"; sid:4;)"#,
        r#"pass tcp any any -> any any (content:"ok"; sid:5;)"#,
    ]);
    let vars = Vars::suricata_defaults();
    let (entries, errs) = sekimori_rules::parse_threshold_config(
        "suppress gen_id 1, sig_id 3\nsuppress gen_id 1, sig_id 4, track by_src, ip 10.0.0.9\n",
        &vars,
    );
    assert!(errs.is_empty());
    assert_eq!(e.apply_threshold_config(&entries), 2);
    let mut s = Scratch::new();
    let mut at = |t: i64, p: &[u8], src: [u8; 4]| -> Vec<u32> {
        let info = PacketInfo {
            ts: Timestamp(t * 1_000_000_000),
            src: Addr::v4(src),
            ..tcp_info()
        };
        e.inspect(&info, &Buffers::packet(p), None, &mut s)
            .iter()
            .map(|a| a.sid)
            .collect()
    };
    let me = [10, 0, 0, 1];
    assert_eq!(at(0, b"a", me), [1]);
    assert_eq!(at(1, b"a", me), Vec::<u32>::new());
    assert_eq!(at(70, b"a", me), [1]);
    assert_eq!(at(0, b"b", me), Vec::<u32>::new());
    assert_eq!(at(1, b"b", me), Vec::<u32>::new());
    assert_eq!(at(2, b"b", me), [2]);
    assert_eq!(at(0, b"c", me), Vec::<u32>::new());
    assert_eq!(at(0, b"d", me), [4]);
    assert_eq!(at(0, b"d", [10, 0, 0, 9]), Vec::<u32>::new());
    // pass stops the inspection
    assert_eq!(at(100, b"ok d", me), [5]);
}

#[test]
fn ip_only_once_per_direction() {
    let e = engine(&["alert ip 10.0.0.1 any -> any any (msg:\"ip only\"; sid:1;)"]);
    assert_eq!(e.stats.ip_only, 1);
    let info = tcp_info();
    let mut fs = FlowState::new();
    let mut s = Scratch::new();
    assert_eq!(
        e.inspect(&info, &Buffers::packet(b""), Some(&mut fs), &mut s)
            .len(),
        1
    );
    assert_eq!(
        e.inspect(&info, &Buffers::packet(b""), Some(&mut fs), &mut s)
            .len(),
        0
    );
    // flowless packets are checked every time
    assert_eq!(
        e.inspect(&info, &Buffers::packet(b""), None, &mut s).len(),
        1
    );
    let other = PacketInfo {
        src: Addr::v4([10, 0, 0, 3]),
        ..tcp_info()
    };
    assert_eq!(
        e.inspect(&other, &Buffers::packet(b""), None, &mut s).len(),
        0
    );
}

#[test]
fn unsupported_rules_are_skipped_not_fatal() {
    let set = load_str(
        "alert tcp any any -> any any (content:\"a\"; lua:x.lua; sid:1;)\n\
         alert tcp any any -> any any (content:\"a\"; base64_decode; base64_data; content:\"b\"; sid:2;)\n\
         alert tcp any any -> any any (content:\"a\"; sid:3;)",
        &Vars::suricata_defaults(),
        &Default::default(),
    );
    let e = DetectEngine::new(&set);
    assert_eq!(e.len(), 1);
    assert_eq!(e.skipped().len(), 2);
    assert_eq!(e.meta(0).map(|m| m.sid), Some(3));
}

#[test]
fn hostile_inputs_do_not_panic() {
    let e = engine(&[
        r#"alert tcp any any -> any any (content:"a"; byte_jump:8,0,relative,multiplier 65535; content:"b"; distance:-65535; sid:1;)"#,
        r#"alert tcp any any -> any any (byte_extract:8,0,v; content:"a"; offset:v; depth:v; sid:2;)"#,
        r#"alert tcp any any -> any any (content:"a"; content:"a"; distance:0; content:"a"; distance:0; content:"b"; distance:0; sid:3;)"#,
    ]);
    let big = vec![b'a'; 5000];
    let mut s = Scratch::new();
    for p in [&b""[..], b"\xff\xff\xff\xff\xff\xff\xff\xffab", &big] {
        let _ = e.inspect(&tcp_info(), &Buffers::packet(p), None, &mut s);
    }
    // the step budget bounds the retry chain on the long buffer
    assert!(
        e.inspect(&tcp_info(), &Buffers::packet(&big), None, &mut s)
            .is_empty()
    );
}

#[test]
fn rule_parse_sanity() {
    // the engine relies on the parser keeping modifiers on the content
    let r = Rule::parse(
        r#"alert tcp any any -> any any (content:"a"; content:"b"; distance:0; within:1; sid:1;)"#,
        &Vars::suricata_defaults(),
    )
    .unwrap();
    assert_eq!(r.lists.len(), 1);
}

mod prefilter_property {
    use super::*;
    use proptest::prelude::*;

    fn pattern() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop_oneof![Just('a'), Just('b'), Just('A'), Just('-')],
            1..4,
        )
        .prop_map(|v| v.into_iter().collect())
    }

    fn content() -> impl Strategy<Value = String> {
        (
            pattern(),
            any::<bool>(),
            any::<bool>(),
            0u8..5,
            0u8..4,
            0u8..4,
        )
            .prop_map(|(p, nocase, neg, kind, a, b)| {
                let mut s = format!("content:{}\"{p}\";", if neg { "!" } else { "" });
                if nocase {
                    s.push_str(" nocase;");
                }
                match kind {
                    1 => s.push_str(&format!(" distance:{a};")),
                    2 => s.push_str(&format!(" distance:{a}; within:{};", p.len() as u8 + b)),
                    3 => s.push_str(&format!(" offset:{a}; depth:{};", p.len() as u8 + b)),
                    4 if !neg => s.push_str(" fast_pattern;"),
                    _ => {}
                }
                s
            })
    }

    fn rule() -> impl Strategy<Value = String> {
        (proptest::collection::vec(content(), 1..4), 0u8..4).prop_map(|(cs, extra)| {
            let mut s = cs.join(" ");
            match extra {
                1 => s.push_str(" pcre:\"/a.?b/i\";"),
                2 => s.push_str(" isdataat:1,relative;"),
                3 => s.push_str(" dsize:>3;"),
                _ => {}
            }
            s
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        #[test]
        fn prefiltered_equals_exhaustive(
            rules in proptest::collection::vec(rule(), 1..25),
            payloads in proptest::collection::vec(
                proptest::collection::vec(prop_oneof![Just(b'a'), Just(b'b'), Just(b'A'), Just(b'B'), Just(b'-')], 0..24),
                1..12),
        ) {
            let text: Vec<String> = rules
                .iter()
                .enumerate()
                .map(|(i, o)| format!("alert tcp any any -> any any ({o} sid:{};)", i + 1))
                .collect();
            let set = load_str(&text.join("\n"), &Vars::suricata_defaults(), &Default::default());
            let e = DetectEngine::new(&set);
            let info = tcp_info();
            let mut s = Scratch::new();
            for p in &payloads {
                let bufs = Buffers::packet(p);
                let mut a: Vec<u32> = e.inspect(&info, &bufs, None, &mut s).iter().map(|x| x.sid).collect();
                let mut b: Vec<u32> = e.inspect_all(&info, &bufs, None, &mut s).iter().map(|x| x.sid).collect();
                a.sort();
                b.sort();
                prop_assert_eq!(a, b);
            }
        }
    }
}

mod hostile_rules_property {
    use super::*;
    use proptest::prelude::*;

    fn fragment() -> impl Strategy<Value = &'static str> {
        prop_oneof![
            Just("content:\"a\";"),
            Just("content:!\"b\";"),
            Just("content:\"|00 ff|\";"),
            Just("nocase;"),
            Just("distance:-3;"),
            Just("distance:0;"),
            Just("within:4;"),
            Just("offset:2;"),
            Just("depth:5;"),
            Just("startswith;"),
            Just("endswith;"),
            Just("isdataat:!2,relative;"),
            Just("isdataat:3;"),
            Just("byte_extract:1,0,v,relative;"),
            Just("byte_jump:1,0,relative,post_offset -2;"),
            Just("byte_jump:2,1,from_end,little;"),
            Just("byte_test:1,>,v,0;"),
            Just("byte_math:bytes 1, offset 0, oper *, rvalue 300, result v;"),
            Just("pcre:\"/a+b?/R\";"),
            Just("pcre:\"/^.{2}/s\";"),
            Just("dsize:<10;"),
            Just("content:\"x\"; distance:v;"),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        #[test]
        fn random_rules_never_panic(
            frags in proptest::collection::vec(fragment(), 1..8),
            payload in proptest::collection::vec(any::<u8>(), 0..40),
        ) {
            let text = format!("alert tcp any any -> any any ({} sid:1;)", frags.join(" "));
            let Ok(r) = Rule::parse(&text, &Vars::suricata_defaults()) else { return Ok(()) };
            let e = DetectEngine::from_rules(&[r]);
            let mut s = Scratch::new();
            let info = tcp_info();
            let a = e.inspect(&info, &Buffers::packet(&payload), None, &mut s).len();
            let b = e.inspect_all(&info, &Buffers::packet(&payload), None, &mut s).len();
            prop_assert_eq!(a, b);
        }
    }
}
