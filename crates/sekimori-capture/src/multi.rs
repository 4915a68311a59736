//! Several capture files read as one stream, merged in timestamp order.
//!
//! A k-way merge: each file's next packet is copied into that file's own reusable buffer (the
//! file readers lend their packets, so the heads of k files cannot all be borrowed at once), and
//! a min-heap on (timestamp, file index) picks the next one. Ties go to the lower file index;
//! packets of one file keep their file order even if its timestamps go backwards.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::path::Path;

use crate::file::{CaptureOptions, PcapFile};
use crate::stats::{CaptureStats, Progress};
use crate::types::{LinkType, Packet, Timestamp};
use crate::{CaptureError, PacketSource};

/// One input and the copy of its head packet.
#[derive(Debug)]
struct Input {
    file: PcapFile,
    ts: Timestamp,
    linktype: LinkType,
    orig_len: u32,
    buf: Vec<u8>,
}

/// Several pcap/pcapng files merged by timestamp. `Packet::source` is the file's index in the
/// list given at construction; `pcap_cnt` runs 1, 2, 3, ... over the whole run.
#[derive(Debug)]
pub struct MultiFileSource {
    inputs: Vec<Input>,
    heap: BinaryHeap<Reverse<(Timestamp, usize)>>,
    /// Inputs whose head must be (re)read before the next pick.
    need_pull: Vec<usize>,
    cnt: u64,
    bytes: u64,
}

impl MultiFileSource {
    /// Opens every file (default options). Fails on the first file that cannot be opened or is
    /// not a capture.
    pub fn open<P: AsRef<Path>>(paths: &[P]) -> Result<Self, CaptureError> {
        Self::open_with(paths, &CaptureOptions::default())
    }

    /// [`MultiFileSource::open`] with reader options.
    pub fn open_with<P: AsRef<Path>>(
        paths: &[P],
        opts: &CaptureOptions,
    ) -> Result<Self, CaptureError> {
        if paths.len() > usize::from(u16::MAX) + 1 {
            return Err(CaptureError::TooManyFiles { count: paths.len() });
        }
        let files = paths
            .iter()
            .map(|p| PcapFile::open_with(p, opts))
            .collect::<Result<Vec<_>, _>>()?;
        Self::from_files(files)
    }

    /// Merges already opened files (in this order: index = `Packet::source`).
    pub fn from_files(files: Vec<PcapFile>) -> Result<Self, CaptureError> {
        if files.len() > usize::from(u16::MAX) + 1 {
            return Err(CaptureError::TooManyFiles { count: files.len() });
        }
        let n = files.len();
        let inputs = files
            .into_iter()
            .enumerate()
            .map(|(i, mut file)| {
                file.set_source(i as u16); // i <= u16::MAX, checked above
                Input {
                    file,
                    ts: Timestamp(0),
                    linktype: LinkType(0),
                    orig_len: 0,
                    buf: Vec::new(),
                }
            })
            .collect();
        Ok(MultiFileSource {
            inputs,
            heap: BinaryHeap::with_capacity(n),
            // Popped from the back: pull file 0 first so its errors come first.
            need_pull: (0..n).rev().collect(),
            cnt: 0,
            bytes: 0,
        })
    }

    /// Number of input files.
    pub fn len(&self) -> usize {
        self.inputs.len()
    }

    /// True when there are no input files.
    pub fn is_empty(&self) -> bool {
        self.inputs.is_empty()
    }

    /// The input files, in index order.
    pub fn files(&self) -> impl Iterator<Item = &PcapFile> {
        self.inputs.iter().map(|i| &i.file)
    }
}

impl MultiFileSource {
    /// One file: nothing to merge, its packets are handed through without copying.
    fn next_single(&mut self) -> Result<Option<Packet<'_>>, CaptureError> {
        let Some(only) = self.inputs.first_mut() else {
            return Ok(None);
        };
        let Some(mut p) = only.file.next_packet()? else {
            return Ok(None);
        };
        self.cnt += 1;
        self.bytes += p.data.len() as u64;
        p.pcap_cnt = self.cnt;
        p.source = 0;
        Ok(Some(p))
    }
}

