#![no_main]
//! Magic detection and the file tracker on arbitrary content and arbitrary chunking: never
//! panics, and the result does not depend on how the content is split.

use libfuzzer_sys::fuzz_target;
use sekimori_app::{
    AppProto, Direction, FileClose, FileId, FileKind, FileOpen, FileSink, FileStatus,
};
use sekimori_files::{FileConfig, FileTracker, TextStats, describe};

fuzz_target!(|data: &[u8]| {
    let Some((&split, body)) = data.split_first() else {
        return;
    };
    // Whole-buffer magic.
    let mut t = TextStats::default();
    t.update(body);
    let head = &body[..body.len().min(sekimori_files::magic::HEAD_LEN)];
    let whole = describe(head, &t);
    // Tracker with chunks of `split + 1` bytes.
    let flow = sekimori_fuzz::flow(80, 6);
    let mut tr = FileTracker::new(FileConfig {
        max_open: 2,
        ..FileConfig::default()
    })
    .unwrap();
    tr.file_open(
        &flow,
        &FileOpen {
            id: FileId(0),
            proto: AppProto::Http,
            tx_id: 0,
            dir: Direction::ToClient,
            kind: FileKind::ResponseBody,
            name: b"/f",
            field: b"",
            content_type: b"",
            declared_len: None,
        },
    );
    for c in body.chunks(usize::from(split) + 1) {
        tr.file_data(&flow, FileId(0), c);
    }
    tr.file_close(
        &flow,
        FileId(0),
        &FileClose {
            status: FileStatus::Complete,
            size: body.len() as u64,
        },
    );
    let f = tr.pop_closed().unwrap();
    assert_eq!(f.magic, whole);
    assert_eq!(f.size, body.len() as u64);
});
