//! Arbitrary bytes as a file: the first byte picks a name (exe/zip/doc/none) and a small cap,
//! the rest is fed in pieces; finish, then run the mail and download checks on the report.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sekimori_app::FileKind;
use sekimori_app::smtp::MimeInfo;
use sekimori_inspect::{DownloadCtx, FileMeta, InspectConfig, Inspector};

fuzz_target!(|data: &[u8]| {
    let Some((&sel, body)) = data.split_first() else {
        return;
    };
    let cfg = InspectConfig {
        max_file_size: if sel & 0x80 != 0 { 4096 } else { 1 << 20 },
        max_unpacked_bytes: 4 << 20,
        max_archive_entries: 200,
        home_domains: vec!["nenkin.go.jp".into()],
        ..InspectConfig::default()
    };
    let Ok(i) = Inspector::new(&cfg) else {
        return;
    };
    let name = [
        "a.exe",
        "x.zip",
        "y.doc.exe",
        "",
        "\u{202e}gpj.scr",
        "/p%20.pdf",
    ][usize::from(sel & 7) % 6];
    let mut s = i.file(FileMeta::new(name, "image/jpeg"));
    for ch in body.chunks(usize::from(sel & 0x3f) + 1) {
        s.feed(ch);
    }
    let r = s.finish(None);
    let text =
        String::from_utf8_lossy(body.get(..64.min(body.len())).unwrap_or_default()).into_owned();
    let info = MimeInfo {
        from: Some(body.get(..32.min(body.len())).unwrap_or_default().to_vec()),
        reply_to: Some(body.iter().rev().take(32).copied().collect()),
        links: vec![(
            body.get(..48.min(body.len())).unwrap_or_default().to_vec(),
            text,
        )],
        attachments: vec![r.filename.clone()],
        ..MimeInfo::default()
    };
    let _ = i.mail(&info, std::slice::from_ref(&r));
    let ctx = DownloadCtx {
        kind: FileKind::ResponseBody,
        host: std::str::from_utf8(body.get(..16.min(body.len())).unwrap_or_default()).ok(),
        first_seen: sel & 0x40 != 0,
    };
    let _ = i.download(&ctx, &r);
});
