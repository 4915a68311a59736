use super::*;
use crate::testutil::{Ng, classic, classic_record, temp_with};
use std::io::Cursor;

/// An owned copy of a delivered packet.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Got {
    ts: Timestamp,
    lt: LinkType,
    data: Vec<u8>,
    orig: u32,
    cnt: u64,
}

fn drain(src: &mut impl PacketSource) -> Vec<Got> {
    let mut v = Vec::new();
    while let Some(p) = src.next_packet().expect("no error") {
        v.push(Got {
            ts: p.ts,
            lt: p.linktype,
            data: p.data.to_vec(),
            orig: p.orig_len,
            cnt: p.pcap_cnt,
        });
    }
    v
}

fn payload(n: usize, seed: u8) -> Vec<u8> {
    (0..n)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

#[test]
fn classic_all_four_magics() {
    let a = payload(60, 1);
    let b = payload(1, 2);
    let c = payload(1514, 3);
    for (be, nanos) in [(false, false), (true, false), (false, true), (true, true)] {
        let frac = |x: u32| if nanos { x * 1000 + 7 } else { x };
        let bytes = classic(
            be,
            nanos,
            1,
            &[
                (1_700_000_000, frac(1), &a, 60),
                (1_700_000_000, frac(999_999), &b, 1),
                (1_700_000_001, frac(0), &c, 9000),
            ],
        );
        let tmp = temp_with(&bytes);
        let mut f = PcapFile::open(tmp.path()).expect("open");
        assert_eq!(
            f.format(),
            FileFormat::Pcap {
                big_endian: be,
                nanos,
                modified: false
            }
        );
        let got = drain(&mut f);
        assert_eq!(got.len(), 3, "be={be} nanos={nanos}");
        let ns = |x: u32| i64::from(frac(x)) * if nanos { 1 } else { 1000 };
        assert_eq!(got[0].ts, Timestamp(1_700_000_000 * 1_000_000_000 + ns(1)));
        assert_eq!(
            got[1].ts,
            Timestamp(1_700_000_000 * 1_000_000_000 + ns(999_999))
        );
        assert_eq!(got[2].ts, Timestamp(1_700_000_001 * 1_000_000_000 + ns(0)));
        assert_eq!(got[0].data, a);
        assert_eq!(got[1].data, b);
        assert_eq!(got[2].data, c);
        assert_eq!(got[2].orig, 9000);
        assert!(got.iter().all(|g| g.lt == LinkType::ETHERNET));
        assert_eq!(got.iter().map(|g| g.cnt).collect::<Vec<_>>(), vec![1, 2, 3]);
        assert_eq!(f.linktype(), Some(LinkType::ETHERNET));
        let s = f.stats();
        assert_eq!(
            (s.packets, s.bytes, s.files, s.truncated, s.errors),
            (3, 1575, 1, 0, 0)
        );
        assert_eq!(s.per_file.len(), 1);
        assert_eq!(s.per_file[0].truncated, None);
        assert_eq!(
            f.progress(),
            Progress {
                done: bytes.len() as u64,
                total: Some(bytes.len() as u64)
            }
        );
        // Stays at the end.
        assert!(f.next_packet().expect("ok").is_none());
    }
}

#[test]
fn classic_linktype_fcs_bits_are_masked() {
    let bytes = classic(false, false, 0x1000_0000 | 101, &[(1, 0, &[0x45; 20], 20)]);
    let mut f = PcapFile::from_reader(Cursor::new(bytes), "mem").expect("open");
    assert_eq!(drain(&mut f)[0].lt, LinkType::RAW);
}

#[test]
fn modified_pcap_format() {
    // Kuznetzov's format: 24-byte record headers (ifindex, protocol, pkt_type, pad).
    let mut bytes = classic(false, false, 1, &[]);
    bytes[0..4].copy_from_slice(&0xa1b2_cd34u32.to_le_bytes());
    for (i, d) in [payload(42, 9), payload(43, 8)].iter().enumerate() {
        classic_record(
            &mut bytes,
            false,
            10 + i as u32,
            5,
            d.len() as u32,
            d.len() as u32,
        );
        bytes.extend_from_slice(&[0u8; 8]);
        bytes.extend_from_slice(d);
    }
    let mut f = PcapFile::from_reader(Cursor::new(bytes), "mod").expect("open");
    let got = drain(&mut f);
    assert_eq!(got.len(), 2);
    assert_eq!(got[1].data, payload(43, 8));
    assert_eq!(got[1].ts, Timestamp::from_micros(11, 5));
}

#[test]
fn pcapng_two_interfaces_resolutions_and_block_kinds() {
    for be in [false, true] {
        let mut ng = Ng::new(be);
        let d0 = payload(60, 1);
        let d1 = payload(41, 2);
        let d2 = payload(100, 3);
        let d3 = payload(33, 4);
        ng.idb(1, 64, None, None) // if 0: Ethernet, µs, snaplen 64
            .nrb() // skipped
            .idb(101, 0, Some(9), Some(100)) // if 1: raw IP, ns, +100 s
            .block(0x0000_0BAD, b"unknown block body") // skipped
            .epb(0, 1_600_000_000_123_456, &d0, 60)
            .epb(1, 1_600_000_000_987_654_321, &d1, 41)
            .spb(&d2, 100) // if 0 snaplen 64 -> 64 bytes
            .pb(1, 5_000_000_001, &d3, 40);
        let tmp = ng.into_temp();
        let mut f = PcapFile::open(tmp.path()).expect("open");
        assert_eq!(f.format(), FileFormat::PcapNg);
        let got = drain(&mut f);
        assert_eq!(got.len(), 4, "be={be}");
        assert_eq!(got[0].lt, LinkType::ETHERNET);
        assert_eq!(got[0].ts, Timestamp(1_600_000_000_123_456_000));
        assert_eq!(got[0].data, d0);
        assert_eq!(got[1].lt, LinkType::RAW);
        assert_eq!(got[1].ts, Timestamp(1_600_000_100_987_654_321));
        assert_eq!(got[1].data, d1);
        assert_eq!(got[2].lt, LinkType::ETHERNET);
        assert_eq!(got[2].data, d2[..64].to_vec());
        assert_eq!(got[2].orig, 100);
        assert_eq!(
            got[2].ts, got[1].ts,
            "SPB has no timestamp: the previous one is reused"
        );
        assert_eq!(got[3].lt, LinkType::RAW);
        assert_eq!(got[3].ts, Timestamp(105_000_000_001));
        assert_eq!(got[3].data, d3);
        assert_eq!(got[3].orig, 40);
        let s = f.stats();
        assert_eq!(s.blocks_skipped, 2);
        assert_eq!(
            (s.bad_interface, s.bad_tsresol, s.errors, s.truncated),
            (0, 0, 0, 0)
        );
        assert_eq!(f.linktype(), Some(LinkType::ETHERNET));
    }
}

#[test]
fn pcapng_binary_and_invalid_tsresol() {
    let mut ng = Ng::new(false);
    ng.idb(1, 0, Some(0x80 | 10), None) // 2^-10 s
        .idb(1, 0, Some(25), None) // 10^-25: invalid -> µs
        .idb(1, 0, Some(0), Some(-5)) // whole seconds, -5 s
        .epb(0, 1024 * 3 + 512, b"a", 1)
        .epb(1, 2_000_001, b"b", 1)
        .epb(2, 10, b"c", 1);
    let mut f = PcapFile::from_reader(Cursor::new(ng.out), "ng").expect("open");
    let got = drain(&mut f);
    assert_eq!(got[0].ts, Timestamp(3_500_000_000));
    assert_eq!(got[1].ts, Timestamp(2_000_001_000));
    assert_eq!(got[2].ts, Timestamp(5_000_000_000));
    assert_eq!(f.stats().bad_tsresol, 1);
}

#[test]
fn pcapng_new_section_resets_interfaces() {
    let mut ng = Ng::new(false);
    ng.idb(1, 0, None, None)
        .idb(113, 0, None, None)
        .epb(1, 1, b"sll", 3);
    // Second section in the other byte order with a single interface.
    let mut ng2 = Ng::new(true);
    ng2.idb(101, 0, None, None)
        .epb(1, 2, b"nope", 4)
        .epb(0, 3, b"raw", 3);
    ng.out.extend_from_slice(&ng2.out);
    let mut f = PcapFile::from_reader(Cursor::new(ng.out), "sections").expect("open");
    let got = drain(&mut f);
    assert_eq!(got.len(), 2);
    assert_eq!(
        (got[0].lt, got[0].data.as_slice()),
        (LinkType::LINUX_SLL, &b"sll"[..])
    );
    assert_eq!(
        (got[1].lt, got[1].data.as_slice()),
        (LinkType::RAW, &b"raw"[..])
    );
    assert_eq!(got[1].cnt, 2);
    assert_eq!(f.stats().bad_interface, 1);
}

#[test]
fn pcapng_packet_before_any_interface_is_skipped() {
    let mut ng = Ng::new(false);
    ng.spb(b"xx", 2)
        .epb(0, 1, b"yy", 2)
        .idb(1, 0, None, None)
        .spb(b"first", 5)
        .epb(0, 1, b"ok", 2);
    let mut f = PcapFile::from_reader(Cursor::new(ng.out), "m").expect("open");
    let got = drain(&mut f);
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].data, b"first");
    assert_eq!(
        got[0].ts,
        Timestamp(0),
        "SPB before any timed packet: time 0"
    );
    assert_eq!(got[1].data, b"ok");
    assert_eq!(f.stats().bad_interface, 2);
}

