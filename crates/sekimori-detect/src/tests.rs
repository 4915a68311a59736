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
fn stream_only_inspection_runs_stream_rules_only() {
    let e = engine(&[
        r#"alert tcp any any -> any any (content:"abc"; sid:1;)"#,
        r#"alert tcp-pkt any any -> any any (content:"abc"; sid:2;)"#,
        r#"alert tcp-stream any any -> any any (content:"abc"; sid:3;)"#,
        r#"alert tcp any any -> any any (flow:only_stream; content:"abc"; sid:5;)"#,
        r#"alert ip any any -> any any (sid:6;)"#,
    ]);
    let info = tcp_info();
    let mut b = Buffers::new(Scope::Packet);
    b.stream = Some(b"xxabcxx");
    b.stream_only = true;
    // plain tcp payload rules inspect the stream too (Suricata 7)
    assert_eq!(sids(&e, &info, &b), [1, 3, 5]);
    b.stream = Some(b"xxabxx");
    assert!(sids(&e, &info, &b).is_empty());
    // a packet whose data went into the stream: only packet rules look at its payload
    let mut p = Buffers::packet(b"abc");
    p.in_stream = true;
    assert_eq!(sids(&e, &info, &p), [2, 6]);
    // not in the stream (no session, retransmission): plain tcp rules fall back to it
    p.in_stream = false;
    assert_eq!(sids(&e, &info, &p), [1, 2, 6]);
    // rules testing the packet itself inspect its payload
    let e = engine(&[
        r#"alert tcp any any -> any any (content:"abc"; dsize:3; sid:7;)"#,
        r#"alert tcp any any -> any any (flow:no_stream; content:"abc"; sid:8;)"#,
        r#"alert tcp any any -> any any (flow:established,to_server; content:"abc"; sid:9;)"#,
        r#"alert tcp any any -> any any (stream_size:client,>,0; content:"abc"; sid:10;)"#,
    ]);
    p.in_stream = false;
    let mut info = info;
    info.stream_size = Some((5, 5));
    assert_eq!(sids(&e, &info, &p), [7, 8, 9, 10]);
    p.in_stream = true;
    assert_eq!(sids(&e, &info, &p), [7, 8, 9, 10]);
    assert!(!e.needs_stream());
}

