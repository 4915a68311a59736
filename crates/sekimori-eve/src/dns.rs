//! The `dns` records of Suricata 7 (EVE dns v2, default formats `detailed` and `grouped`) from a
//! [`sekimori_app::DnsTx`]: a query message gives one `"type":"query"` record per question; a
//! response gives one `"type":"answer"` record (none when it has no question, as Suricata).
//!
//! Query: `version`, `type`, `id`, `rrname` (`rrname_truncated`), `rrtype`, `tx_id`, `z` (when
//! set), `opcode`. Answer: `version`, `type`, `id`, `flags` (hex), `qr`/`aa`/`tc`/`rd`/`ra`/`z`
//! (when set), `opcode`, `rrname`, `rrtype` (first question), `rcode`, `answers` (detailed),
//! `grouped` (by type; Suricata's order is that of a hash map, here first appearance),
//! `authorities`.

use sekimori_app::DnsTx;
use sekimori_app::dns::{DnsMessage, DnsRecord, RData, Soa, rcode_name, rrtype_name};

use crate::http::{field_bytes, push_bytes_string};
use crate::json::Obj;
use crate::records::Header;

fn rrtype_field(o: &mut Obj<'_>, k: &str, t: u16) {
    match rrtype_name(t) {
        Some(n) => o.str(k, n),
        None => o.str(k, itoa::Buffer::new().format(t)),
    };
}

fn rrtype_string(t: u16) -> String {
    rrtype_name(t).map_or_else(|| t.to_string(), str::to_string)
}

/// Suricata's rendering of A/AAAA rdata: dotted quad, fully expanded IPv6, or empty.
pub fn addr_rdata(b: &[u8]) -> String {
    match b.len() {
        4 => format!("{}.{}.{}.{}", b[0], b[1], b[2], b[3]),
        16 => {
            let mut s = String::with_capacity(39);
            for (i, p) in b.chunks_exact(2).enumerate() {
                if i > 0 {
                    s.push(':');
                }
                s.push_str(&format!("{:02x}{:02x}", p[0], p[1]));
            }
            s
        }
        _ => String::new(),
    }
}

fn soa_obj(o: &mut Obj<'_>, m: &DnsMessage, s: &Soa) {
    field_bytes(o, "mname", m.name(&s.mname));
    if s.mname.truncated {
        o.bool("mname_truncated", true);
    }
    field_bytes(o, "rname", m.name(&s.rname));
    if s.rname.truncated {
        o.bool("rname_truncated", true);
    }
    o.u64("serial", s.serial.into())
        .u64("refresh", s.refresh.into())
        .u64("retry", s.retry.into())
        .u64("expire", s.expire.into())
        .u64("minimum", s.minimum.into());
}

fn sshfp_obj(o: &mut Obj<'_>, m: &DnsMessage, algo: u8, fp_type: u8, fp: sekimori_app::dns::Bytes) {
    let hex: Vec<String> = m.bytes(fp).iter().map(|b| format!("{b:02x}")).collect();
    o.str("fingerprint", &hex.join(":"))
        .u64("algo", algo.into())
        .u64("type", fp_type.into());
}

fn srv_obj(
    o: &mut Obj<'_>,
    m: &DnsMessage,
    priority: u16,
    weight: u16,
    port: u16,
    target: &sekimori_app::dns::Name,
) {
    o.u64("priority", priority.into())
        .u64("weight", weight.into())
        .u64("port", port.into());
    field_bytes(o, "name", m.name(target));
}