#[test]
fn truncated_classic_delivers_complete_records() {
    let recs: Vec<Vec<u8>> = (0..5).map(|i| payload(100 + i, i as u8)).collect();
    let list: Vec<_> = recs
        .iter()
        .enumerate()
        .map(|(i, d)| (i as u32, 0, d.as_slice(), d.len() as u32))
        .collect();
    let full = classic(false, false, 1, &list);
    // Start of record index 3.
    let rec3 = 24 + (16 + 100) + (16 + 101) + (16 + 102);
    for cut in [rec3 + 1, rec3 + 15, rec3 + 16, rec3 + 50] {
        let tmp = temp_with(&full[..cut]);
        let mut f = PcapFile::open(tmp.path()).expect("open");
        let got = drain(&mut f);
        assert_eq!(got.len(), 3, "cut at {cut}");
        assert_eq!(got[2].data, recs[2]);
        assert_eq!(f.truncated_at(), Some(rec3 as u64));
        let s = f.stats();
        assert_eq!((s.truncated, s.errors, s.packets), (1, 0, 3));
        assert_eq!(s.per_file[0].truncated, Some(rec3 as u64));
        assert!(f.next_packet().expect("still ok").is_none());
        assert_eq!(f.progress().done, cut as u64);
    }
    // Cut exactly at a record boundary is a clean end.
    let tmp = temp_with(&full[..rec3]);
    let mut f = PcapFile::open(tmp.path()).expect("open");
    assert_eq!(drain(&mut f).len(), 3);
    assert_eq!(f.truncated_at(), None);
}

