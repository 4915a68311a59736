//! The `tls` record as Suricata 7 writes it (`extended: yes`, optionally `ja4: on` and
//! `session-resumption: yes`), from a [`sekimori_app::TlsTx`]. The `tls` object alone is
//! available for records that embed it (alerts).
//!
//! Extended fields, in Suricata's order, each only when known: `subject`, `issuerdn`,
//! `session_resumed` (no certificate, ServerHello seen, not TLS 1.3), `serial`, `fingerprint`,
//! `sni`, `version` (always), `notbefore`, `notafter`, `ja3` {`hash`, `string`}, `ja3s`
//! {`hash`, `string`}, `ja4`, `client` {`subject`, `issuerdn`, `fingerprint`, `serial`,
//! `notbefore`, `notafter`} when the client sent a certificate, then `from_proto` when the flow
//! switched to TLS from another protocol. The basic format writes `subject`, `issuerdn`, `session_resumed` (and `ja4`).

use sekimori_app::TlsTx;

use crate::json::Obj;
use crate::records::Header;

/// Options of the `tls` logger.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TlsLogOptions {
    /// `extended: yes`.
    pub extended: bool,
    /// `ja4: on`.
    pub ja4: bool,
    /// `session-resumption`: log sessions resumed without a certificate. Suricata 7 turns it on
    /// when the setting is absent (only an explicit `no` turns it off), so the default is on.
    pub session_resumption: bool,
}

impl Default for TlsLogOptions {
    fn default() -> Self {
        TlsLogOptions {
            extended: true,
            ja4: true,
            session_resumption: true,
        }
    }
}

/// Whether Suricata writes a `tls` record for the session: it has the server certificate, or
/// was resumed (when `session_resumption` is on), or negotiated TLS 1.3 (no clear certificate).
pub fn should_log(tx: &TlsTx, opts: &TlsLogOptions) -> bool {
    tx.server_cert.is_some()
        || (tx.session_resumed && opts.session_resumption)
        || tx.log_without_cert
}

/// `YYYY-MM-DDTHH:MM:SS` (UTC) of a Unix time, as Suricata writes certificate validity
/// (proleptic Gregorian calendar, any year).
pub fn validity_string(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (era-based algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
        sod / 3600,
        (sod / 60) % 60,
        sod % 60
    )
}

fn session_resumed(o: &mut Obj<'_>, tx: &TlsTx) {
    if tx.session_resumed
        && tx.server_cert.is_none()
        && tx.server_hello.is_some()
        && !tx.log_without_cert
    {
        o.bool("session_resumed", true);
    }
}

/// Writes the fields of the `tls` object (Suricata's order) into `o`.
pub fn write_tls_fields(o: &mut Obj<'_>, tx: &TlsTx, opts: &TlsLogOptions) {
    let cert = tx.server_cert.as_ref();
    if let Some(c) = cert {
        o.str("subject", &c.subject).str("issuerdn", &c.issuer);
    }
    session_resumed(o, tx);
    if !opts.extended {
        if opts.ja4
            && let Some(j) = &tx.ja4
        {
            o.str("ja4", j);
        }
        return;
    }
    if let Some(c) = cert {
        o.str("serial", &c.serial)
            .str("fingerprint", &c.fingerprint);
    }
    if let Some(s) = tx.sni() {
        o.bytes("sni", s);
    }
    o.str("version", &tx.version_string());
    if let Some(c) = cert {
        if c.not_before != 0 {
            o.str("notbefore", &validity_string(c.not_before));
        }
        if c.not_after != 0 {
            o.str("notafter", &validity_string(c.not_after));
        }
    }
    if tx.ja3_hash.is_some() || tx.ja3.is_some() {
        o.obj("ja3", |j| {
            if let Some(h) = &tx.ja3_hash {
                j.str("hash", h);
            }
            if let Some(s) = &tx.ja3 {
                j.str("string", s);
            }
        });
    }
    if tx.ja3s_hash.is_some() || tx.ja3s.is_some() {
        o.obj("ja3s", |j| {
            if let Some(h) = &tx.ja3s_hash {
                j.str("hash", h);
            }
            if let Some(s) = &tx.ja3s {
                j.str("string", s);
            }
        });
    }
    if opts.ja4
        && let Some(j) = &tx.ja4
    {
        o.str("ja4", j);
    }
    if let Some(c) = &tx.client_cert {
        // Suricata's order for the client certificate: fingerprint before serial.
        o.obj("client", |x| {
            x.str("subject", &c.subject)
                .str("issuerdn", &c.issuer)
                .str("fingerprint", &c.fingerprint)
                .str("serial", &c.serial);
            if c.not_before != 0 {
                x.str("notbefore", &validity_string(c.not_before));
            }
            if c.not_after != 0 {
                x.str("notafter", &validity_string(c.not_after));
            }
        });
    }
}