fn detail(o: &mut Obj<'_>, m: &DnsMessage, r: &DnsRecord) {
    field_bytes(o, "rrname", m.name(&r.name));
    if r.name.truncated {
        o.bool("rrname_truncated", true);
    }
    rrtype_field(o, "rrtype", r.rrtype);
    o.u64("ttl", r.ttl.into());
    match &r.data {
        RData::Addr(b) => {
            o.str("rdata", &addr_rdata(m.bytes(*b)));
        }
        RData::Name(n) | RData::Mx { exchange: n, .. } => {
            field_bytes(o, "rdata", m.name(n));
            if n.truncated {
                o.bool("rdata_truncated", true);
            }
        }
        RData::Txt(b) | RData::Null(b) => field_bytes(o, "rdata", m.bytes(*b)),
        RData::Soa(s) => {
            o.obj("soa", |x| soa_obj(x, m, s));
        }
        RData::Sshfp {
            algo,
            fp_type,
            fingerprint,
        } => {
            o.obj("sshfp", |x| sshfp_obj(x, m, *algo, *fp_type, *fingerprint));
        }
        RData::Srv {
            priority,
            weight,
            port,
            target,
        } => {
            o.obj("srv", |x| srv_obj(x, m, *priority, *weight, *port, target));
        }
        RData::Other(_) => {}
    }
}

/// Appends one `grouped` array element for `r` (nothing for types Suricata does not group).
/// Returns whether something was written.
fn grouped_value(b: &mut Vec<u8>, first: bool, m: &DnsMessage, r: &DnsRecord) -> bool {
    if matches!(r.data, RData::Other(_)) {
        return false;
    }
    if !first {
        b.push(b',');
    }
    match &r.data {
        RData::Addr(x) => push_bytes_string(b, addr_rdata(m.bytes(*x)).as_bytes()),
        RData::Name(n) | RData::Mx { exchange: n, .. } => push_bytes_string(b, m.name(n)),
        RData::Txt(x) | RData::Null(x) => push_bytes_string(b, m.bytes(*x)),
        RData::Soa(s) => {
            let mut o = Obj::new(b);
            soa_obj(&mut o, m, s);
            o.end();
        }
        RData::Sshfp {
            algo,
            fp_type,
            fingerprint,
        } => {
            let mut o = Obj::new(b);
            sshfp_obj(&mut o, m, *algo, *fp_type, *fingerprint);
            o.end();
        }
        RData::Srv {
            priority,
            weight,
            port,
            target,
        } => {
            let mut o = Obj::new(b);
            srv_obj(&mut o, m, *priority, *weight, *port, target);
            o.end();
        }
        RData::Other(_) => {}
    }
    true
}

/// Writes the `dns` object of query `index` of a request transaction. False when there is no
/// such question.
pub fn write_query_fields(o: &mut Obj<'_>, tx: &DnsTx, index: usize) -> bool {
    let m = &tx.message;
    let Some(q) = m.queries.get(index) else {
        return false;
    };
    o.u64("version", 2);
    query_entry(o, tx, q);
    true
}

/// The fields of one question of a request (`type` .. `opcode`), without `version`: a `dns`
/// query record's body and an entry of an alert's `query` array.
fn query_entry(o: &mut Obj<'_>, tx: &DnsTx, q: &sekimori_app::dns::DnsQuery) {
    let m = &tx.message;
    o.str("type", "query").u64("id", m.header.id.into());
    field_bytes(o, "rrname", m.name(&q.name));
    if q.name.truncated {
        o.bool("rrname_truncated", true);
    }
    rrtype_field(o, "rrtype", q.rrtype);
    o.u64("tx_id", tx.tx_id);
    if m.header.z() {
        o.bool("z", true);
    }
    o.u64("opcode", m.header.opcode().into());
}

/// Writes the header part of a response's `dns` object (`version` .. `rcode`: no answer
/// sections, as in an alert's `answer` object). False when there is no question.
fn write_answer_header(o: &mut Obj<'_>, tx: &DnsTx) -> bool {
    let m = &tx.message;
    let h = &m.header;
    let Some(q) = m.queries.first() else {
        return false;
    };
    o.u64("version", 2)
        .str("type", "answer")
        .u64("id", h.id.into())
        .str("flags", &format!("{:x}", h.flags));
    for (set, k) in [
        (h.qr(), "qr"),
        (h.aa(), "aa"),
        (h.tc(), "tc"),
        (h.rd(), "rd"),
        (h.ra(), "ra"),
        (h.z(), "z"),
    ] {
        if set {
            o.bool(k, true);
        }
    }
    o.u64("opcode", h.opcode().into());
    field_bytes(o, "rrname", m.name(&q.name));
    if q.name.truncated {
        o.bool("rrname_truncated", true);
    }
    rrtype_field(o, "rrtype", q.rrtype);
    match rcode_name(h.rcode()) {
        Some(n) => o.str("rcode", n),
        None => o.str("rcode", itoa::Buffer::new().format(h.rcode())),
    };
    true
}