#[test]
fn truncated_pcapng_mid_block() {
    let mut ng = Ng::new(false);
    ng.idb(1, 0, None, None).epb(0, 1, &payload(200, 1), 200);
    let cut_at = ng.out.len();
    ng.epb(0, 2, &payload(300, 2), 300);
    let bytes = &ng.out[..ng.out.len() - 10];
    let mut f = PcapFile::from_reader(Cursor::new(bytes.to_vec()), "ng").expect("open");
    assert_eq!(drain(&mut f).len(), 1);
    assert_eq!(f.truncated_at(), Some(cut_at as u64));
}

#[test]
fn truncated_inside_file_header() {
    let full = classic(true, false, 1, &[]);
    let mut f = PcapFile::from_reader(Cursor::new(full[..10].to_vec()), "hdr").expect("open");
    assert!(f.next_packet().expect("ok").is_none());
    assert_eq!(f.truncated_at(), Some(0));
    let ng = Ng::new(false).out;
    let mut f = PcapFile::from_reader(Cursor::new(ng[..20].to_vec()), "shb").expect("open");
    assert!(f.next_packet().expect("ok").is_none());
    assert_eq!(f.truncated_at(), Some(0));
    // Header only: clean, not truncated.
    let mut f = PcapFile::from_reader(Cursor::new(full), "h").expect("open");
    assert!(f.next_packet().expect("ok").is_none());
    assert_eq!(f.truncated_at(), None);
}

