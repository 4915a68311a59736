//! Timestamps, frames and the classic pcap writer (little-endian, microseconds).

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

/// pcap link type values (`LINKTYPE_*`) the fixtures produce.
pub mod linktype {
    /// BSD loopback: 4-byte host-order (here little-endian) address family.
    pub const NULL: u32 = 0;
    /// Ethernet II.
    pub const ETHERNET: u32 = 1;
    /// Raw IPv4/IPv6.
    pub const RAW: u32 = 101;
    /// Linux cooked capture v1.
    pub const LINUX_SLL: u32 = 113;
}

/// Snap length written in the file header.
pub const SNAPLEN: u32 = 262_144;

/// A capture timestamp: seconds and microseconds since the epoch.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ts {
    /// Seconds.
    pub secs: u32,
    /// Microseconds (normally below 1 000 000).
    pub usecs: u32,
}

impl Ts {
    /// 2023-11-14T22:13:20Z, the default start of every trace.
    pub const DEFAULT_START: Ts = Ts {
        secs: 1_700_000_000,
        usecs: 0,
    };

    /// A timestamp from seconds and microseconds.
    pub const fn new(secs: u32, usecs: u32) -> Ts {
        Ts { secs, usecs }
    }

    /// Microseconds since the epoch.
    pub const fn as_micros(self) -> u64 {
        self.secs as u64 * 1_000_000 + self.usecs as u64
    }

    /// From microseconds since the epoch (saturating at `u32::MAX` seconds).
    pub const fn from_micros(us: u64) -> Ts {
        let secs = us / 1_000_000;
        Ts {
            secs: if secs > u32::MAX as u64 {
                u32::MAX
            } else {
                secs as u32
            },
            usecs: (us % 1_000_000) as u32,
        }
    }

    /// This timestamp plus `us` microseconds.
    pub const fn plus_micros(self, us: u64) -> Ts {
        Ts::from_micros(self.as_micros().saturating_add(us))
    }
}

/// One captured frame: link-layer bytes and when they were seen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    /// Capture time.
    pub ts: Ts,
    /// The frame, starting with the link-layer header (none for raw IP).
    pub data: Vec<u8>,
}

/// Writes a classic pcap file (magic `a1b2c3d4` little-endian, microsecond timestamps).
#[derive(Debug)]
pub struct PcapWriter<W: Write> {
    w: W,
    packets: u64,
}

impl PcapWriter<BufWriter<File>> {
    /// Creates (truncates) `path` and writes the file header.
    pub fn create(path: impl AsRef<Path>, linktype: u32) -> io::Result<Self> {
        PcapWriter::new(BufWriter::new(File::create(path)?), linktype)
    }
}

impl<W: Write> PcapWriter<W> {
    /// Writes the 24-byte file header to `w`.
    pub fn new(mut w: W, linktype: u32) -> io::Result<Self> {
        let mut h = [0u8; 24];
        h[0..4].copy_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
        h[4..6].copy_from_slice(&2u16.to_le_bytes());
        h[6..8].copy_from_slice(&4u16.to_le_bytes());
        // thiszone and sigfigs stay 0.
        h[16..20].copy_from_slice(&SNAPLEN.to_le_bytes());
        h[20..24].copy_from_slice(&linktype.to_le_bytes());
        w.write_all(&h)?;
        Ok(PcapWriter { w, packets: 0 })
    }

    /// Writes one frame, captured whole.
    pub fn write_packet(&mut self, ts: Ts, frame: &[u8]) -> io::Result<()> {
        let len =
            u32::try_from(frame.len()).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
        self.write_record(ts, frame, len)
    }

    /// Writes one record with an explicit original length (to fake a snaplen cut, or to lie).
    pub fn write_record(&mut self, ts: Ts, data: &[u8], orig_len: u32) -> io::Result<()> {
        let caplen =
            u32::try_from(data.len()).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
        let mut h = [0u8; 16];
        h[0..4].copy_from_slice(&ts.secs.to_le_bytes());
        h[4..8].copy_from_slice(&ts.usecs.to_le_bytes());
        h[8..12].copy_from_slice(&caplen.to_le_bytes());
        h[12..16].copy_from_slice(&orig_len.to_le_bytes());
        self.w.write_all(&h)?;
        self.w.write_all(data)?;
        self.packets += 1;
        Ok(())
    }

    /// Writes every frame in order.
    pub fn write_frames(&mut self, frames: &[Frame]) -> io::Result<()> {
        frames
            .iter()
            .try_for_each(|f| self.write_packet(f.ts, &f.data))
    }

    /// Records written so far.
    pub fn packets(&self) -> u64 {
        self.packets
    }

    /// Flushes and returns the underlying writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.w.flush()?;
        Ok(self.w)
    }
}

