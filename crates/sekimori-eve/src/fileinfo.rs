//! The `fileinfo` record and object as Suricata 7 writes them (with `force-magic` and
//! `force-hash`): `filename`, `sid` (rules that matched the file), `magic`, `gaps`, `state`,
//! `md5`, `sha1`, `sha256`, `stored`, `file_id` (stored files), `size`, `start`/`end` (HTTP
//! Content-Range), `tx_id`. The record carries the app-layer object of the transaction (`http`,
//! `smtp` + `email`, ...) before `app_proto` and `fileinfo`; the caller writes it through a closure.
//!
//! The input is a borrowed view so that any file tracker can be logged without copying.

use crate::http::push_bytes_string;
use crate::json::Obj;
use crate::records::Header;

/// One file as `fileinfo` describes it.
#[derive(Clone, Copy, Debug, Default)]
pub struct FileInfo<'a> {
    /// File name bytes (written as Suricata renders protocol bytes).
    pub filename: &'a [u8],
    /// Signature ids of rules that matched the file (`sid`, omitted when empty).
    pub sids: &'a [u32],
    /// Content type description, when determined.
    pub magic: Option<&'a str>,
    /// Bytes were missing.
    pub gaps: bool,
    /// `CLOSED`, `TRUNCATED`, `ERROR` (or `OPEN`/`UNKNOWN`).
    pub state: &'a str,
    /// Raw MD5 digest, when computed.
    pub md5: Option<&'a [u8]>,
    /// Raw SHA-1 digest, when computed.
    pub sha1: Option<&'a [u8]>,
    /// Raw SHA-256 digest, when computed.
    pub sha256: Option<&'a [u8]>,
    /// The file was written to the filestore.
    pub stored: bool,
    /// The file is to be stored but is not yet (`storing`, written only when true: Suricata
    /// shows it in an alert's `files` array).
    pub storing: bool,
    /// `file_id` (Suricata writes it for stored files).
    pub file_id: Option<u64>,
    /// Bytes seen.
    pub size: u64,
    /// Byte range of a partial HTTP response (`start`, `end`), from Content-Range.
    pub range: Option<(u64, u64)>,
    /// Transaction id.
    pub tx_id: u64,
}

fn push_hex(buf: &mut Vec<u8>, d: &[u8]) {
    const H: &[u8; 16] = b"0123456789abcdef";
    buf.push(b'"');
    for &b in d {
        buf.push(H[usize::from(b >> 4)]);
        buf.push(H[usize::from(b & 15)]);
    }
    buf.push(b'"');
}

/// Writes the fields of the `fileinfo` object into `o` (used standalone and embedded in alerts).
pub fn write_fileinfo_fields(o: &mut Obj<'_>, f: &FileInfo<'_>) {
    o.raw_with("filename", |b| push_bytes_string(b, f.filename));
    if !f.sids.is_empty() {
        o.raw_with("sid", |b| {
            b.push(b'[');
            for (i, s) in f.sids.iter().enumerate() {
                if i > 0 {
                    b.push(b',');
                }
                b.extend_from_slice(itoa::Buffer::new().format(*s).as_bytes());
            }
            b.push(b']');
        });
    }
    if let Some(m) = f.magic {
        o.str("magic", m);
    }
    o.bool("gaps", f.gaps);
    o.str("state", f.state);
    // As Suricata: md5 and sha1 only for a file that closed normally, sha256 always.
    let closed = f.state == "CLOSED";
    for (k, d) in [("md5", f.md5.filter(|_| closed)), ("sha1", f.sha1.filter(|_| closed)), ("sha256", f.sha256)] {
        if let Some(d) = d {
            o.raw_with(k, |b| push_hex(b, d));
        }
    }
    o.bool("stored", f.stored);
    if f.storing {
        o.bool("storing", true);
    }
    if let Some(id) = f.file_id {
        o.u64("file_id", id);
    }
    o.u64("size", f.size);
    if let Some((s, e)) = f.range {
        o.u64("start", s);
        o.u64("end", e);
    }
    o.u64("tx_id", f.tx_id);
}

/// The JSON array of an alert's `files` (Suricata writes the files of the alert's transaction
/// in the packet's direction as `fileinfo` objects, with `storing` when a store is pending).
/// Returns the array text, to be embedded with [`Obj::raw`].
pub fn files_array(files: &[FileInfo<'_>]) -> Vec<u8> {
    let mut buf = Vec::new();
    {
        let mut o = Obj::new(&mut buf);
        o.arr("files", |a| {
            for f in files {
                a.obj(|x| write_fileinfo_fields(x, f));
            }
        });
        o.end();
    }
    // `{"files":[...]}` -> `[...]`
    let start = b"{\"files\":".len();
    buf.get(start..buf.len().saturating_sub(1))
        .map(<[u8]>::to_vec)
        .unwrap_or_default()
}

/// Everything a `fileinfo` record says besides the app-layer object.
#[derive(Clone, Copy, Debug)]
pub struct FileInfoRecord<'a> {
    /// Common header (`event_type` is forced to `fileinfo`); endpoints in the file's direction
    /// (Suricata writes a download with the server as `src`).
    pub header: Header<'a>,
    /// `pkt_src`, when known.
    pub pkt_src: Option<&'a str>,
    /// Already-serialised JSON for `metadata` (flowbits, ...), when any.
    pub metadata: Option<&'a [u8]>,
    /// `app_proto` (`http`, `smtp`, ...), when known.
    pub app_proto: Option<&'a str>,
    /// The file.
    pub file: FileInfo<'a>,
}

