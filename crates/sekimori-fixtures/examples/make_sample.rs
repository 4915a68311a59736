//! Writes the bundled sample capture (see `sekimori_fixtures::sample`).
//!
//! `cargo run -p sekimori-fixtures --example make_sample [OUT]` (default `samples/sekimori-sample.pcap`)

fn main() -> std::io::Result<()> {
    let out = std::env::args().nth(1).unwrap_or_else(|| "samples/sekimori-sample.pcap".into());
    let t = sekimori_fixtures::sample::office_hour();
    t.write_pcap(&out)?;
    eprintln!("wrote {out}: {} packets", t.frames().len());
    Ok(())
}
