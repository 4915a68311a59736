//! Replays the suricata-verify captures that have `smb` records in Suricata 7.0.10's reference
//! EVE output and compares command, status, filename and share record by record.

use std::path::PathBuf;

use crate::replay::replay_pcap;
use crate::smb::{SmbTx, status_name};
use crate::{AppConfig, AppLayer, AppSink, AppTx, FileSink, FlowCtx, TxStage};

#[derive(Default)]
struct Collect {
    smb: Vec<SmbTx>,
}
impl FileSink for Collect {}
impl AppSink for Collect {
    fn on_tx(&mut self, _f: &FlowCtx<'_>, tx: AppTx<'_>, stage: TxStage) {
        if let (AppTx::Smb(t), TxStage::Complete) = (tx, stage) {
            self.smb.push(t.clone());
        }
    }
}

/// (test, pcap, eve.json) of the reference tests with smb records.
fn tests() -> Vec<(String, PathBuf, PathBuf)> {
    sekimori_fixtures::shared::reference_runs()
        .into_iter()
        .filter(|r| {
            std::fs::read_to_string(&r.eve)
                .is_ok_and(|s| s.contains("\"event_type\":\"smb\""))
        })
        .map(|r| (r.test, r.pcap, r.eve))
        .collect()
}

/// Field values as EVE writes them (share of a TREE_CONNECT also under `named_pipe`).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Facts {
    command: String,
    status: Option<String>,
    filename: Option<String>,
    share: Option<String>,
}

fn ours(t: &SmbTx) -> Facts {
    let s = |v: &[u8]| String::from_utf8_lossy(v).into_owned();
    Facts {
        command: t.command_name().unwrap_or("?").to_string(),
        status: t
            .status
            .map(|x| status_name(x).map_or_else(|| x.to_string(), str::to_string)),
        filename: match t.command {
            5 if t.filename.is_empty() => Some("<share_root>".into()),
            5 => Some(s(&t.filename)),
            8 | 9 if t.file_dir.is_some() => Some(s(&t.filename)),
            _ => None,
        },
        share: match t.command {
            3 => Some(s(&t.share)),
            8 | 9 if t.file_dir.is_some() => Some(s(&t.share)),
            _ => None,
        },
    }
}

fn reference(v: &serde_json::Value) -> Facts {
    let g = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_string);
    Facts {
        command: g("command").unwrap_or_default(),
        status: g("status"),
        filename: g("filename"),
        share: g("share").or_else(|| g("named_pipe")),
    }
}

#[test]
fn reference_smb_records() {
    let tests = tests();
    if tests.is_empty() {
        eprintln!("shared data not found: skipped");
        return;
    }
    let (mut total, mut cmd_ok, mut status_ok, mut file_ok, mut share_ok) = (0, 0, 0, 0, 0);
    let mut smb2_total = 0;
    let mut smb2_all = 0;
    for (name, pcap, eve) in &tests {
        let mut layer = AppLayer::new(AppConfig::default()).expect("config");
        let mut sink = Collect::default();
        if replay_pcap(pcap, &mut layer, &mut sink).is_err() {
            eprintln!("{name}: pcap unreadable");
            continue;
        }
        let mut refs: Vec<serde_json::Value> = std::fs::read_to_string(eve)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|v| v["event_type"] == "smb")
            .map(|v| v["smb"].clone())
            .collect();
        refs.sort_by_key(|v| v["id"].as_u64());
        let mut mine = sink.smb.clone();
        mine.sort_by_key(|t| t.tx_id);
        let mut used = vec![false; mine.len()];
        for r in &refs {
            let rf = reference(r);
            total += 1;
            let smb2 =
                rf.command.starts_with("SMB2") || r["dialect"].as_str() != Some("NT LM 0.12");
            if smb2 {
                smb2_total += 1;
            }
            let found = mine
                .iter()
                .enumerate()
                .find(|(i, t)| !used[*i] && ours(t).command == rf.command);
            let Some((i, t)) = found else {
                eprintln!("{name}: id {} {}: no transaction", r["id"], rf.command);
                continue;
            };
            used[i] = true;
            cmd_ok += 1;
            let o = ours(t);
            let mut all = true;
            if o.status == rf.status {
                status_ok += 1;
            } else {
                all = false;
                eprintln!(
                    "{name}: id {} status {:?} vs {:?}",
                    r["id"], o.status, rf.status
                );
            }
            if o.filename == rf.filename {
                file_ok += 1;
            } else {
                all = false;
                eprintln!(
                    "{name}: id {} filename {:?} vs {:?}",
                    r["id"], o.filename, rf.filename
                );
            }
            if o.share == rf.share {
                share_ok += 1;
            } else {
                all = false;
                eprintln!(
                    "{name}: id {} share {:?} vs {:?}",
                    r["id"], o.share, rf.share
                );
            }
            if smb2 && all {
                smb2_all += 1;
            }
        }
        let extra: Vec<String> = mine
            .iter()
            .zip(&used)
            .filter(|(_, u)| !**u)
            .map(|(t, _)| ours(t).command)
            .collect();
        if !extra.is_empty() {
            eprintln!("{name}: transactions not in the reference: {extra:?}");
        }
    }
    eprintln!(
        "smb agreement over {total} reference records: command {cmd_ok}, status {status_ok}, \
         filename {file_ok}, share {share_ok}; SMB2 records fully agreeing {smb2_all}/{smb2_total}"
    );
    assert!(total >= 40, "reference records found: {total}");
    // Every SMB2-dialect record (smb2-03-rule) is matched on all four fields, and the three
    // SMB1 NEGOTIATE records too (the rest of SMB1 is not parsed).
    assert_eq!(smb2_all, smb2_total);
    assert!(cmd_ok >= 23, "{cmd_ok}");
}