/// Writes the `dns` object of a response transaction. False when Suricata would not log it (no
/// question in the response).
pub fn write_answer_fields(o: &mut Obj<'_>, tx: &DnsTx) -> bool {
    if !write_answer_header(o, tx) {
        return false;
    }
    let m = &tx.message;
    if !m.answers.is_empty() {
        o.arr("answers", |a| {
            for r in &m.answers {
                a.obj(|x| detail(x, m, r));
            }
        });
        // Types in first-appearance order; each with its groupable values.
        let mut types: Vec<u16> = Vec::new();
        for r in &m.answers {
            if !matches!(r.data, RData::Other(_)) && !types.contains(&r.rrtype) {
                types.push(r.rrtype);
            }
        }
        o.obj("grouped", |g| {
            for t in &types {
                g.raw_with(&rrtype_string(*t), |b| {
                    b.push(b'[');
                    let mut first = true;
                    for r in m.answers.iter().filter(|r| r.rrtype == *t) {
                        if grouped_value(b, first, m, r) {
                            first = false;
                        }
                    }
                    b.push(b']');
                });
            }
        });
    }
    if !m.authorities.is_empty() {
        o.arr("authorities", |a| {
            for r in &m.authorities {
                a.obj(|x| detail(x, m, r));
            }
        });
    }
    true
}

/// Which `dns` record to write for a transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DnsRecordKind {
    /// The `query` record of question `n` of a request.
    Query(usize),
    /// The `answer` record of a response.
    Answer,
}

/// The records Suricata writes for `tx`, in order.
pub fn records_of(tx: &DnsTx) -> Vec<DnsRecordKind> {
    if tx.is_request() {
        (0..tx.message.queries.len())
            .map(DnsRecordKind::Query)
            .collect()
    } else if tx.message.queries.is_empty() {
        Vec::new()
    } else {
        vec![DnsRecordKind::Answer]
    }
}

/// Everything a `dns` record says.
#[derive(Clone, Copy, Debug)]
pub struct DnsRecordOut<'a> {
    /// Common header (`event_type` is forced to `dns`); endpoints oriented as the flow, for
    /// answers too.
    pub header: Header<'a>,
    /// `pkt_src`, when known.
    pub pkt_src: Option<&'a str>,
    /// The transaction.
    pub tx: &'a DnsTx,
    /// Which record.
    pub kind: DnsRecordKind,
}

/// Writes one `dns` record into `buf`. Returns false (writing nothing) when the record does not
/// exist (no such question, or a response without question).
pub fn write_dns(buf: &mut Vec<u8>, r: &DnsRecordOut<'_>) -> bool {
    let ok = match r.kind {
        DnsRecordKind::Query(i) => i < r.tx.message.queries.len(),
        DnsRecordKind::Answer => !r.tx.message.queries.is_empty(),
    };
    if !ok {
        return false;
    }
    let mut o = Obj::new(buf);
    Header {
        event_type: "dns",
        ..r.header
    }
    .write(&mut o);
    if let Some(p) = r.pkt_src {
        o.str("pkt_src", p);
    }
    o.obj("dns", |d| {
        match r.kind {
            DnsRecordKind::Query(i) => write_query_fields(d, r.tx, i),
            DnsRecordKind::Answer => write_answer_fields(d, r.tx),
        };
    });
    o.end();
    true
}