#[test]
fn garbage_and_empty_files() {
    let tmp = temp_with(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    let e = PcapFile::open(tmp.path()).expect_err("not a pcap");
    assert!(matches!(e, CaptureError::NotPcap { .. }), "{e}");
    let msg = e.to_string();
    assert!(msg.starts_with(&tmp.path().display().to_string()), "{msg}");
    assert!(
        msg.contains("offset 0") && msg.contains("47 45 54 20") && msg.contains("text"),
        "{msg}"
    );
    assert!(!msg.contains('\n'));

    let tmp = temp_with(b"");
    let e = PcapFile::open(tmp.path()).expect_err("empty");
    assert!(matches!(e, CaptureError::Empty { .. }), "{e}");

    let tmp = temp_with(b"\xd4\xc3");
    let e = PcapFile::open(tmp.path()).expect_err("short");
    assert!(matches!(e, CaptureError::NotPcap { .. }), "{e}");

    // pcapng magic with a wrong byte-order magic.
    let mut ng = Ng::new(false).out;
    ng[8] = 0;
    let e = PcapFile::from_reader(Cursor::new(ng), "bom").expect_err("bad bom");
    assert!(e.to_string().contains("byte-order magic"), "{e}");
}

#[test]
fn open_errors_name_the_file() {
    let e = PcapFile::open("/nonexistent/dir/x.pcap").expect_err("missing");
    assert!(matches!(e, CaptureError::Open { .. }));
    assert!(
        e.to_string()
            .starts_with("/nonexistent/dir/x.pcap: cannot open: "),
        "{e}"
    );
    let dir = tempfile::tempdir().expect("dir");
    let e = PcapFile::open(dir.path()).expect_err("directory");
    assert!(matches!(e, CaptureError::Open { .. }), "{e}");
}

#[test]
fn corrupt_pcapng_block_length() {
    let mut ng = Ng::new(false);
    ng.idb(1, 0, None, None).epb(0, 1, b"good", 4);
    let bad_at = ng.out.len();
    // A block claiming 8 bytes (less than the 12-byte minimum).
    ng.out.extend_from_slice(&6u32.to_le_bytes());
    ng.out.extend_from_slice(&8u32.to_le_bytes());
    ng.out.extend_from_slice(&[0u8; 40]);
    let mut f = PcapFile::from_reader(Cursor::new(ng.out), "bad.pcapng").expect("open");
    assert!(f.next_packet().expect("first ok").is_some());
    let e = f.next_packet().expect_err("corrupt");
    match &e {
        CaptureError::Corrupt { offset, .. } => assert_eq!(*offset, bad_at as u64),
        other => panic!("wrong error {other}"),
    }
    let msg = e.to_string();
    assert!(
        msg.starts_with(&format!("bad.pcapng: offset {bad_at}: corrupt")),
        "{msg}"
    );
    assert!(!msg.contains('\n'));
    assert!(f.next_packet().expect("ended").is_none());
    let s = f.stats();
    assert_eq!(s.errors, 1);
    assert!(
        s.per_file[0]
            .error
            .as_deref()
            .is_some_and(|m| m.contains("corrupt"))
    );
}

#[test]
fn corrupt_epb_caplen_overruns_block() {
    let mut ng = Ng::new(false);
    ng.idb(1, 0, None, None);
    let at = ng.out.len();
    ng.epb(0, 1, &payload(40, 1), 40);
    // Patch caplen (body offset 12 -> file offset at + 8 + 12) to 400.
    ng.out[at + 20..at + 24].copy_from_slice(&400u32.to_le_bytes());
    ng.epb(0, 2, b"after", 5);
    let mut f = PcapFile::from_reader(Cursor::new(ng.out), "x").expect("open");
    let e = f.next_packet().expect_err("corrupt");
    assert!(
        matches!(e, CaptureError::Corrupt { offset, .. } if offset == at as u64),
        "{e}"
    );
}

#[test]
fn corrupt_pcapng_trailing_length_mismatch() {
    let mut ng = Ng::new(false);
    ng.idb(1, 0, None, None);
    let at = ng.out.len();
    ng.epb(0, 1, b"abcd", 4);
    let end = ng.out.len();
    ng.out[end - 4..end].copy_from_slice(&999u32.to_le_bytes());
    let mut f = PcapFile::from_reader(Cursor::new(ng.out), "x").expect("open");
    let e = f.next_packet().expect_err("corrupt");
    assert!(
        matches!(e, CaptureError::Corrupt { offset, .. } if offset == at as u64),
        "{e}"
    );
}

#[test]
fn oversize_records_are_skipped_and_counted() {
    // Record far beyond the buffer (300 000 > 256 KiB), then a normal one.
    let big = vec![0xabu8; 300_000];
    let small = payload(70, 5);
    let bytes = classic(
        false,
        false,
        1,
        &[(1, 0, &big, 300_000), (2, 0, &small, 70)],
    );
    let opts = CaptureOptions {
        buffer_size: 4096,
        ..CaptureOptions::default()
    };
    let mut f =
        PcapFile::from_reader_with(Cursor::new(bytes.clone()), "big", None, &opts).expect("open");
    let got = drain(&mut f);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].data, small);
    assert_eq!(got[0].cnt, 1);
    assert_eq!(f.stats().oversize, 1);

    // A limit below a record that fits in the buffer: skipped by size check, not streaming.
    let opts = CaptureOptions {
        buffer_size: 1 << 20,
        max_caplen: 64,
    };
    let mut f = PcapFile::from_reader_with(Cursor::new(bytes), "big", None, &opts).expect("open");
    let got = drain(&mut f);
    assert_eq!(got.len(), 0);
    assert_eq!(f.stats().oversize, 2);

    // Oversize record cut by the end of the file: truncated at its start.
    // (400 000 is beyond max_caplen + 64 KiB, so it is skipped by streaming, not buffered.)
    let huge = vec![0xcdu8; 400_000];
    let bytes = classic(
        false,
        false,
        1,
        &[(1, 0, &small, 70), (1, 0, &huge, 400_000)],
    );
    let mut f = PcapFile::from_reader(Cursor::new(bytes[..200_000].to_vec()), "cut").expect("open");
    assert_eq!(drain(&mut f).len(), 1);
    assert_eq!(f.truncated_at(), Some(24 + 16 + 70));
    assert_eq!(f.stats().oversize, 1);
}