#[test]
fn stream_size_and_stream_event() {
    let e = engine(&[
        r#"alert tcp any any -> any any (stream_size:server,<,100; sid:1;)"#,
        r#"alert tcp any any -> any any (stream_size:client,>=,10; sid:2;)"#,
        r#"alert tcp any any -> any any (stream_size:both,>,5; sid:3;)"#,
        r#"alert tcp any any -> any any (stream_size:either,=,500; sid:4;)"#,
        r#"alert tcp any any -> any any (stream-event:reassembly_depth_reached; sid:5;)"#,
    ]);
    let mut info = tcp_info();
    let b = Buffers::packet(b"");
    // no session: no stream_size match
    assert!(sids(&e, &info, &b).is_empty());
    info.stream_size = Some((10, 500));
    assert_eq!(sids(&e, &info, &b), [2, 3, 4]);
    info.stream_size = Some((1, 50));
    assert_eq!(sids(&e, &info, &b), [1]);
    let mut b = Buffers::packet(b"");
    b.stream_events.push("stream.reassembly_depth_reached");
    assert_eq!(sids(&e, &info, &b), [1, 5]);
    let mut b = Buffers::packet(b"");
    b.stream_events.push("stream.pkt_invalid_ack");
    assert_eq!(sids(&e, &info, &b), [1]);
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
fn flowint_tests_and_modifiers() {
    let e = engine(&[
        r#"alert tcp any any -> any any (content:"a"; flowint:cnt,notset; flowint:cnt,=,5; sid:1;)"#,
        r#"alert tcp any any -> any any (content:"b"; flowint:cnt,isset; flowint:cnt,+,2; sid:2;)"#,
        r#"alert tcp any any -> any any (content:"c"; flowint:cnt,>=,7; sid:3;)"#,
        r#"alert tcp any any -> any any (content:"c"; flowint:cnt,<,7; sid:4;)"#,
        r#"alert tcp any any -> any any (content:"d"; flowint:cnt,-,10; sid:5;)"#,
        r#"alert tcp any any -> any any (content:"e"; flowint:cnt,==,other; sid:6;)"#,
        r#"alert tcp any any -> any any (content:"f"; flowint:other,+,1; flowint:other,!=,1; sid:7;)"#,
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
    assert_eq!(
        run(b"c", &mut fs),
        Vec::<u32>::new(),
        "comparisons of an unset variable fail"
    );
    assert_eq!(
        run(b"b", &mut fs),
        Vec::<u32>::new(),
        "isset fails before the first assignment"
    );
    assert_eq!(run(b"a", &mut fs), [1]);
    assert_eq!(
        run(b"a", &mut fs),
        Vec::<u32>::new(),
        "notset fails once set"
    );
    assert_eq!(run(b"c", &mut fs), [4]);
    assert_eq!(run(b"b", &mut fs), [2]);
    assert_eq!(run(b"c", &mut fs), [3]);
    // subtraction wraps like Suricata's 32-bit counters
    assert_eq!(run(b"d", &mut fs), [5]);
    assert_eq!(run(b"c", &mut fs), [3]);
    // a variable operand that is not set makes the comparison fail
    assert_eq!(run(b"e", &mut fs), Vec::<u32>::new());
    // modifiers run only when the whole rule matches: `other` stays unset
    assert_eq!(run(b"f", &mut fs), Vec::<u32>::new());
    assert_eq!(run(b"f", &mut fs), Vec::<u32>::new());
    assert_eq!(
        e_int(&fs),
        Some(7u32.wrapping_sub(10)),
        "cnt = 7 - 10, wrapped"
    );
}

/// The value of the first flow integer (`cnt`, id 0) of a state.
fn e_int(fs: &FlowState) -> Option<u32> {
    fs.int(0)
}

#[test]
fn itype_prefilter_with_unsupported_mode_never_fires() {
    // Suricata 7.0's explicit itype/icode prefilter ignores `<=`, `>=` and `!=`.
    let e = engine(&[
        "alert icmp any any -> any any (itype:8; sid:1;)",
        "alert icmp any any -> any any (itype:8; prefilter; sid:2;)",
        "alert icmp any any -> any any (itype: <= 8; prefilter; sid:3;)",
        "alert icmp any any -> any any (itype: >= 8; prefilter; sid:4;)",
        "alert icmp any any -> any any (itype: != 0; prefilter; sid:5;)",
        "alert icmp any any -> any any (itype: <= 8; sid:6;)",
        "alert icmp any any -> any any (itype: < 9; prefilter; sid:7;)",
    ]);
    let info = PacketInfo {
        ip_version: 4,
        ip_proto: 1,
        icmp: Some(IcmpFacts {
            itype: 8,
            ..IcmpFacts::default()
        }),
        ..PacketInfo::default()
    };
    assert_eq!(sids(&e, &info, &Buffers::packet(b"")), [1, 2, 6, 7]);
}

#[test]
fn app_protocol_rules_without_buffers_are_packet_rules() {
    let e = engine(&[
        "alert tls any any -> any any (sid:1;)",
        r#"alert tls any any -> any any (tls.sni; content:"x"; sid:2;)"#,
    ]);
    let mut info = tcp_info();
    let mut tx = Buffers::new(Scope::Transaction);
    tx.add(Buffer::TlsSni, b"x");
    assert_eq!(
        sids(&e, &info, &Buffers::packet(b"data")),
        Vec::<u32>::new(),
        "protocol unknown"
    );
    info.app_proto = Some(AppProto::Tls);
    assert_eq!(sids(&e, &info, &Buffers::packet(b"data")), [1]);
    assert_eq!(sids(&e, &info, &tx), [2]);
}

#[test]
fn legacy_tls_keywords() {
    let e = engine(&[
        r#"alert tls any any -> any any (tls.subject:"CN=SELKS"; sid:1;)"#,
        r#"alert tls any any -> any any (tls.subject:!"CN=other"; sid:2;)"#,
        r#"alert tls any any -> any any (tls.issuerdn:"O=Stamus"; sid:3;)"#,
        r#"alert tls any any -> any any (tls.fingerprint:"90:86:A4:3B"; sid:4;)"#,
        r#"alert tls any any -> any any (tls.fingerprint:"90:86:a4"; sid:5;)"#,
        r#"alert tls any any -> any any (tls.subject:"cn=selks"; sid:6;)"#,
    ]);
    let mut info = tcp_info();
    info.app_proto = Some(AppProto::Tls);
    let mut tx = Buffers::new(Scope::Transaction);
    tx.add(Buffer::TlsCertSubject, b"C=FR, O=Stamus, CN=SELKS");
    tx.add(Buffer::TlsCertIssuer, b"C=FR, O=Stamus, CN=CA");
    tx.add(Buffer::TlsCertFingerprint, b"90:86:a4:3b");
    assert_eq!(sids(&e, &info, &tx), [1, 2, 3, 4]);
    // tls.version compares the side's handshake version
    let v = engine(&["alert tls any any -> any any (tls.version:1.2; sid:7;)"]);
    tx.tls_version = Some(0x0303);
    assert_eq!(sids(&v, &info, &tx), [7]);
    tx.tls_version = Some(0x0304);
    assert_eq!(sids(&v, &info, &tx), Vec::<u32>::new());
    // dns.opcode on a DNS transaction
    let d = engine(&[
        "alert dns any any -> any any (dns.opcode:4; sid:8;)",
        "alert dns any any -> any any (dns.opcode:!0; sid:9;)",
    ]);
    let mut dinfo = tcp_info();
    dinfo.app_proto = Some(AppProto::Dns);
    let mut q = Buffers::new(Scope::Transaction);
    q.dns_opcode = Some(4);
    assert_eq!(sids(&d, &dinfo, &q), [8, 9]);
    q.dns_opcode = Some(0);
    assert_eq!(sids(&d, &dinfo, &q), Vec::<u32>::new());
    // without a certificate none of them matches, negated ones included
    let mut hello = Buffers::new(Scope::Transaction);
    hello.add(Buffer::TlsSni, b"example.com");
    assert_eq!(sids(&e, &info, &hello), Vec::<u32>::new());
}

#[test]
fn xbits_follow_hosts_and_pairs_across_flows_and_expire() {
    let e = engine(&[
        r#"alert tcp any any -> any any (content:"login"; xbits:set,seen,track ip_src,expire 10; xbits:noalert; sid:1;)"#,
        r#"alert tcp any any -> any any (content:"cmd"; xbits:isset,seen,track ip_src; sid:2;)"#,
        r#"alert tcp any any -> any any (content:"pair"; xbits:set,p,track ip_pair; sid:3;)"#,
        r#"alert tcp any any -> any any (content:"back"; xbits:isset,p,track ip_pair; sid:4;)"#,
        r#"alert tcp any any -> any any (content:"bye"; xbits:unset,seen,track ip_src; sid:5;)"#,
    ]);
    let mut s = Scratch::new();
    let mut run = |info: &PacketInfo, p: &[u8]| -> Vec<u32> {
        // a fresh flow state each time: xbits do not live in the flow
        let mut fs = FlowState::new();
        e.inspect(info, &Buffers::packet(p), Some(&mut fs), &mut s)
            .iter()
            .map(|a| a.sid)
            .collect()
    };
    let mut a = tcp_info();
    a.ts = Timestamp::from_micros(100, 0);
    assert_eq!(run(&a, b"cmd"), Vec::<u32>::new());
    assert_eq!(run(&a, b"login"), Vec::<u32>::new());
    let mut later = a;
    later.ts = Timestamp::from_micros(105, 0);
    later.sport = 40001;
    assert_eq!(run(&later, b"cmd"), [2], "same source host, other flow");
    let mut other_host = later;
    other_host.src = Addr::v4([10, 0, 0, 9]);
    assert_eq!(run(&other_host, b"cmd"), Vec::<u32>::new());
    let mut expired = a;
    expired.ts = Timestamp::from_micros(111, 0);
    assert_eq!(
        run(&expired, b"cmd"),
        Vec::<u32>::new(),
        "expired after 10 s"
    );
    assert_eq!(run(&a, b"login"), Vec::<u32>::new());
    assert_eq!(run(&a, b"bye"), [5]);
    assert_eq!(run(&a, b"cmd"), Vec::<u32>::new(), "unset");
    // an IP pair bit is seen from both directions
    assert_eq!(run(&a, b"pair"), [3]);
    let mut reply = a;
    std::mem::swap(&mut reply.src, &mut reply.dst);
    assert_eq!(run(&reply, b"back"), [4]);
}

#[test]
fn base64_decode_and_data() {
    // "thisisatest" = dGhpc2lzYXRlc3Q=
    let e = engine(&[
        r#"alert tcp any any -> any any (content:"arg="; base64_decode:relative; base64_data; content:"thisisatest"; sid:1;)"#,
        r#"alert tcp any any -> any any (content:"arg="; base64_decode:bytes 8,relative; base64_data; content:"thisis"; startswith; sid:2;)"#,
        r#"alert tcp any any -> any any (content:"arg="; base64_decode:bytes 8,relative; base64_data; content:"test"; sid:3;)"#,
        r#"alert tcp any any -> any any (content:"arg="; base64_decode:offset 4,relative; base64_data; content:"isatest"; sid:4;)"#,
    ]);
    let info = tcp_info();
    assert_eq!(
        sids(&e, &info, &Buffers::packet(b"x arg=dGhpc2lzYXRlc3Q= y")),
        [1, 2, 4]
    );
    // nothing decodable after the content: base64_decode does not match
    assert_eq!(
        sids(&e, &info, &Buffers::packet(b"x arg=!!!")),
        Vec::<u32>::new()
    );
    let mut out = Vec::new();
    crate::inspect::decode_base64_lenient(b"dGhp cw==junk", &mut out);
    assert_eq!(out, b"this");
    crate::inspect::decode_base64_lenient(b"dGhpcw", &mut out);
    assert_eq!(out, b"this", "partial final group");
    crate::inspect::decode_base64_lenient(b"", &mut out);
    assert!(out.is_empty());
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
         alert tcp any any -> any any (content:\"a\"; tls_cert_notbefore:>2015; sid:2;)\n\
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

#[test]
fn action_scope_follows_suricatas_signature_types() {
    let e = engine(&[
        "drop ip 10.0.0.1 any -> any any (sid:1;)",
        "drop ip any any -> any any (flow:stateless; sid:2;)",
        "drop tcp any any -> any any (dsize:0; sid:3;)",
        r#"drop tcp any any -> any any (content:"x"; sid:4;)"#,
        r#"drop tcp any any -> any any (content:"x"; flow:no_stream; sid:5;)"#,
        r#"drop http any any -> any any (http.uri; content:"x"; sid:6;)"#,
        "pass tcp $HOME_NET any -> $EXTERNAL_NET 80 (sid:7;)",
        "drop http any any -> any any (sid:8;)",
        "drop tcp any any -> any any (flowbits:set,a; sid:9;)",
        "drop tcp any any -> any any (flowbits:isset,a; sid:10;)",
    ]);
    let scope = |sid: u32| {
        (0..e.len() as RuleId)
            .filter_map(|i| e.meta(i))
            .find(|m| m.sid == sid)
            .map(|m| m.action_scope)
    };
    assert_eq!(scope(1), Some(ActionScope::Flow));
    assert_eq!(scope(2), Some(ActionScope::Packet));
    assert_eq!(scope(3), Some(ActionScope::Packet));
    assert_eq!(scope(4), Some(ActionScope::FlowIfStream));
    assert_eq!(scope(5), Some(ActionScope::Packet));
    assert_eq!(scope(6), Some(ActionScope::Flow));
    assert_eq!(scope(7), Some(ActionScope::Flow));
    assert_eq!(scope(8), Some(ActionScope::Flow));
    assert_eq!(scope(9), Some(ActionScope::Flow));
    assert_eq!(scope(10), Some(ActionScope::Packet));
    assert!(ActionScope::FlowIfStream.applies_to_flow(6));
    assert!(!ActionScope::FlowIfStream.applies_to_flow(17));
    assert!(!ActionScope::Packet.applies_to_flow(6));
}

#[test]
fn noalert_and_suppressed_drop_rules_still_act() {
    let mut e = engine(&[
        "drop tcp any any -> any any (noalert; sid:1;)",
        r#"alert tcp any any -> any any (content:"a"; noalert; sid:2;)"#,
        r#"drop tcp any any -> any any (content:"b"; sid:3;)"#,
        r#"alert tcp any any -> any any (content:"b"; sid:4;)"#,
    ]);
    let (entries, errs) = sekimori_rules::parse_threshold_config(
        "suppress gen_id 1, sig_id 3\nsuppress gen_id 1, sig_id 4\n",
        &Vars::suricata_defaults(),
    );
    assert!(errs.is_empty());
    assert_eq!(e.apply_threshold_config(&entries), 2);
    let mut s = Scratch::new();
    let got: Vec<(u32, bool)> = e
        .inspect(&tcp_info(), &Buffers::packet(b"ab"), None, &mut s)
        .iter()
        .map(|a| (a.sid, a.noalert))
        .collect();
    // the noalert drop acts without an alert, the suppressed drop too; the noalert and
    // suppressed alert rules give nothing
    assert!(got.contains(&(1, true)), "{got:?}");
    assert!(got.contains(&(3, true)), "{got:?}");
    assert!(
        !got.iter().any(|(sid, _)| *sid == 2 || *sid == 4),
        "{got:?}"
    );
}

#[test]
fn rate_filter_changes_the_action_for_the_timeout() {
    let mut e = engine(&[
        "drop tcp any any -> any any (dsize:0; sid:1;)",
        "alert tcp any any -> any any (dsize:1; sid:2;)",
    ]);
    let (entries, errs) = sekimori_rules::parse_threshold_config(
        "rate_filter gen_id 1, sig_id 1, track by_src, count 1, seconds 60, new_action alert, timeout 100\n\
         rate_filter gen_id 1, sig_id 2, track by_rule, count 2, seconds 10, new_action drop, timeout 5\n",
        &Vars::suricata_defaults(),
    );
    assert!(errs.is_empty(), "{errs:?}");
    assert_eq!(e.apply_threshold_config(&entries), 2);
    let mut s = Scratch::new();
    let mut at = |t: i64, p: &[u8], src: [u8; 4]| -> Vec<(u32, sekimori_rules::Action, bool)> {
        let info = PacketInfo {
            ts: Timestamp(t * 1_000_000_000),
            src: Addr::v4(src),
            ..tcp_info()
        };
        e.inspect(&info, &Buffers::packet(p), None, &mut s)
            .iter()
            .map(|a| (a.sid, a.action, a.rate_filtered))
            .collect()
    };
    use sekimori_rules::Action::{Alert, Drop};
    let (a, b) = ([10, 0, 0, 1], [10, 0, 0, 7]);
    // by_src, count 1: each source's first match keeps `drop`, the next ones become alerts
    assert_eq!(at(0, b"", a), [(1, Drop, false)]);
    assert_eq!(at(1, b"", b), [(1, Drop, false)]);
    assert_eq!(at(2, b"", a), [(1, Alert, true)]);
    assert_eq!(at(50, b"", a), [(1, Alert, true)]);
    // after the timeout, counting starts again
    assert_eq!(at(200, b"", a), [(1, Drop, false)]);
    // by_rule, count 2 in 10 s: the third match drops, for 5 s
    assert_eq!(at(0, b"x", a), [(2, Alert, false)]);
    assert_eq!(at(1, b"x", b), [(2, Alert, false)]);
    assert_eq!(at(2, b"x", a), [(2, Drop, true)]);
    assert_eq!(at(6, b"x", a), [(2, Drop, true)]);
    assert_eq!(at(8, b"x", a), [(2, Alert, false)]);
}

#[test]
fn file_keywords_match_the_file_of_the_call() {
    let dir = std::env::temp_dir().join(format!("sekimori-detect-files-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    std::fs::write(
        dir.join("bad.md5"),
        "# known bad\n\ne19c1283c925b3206685ff522acfe3e6\n",
    )
    .expect("write");
    std::fs::write(dir.join("broken.md5"), "not-a-hash\n").expect("write");
    let rules = [
        r#"alert tcp any any -> any any (filename:"R.PDF"; sid:1;)"#,
        r#"alert tcp any any -> any any (fileext:"pdf"; sid:2;)"#,
        r#"alert tcp any any -> any any (fileext:!"pdf"; sid:3;)"#,
        r#"alert tcp any any -> any any (filemagic:"pdf document"; sid:4;)"#,
        "alert tcp any any -> any any (filesize:<70; sid:5;)",
        "alert http any any -> any any (filemd5:bad.md5; sid:6;)",
        "alert http any any -> any any (filemd5:!bad.md5; sid:7;)",
        "alert tcp any any -> any any (filestore; sid:8;)",
        r#"alert http any any -> any any (file.name; content:"/r.pdf"; endswith; sid:9;)"#,
        "alert http any any -> any any (filemd5:broken.md5; sid:10;)",
        "alert http any any -> any any (filemd5:missing.md5; sid:11;)",
        r#"alert http any any -> any any (http.uri; content:".exe"; filemagic:"PE32"; sid:12;)"#,
    ];
    let set = load_str(
        &rules.join("\n"),
        &Vars::suricata_defaults(),
        &Default::default(),
    );
    assert!(set.errors.is_empty(), "{:?}", set.errors);
    let e = DetectEngine::from_rules_in(&set.rules, std::slice::from_ref(&dir));
    // unreadable or malformed lists skip the rule
    let skipped: Vec<u32> = e.skipped().iter().map(|s| s.sid).collect();
    assert_eq!(skipped, [10, 11, 12]);
    assert!((0..e.len() as RuleId).any(|i| e.meta(i).is_some_and(|m| m.sid == 8 && m.filestore)));
    let md5 = [
        0xe1, 0x9c, 0x12, 0x83, 0xc9, 0x25, 0xb3, 0x20, 0x66, 0x85, 0xff, 0x52, 0x2a, 0xcf, 0xe3,
        0xe6,
    ];
    let file = FileFacts {
        name: b"/~regit/r.pdf",
        magic: Some("PDF document, version 1.5"),
        size: 68,
        md5: Some(&md5),
        ..FileFacts::default()
    };
    let mut info = http_info();
    info.app_proto = Some(AppProto::Http);
    let mut bufs = Buffers::new(Scope::Transaction);
    bufs.add(Buffer::FileName, file.name);
    bufs.file = Some(file);
    assert_eq!(sids(&e, &info, &bufs), [1, 2, 4, 5, 6, 8, 9]);
    // another file: other name, no magic, bigger, unknown digest
    let other = FileFacts {
        name: b"a.doc",
        size: 100,
        md5: Some(&[0u8; 16]),
        ..FileFacts::default()
    };
    let mut bufs = Buffers::new(Scope::Transaction);
    bufs.file = Some(other);
    assert_eq!(sids(&e, &info, &bufs), [3, 7, 8]);
    // without a file, no file keyword matches
    let mut bufs = Buffers::new(Scope::Transaction);
    bufs.add(Buffer::HttpUri, b"/r.pdf");
    assert!(sids(&e, &info, &bufs).is_empty());
    std::fs::remove_dir_all(&dir).expect("cleanup");
}

#[test]
fn dns_app_layer_events() {
    let e = engine(&[
        "alert dns any any -> any any (app-layer-event:dns.z_flag_set; sid:1;)",
        "alert dns any any -> any any (flow:to_client; app-layer-event:dns.invalid_opcode; sid:2;)",
    ]);
    let mut info = tcp_info();
    info.ip_proto = 17;
    info.app_proto = Some(AppProto::Dns);
    let mut bufs = Buffers::new(Scope::Transaction);
    bufs.app_events.push("dns.z_flag_set");
    bufs.app_events.push("dns.invalid_opcode");
    assert_eq!(sids(&e, &info, &bufs), [1]);
    info.flow = Some(FlowFacts {
        direction: FlowDir::ToClient,
        established: true,
    });
    std::mem::swap(&mut info.src, &mut info.dst);
    std::mem::swap(&mut info.sport, &mut info.dport);
    assert_eq!(sids(&e, &info, &bufs), [1, 2]);
    assert!(sids(&e, &info, &Buffers::new(Scope::Transaction)).is_empty());
}

#[test]
fn pcrexform_takes_the_first_group() {
    let e = engine(&[
        r#"alert http any any -> any any (http.request_line; pcrexform:"[a-zA-Z]+\s+(.*)\s+HTTP"; content:"/z.jpg"; startswith; endswith; sid:1;)"#,
    ]);
    let mut bufs = Buffers::new(Scope::Transaction);
    bufs.add(Buffer::HttpRequestLine, b"GET /z.jpg HTTP/1.1");
    assert_eq!(sids(&e, &http_info(), &bufs), [1]);
    // no match: the buffer stays as it is
    let mut bufs = Buffers::new(Scope::Transaction);
    bufs.add(Buffer::HttpRequestLine, b"/z.jpg");
    assert_eq!(sids(&e, &http_info(), &bufs), [1]);
    let mut bufs = Buffers::new(Scope::Transaction);
    bufs.add(Buffer::HttpRequestLine, b"GET /y.jpg HTTP/1.1");
    assert!(sids(&e, &http_info(), &bufs).is_empty());
}

#[test]
fn negated_app_layer_protocol_waits_for_detection() {
    let e =
        engine(&["alert tcp any any -> any 80 (flow:to_server; app-layer-protocol:!http; sid:1;)"]);
    let mut info = tcp_info();
    info.app_proto = None;
    assert!(sids(&e, &info, &Buffers::packet(b"x")).is_empty());
    info.app_proto = Some(AppProto::Http);
    assert!(sids(&e, &info, &Buffers::packet(b"x")).is_empty());
    info.app_proto = Some(AppProto::Tls);
    assert_eq!(sids(&e, &info, &Buffers::packet(b"x")), [1]);
}

#[test]
fn base64_decode_follows_a_legacy_modifier() {
    // `content:"arg"; http_uri; base64_decode:...relative` decodes from the URI (Suricata puts
    // base64_decode in the list of the last content).
    let rule = r#"alert http any any -> any any (content:"arg"; http_uri; base64_decode:bytes 17, offset 1, relative; base64_data; content:"thisisatest"; sid:1;)"#;
    let r = Rule::parse(rule, &Vars::suricata_defaults()).unwrap();
    assert!(r.list(Buffer::Payload).is_none());
    let e = engine(&[rule]);
    let mut bufs = Buffers::new(Scope::Transaction);
    bufs.add(Buffer::HttpUri, b"/?arg=dGhpc2lzYXRlc3QK");
    assert_eq!(sids(&e, &http_info(), &bufs), [1]);
    let mut bufs = Buffers::new(Scope::Transaction);
    bufs.add(Buffer::HttpUri, b"/?arg=dG9hc3Q=");
    assert!(sids(&e, &http_info(), &bufs).is_empty());
}

#[test]
fn filestore_options_in_meta() {
    let rules = [
        "alert http any any -> any any (filestore; sid:1;)",
        r#"alert http any any -> any any (http.uri; content:"x"; filestore:both,flow; sid:2;)"#,
        r#"alert http any any -> any any (http.uri; content:"y"; filestore:to_client; sid:3;)"#,
    ];
    let set = load_str(&rules.join("\n"), &Vars::suricata_defaults(), &Default::default());
    assert!(set.errors.is_empty(), "{:?}", set.errors);
    let e = DetectEngine::new(&set);
    let opts = |sid: u32| {
        (0..e.len() as RuleId)
            .filter_map(|i| e.meta(i))
            .find(|m| m.sid == sid)
            .map(|m| m.filestore_opts.clone())
            .expect("rule")
    };
    assert_eq!(opts(1), (None, None));
    assert_eq!(opts(2), (Some("both".into()), Some("flow".into())));
    assert_eq!(opts(3), (Some("to_client".into()), None));
}

#[test]
fn icmpv6_mtu_of_packet_too_big() {
    let e = engine(&["alert ipv6 any any -> any any (icmpv6.mtu:<1280; sid:1;)"]);
    let mut info = PacketInfo {
        ip_version: 6,
        src: Addr::v6([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]),
        dst: Addr::v6([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]),
        ip_proto: 58,
        // Packet Too Big, MTU 1200 (the 32-bit field after the checksum).
        icmp: Some(IcmpFacts { itype: 2, icode: 0, id: 0, seq: 1200 }),
        ..PacketInfo::default()
    };
    let bufs = Buffers::packet(b"");
    assert_eq!(sids(&e, &info, &bufs), vec![1]);
    info.icmp = Some(IcmpFacts { itype: 2, icode: 0, id: 0, seq: 1500 });
    assert!(sids(&e, &info, &bufs).is_empty());
    // MTU above 16 bits is read whole.
    info.icmp = Some(IcmpFacts { itype: 2, icode: 0, id: 1, seq: 0 });
    assert!(sids(&e, &info, &bufs).is_empty());
    // An echo request has no MTU.
    info.icmp = Some(IcmpFacts { itype: 128, icode: 0, id: 0, seq: 1200 });
    assert!(sids(&e, &info, &bufs).is_empty());
}

#[test]
fn ipv6_hdr_sticky_buffer() {
    let e = engine(&["alert ip any any -> any any (ipv6.hdr; content:\"|40|\"; offset:7; depth:1; sid:1;)"]);
    let info = PacketInfo {
        ip_version: 6,
        ip_proto: 17,
        ..PacketInfo::default()
    };
    let mut hdr = [0u8; 40];
    hdr[0] = 0x60;
    hdr[7] = 64;
    let mut bufs = Buffers::packet(b"payload");
    bufs.add(Buffer::Ipv6Hdr, &hdr);
    assert_eq!(sids(&e, &info, &bufs), vec![1]);
    hdr[7] = 63;
    let mut bufs = Buffers::packet(b"payload");
    bufs.add(Buffer::Ipv6Hdr, &hdr);
    assert!(sids(&e, &info, &bufs).is_empty());
    // No header given (an IPv4 packet): no match.
    assert!(sids(&e, &info, &Buffers::packet(b"@@@@@@@@@")).is_empty());
}

#[test]
fn config_rules_compile_and_carry_their_config() {
    let e = engine(&[
        "config http any any -> any any (http.host; content:\"test\"; config:logging disable, type tx, scope tx; sid:1;)",
    ]);
    let id = (0..e.len() as u32).find(|&i| e.meta(i).is_some_and(|m| m.sid == 1)).unwrap();
    let m = e.meta(id).unwrap();
    assert_eq!(m.action, sekimori_rules::Action::Config);
    assert_eq!(m.config.map(|c| c.scope), Some(sekimori_rules::ConfigScope::Tx));
    let mut fs = FlowState::new();
    assert!(!fs.tx_logging_disabled(3));
    fs.tx_log_disabled.push(3);
    assert!(fs.tx_logging_disabled(3) && !fs.tx_logging_disabled(4));
    fs.log_disabled = true;
    assert!(fs.tx_logging_disabled(4));
}

#[test]
fn flowbits_set_lists_names() {
    let e = engine(&[
        "alert tcp any any -> any any (content:\"a\"; flowbits:set,traffic/id/x; sid:1;)",
        "alert tcp any any -> any any (content:\"zz\"; flowbits:set,other; sid:2;)",
    ]);
    let mut fs = FlowState::new();
    let mut s = Scratch::new();
    e.inspect(&tcp_info(), &Buffers::packet(b"a"), Some(&mut fs), &mut s);
    let names: Vec<&str> = e.flowbits_set(&fs).collect();
    assert_eq!(names, vec!["traffic/id/x"]);
}
