//! Prints what the app layer sees in a capture: `cargo run -p sekimori-app --example app_dump -- FILE`.

use sekimori_app::replay::replay_pcap;
use sekimori_app::{AppConfig, AppEvent, AppLayer, AppSink, AppTx, FileSink, FlowCtx, TxStage};

struct Print;
impl FileSink for Print {}
impl AppSink for Print {
    fn on_tx(&mut self, f: &FlowCtx<'_>, tx: AppTx<'_>, stage: TxStage) {
        if stage != TxStage::Complete {
            return;
        }
        match tx {
            AppTx::Http(t) => {
                println!(
                    "flow {} {}:{} tx {} req={:?} status={:?} len={} ev={:?}",
                    f.id,
                    f.src.to_ip(),
                    f.sport,
                    t.tx_id,
                    String::from_utf8_lossy(t.request_head_raw()),
                    t.status_raw().map(String::from_utf8_lossy),
                    t.response_message_len,
                    t.events().map(|e| e.name()).collect::<Vec<_>>()
                );
                println!(
                    "   res head={:?}",
                    String::from_utf8_lossy(t.response_head_raw())
                );
            }
            AppTx::Dns(t) => println!(
                "flow {} dns tx {} {:?} {:?}",
                f.id,
                t.tx_id,
                t.dir,
                t.message.query_name(0).map(String::from_utf8_lossy)
            ),
            _ => {}
        }
    }
    fn on_event(&mut self, f: &FlowCtx<'_>, e: &AppEvent) {
        println!("flow {} event {:?}", f.id, e);
    }
}

fn main() {
    let mut layer = AppLayer::new(AppConfig::default()).expect("config");
    for p in std::env::args().skip(1) {
        match replay_pcap(std::path::Path::new(&p), &mut layer, &mut Print) {
            Ok(st) => println!("{st:?}"),
            Err(e) => eprintln!("{p}: {e}"),
        }
    }
    println!("{:#?}", layer.stats());
}