#[test]
fn oversize_pcapng_block_is_skipped() {
    let big = vec![1u8; 400_000];
    let mut ng = Ng::new(false);
    ng.idb(1, 0, None, None)
        .epb(0, 1, &big, 400_000)
        .epb(0, 2, b"tail", 4);
    let mut f = PcapFile::from_reader(Cursor::new(ng.out), "ng").expect("open");
    let got = drain(&mut f);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].data, b"tail");
    assert_eq!(f.stats().oversize, 1);
}

#[test]
fn implausible_caplen_is_corruption() {
    let mut bytes = classic(false, false, 1, &[(1, 0, b"ok", 2)]);
    let at = bytes.len();
    classic_record(&mut bytes, false, 2, 0, 0xf000_0000, 60);
    bytes.extend_from_slice(&[0u8; 100]);
    let mut f = PcapFile::from_reader(Cursor::new(bytes), "g").expect("open");
    assert!(f.next_packet().expect("ok").is_some());
    let e = f.next_packet().expect_err("corrupt");
    assert!(
        matches!(e, CaptureError::Corrupt { offset, .. } if offset == at as u64),
        "{e}"
    );
    assert!(e.to_string().contains("caplen 4026531840"), "{e}");
}

#[test]
fn caplen_greater_than_origlen_is_counted() {
    let bytes = classic(false, false, 1, &[(1, 0, &payload(80, 1), 60)]);
    let mut f = PcapFile::from_reader(Cursor::new(bytes), "g").expect("open");
    let got = drain(&mut f);
    assert_eq!(got[0].orig, 80);
    assert_eq!(got[0].data.len(), 80);
    assert_eq!(f.stats().caplen_gt_origlen, 1);
}

