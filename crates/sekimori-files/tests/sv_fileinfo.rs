//! Replays the suricata-verify captures whose reference EVE output has HTTP `fileinfo` records
//! through the protocol layer with a [`FileTracker`] as the file sink, and compares each file
//! (filename, size, md5, sha1, sha256, state, gaps; magic counted separately) with what
//! Suricata 7.0.10 wrote. The `fileinfo` object is produced by `sekimori_eve::fileinfo` and
//! compared as JSON.

use std::path::{Path, PathBuf};

use sekimori_app::replay::replay_pcap;
use sekimori_app::{
    AppConfig, AppLayer, AppSink, AppTx, FileClose, FileId, FileOpen, FileSink, FlowCtx, TxStage,
};
use sekimori_eve::fileinfo::{FileInfo, write_fileinfo_fields};
use sekimori_eve::json::Obj;
use sekimori_files::{FileConfig, FileTracker, TrackedFile};
use serde_json::Value;

struct Sink(FileTracker);
impl FileSink for Sink {
    fn file_open(&mut self, f: &FlowCtx<'_>, o: &FileOpen<'_>) {
        self.0.file_open(f, o);
    }
    fn file_data(&mut self, f: &FlowCtx<'_>, id: FileId, d: &[u8]) {
        self.0.file_data(f, id, d);
    }
    fn file_close(&mut self, f: &FlowCtx<'_>, id: FileId, e: &FileClose) {
        self.0.file_close(f, id, e);
    }
}
impl AppSink for Sink {
    fn on_tx(&mut self, _f: &FlowCtx<'_>, _tx: AppTx<'_>, _s: TxStage) {}
}

fn fileinfo_json(t: &TrackedFile) -> Value {
    let mut buf = Vec::new();
    let mut o = Obj::new(&mut buf);
    o.obj("fileinfo", |x| {
        write_fileinfo_fields(
            x,
            &FileInfo {
                filename: &t.name,
                magic: t.magic.as_deref(),
                gaps: t.gaps,
                state: t.state.as_str(),
                md5: t.md5.as_ref().map(|d| &d[..]),
                sha1: t.sha1.as_ref().map(|d| &d[..]),
                sha256: t.sha256.as_ref().map(|d| &d[..]),
                size: t.size,
                tx_id: t.tx_id,
                ..FileInfo::default()
            },
        )
    });
    o.end();
    let v: Value = serde_json::from_slice(&buf).expect("valid JSON");
    v["fileinfo"].clone()
}

/// (test name, pcap path) of every test whose reference has HTTP fileinfo records.
fn http_file_tests(eve_root: &Path, sv: &Path) -> Vec<(String, PathBuf, Vec<Value>)> {
    let index = std::fs::read_to_string(eve_root.join("INDEX.tsv")).expect("INDEX.tsv");
    let mut out = Vec::new();
    for run in sekimori_fixtures::shared::parse_index(&index, sv, eve_root) {
        let Ok(eve) = std::fs::read_to_string(&run.eve) else {
            continue;
        };
        let refs: Vec<Value> = eve
            .lines()
            .filter(|l| l.contains(r#""event_type":"fileinfo""#))
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter(|v| v["app_proto"] == "http")
            .collect();
        if !refs.is_empty() {
            out.push((run.test, run.pcap, refs));
        }
    }
    out
}

const KEYS: [&str; 7] = ["filename", "size", "md5", "sha1", "sha256", "state", "gaps"];

#[test]
fn http_files_match_suricata() {
    let Some(sv) = sekimori_fixtures::shared::suricata_verify_tests() else {
        return;
    };
    let Some(eve_root) = sekimori_fixtures::shared::path("data/suricata-verify-eve") else {
        return;
    };
    let tests = http_file_tests(&eve_root, &sv);
    assert!(tests.len() >= 40, "found only {} tests", tests.len());
    let (mut total, mut agree, mut magic_total, mut magic_agree, mut missing, mut extra) =
        (0, 0, 0, 0, 0, 0);
    for (test, pcap, refs) in &tests {
        let mut layer = AppLayer::new(AppConfig::default()).expect("layer");
        let mut sink = Sink(FileTracker::new(FileConfig::default()).expect("tracker"));
        if let Err(e) = replay_pcap(pcap, &mut layer, &mut sink) {
            println!("{test}: replay failed: {e}");
            missing += refs.len();
            total += refs.len();
            continue;
        }
        sink.0.close_all();
        let mut ours: Vec<Option<Value>> = sink
            .0
            .drain_closed()
            .map(|t| Some(fileinfo_json(&t)))
            .collect();
        for r in refs {
            total += 1;
            let want = &r["fileinfo"];
            // Pair by filename: the one with the same content first, then the same tx_id,
            // then the first unused.
            let same = |o: &Option<Value>, k: &str| o.as_ref().is_some_and(|o| o[k] == want[k]);
            let named = |o: &Option<Value>| same(o, "filename");
            let pos = ours
                .iter()
                .position(|o| named(o) && same(o, "sha256"))
                .or_else(|| ours.iter().position(|o| named(o) && same(o, "tx_id")))
                .or_else(|| ours.iter().position(named));
            let Some(got) = pos.and_then(|p| ours.get_mut(p)).and_then(Option::take) else {
                missing += 1;
                println!("{test}: MISSING {}", want);
                continue;
            };
            let diffs: Vec<String> = KEYS
                .iter()
                .filter(|k| want.get(**k).is_some() && got[**k] != want[**k])
                .map(|k| format!("{k}: ours {} ref {}", got[*k], want[*k]))
                .collect();
            if diffs.is_empty() {
                agree += 1;
            } else {
                println!("{test}: {} DIFF {}", want["filename"], diffs.join("; "));
            }
            if let Some(m) = want.get("magic") {
                magic_total += 1;
                if got["magic"] == *m {
                    magic_agree += 1;
                } else {
                    println!("{test}: magic ours {} ref {}", got["magic"], m);
                }
            }
        }
        for o in ours.into_iter().flatten() {
            extra += 1;
            println!("{test}: EXTRA {} size {}", o["filename"], o["size"]);
        }
    }
    println!(
        "fileinfo agreement: {agree}/{total} files (missing {missing}, extra {extra}); \
         magic {magic_agree}/{magic_total}"
    );
    // Floors measured on this data (see the printed differences for the reasons).
    assert!(agree >= 85, "agreement {agree}/{total}");
    assert!(magic_agree >= 85, "magic {magic_agree}/{magic_total}");
}