/// A whole pcap file in memory.
pub fn pcap_bytes(linktype: u32, frames: &[Frame]) -> Vec<u8> {
    let mut out = Vec::with_capacity(24 + frames.iter().map(|f| 16 + f.data.len()).sum::<usize>());
    // Writing to a Vec cannot fail, and every frame came from this crate (< 4 GiB).
    if let Ok(mut w) = PcapWriter::new(&mut out, linktype) {
        let _ = w.write_frames(frames);
    }
    out
}

/// Writes a pcap file at `path`.
pub fn write_pcap(path: impl AsRef<Path>, linktype: u32, frames: &[Frame]) -> io::Result<()> {
    let mut w = PcapWriter::create(path, linktype)?;
    w.write_frames(frames)?;
    w.finish()?;
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use pcap_parser::traits::PcapReaderIterator;
    use pcap_parser::{LegacyPcapReader, PcapBlockOwned, PcapError};

    /// One record read back: (secs, usecs, caplen, origlen, data).
    pub(crate) type Rec = (u32, u32, u32, u32, Vec<u8>);

    /// Reads a classic pcap with pcap-parser: (linktype, records).
    pub(crate) fn read_back(bytes: &[u8]) -> (i32, Vec<Rec>) {
        let mut r = LegacyPcapReader::new(65536, bytes).expect("pcap header");
        let mut lt = -1;
        let mut recs = Vec::new();
        loop {
            match r.next() {
                Ok((n, PcapBlockOwned::LegacyHeader(h))) => {
                    assert_eq!(h.magic_number, 0xa1b2_c3d4);
                    assert!(!h.is_bigendian() && !h.is_nanosecond_precision());
                    assert_eq!(h.snaplen, SNAPLEN);
                    lt = h.network.0;
                    r.consume(n);
                }
                Ok((n, PcapBlockOwned::Legacy(b))) => {
                    recs.push((b.ts_sec, b.ts_usec, b.caplen, b.origlen, b.data.to_vec()));
                    r.consume(n);
                }
                Ok((_, other)) => panic!("unexpected block {:?}", std::mem::discriminant(&other)),
                Err(PcapError::Eof) => break,
                Err(PcapError::Incomplete(_)) => r.refill().expect("refill"),
                Err(e) => panic!("pcap-parser error {e:?}"),
            }
        }
        (lt, recs)
    }

    #[test]
    fn written_file_reads_back_with_pcap_parser() {
        let frames = vec![
            Frame {
                ts: Ts::new(10, 999_999),
                data: vec![1, 2, 3],
            },
            Frame {
                ts: Ts::new(11, 0),
                data: vec![],
            },
            Frame {
                ts: Ts::new(11, 5),
                data: vec![9; 1514],
            },
        ];
        let bytes = pcap_bytes(linktype::RAW, &frames);
        assert_eq!(bytes.len(), 24 + 16 * 3 + 3 + 1514);
        let (lt, recs) = read_back(&bytes);
        assert_eq!(lt, 101);
        assert_eq!(recs.len(), 3);
        assert_eq!(recs[0], (10, 999_999, 3, 3, vec![1, 2, 3]));
        assert_eq!(recs[1], (11, 0, 0, 0, vec![]));
        assert_eq!((recs[2].2, recs[2].3), (1514, 1514));
    }

    #[test]
    fn file_writer_and_record_with_orig_len() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("x.pcap");
        let mut w = PcapWriter::create(&path, linktype::ETHERNET).expect("create");
        w.write_record(Ts::new(1, 2), &[0xaa; 60], 1500)
            .expect("write");
        w.write_packet(Ts::new(1, 3), &[0xbb; 64]).expect("write");
        assert_eq!(w.packets(), 2);
        w.finish().expect("flush");
        let bytes = std::fs::read(&path).expect("read");
        let (lt, recs) = read_back(&bytes);
        assert_eq!(lt, 1);
        assert_eq!((recs[0].2, recs[0].3), (60, 1500));
        assert_eq!((recs[1].0, recs[1].1, recs[1].2), (1, 3, 64));
        write_pcap(
            &path,
            linktype::NULL,
            &[Frame {
                ts: Ts::new(5, 6),
                data: vec![7],
            }],
        )
        .expect("write_pcap");
        let (lt, recs) = read_back(&std::fs::read(&path).expect("read"));
        assert_eq!((lt, recs.len()), (0, 1));
    }

    #[test]
    fn ts_arithmetic() {
        assert_eq!(Ts::new(1, 999_999).plus_micros(1), Ts::new(2, 0));
        assert_eq!(Ts::new(1, 0).plus_micros(2_500_000), Ts::new(3, 500_000));
        assert_eq!(Ts::from_micros(u64::MAX).secs, u32::MAX);
        assert_eq!(Ts::new(3, 4).as_micros(), 3_000_004);
        assert!(Ts::new(1, 5) < Ts::new(2, 0));
    }
}