#[test]
fn tiny_buffer_refills_and_grows() {
    let recs: Vec<Vec<u8>> = (0..50).map(|i| payload(1 + i * 37, i as u8)).collect();
    let list: Vec<_> = recs
        .iter()
        .enumerate()
        .map(|(i, d)| (i as u32, 0, d.as_slice(), d.len() as u32))
        .collect();
    let bytes = classic(false, false, 1, &list);
    let opts = CaptureOptions {
        buffer_size: 1,
        max_caplen: 65535,
    };
    let mut f = PcapFile::from_reader_with(Cursor::new(bytes), "t", None, &opts).expect("open");
    let got = drain(&mut f);
    assert_eq!(got.len(), 50);
    for (g, r) in got.iter().zip(&recs) {
        assert_eq!(&g.data, r);
    }
    let mut ng = Ng::new(true);
    ng.idb(1, 0, None, None);
    for r in &recs {
        ng.epb(0, 7, r, r.len() as u32);
    }
    let mut f = PcapFile::from_reader_with(Cursor::new(ng.out), "t", None, &opts).expect("open");
    let got = drain(&mut f);
    assert_eq!(got.len(), 50);
    assert_eq!(got[49].data, recs[49]);
}

/// A reader that fails after `ok` bytes.
struct Failing {
    data: Vec<u8>,
    pos: usize,
    ok: usize,
}

impl Read for Failing {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pos >= self.ok {
            return Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                "disk on fire",
            ));
        }
        let n = buf
            .len()
            .min(self.ok - self.pos)
            .min(self.data.len() - self.pos)
            .min(100);
        buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

#[test]
fn read_errors_are_reported_with_offset() {
    let recs: Vec<Vec<u8>> = (0..20).map(|i| payload(90, i as u8)).collect();
    let list: Vec<_> = recs.iter().map(|d| (1, 0, d.as_slice(), 90)).collect();
    let bytes = classic(false, false, 1, &list);
    let rd = Failing {
        data: bytes,
        pos: 0,
        ok: 1000,
    };
    let opts = CaptureOptions {
        buffer_size: 256,
        ..CaptureOptions::default()
    };
    let mut f = PcapFile::from_reader_with(rd, "flaky", None, &opts).expect("open");
    let mut n = 0;
    let err = loop {
        match f.next_packet() {
            Ok(Some(_)) => n += 1,
            Ok(None) => panic!("should fail"),
            Err(e) => break e,
        }
    };
    // 1000 bytes hold the header and 9 whole 106-byte records.
    assert_eq!(n, 9);
    match &err {
        CaptureError::Read { offset, error, .. } => {
            assert_eq!(*offset, 24 + 9 * 106);
            assert_eq!(error.kind(), io::ErrorKind::PermissionDenied);
        }
        other => panic!("wrong error {other}"),
    }
    assert!(err.to_string().contains("disk on fire"), "{err}");
    assert!(f.next_packet().expect("ended").is_none());
    assert_eq!(f.stats().errors, 1);
}