/// Writes the fields of the `dns` object Suricata 7 embeds in an alert on a DNS transaction:
/// `version`, then for a request a `query` array with one entry per question (the fields of a
/// query record but `version`: `type`, `id`, `rrname`, `rrname_truncated`, `rrtype`, `tx_id`,
/// `z`, `opcode`), for a response an `answer` object (the answer record's header fields, without
/// the answer sections). Nothing is written for a message without questions.
pub fn write_alert_dns_fields(o: &mut Obj<'_>, tx: &DnsTx) {
    let m = &tx.message;
    if m.queries.is_empty() {
        return;
    }
    o.u64("version", 2);
    if tx.is_request() {
        o.arr("query", |a| {
            for q in &m.queries {
                a.obj(|e| query_entry(e, tx, q));
            }
        });
    } else {
        o.obj("answer", |a| {
            write_answer_header(a, tx);
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::tests::{raw_object, ref_key, replay, shared, tests_with_pcap};

    fn obj_string(tx: &DnsTx, kind: DnsRecordKind) -> String {
        let mut buf = Vec::new();
        let mut o = Obj::new(&mut buf);
        match kind {
            DnsRecordKind::Query(i) => write_query_fields(&mut o, tx, i),
            DnsRecordKind::Answer => write_answer_fields(&mut o, tx),
        };
        o.end();
        String::from_utf8_lossy(&buf).into_owned()
    }

    fn name(m: &mut Vec<u8>, n: &str) {
        for l in n.split('.') {
            m.push(l.len() as u8);
            m.extend_from_slice(l.as_bytes());
        }
        m.push(0);
    }

    /// A response to `www.example.com` with the given answers (owner = pointer to the question).
    fn response(flags: u16, answers: &[(u16, Vec<u8>)]) -> Vec<u8> {
        let mut m = vec![0x12, 0x34];
        m.extend_from_slice(&flags.to_be_bytes());
        m.extend_from_slice(&[0, 1, 0, answers.len() as u8, 0, 0, 0, 0]);
        name(&mut m, "www.example.com");
        m.extend_from_slice(&[0, 1, 0, 1]);
        for (t, rdata) in answers {
            m.extend_from_slice(&[0xc0, 12]);
            m.extend_from_slice(&t.to_be_bytes());
            m.extend_from_slice(&[0, 1, 0, 0, 0, 60]);
            m.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
            m.extend_from_slice(rdata);
        }
        m
    }

    fn parse(msg: &[u8], dir: sekimori_app::Direction) -> DnsTx {
        let mut tx = DnsTx::default();
        tx.message
            .parse(msg, dir == sekimori_app::Direction::ToClient)
            .unwrap();
        tx.dir = Some(dir);
        tx
    }

    #[test]
    fn answer_record_kinds() {
        let mut mx = vec![0, 5];
        name(&mut mx, "mail.example.com");
        let mut srv = vec![0, 1, 0, 2, 0x01, 0xbb];
        name(&mut srv, "svc.example.com");
        let tx = parse(
            &response(
                0x8583, // qr, aa, rd, ra; rcode 3
                &[
                    (15, mx),
                    (33, srv),
                    (44, vec![1, 2, 0xde, 0xad]),
                    (16, b"\x02ab\x03cde".to_vec()),
                    (1, vec![1, 2, 3, 4]),
                    (64, vec![0, 1]),
                    (15, {
                        let mut v = vec![0, 9];
                        name(&mut v, "mx2.example.com");
                        v
                    }),
                ],
            ),
            sekimori_app::Direction::ToClient,
        );
        assert_eq!(records_of(&tx), vec![DnsRecordKind::Answer]);
        let got = obj_string(&tx, DnsRecordKind::Answer);
        let want = concat!(
            r#"{"version":2,"type":"answer","id":4660,"flags":"8583","qr":true,"aa":true,"rd":true,"ra":true,"opcode":0,"#,
            r#""rrname":"www.example.com","rrtype":"A","rcode":"NXDOMAIN","answers":["#,
            r#"{"rrname":"www.example.com","rrtype":"MX","ttl":60,"rdata":"mail.example.com"},"#,
            r#"{"rrname":"www.example.com","rrtype":"SRV","ttl":60,"srv":{"priority":1,"weight":2,"port":443,"name":"svc.example.com"}},"#,
            r#"{"rrname":"www.example.com","rrtype":"SSHFP","ttl":60,"sshfp":{"fingerprint":"de:ad","algo":1,"type":2}},"#,
            r#"{"rrname":"www.example.com","rrtype":"TXT","ttl":60,"rdata":"ab"},"#,
            r#"{"rrname":"www.example.com","rrtype":"TXT","ttl":60,"rdata":"cde"},"#,
            r#"{"rrname":"www.example.com","rrtype":"A","ttl":60,"rdata":"1.2.3.4"},"#,
            r#"{"rrname":"www.example.com","rrtype":"64","ttl":60},"#,
            r#"{"rrname":"www.example.com","rrtype":"MX","ttl":60,"rdata":"mx2.example.com"}],"#,
            r#""grouped":{"MX":["mail.example.com","mx2.example.com"],"SRV":[{"priority":1,"weight":2,"port":443,"name":"svc.example.com"}],"#,
            r#""SSHFP":[{"fingerprint":"de:ad","algo":1,"type":2}],"TXT":["ab","cde"],"A":["1.2.3.4"]}}"#
        );
        assert_eq!(got, want);
        let v: serde_json::Value = serde_json::from_str(&got).unwrap();
        assert_eq!(v["rcode"], "NXDOMAIN");
    }

    #[test]
    fn query_records_and_header_line() {
        let mut q = vec![0, 7, 0x01, 0x40, 0, 2, 0, 0, 0, 0, 0, 0];
        name(&mut q, "a.example");
        q.extend_from_slice(&[0, 28, 0, 1]);
        name(&mut q, "b.example");
        q.extend_from_slice(&[0x01, 0x00, 0, 1]);
        let mut tx = parse(&q, sekimori_app::Direction::ToServer);
        tx.tx_id = 3;
        assert_eq!(
            records_of(&tx),
            vec![DnsRecordKind::Query(0), DnsRecordKind::Query(1)]
        );
        assert_eq!(
            obj_string(&tx, DnsRecordKind::Query(1)),
            r#"{"version":2,"type":"query","id":7,"rrname":"b.example","rrtype":"URI","tx_id":3,"z":true,"opcode":0}"#
        );
        let mut buf = Vec::new();
        assert!(write_dns(
            &mut buf,
            &DnsRecordOut {
                header: Header {
                    event_type: "x",
                    flow_id: Some(9),
                    ..Default::default()
                },
                pkt_src: Some("wire/pcap"),
                tx: &tx,
                kind: DnsRecordKind::Query(0),
            }
        ));
        let s = String::from_utf8(buf).unwrap();
        assert!(s.starts_with(r#"{"timestamp":"1970-01-01T00:00:00.000000+0000","flow_id":9,"event_type":"dns","pkt_src":"wire/pcap","dns":{"version":2,"type":"query","id":7,"rrname":"a.example","rrtype":"AAAA""#), "{s}");
        let mut buf = Vec::new();
        assert!(!write_dns(
            &mut buf,
            &DnsRecordOut {
                header: Header::default(),
                pkt_src: None,
                tx: &tx,
                kind: DnsRecordKind::Query(2)
            }
        ));
        assert!(buf.is_empty());
    }

    fn alert_string(tx: &DnsTx) -> String {
        let mut buf = Vec::new();
        let mut o = Obj::new(&mut buf);
        write_alert_dns_fields(&mut o, tx);
        o.end();
        String::from_utf8_lossy(&buf).into_owned()
    }

    #[test]
    fn alert_dns_object_query_and_answer() {
        // A query with Z set and opcode 9: the alert's query entries carry `z`.
        let mut q = vec![0, 1, 0x48, 0x40, 0, 1, 0, 0, 0, 0, 0, 0];
        name(&mut q, "www.google.com");
        q.extend_from_slice(&[0, 1, 0, 1]);
        let tx = parse(&q, sekimori_app::Direction::ToServer);
        assert_eq!(
            alert_string(&tx),
            concat!(
                r#"{"version":2,"query":[{"type":"query","id":1,"rrname":"www.google.com","#,
                r#""rrtype":"A","tx_id":0,"z":true,"opcode":9}]}"#
            )
        );
        // A response: an `answer` object with the header fields only (no answer sections).
        let tx = parse(
            &response(0xc800, &[(1, vec![127, 0, 0, 1])]),
            sekimori_app::Direction::ToClient,
        );
        assert_eq!(
            alert_string(&tx),
            concat!(
                r#"{"version":2,"answer":{"version":2,"type":"answer","id":4660,"flags":"c800","#,
                r#""qr":true,"opcode":9,"rrname":"www.example.com","rrtype":"A","rcode":"NOERROR"}}"#
            )
        );
    }

    #[test]
    fn addr_rendering() {
        assert_eq!(addr_rdata(&[142, 251, 32, 68]), "142.251.32.68");
        assert_eq!(
            addr_rdata(&[0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]),
            "2001:0db8:0000:0000:0000:0000:0000:0001"
        );
        assert_eq!(addr_rdata(&[1, 2, 3]), "");
    }

    /// Every `dns` record of the reference, compared with ours for the same flow: the `dns`
    /// object must be identical (byte for byte; `grouped` compared as a map when it has several
    /// types, since Suricata's order is a hash map's).
    #[test]
    fn dns_records_match_suricata_reference() {
        let Some((sv, eve)) = shared() else { return };
        let (mut total, mut matched) = (0usize, 0usize);
        let mut problems = Vec::new();
        for (test, pcap, ports) in tests_with_pcap(&sv, &eve) {
            let Ok(text) = std::fs::read_to_string(eve.join(&test).join("eve.json")) else {
                continue;
            };
            let refs: Vec<&str> = text
                .lines()
                .filter(|l| l.contains("\"event_type\":\"dns\""))
                .collect();
            if refs.is_empty() {
                continue;
            }
            let ours = replay(&pcap, &ports);
            let mut produced: Vec<(String, String, bool)> = Vec::new();
            for (key, tx) in &ours.dns {
                for k in records_of(tx) {
                    produced.push((key.clone(), obj_string(tx, k), false));
                }
            }
            for line in refs {
                total += 1;
                let v: serde_json::Value = serde_json::from_str(line).unwrap();
                let key = ref_key(&v);
                let want = raw_object(line, "dns").unwrap_or("").to_string();
                let wantv: serde_json::Value = serde_json::from_str(&want).unwrap_or_default();
                let hit = produced.iter_mut().find(|(k, got, used)| {
                    !*used
                        && *k == key
                        && (*got == want
                            || serde_json::from_str::<serde_json::Value>(got).ok().as_ref()
                                == Some(&wantv))
                });
                match hit {
                    Some(h) => {
                        h.2 = true;
                        matched += 1;
                    }
                    None => problems.push(format!("{test}: {key}: {want}")),
                }
            }
            for (k, got, used) in &produced {
                if !used {
                    problems.push(format!("{test}: extra {k}: {got}"));
                }
            }
        }
        eprintln!(
            "dns: {matched}/{total} identical; {} problems",
            problems.len()
        );
        for p in problems.iter().take(40) {
            eprintln!("{}", &p[..p.len().min(600)]);
        }
        // Records we write and Suricata does not: flow-drop-iponly-02 (an IPS drop stops the
        // flow's logging in Suricata) and dns-answer-emptydata (7.0.10 misses that answer; the
        // upstream test expects it, and fails on 7.0.10).
        assert!(total > 1000, "reference records found: {total}");
        assert_eq!(
            matched, total,
            "every reference dns record must be produced identically"
        );
        assert!(
            problems
                .iter()
                .all(|p| p.starts_with("flow-drop-iponly-02: extra")
                    || p.starts_with("dns/dns-answer-emptydata: extra"))
        );
    }
}
