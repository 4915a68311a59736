//! Test-only capture writers: classic pcap in all byte orders/resolutions and a pcapng block
//! builder, so the reader is tested against files whose every byte the test chose.

use std::io::Write;

/// One classic pcap record: seconds, fraction (µs or ns), data, original length.
pub type Rec<'a> = (u32, u32, &'a [u8], u32);

fn put32(out: &mut Vec<u8>, v: u32, be: bool) {
    out.extend_from_slice(&if be { v.to_be_bytes() } else { v.to_le_bytes() });
}
fn put16(out: &mut Vec<u8>, v: u16, be: bool) {
    out.extend_from_slice(&if be { v.to_be_bytes() } else { v.to_le_bytes() });
}

/// A classic pcap file.
pub fn classic(be: bool, nanos: bool, linktype: u32, recs: &[Rec<'_>]) -> Vec<u8> {
    let mut out = Vec::new();
    put32(&mut out, if nanos { 0xa1b2_3c4d } else { 0xa1b2_c3d4 }, be);
    put16(&mut out, 2, be);
    put16(&mut out, 4, be);
    put32(&mut out, 0, be);
    put32(&mut out, 0, be);
    put32(&mut out, 65535, be);
    put32(&mut out, linktype, be);
    for &(s, f, d, o) in recs {
        classic_record(&mut out, be, s, f, d.len() as u32, o);
        out.extend_from_slice(d);
    }
    out
}

/// Appends a classic record header only (for crafting lying lengths).
pub fn classic_record(out: &mut Vec<u8>, be: bool, s: u32, f: u32, caplen: u32, origlen: u32) {
    put32(out, s, be);
    put32(out, f, be);
    put32(out, caplen, be);
    put32(out, origlen, be);
}

/// pcapng builder.
pub struct Ng {
    pub be: bool,
    pub out: Vec<u8>,
}

fn pad4(v: &mut Vec<u8>) {
    while !v.len().is_multiple_of(4) {
        v.push(0);
    }
}

impl Ng {
    /// Starts a file with a section header.
    pub fn new(be: bool) -> Ng {
        let mut ng = Ng {
            be,
            out: Vec::new(),
        };
        ng.shb();
        ng
    }

    /// Appends a block with the given type and body (padded, lengths filled in).
    pub fn block(&mut self, btype: u32, body: &[u8]) -> &mut Self {
        let mut b = body.to_vec();
        pad4(&mut b);
        let total = 12 + b.len() as u32;
        put32(&mut self.out, btype, self.be);
        put32(&mut self.out, total, self.be);
        self.out.extend_from_slice(&b);
        put32(&mut self.out, total, self.be);
        self
    }

    /// A new section header (resets interfaces).
    pub fn shb(&mut self) -> &mut Self {
        let be = self.be;
        let mut body = Vec::new();
        put32(&mut body, 0x1A2B_3C4D, be);
        put16(&mut body, 1, be);
        put16(&mut body, 0, be);
        body.extend_from_slice(&(-1i64).to_le_bytes());
        // shb_userappl option, then end of options.
        put16(&mut body, 4, be);
        put16(&mut body, 5, be);
        body.extend_from_slice(b"tests");
        pad4(&mut body);
        put32(&mut body, 0, be);
        self.block(0x0A0D_0D0A, &body)
    }

    /// An interface description with optional if_tsresol / if_tsoffset.
    pub fn idb(
        &mut self,
        linktype: u16,
        snaplen: u32,
        tsresol: Option<u8>,
        tsoffset: Option<i64>,
    ) -> &mut Self {
        let be = self.be;
        let mut body = Vec::new();
        put16(&mut body, linktype, be);
        put16(&mut body, 0, be);
        put32(&mut body, snaplen, be);
        // if_name
        put16(&mut body, 2, be);
        put16(&mut body, 3, be);
        body.extend_from_slice(b"eth");
        pad4(&mut body);
        if let Some(r) = tsresol {
            put16(&mut body, 9, be);
            put16(&mut body, 1, be);
            body.push(r);
            pad4(&mut body);
        }
        if let Some(o) = tsoffset {
            put16(&mut body, 14, be);
            put16(&mut body, 8, be);
            body.extend_from_slice(&if be { o.to_be_bytes() } else { o.to_le_bytes() });
        }
        put32(&mut body, 0, be);
        self.block(1, &body)
    }

    /// An enhanced packet block.
    pub fn epb(&mut self, if_id: u32, ticks: u64, data: &[u8], origlen: u32) -> &mut Self {
        let be = self.be;
        let mut body = Vec::new();
        put32(&mut body, if_id, be);
        put32(&mut body, (ticks >> 32) as u32, be);
        put32(&mut body, ticks as u32, be);
        put32(&mut body, data.len() as u32, be);
        put32(&mut body, origlen, be);
        body.extend_from_slice(data);
        pad4(&mut body);
        // epb_flags option (inbound) + end, so options parsing is exercised.
        put16(&mut body, 2, be);
        put16(&mut body, 4, be);
        put32(&mut body, 1, be);
        put32(&mut body, 0, be);
        self.block(6, &body)
    }

    /// A simple packet block (data as stored; may exceed the interface snaplen).
    pub fn spb(&mut self, data: &[u8], origlen: u32) -> &mut Self {
        let be = self.be;
        let mut body = Vec::new();
        put32(&mut body, origlen, be);
        body.extend_from_slice(data);
        self.block(3, &body)
    }

    /// An obsolete packet block.
    pub fn pb(&mut self, if_id: u16, ticks: u64, data: &[u8], origlen: u32) -> &mut Self {
        let be = self.be;
        let mut body = Vec::new();
        put16(&mut body, if_id, be);
        put16(&mut body, 0, be);
        put32(&mut body, (ticks >> 32) as u32, be);
        put32(&mut body, ticks as u32, be);
        put32(&mut body, data.len() as u32, be);
        put32(&mut body, origlen, be);
        body.extend_from_slice(data);
        self.block(2, &body)
    }

    /// A name resolution block with one IPv4 record.
    pub fn nrb(&mut self) -> &mut Self {
        let be = self.be;
        let mut body = Vec::new();
        put16(&mut body, 1, be);
        put16(&mut body, 10, be);
        body.extend_from_slice(&[10, 0, 0, 1]);
        body.extend_from_slice(b"host\0\0");
        pad4(&mut body);
        put16(&mut body, 0, be);
        put16(&mut body, 0, be);
        self.block(4, &body)
    }

    /// Writes the file into a fresh temp file.
    pub fn into_temp(self) -> tempfile::NamedTempFile {
        temp_with(&self.out)
    }
}

/// A named temp file holding `bytes`.
pub fn temp_with(bytes: &[u8]) -> tempfile::NamedTempFile {
    let mut f = tempfile::NamedTempFile::new().expect("temp file");
    f.write_all(bytes).expect("write temp file");
    f.flush().expect("flush temp file");
    f
}