#[test]
fn progress_grows_and_reaches_total() {
    let list: Vec<(u32, u32, &[u8], u32)> =
        (0..10).map(|i| (i, 0, &b"0123456789"[..], 10)).collect();
    let bytes = classic(false, false, 1, &list);
    let tmp = temp_with(&bytes);
    let mut f = PcapFile::open(tmp.path()).expect("open");
    let total = bytes.len() as u64;
    let mut last = 0;
    while f.next_packet().expect("ok").is_some() {
        let p = f.progress();
        assert_eq!(p.total, Some(total));
        assert!(p.done > last && p.done <= total);
        last = p.done;
    }
    assert_eq!(last, total, "after the last packet everything is consumed");
    assert_eq!(f.progress().fraction(), Some(1.0));
}

#[test]
fn source_index_is_set() {
    let bytes = classic(false, false, 1, &[(1, 0, b"a", 1)]);
    let mut f = PcapFile::from_reader(Cursor::new(bytes), "s").expect("open");
    f.set_source(7);
    let p = f.next_packet().expect("ok").expect("packet");
    assert_eq!((p.source, p.pcap_cnt), (7, 1));
}

#[test]
fn ts_conversion() {
    assert_eq!(tsresol_units(6), Some(1_000_000));
    assert_eq!(tsresol_units(9), Some(1_000_000_000));
    assert_eq!(tsresol_units(19), Some(10_000_000_000_000_000_000));
    assert_eq!(tsresol_units(20), None);
    assert_eq!(tsresol_units(0x80 | 20), Some(1 << 20));
    assert_eq!(tsresol_units(0x80 | 64), None);
    assert_eq!(
        ticks_to_ts(1_500_000, 1_000_000, 0),
        Timestamp(1_500_000_000)
    );
    assert_eq!(ticks_to_ts(3, 4, 0), Timestamp(750_000_000));
    assert_eq!(ticks_to_ts(u64::MAX, 1, i64::MAX), Timestamp(i64::MAX));
    assert_eq!(ticks_to_ts(0, 1, i64::MIN), Timestamp(i64::MIN));
    assert_eq!(
        ticks_to_ts(5, 0, 0),
        Timestamp(5_000_000_000),
        "zero units treated as 1"
    );
}

#[test]
fn tiny_block_length_of_any_block_type_is_corruption() {
    // Process Information Block (0x80000001) with length 8: pcap-parser would underflow.
    for (btype, be) in [
        (0x8000_0001u32, false),
        (0x8000_0001, true),
        (6, false),
        (0x0BAD, true),
    ] {
        let mut ng = Ng::new(be);
        ng.idb(1, 0, None, None);
        let at = ng.out.len();
        let put = |v: u32| if be { v.to_be_bytes() } else { v.to_le_bytes() };
        ng.out.extend_from_slice(&put(btype));
        ng.out.extend_from_slice(&put(8));
        ng.out.extend_from_slice(&put(8));
        ng.out.extend_from_slice(&[0u8; 64]);
        let mut f = PcapFile::from_reader(Cursor::new(ng.out), "pib").expect("open");
        let e = f.next_packet().expect_err("corrupt");
        assert!(
            matches!(e, CaptureError::Corrupt { offset, .. } if offset == at as u64),
            "{e}"
        );
        assert!(e.to_string().contains("12-byte minimum"), "{e}");
    }
}
