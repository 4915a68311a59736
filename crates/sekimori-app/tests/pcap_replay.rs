//! End-to-end checks on real captures of the suricata-verify subset: the parsers see what
//! Suricata 7 saw (values taken from the reference EVE output of those tests).

use std::path::PathBuf;

use sekimori_app::replay::replay_pcap;
use sekimori_app::{
    AppConfig, AppEvent, AppLayer, AppSink, AppTx, DnsTx, FileSink, FlowCtx, HttpTx, TxStage,
};

fn sv_root() -> Option<PathBuf> {
    sekimori_fixtures::shared::suricata_verify_tests()
}

#[derive(Default)]
struct Rec {
    http: Vec<(u16, HttpTx)>,
    dns: Vec<(u16, DnsTx)>,
    events: Vec<AppEvent>,
    files: Vec<(Vec<u8>, u64)>,
}
impl FileSink for Rec {
    fn file_open(&mut self, _f: &FlowCtx<'_>, o: &sekimori_app::FileOpen<'_>) {
        self.files.push((o.name.to_vec(), 0));
    }
    fn file_data(&mut self, _f: &FlowCtx<'_>, _id: sekimori_app::FileId, d: &[u8]) {
        if let Some(l) = self.files.last_mut() {
            l.1 += d.len() as u64;
        }
    }
}
impl AppSink for Rec {
    fn on_tx(&mut self, f: &FlowCtx<'_>, tx: AppTx<'_>, stage: TxStage) {
        if stage == TxStage::Complete {
            match tx {
                AppTx::Http(t) => self.http.push((f.sport, t.clone())),
                AppTx::Dns(t) => self.dns.push((f.sport, t.clone())),
                _ => {}
            }
        }
    }
    fn on_event(&mut self, _f: &FlowCtx<'_>, e: &AppEvent) {
        self.events.push(*e);
    }
}

fn run(test: &str, pcap: &str, cfg: AppConfig) -> Option<(Rec, AppLayer)> {
    let root = sv_root()?;
    let mut layer = AppLayer::new(cfg).unwrap();
    let mut rec = Rec::default();
    replay_pcap(&root.join(test).join(pcap), &mut layer, &mut rec).unwrap();
    Some((rec, layer))
}

#[test]
fn testmyids_http() {
    let Some((rec, layer)) = run("flowbit-oring", "input.pcap", AppConfig::default()) else {
        return;
    };
    assert_eq!(rec.http.len(), 1);
    let t = &rec.http[0].1;
    assert_eq!(t.host(), Some(&b"www.testmyids.com"[..]));
    assert_eq!(t.uri_raw(), Some(&b"/"[..]));
    assert_eq!(t.user_agent(), Some(&b"curl/7.43.0"[..]));
    assert_eq!(t.content_type(), Some(&b"text/html"[..]));
    assert_eq!(t.status(), Some(200));
    assert_eq!(t.response_message_len, 39);
    assert_eq!(
        t.response_body(),
        b"uid=0(root) gid=0(root) groups=0(root)\n"
    );
    assert_eq!(layer.stats().detected_http, 1);
}

#[test]
fn evader_chunked_length_counts_framing() {
    // Suricata logs length 141 for the chunked EICAR and 68 for the plain one.
    let Some((rec, _)) = run(
        "http-evader/http-evader-000",
        "input.pcap",
        AppConfig::default(),
    ) else {
        return;
    };
    let t = &rec
        .http
        .iter()
        .find(|(_, t)| t.uri_raw() == Some(&b"/chunked/eicar.txt/chunked"[..]))
        .expect("tx")
        .1;
    assert_eq!(t.response_message_len, 141);
    assert!(
        t.response_body()
            .starts_with(b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR")
    );
    let Some((rec, _)) = run(
        "http-evader/http-evader-001",
        "input.pcap",
        AppConfig::default(),
    ) else {
        return;
    };
    let t = &rec
        .http
        .iter()
        .find(|(_, t)| t.uri_raw() == Some(&b"/chunked/eicar.txt/clen"[..]))
        .expect("tx")
        .1;
    assert_eq!(t.response_message_len, 68);
}

#[test]
fn dns_udp_txt_and_z_flag() {
    let Some((rec, _)) = run("dns/v2/dns-udp-eve-txt", "input.pcap", AppConfig::default()) else {
        return;
    };
    let first = &rec.dns[1].1;
    assert!(first.is_response());
    let m = &first.message;
    assert_eq!(m.query_name(0), Some(&b"google.com"[..]));
    let Some(sekimori_app::dns::RData::Txt(b)) = m.answers.first().map(|a| a.data) else {
        panic!("txt")
    };
    assert_eq!(m.bytes(b), b"v=spf1 include:_spf.google.com ~all");
    assert_eq!(first.request_tx_id, Some(0));
    let Some((rec, _)) = run("dns/v2/dns-z-bit", "input.pcap", AppConfig::default()) else {
        return;
    };
    assert_eq!(
        rec.events.iter().map(|e| e.name).collect::<Vec<_>>(),
        vec!["z_flag_set"]
    );
}

#[test]
fn dns_tcp_truncated_rname() {
    let mut cfg = AppConfig::default();
    cfg.dns.tcp_ports.push(1053);
    let Some((rec, _)) = run("dns/dns-truncated-rname", "poc2.pcap", cfg) else {
        return;
    };
    let q = &rec.dns.first().expect("a query").1;
    assert_eq!(q.message.queries.len(), 1500);
    assert!(
        q.message
            .queries
            .iter()
            .all(|x| x.name.truncated && q.message.name(&x.name).len() == 1025)
    );
    assert!(
        rec.events
            .iter()
            .any(|e| e.name == "name_too_long" && e.tx_id == Some(0))
    );
}