/// Writes a `fileinfo` record (one JSON object, no newline) into `buf`. `app` writes the
/// app-layer object(s) of the transaction, e.g.
/// `|o| { o.obj("http", |h| write_http_fields(h, tx, &opts)); }`, or nothing.
pub fn write_fileinfo(buf: &mut Vec<u8>, r: &FileInfoRecord<'_>, app: impl FnOnce(&mut Obj<'_>)) {
    let mut o = Obj::new(buf);
    Header {
        event_type: "fileinfo",
        ..r.header
    }
    .write(&mut o);
    if let Some(p) = r.pkt_src {
        o.str("pkt_src", p);
    }
    if let Some(m) = r.metadata {
        o.raw("metadata", m);
    }
    app(&mut o);
    if let Some(a) = r.app_proto {
        o.str("app_proto", a);
    }
    o.obj("fileinfo", |f| write_fileinfo_fields(f, &r.file));
    o.end();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::Endpoints;
    use sekimori_capture::Timestamp;
    use sekimori_decode::Addr;

    #[test]
    fn matches_suricata_record() {
        // flowbit-oring/eve.json, the testmyids download.
        let md5 = [
            0xc7, 0xd0, 0xa1, 0xea, 0x4a, 0xb7, 0x3f, 0xa3, 0xe7, 0xcd, 0x72, 0xfc, 0x1e, 0xb5,
            0xb4, 0x92,
        ];
        let r = FileInfoRecord {
            header: Header {
                ts: Timestamp(1_468_449_727_573_103_000),
                flow_id: Some(2019294714312732),
                pcap_cnt: Some(9),
                event_type: "x",
                vlan: &[],
                endpoints: Some(Endpoints {
                    src: Addr::v4([82, 165, 177, 154]),
                    sport: Some(80),
                    dst: Addr::v4([10, 16, 1, 11]),
                    dport: Some(54186),
                    proto: 6,
                }),
            },
            pkt_src: Some("wire/pcap"),
            metadata: Some(br#"{"flowbits":["fb1"]}"#),
            app_proto: Some("http"),
            file: FileInfo {
                filename: b"/",
                magic: Some("ASCII text"),
                state: "CLOSED",
                md5: Some(&md5),
                size: 39,
                ..FileInfo::default()
            },
        };
        let mut buf = Vec::new();
        write_fileinfo(&mut buf, &r, |o| {
            o.raw("http", br#"{"hostname":"www.testmyids.com"}"#);
        });
        assert_eq!(
            std::str::from_utf8(&buf).unwrap(),
            concat!(
                r#"{"timestamp":"2016-07-13T22:42:07.573103+0000","flow_id":2019294714312732,"#,
                r#""pcap_cnt":9,"event_type":"fileinfo","src_ip":"82.165.177.154","src_port":80,"#,
                r#""dest_ip":"10.16.1.11","dest_port":54186,"proto":"TCP","pkt_src":"wire/pcap","#,
                r#""metadata":{"flowbits":["fb1"]},"http":{"hostname":"www.testmyids.com"},"#,
                r#""app_proto":"http","fileinfo":{"filename":"/","magic":"ASCII text","#,
                r#""gaps":false,"state":"CLOSED","md5":"c7d0a1ea4ab73fa3e7cd72fc1eb5b492","#,
                r#""stored":false,"size":39,"tx_id":0}}"#
            )
        );
    }

    #[test]
    fn files_array_of_alerts() {
        let f = FileInfo {
            filename: b"\\eicar",
            state: "CLOSED",
            size: 68,
            tx_id: 6,
            storing: true,
            ..FileInfo::default()
        };
        let a = files_array(&[
            f,
            FileInfo {
                filename: b"b",
                state: "OPEN",
                ..FileInfo::default()
            },
        ]);
        assert_eq!(
            std::str::from_utf8(&a).unwrap(),
            concat!(
                r#"[{"filename":"\\eicar","gaps":false,"state":"CLOSED","stored":false,"storing":true,"#,
                r#""size":68,"tx_id":6},{"filename":"b","gaps":false,"state":"OPEN","stored":false,"#,
                r#""size":0,"tx_id":0}]"#
            )
        );
        assert_eq!(files_array(&[]), b"[]");
    }

    #[test]
    fn optional_fields_in_order() {
        let mut buf = Vec::new();
        let d = [0xabu8; 2];
        let f = FileInfo {
            filename: b"a\xffb",
            sids: &[1, 22],
            magic: None,
            gaps: true,
            state: "TRUNCATED",
            md5: Some(&d),
            sha1: Some(&d),
            sha256: Some(&d),
            stored: true,
            storing: true,
            file_id: Some(3),
            size: 9,
            range: Some((0, 8)),
            tx_id: 4,
        };
        let mut o = Obj::new(&mut buf);
        o.obj("fileinfo", |x| write_fileinfo_fields(x, &f));
        o.end();
        assert_eq!(
            std::str::from_utf8(&buf).unwrap(),
            concat!(
                r#"{"fileinfo":{"filename":"a\\xffb","sid":[1,22],"gaps":true,"#,
                r#""state":"TRUNCATED","sha256":"abab","#,
                r#""stored":true,"storing":true,"file_id":3,"size":9,"start":0,"end":8,"tx_id":4}}"#
            )
        );
        let v: serde_json::Value = serde_json::from_slice(&buf).unwrap();
        assert_eq!(v["fileinfo"]["size"], 9);
    }
}