/// Everything a `tls` record says.
#[derive(Clone, Copy, Debug)]
pub struct TlsRecord<'a> {
    /// Common header (`event_type` is forced to `tls`); endpoints oriented as the flow.
    pub header: Header<'a>,
    /// `pkt_src`, when known.
    pub pkt_src: Option<&'a str>,
    /// Already-serialised JSON for `metadata` (flowbits, ...), when any.
    pub metadata: Option<&'a [u8]>,
    /// The session.
    pub tx: &'a TlsTx,
    /// Logger options.
    pub opts: TlsLogOptions,
    /// The flow's protocol before it switched to TLS (STARTTLS, CONNECT): `from_proto`.
    pub from_proto: Option<&'a str>,
}

/// Writes a `tls` record (one JSON object, no newline) into `buf`. Returns false, writing
/// nothing, when Suricata would not log the session ([`should_log`]). No `tx_id` is written,
/// as in Suricata.
pub fn write_tls(buf: &mut Vec<u8>, r: &TlsRecord<'_>) -> bool {
    if !should_log(r.tx, &r.opts) {
        return false;
    }
    let mut o = Obj::new(buf);
    Header {
        event_type: "tls",
        ..r.header
    }
    .write(&mut o);
    if let Some(p) = r.pkt_src {
        o.str("pkt_src", p);
    }
    if let Some(m) = r.metadata {
        o.raw("metadata", m);
    }
    o.obj("tls", |t| {
        write_tls_fields(t, r.tx, &r.opts);
        if let Some(p) = r.from_proto {
            t.str("from_proto", p);
        }
    });
    o.end();
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::tests::{raw_object, ref_key, shared, tests_with_pcap};
    use sekimori_app::{AppConfig, AppLayer, AppSink, AppTx, FileSink, FlowCtx, TxStage};

    #[test]
    fn validity_dates() {
        assert_eq!(validity_string(0), "1970-01-01T00:00:00");
        assert_eq!(validity_string(1_795_429_645), "2026-11-23T10:27:25");
        assert_eq!(validity_string(951_782_400), "2000-02-29T00:00:00");
        assert_eq!(validity_string(-1), "1969-12-31T23:59:59");
        assert_eq!(validity_string(253_402_300_799), "9999-12-31T23:59:59");
        assert_eq!(validity_string(-631_152_000), "1950-01-01T00:00:00");
    }

    #[derive(Default)]
    struct Collect {
        tls: Vec<(String, TlsTx)>,
        reversed: Vec<u64>,
    }
    impl FileSink for Collect {}
    impl AppSink for Collect {
        fn on_detect(
            &mut self,
            f: &FlowCtx<'_>,
            _p: sekimori_app::AppProto,
            _d: sekimori_app::Direction,
            reversed: bool,
        ) {
            if reversed {
                self.reversed.push(f.id);
            }
        }
        fn on_tx(&mut self, f: &FlowCtx<'_>, tx: AppTx<'_>, stage: TxStage) {
            let (AppTx::Tls(t), TxStage::Complete) = (tx, stage) else {
                return;
            };
            let (src, sport, dst, dport) = if self.reversed.contains(&f.id) {
                (f.dst, f.dport, f.src, f.sport)
            } else {
                (f.src, f.sport, f.dst, f.dport)
            };
            let key = format!(
                "{}|{}|{}|{}",
                crate::format::addr_string(src),
                sport,
                crate::format::addr_string(dst),
                dport
            );
            self.tls.push((key, t.clone()));
        }
    }

    fn obj_string(tx: &TlsTx, opts: &TlsLogOptions) -> String {
        let mut buf = Vec::new();
        let mut o = Obj::new(&mut buf);
        write_tls_fields(&mut o, tx, opts);
        o.end();
        String::from_utf8_lossy(&buf).into_owned()
    }

    /// Differences that are not the formatter's (see sekimori-app's tls replay test).
    const KNOWN: &[&str] = &["smtp-startssl:", "tls-duplicate-hello:"];

    /// Every reference `tls` record, compared with ours for the same flow: the `tls` object
    /// must be byte-identical (with the logger options the record shows: basic or extended).
    #[test]
    fn tls_records_match_suricata_reference() {
        let Some((sv, eve)) = shared() else { return };
        let (mut total, mut matched) = (0usize, 0usize);
        let mut problems = Vec::new();
        for (test, pcap, _) in tests_with_pcap(&sv, &eve) {
            let Ok(text) = std::fs::read_to_string(eve.join(&test).join("eve.json")) else {
                continue;
            };
            let refs: Vec<&str> = text
                .lines()
                .filter(|l| l.contains("\"event_type\":\"tls\""))
                .collect();
            if refs.is_empty() {
                continue;
            }
            let mut layer = AppLayer::new(AppConfig::default()).unwrap();
            let mut c = Collect::default();
            let _ = sekimori_app::replay::replay_pcap(&pcap, &mut layer, &mut c);
            let mut used = vec![false; c.tls.len()];
            for line in refs {
                total += 1;
                let v: serde_json::Value = serde_json::from_str(line).unwrap();
                let key = ref_key(&v);
                let want = raw_object(line, "tls").unwrap_or("").to_string();
                let opts = TlsLogOptions {
                    extended: v["tls"].get("version").is_some(),
                    ja4: v["tls"].get("ja4").is_some(),
                    session_resumption: true,
                };
                let want = match want.find(",\"from_proto\"") {
                    Some(i) => format!("{}}}", &want[..i]),
                    None => want,
                };
                let hit = (0..c.tls.len()).find(|&i| !used[i] && c.tls[i].0 == key);
                match hit {
                    Some(i) => {
                        used[i] = true;
                        let got = obj_string(&c.tls[i].1, &opts);
                        if got == want {
                            matched += 1;
                        } else {
                            problems.push(format!("{test}: {key}\n  want {want}\n  got  {got}"));
                        }
                    }
                    None => problems.push(format!("{test}: missing {key}")),
                }
            }
            // Sessions we would log (the logger is on in this test) that Suricata did not.
            let on = TlsLogOptions::default();
            for (i, (k, t)) in c.tls.iter().enumerate() {
                if !used[i] && should_log(t, &on) {
                    problems.push(format!("{test}: extra {k}: {}", obj_string(t, &on)));
                }
            }
        }
        eprintln!(
            "tls: {matched}/{total} identical; {} differences",
            problems.len()
        );
        for p in &problems {
            eprintln!("{p}");
        }
        assert!(total >= 60, "reference records found: {total}");
        let unexpected = problems
            .iter()
            .filter(|p| !KNOWN.iter().any(|k| p.starts_with(k)))
            .count();
        assert_eq!(unexpected, 0, "tls records differ from Suricata's");
    }

    #[test]
    fn record_shape_and_log_decision() {
        let mut tx = TlsTx::default();
        let opts = TlsLogOptions::default();
        assert!(
            !should_log(&tx, &opts),
            "nothing to log without a certificate"
        );
        let mut buf = Vec::new();
        assert!(!write_tls(
            &mut buf,
            &TlsRecord {
                header: Header::default(),
                pkt_src: None,
                metadata: None,
                tx: &tx,
                opts,
                from_proto: None
            }
        ));
        assert!(buf.is_empty());
        tx.version = 0x0304;
        tx.log_without_cert = true;
        tx.ja4 = Some("t13d1911h2_9dc949149365_e7c285222651".into());
        tx.ja3s = Some("771,4865,51-43".into());
        tx.ja3s_hash = Some(sekimori_app::tls::md5_hex("771,4865,51-43"));
        assert!(write_tls(
            &mut buf,
            &TlsRecord {
                header: Header {
                    flow_id: Some(3),
                    ..Header::default()
                },
                pkt_src: Some("wire/pcap"),
                metadata: None,
                tx: &tx,
                opts,
                from_proto: Some("smtp")
            }
        ));
        assert_eq!(
            String::from_utf8(buf).unwrap(),
            r#"{"timestamp":"1970-01-01T00:00:00.000000+0000","flow_id":3,"event_type":"tls","pkt_src":"wire/pcap","tls":{"version":"TLS 1.3","ja3s":{"hash":"eb1d94daa7e0344597e756a1fb6e7054","string":"771,4865,51-43"},"ja4":"t13d1911h2_9dc949149365_e7c285222651","from_proto":"smtp"}}"#
        );
        // Resumed sessions: logged only with session-resumption, flagged when a ServerHello
        // came and no certificate.
        let mut r = TlsTx::default();
        r.session_resumed = true;
        r.version = 0x0303;
        r.server_hello = Some(Default::default());
        // On by default (Suricata turns it on unless the setting says `no`).
        assert!(should_log(&r, &TlsLogOptions::default()));
        let off = TlsLogOptions {
            session_resumption: false,
            ..opts
        };
        assert!(!should_log(&r, &off));
        let on = TlsLogOptions {
            session_resumption: true,
            ..opts
        };
        assert!(should_log(&r, &on));
        assert_eq!(
            obj_string(&r, &on),
            r#"{"session_resumed":true,"version":"TLS 1.2"}"#
        );
        r.log_without_cert = true;
        assert_eq!(obj_string(&r, &on), r#"{"version":"TLS 1.2"}"#);
        r.client_cert = Some(sekimori_app::tls::CertInfo {
            subject: "CN=c".into(),
            issuer: "CN=ca".into(),
            serial: "01".into(),
            fingerprint: "aa:bb".into(),
            not_before: 86_400,
            not_after: 0,
            san: Vec::new(),
            der_len: 10,
        });
        assert_eq!(
            obj_string(&r, &on),
            r#"{"version":"TLS 1.2","client":{"subject":"CN=c","issuerdn":"CN=ca","fingerprint":"aa:bb","serial":"01","notbefore":"1970-01-02T00:00:00"}}"#
        );
        let basic = TlsLogOptions {
            extended: false,
            ..on
        };
        assert_eq!(obj_string(&r, &basic), "{}");
    }
}
