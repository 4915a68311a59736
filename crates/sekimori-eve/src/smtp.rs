//! The `smtp` record as Suricata 7.0.10 writes it: the `smtp` object (`helo`, `mail_from`,
//! `rcpt_to`) and, once the message data started, the `email` object (`status`, `from`, `to`,
//! `cc`, `attachment`, `url`, `has_ipv6_url`, `has_ipv4_url`, `has_exe_url`), from a
//! [`sekimori_app::SmtpTx`].
//!
//! Observed Suricata 7.0.10 behaviour reproduced here (reference runs with `extended: yes`):
//! the extended header fields (`subject`, `message_id`, `x_mailer`, `date`, `reply_to`) are
//! not written, so they are off by default ([`SmtpLogOptions::header_fields`] turns them on);
//! `url` lists URLs in reverse order of appearance; an IPv4-literal URL host sets
//! `has_ipv6_url` (and an IPv6 literal `has_ipv4_url`).

use sekimori_app::SmtpTx;

use crate::json::{Arr, Obj};
use crate::records::Header;

/// Options of the `smtp` logger.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SmtpLogOptions {
    /// Write `reply_to`, `message_id`, `subject` (decoded), `x_mailer` and `date` in the `email`
    /// object (Suricata documents them for `extended: yes`, but 7.0.10 does not write them).
    pub header_fields: bool,
    /// `app-layer.protocols.smtp.mime.log-url-scheme`: keep `http://` etc. in `url` values.
    pub log_url_scheme: bool,
}

/// One `smtp` record.
#[derive(Clone, Copy, Debug)]
pub struct SmtpRecord<'a> {
    /// Common header (`event_type` is forced to `smtp`).
    pub header: Header<'a>,
    /// `pkt_src`, when known.
    pub pkt_src: Option<&'a str>,
    /// Already-serialised JSON for `metadata`, when any.
    pub metadata: Option<&'a [u8]>,
    /// The transaction.
    pub tx: &'a SmtpTx,
    /// Logger options.
    pub opts: SmtpLogOptions,
}

fn list(a: &mut Arr<'_>, v: &[u8]) {
    for item in v.split(|c| *c == b',') {
        let t = item.trim_ascii();
        if !t.is_empty() {
            a.str(&String::from_utf8_lossy(t));
        }
    }
}

fn strip_scheme(u: &[u8]) -> &[u8] {
    match u.windows(3).position(|w| w == b"://") {
        Some(p) => u.get(p + 3..).unwrap_or(u),
        None => u,
    }
}

/// Writes the fields of the `smtp` object into `o`.
pub fn write_smtp_fields(o: &mut Obj<'_>, tx: &SmtpTx) {
    if let Some(h) = &tx.helo {
        o.bytes("helo", h);
    }
    if let Some(m) = &tx.mail_from {
        o.bytes("mail_from", m);
    }
    if !tx.rcpt_to.is_empty() {
        o.arr("rcpt_to", |a| {
            for r in &tx.rcpt_to {
                a.str(&String::from_utf8_lossy(r));
            }
        });
    }
}

/// Writes the fields of the `email` object into `o` (nothing when no message data was seen).
pub fn write_email_fields(o: &mut Obj<'_>, tx: &SmtpTx, opts: &SmtpLogOptions) {
    let Some(e) = &tx.email else {
        return;
    };
    o.str("status", e.status);
    if let Some(f) = &e.from {
        o.bytes("from", f);
    }
    if let Some(t) = &e.to {
        o.arr("to", |a| list(a, t));
    }
    if let Some(c) = &e.cc {
        o.arr("cc", |a| list(a, c));
    }
    if opts.header_fields {
        if let Some(v) = &e.reply_to {
            o.bytes("reply_to", v);
        }
        if let Some(v) = &e.message_id {
            o.bytes("message_id", v);
        }
        if let Some(v) = &e.subject_decoded {
            o.str("subject", v);
        }
        if let Some(v) = &e.x_mailer {
            o.bytes("x_mailer", v);
        }
        if let Some(v) = &e.date {
            o.bytes("date", v);
        }
    }
    if !e.attachments.is_empty() {
        o.arr("attachment", |a| {
            for n in &e.attachments {
                a.str(n);
            }
        });
    }
    if !e.urls.is_empty() {
        o.bool("has_ipv6_url", e.url_ipv4);
        o.bool("has_ipv4_url", e.url_ipv6);
        o.bool("has_exe_url", e.url_exe);
        o.arr("url", |a| {
            for u in e.urls.iter().rev() {
                let u = if opts.log_url_scheme {
                    u.as_slice()
                } else {
                    strip_scheme(u)
                };
                a.str(&String::from_utf8_lossy(u));
            }
        });
    }
}