impl PacketSource for MultiFileSource {
    fn next_packet(&mut self) -> Result<Option<Packet<'_>>, CaptureError> {
        if self.inputs.len() == 1 {
            return self.next_single();
        }
        while let Some(i) = self.need_pull.pop() {
            let Some(inp) = self.inputs.get_mut(i) else {
                continue;
            };
            // On error the file has ended itself; it simply stays out of the heap.
            if let Some(p) = inp.file.next_packet()? {
                inp.ts = p.ts;
                inp.linktype = p.linktype;
                inp.orig_len = p.orig_len;
                inp.buf.clear();
                inp.buf.extend_from_slice(p.data);
                self.heap.push(Reverse((inp.ts, i)));
            }
        }
        let Some(Reverse((_, i))) = self.heap.pop() else {
            return Ok(None);
        };
        self.need_pull.push(i);
        let Some(inp) = self.inputs.get(i) else {
            return Ok(None);
        };
        self.cnt += 1;
        self.bytes += inp.buf.len() as u64;
        Ok(Some(Packet {
            ts: inp.ts,
            linktype: inp.linktype,
            data: &inp.buf,
            orig_len: inp.orig_len,
            pcap_cnt: self.cnt,
            source: i as u16,
        }))
    }

    fn stats(&self) -> CaptureStats {
        let mut s = CaptureStats::default();
        for inp in &self.inputs {
            let f = inp.file.stats();
            s.add_counters(&f);
            s.per_file.extend(f.per_file);
        }
        // Packets sitting in the merge buffers are read but not yet delivered.
        s.packets = self.cnt;
        s.bytes = self.bytes;
        s
    }

    fn progress(&self) -> Progress {
        let mut p = Progress {
            done: 0,
            total: Some(0),
        };
        for inp in &self.inputs {
            let f = inp.file.progress();
            p.done += f.done;
            p.total = match (p.total, f.total) {
                (Some(a), Some(b)) => Some(a + b),
                _ => None,
            };
        }
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{Ng, classic, temp_with};
    use std::io::Cursor;

    fn file(bytes: Vec<u8>, name: &str) -> PcapFile {
        PcapFile::from_reader(Cursor::new(bytes), name).expect("open")
    }

    /// (ts µs, file, per-file index) of each delivered packet, plus pcap_cnt check.
    fn order(m: &mut MultiFileSource) -> Vec<(i64, u16, u8)> {
        let mut v = Vec::new();
        let mut expect_cnt = 1;
        while let Some(p) = m.next_packet().expect("ok") {
            assert_eq!(p.pcap_cnt, expect_cnt);
            expect_cnt += 1;
            v.push((p.ts.0 / 1000, p.source, p.data[0]));
        }
        v
    }

    #[test]
    fn merge_three_files_interleaved_with_ties() {
        // Data byte = position within its file; timestamps in µs.
        let a = classic(
            false,
            false,
            1,
            &[
                (0, 10, &[0], 1),
                (0, 30, &[1], 1),
                (0, 50, &[2], 1),
                (0, 50, &[3], 1),
            ],
        );
        let b = classic(
            true,
            true,
            1,
            &[
                (0, 20_000, &[0], 1),
                (0, 30_000, &[1], 1),
                (0, 60_000, &[2], 1),
            ],
        );
        let mut ng = Ng::new(false);
        ng.idb(101, 0, None, None)
            .epb(0, 5, &[0], 1)
            .epb(0, 30, &[1], 1)
            .epb(0, 50, &[2], 1)
            .epb(0, 70, &[3], 1);
        let ta = temp_with(&a);
        let tb = temp_with(&b);
        let tc = ng.into_temp();
        let mut m = MultiFileSource::open(&[ta.path(), tb.path(), tc.path()]).expect("open");
        assert_eq!(m.len(), 3);
        let got = order(&mut m);
        assert_eq!(
            got,
            vec![
                (5, 2, 0),
                (10, 0, 0),
                (20, 1, 0),
                (30, 0, 1), // tie at 30: file 0, 1, 2
                (30, 1, 1),
                (30, 2, 1),
                (50, 0, 2), // tie at 50: file 0 twice (file order), then file 2
                (50, 0, 3),
                (50, 2, 2),
                (60, 1, 2),
                (70, 2, 3),
            ]
        );
        let s = m.stats();
        assert_eq!((s.packets, s.bytes, s.files), (11, 11, 3));
        assert_eq!(s.per_file.len(), 3);
        assert_eq!(
            s.per_file.iter().map(|f| f.packets).collect::<Vec<_>>(),
            vec![4, 3, 4]
        );
        let p = m.progress();
        let total =
            (a.len() + b.len() + std::fs::metadata(tc.path()).expect("meta").len() as usize) as u64;
        assert_eq!(
            p,
            Progress {
                done: total,
                total: Some(total)
            }
        );
    }

    #[test]
    fn linktype_and_data_follow_the_file() {
        let a = classic(false, false, 1, &[(1, 0, b"ether", 5)]);
        let b = classic(false, false, 113, &[(2, 0, b"sll-frame", 9)]);
        let mut m = MultiFileSource::from_files(vec![file(b, "b"), file(a, "a")]).expect("m");
        let p = m.next_packet().expect("ok").expect("p");
        assert_eq!(
            (p.linktype, p.data, p.source),
            (LinkType::ETHERNET, &b"ether"[..], 1)
        );
        let p = m.next_packet().expect("ok").expect("p");
        assert_eq!(
            (p.linktype, p.data, p.source, p.orig_len),
            (LinkType::LINUX_SLL, &b"sll-frame"[..], 0, 9)
        );
        assert!(m.next_packet().expect("ok").is_none());
    }

    #[test]
    fn backwards_timestamps_within_a_file_keep_file_order() {
        let a = classic(false, false, 1, &[(5, 0, &[0], 1), (1, 0, &[1], 1)]);
        let b = classic(false, false, 1, &[(3, 0, &[0], 1)]);
        let mut m = MultiFileSource::from_files(vec![file(a, "a"), file(b, "b")]).expect("m");
        // Heads 5 (a) and 3 (b): b first, then a's 5, then a's 1.
        assert_eq!(
            order(&mut m),
            vec![(3_000_000, 1, 0), (5_000_000, 0, 0), (1_000_000, 0, 1)]
        );
    }

    #[test]
    fn truncated_and_corrupt_files_do_not_stop_the_others() {
        let good = classic(false, false, 1, &[(1, 0, &[0], 1), (3, 0, &[1], 1)]);
        let full = classic(false, false, 1, &[(2, 0, &[0], 1), (4, 0, &[1], 1)]);
        let cut = full[..full.len() - 5].to_vec();
        let mut ng = Ng::new(false);
        ng.idb(1, 0, None, None).epb(0, 1_500_000, &[0], 1);
        ng.out
            .extend_from_slice(&[6, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0]); // block length 4: corrupt
        let mut m = MultiFileSource::from_files(vec![
            file(good, "good"),
            file(cut, "cut"),
            file(ng.out, "bad"),
        ])
        .expect("m");
        let mut seen = Vec::new();
        let mut errors = 0;
        loop {
            match m.next_packet() {
                Ok(Some(p)) => seen.push((p.ts.secs(), p.source)),
                Ok(None) => break,
                Err(e) => {
                    errors += 1;
                    assert!(e.to_string().starts_with("bad: offset "), "{e}");
                }
            }
        }
        assert_eq!(errors, 1);
        assert_eq!(seen, vec![(1, 0), (1, 2), (2, 1), (3, 0)]);
        let s = m.stats();
        assert_eq!((s.truncated, s.errors, s.packets), (1, 1, 4));
        assert_eq!(s.per_file[1].truncated, Some(24 + 17));
        assert!(s.per_file[2].error.is_some());
    }

    #[test]
    fn empty_list_and_open_failure() {
        let mut m = MultiFileSource::open::<&str>(&[]).expect("empty ok");
        assert!(m.is_empty());
        assert!(m.next_packet().expect("ok").is_none());
        assert_eq!(
            m.progress(),
            Progress {
                done: 0,
                total: Some(0)
            }
        );
        let ok = temp_with(&classic(false, false, 1, &[]));
        let e =
            MultiFileSource::open(&[ok.path(), Path::new("/no/such.pcap")]).expect_err("missing");
        assert!(
            e.to_string().starts_with("/no/such.pcap: cannot open"),
            "{e}"
        );
    }

    #[test]
    fn buffers_are_reused() {
        let list: Vec<(u32, u32, &[u8], u32)> =
            (0..100).map(|i| (i, 0, &[7u8; 200][..], 200)).collect();
        let a = classic(false, false, 1, &list);
        let mut m =
            MultiFileSource::from_files(vec![file(a.clone(), "a"), file(a, "b")]).expect("m");
        let mut n = 0;
        let mut caps = Vec::new();
        while m.next_packet().expect("ok").is_some() {
            n += 1;
            if n == 10 {
                caps = m
                    .inputs
                    .iter()
                    .map(|i| (i.buf.as_ptr(), i.buf.capacity()))
                    .collect();
            }
        }
        assert_eq!(n, 200);
        let now: Vec<_> = m
            .inputs
            .iter()
            .map(|i| (i.buf.as_ptr(), i.buf.capacity()))
            .collect();
        assert_eq!(caps, now, "no reallocation after warm-up");
    }
}