/// Writes an `smtp` record (one JSON object, no newline) into `buf`.
pub fn write_smtp(buf: &mut Vec<u8>, r: &SmtpRecord<'_>) {
    let mut o = Obj::new(buf);
    Header {
        event_type: "smtp",
        ..r.header
    }
    .write(&mut o);
    if let Some(p) = r.pkt_src {
        o.str("pkt_src", p);
    }
    if let Some(m) = r.metadata {
        o.raw("metadata", m);
    }
    o.u64("tx_id", r.tx.tx_id);
    o.obj("smtp", |s| write_smtp_fields(s, r.tx));
    // Suricata 7.0.10 does not MIME-decode BDAT messages: no `email` object for them.
    if r.tx.email.is_some() && !r.tx.bdat {
        o.obj("email", |e| write_email_fields(e, r.tx, &r.opts));
    }
    o.end();
}

#[cfg(test)]
mod tests {
    use super::*;
    use sekimori_app::smtp::MimeInfo;

    #[test]
    fn writes_reference_shape() {
        let tx = SmtpTx {
            tx_id: 0,
            helo: Some(b"linuxbox".to_vec()),
            mail_from: Some(b"<g@gmail.com>".to_vec()),
            rcpt_to: vec![b"<a@linuxbox>".to_vec()],
            email: Some(MimeInfo {
                status: "PARSE_DONE",
                from: Some(b"Gavin <g@gmail.com>".to_vec()),
                to: Some(b"a@linuxbox, <b@c>".to_vec()),
                subject_decoded: Some("s".into()),
                attachments: vec!["EICAR-Test-File".into()],
                urls: vec![b"http://google.com".to_vec(), b"ftp://1.2.3.4".to_vec()],
                url_ipv4: true,
                ..MimeInfo::default()
            }),
            ..SmtpTx::default()
        };
        let mut buf = Vec::new();
        let opts = SmtpLogOptions {
            header_fields: false,
            log_url_scheme: true,
        };
        write_email_fields(&mut Obj::new(&mut buf), &tx, &opts);
        let mut full = Vec::new();
        write_smtp(
            &mut full,
            &SmtpRecord {
                header: Header::default(),
                pkt_src: Some("wire/pcap"),
                metadata: None,
                tx: &tx,
                opts,
            },
        );
        let text = String::from_utf8(full.clone()).unwrap();
        assert!(
            text.ends_with(r#""pkt_src":"wire/pcap","tx_id":0,"smtp":{"helo":"linuxbox","mail_from":"<g@gmail.com>","rcpt_to":["<a@linuxbox>"]},"email":{"status":"PARSE_DONE","from":"Gavin <g@gmail.com>","to":["a@linuxbox","<b@c>"],"attachment":["EICAR-Test-File"],"has_ipv6_url":true,"has_ipv4_url":false,"has_exe_url":false,"url":["ftp://1.2.3.4","http://google.com"]}}"#),
            "{text}"
        );
        let v: serde_json::Value = serde_json::from_slice(&full).unwrap();
        assert_eq!(v["event_type"], "smtp");
        assert_eq!(v["tx_id"], 0);
        // Without an email object, and with header fields on.
        let bare = SmtpTx {
            tx_id: 1,
            helo: Some(b"x".to_vec()),
            ..SmtpTx::default()
        };
        let mut b2 = Vec::new();
        write_smtp(
            &mut b2,
            &SmtpRecord {
                header: Header::default(),
                pkt_src: None,
                metadata: None,
                tx: &bare,
                opts,
            },
        );
        let v2: serde_json::Value = serde_json::from_slice(&b2).unwrap();
        assert!(v2.get("email").is_none());
        let mut b3 = Vec::new();
        write_email_fields(
            &mut Obj::new(&mut b3),
            &tx,
            &SmtpLogOptions {
                header_fields: true,
                log_url_scheme: false,
            },
        );
        let s3 = String::from_utf8(b3).unwrap();
        assert!(s3.contains(r#""subject":"s""#), "{s3}");
        assert!(s3.contains(r#""url":["1.2.3.4","google.com"]"#), "{s3}");
    }
}

#[cfg(test)]
mod reference_tests {
    use super::*;
    use sekimori_app::replay::replay_pcap;
    use sekimori_app::{AppConfig, AppLayer, AppSink, AppTx, FileSink, FlowCtx, TxStage};

    #[derive(Default)]
    struct Collect(Vec<(u16, SmtpTx)>);
    impl FileSink for Collect {}
    impl AppSink for Collect {
        fn on_tx(&mut self, f: &FlowCtx<'_>, tx: AppTx<'_>, stage: TxStage) {
            if let (AppTx::Smtp(t), TxStage::Complete) = (tx, stage) {
                self.0.push((f.sport, t.clone()));
            }
        }
    }

    /// The `"smtp":{...}` (and `"email":{...}`) tail of our record equals the reference's,
    /// byte for byte, for every reference `smtp` record.
    #[test]
    fn smtp_email_objects_match_reference_bytes() {
        let Some(data) = sekimori_fixtures::shared::path("data") else {
            return;
        };
        let eve = data.join("suricata-verify-eve");
        let sv = data.join("suricata-verify/tests");
        let idx = std::fs::read_to_string(eve.join("INDEX.tsv")).unwrap_or_default();
        let (mut total, mut same) = (0, 0);
        let mut diffs = Vec::new();
        for line in idx.lines().skip(1) {
            let cols: Vec<&str> = line.split('\t').collect();
            let (Some(test), Some(cmd)) = (cols.first(), cols.last()) else {
                continue;
            };
            let Some(i) = cmd.find(" -r $SV/") else {
                continue;
            };
            let pcap = sv.join(cmd[i + 8..].split(' ').next().unwrap_or(""));
            let text = std::fs::read_to_string(eve.join(test).join("eve.json")).unwrap_or_default();
            let refs: Vec<&str> = text
                .lines()
                .filter(|l| l.contains("\"event_type\":\"smtp\""))
                .collect();
            if refs.is_empty() {
                continue;
            }
            let mut layer = AppLayer::new(AppConfig::default()).unwrap();
            let mut c = Collect::default();
            let _ = replay_pcap(&pcap, &mut layer, &mut c);
            let opts = SmtpLogOptions {
                header_fields: false,
                log_url_scheme: *test == "smtp-extract-url-schemes",
            };
            for r in refs {
                total += 1;
                let v: serde_json::Value = serde_json::from_str(r).unwrap();
                let sport = v["src_port"].as_u64().unwrap_or(0) as u16;
                let id = v["tx_id"].as_u64().unwrap_or(0);
                let Some((_, tx)) = c.0.iter().find(|(p, t)| *p == sport && t.tx_id == id) else {
                    diffs.push(format!("{test}: no tx {id}"));
                    continue;
                };
                let mut buf = Vec::new();
                write_smtp(
                    &mut buf,
                    &SmtpRecord {
                        header: Header::default(),
                        pkt_src: None,
                        metadata: None,
                        tx,
                        opts,
                    },
                );
                let ours = String::from_utf8(buf).unwrap();
                let tail = |s: &str| s.find("\"smtp\":").map(|i| s[i..].to_string());
                if tail(&ours) == tail(r) {
                    same += 1;
                } else {
                    diffs.push(format!(
                        "{test} tx {id}: ours {:?} ref {:?}",
                        tail(&ours),
                        tail(r)
                    ));
                }
            }
        }
        eprintln!("smtp eve: {same}/{total} smtp+email objects byte-identical");
        for d in &diffs {
            eprintln!("{d}");
        }
        // smtp-raw-extraction: Suricata's MIME decoder is off there (raw-extraction: yes).
        assert!(
            diffs
                .iter()
                .all(|d| d.starts_with("smtp-raw-extraction tx 0")),
            "{diffs:?}"
        );
    }
}
