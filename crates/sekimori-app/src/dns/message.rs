//! DNS message parsing (RFC 1035 and friends) with Suricata 7's semantics: header, questions,
//! answer and authority records; name decompression with a 255 label/pointer limit, a 1025-byte
//! name limit (longer names are cut and flagged) and self-pointer detection.
//!
//! Hand-written: Suricata's tolerant name rules (a cut name is still returned; a loop after a
//! pointer yields what was read) are what its logs and events reflect, and the strict parsers
//! of the ecosystem reject those messages outright. Parsing reuses the message's buffers, so a
//! parser that keeps one [`DnsMessage`] allocates nothing once warm.

/// Longest name kept, in presentation bytes (what dnsmasq accepts; Suricata's limit).
pub const MAX_NAME_LEN: usize = 1025;
/// Labels plus pointers followed per name before giving up.
pub const MAX_LABELS: u32 = 255;

/// Record types whose rdata is parsed (others are kept raw).
pub mod rrtype {
    /// IPv4 address.
    pub const A: u16 = 1;
    /// Name server.
    pub const NS: u16 = 2;
    /// Canonical name.
    pub const CNAME: u16 = 5;
    /// Start of authority.
    pub const SOA: u16 = 6;
    /// Null record.
    pub const NULL: u16 = 10;
    /// Domain name pointer.
    pub const PTR: u16 = 12;
    /// Mail exchange.
    pub const MX: u16 = 15;
    /// Text strings.
    pub const TXT: u16 = 16;
    /// IPv6 address.
    pub const AAAA: u16 = 28;
    /// Service locator.
    pub const SRV: u16 = 33;
    /// EDNS(0) pseudo-record.
    pub const OPT: u16 = 41;
    /// SSH key fingerprint.
    pub const SSHFP: u16 = 44;
}

/// A range of bytes kept in the message's arena.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Bytes {
    start: u32,
    len: u32,
}

/// A decompressed name (dotted, no trailing dot), kept in the message's arena.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Name {
    bytes: Bytes,
    /// The name was cut (longer than [`MAX_NAME_LEN`] or too many labels).
    pub truncated: bool,
}

/// The fixed header.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DnsHeader {
    /// Message id.
    pub id: u16,
    /// Flags word (QR, opcode, AA, TC, RD, RA, Z, AD, CD, rcode).
    pub flags: u16,
    /// Question count.
    pub qdcount: u16,
    /// Answer count.
    pub ancount: u16,
    /// Authority count.
    pub nscount: u16,
    /// Additional count.
    pub arcount: u16,
}

impl DnsHeader {
    /// A response (QR set).
    pub fn qr(&self) -> bool {
        self.flags & 0x8000 != 0
    }
    /// Opcode (0 query, 4 notify, 5 update, ...).
    pub fn opcode(&self) -> u8 {
        ((self.flags >> 11) & 0xf) as u8
    }
    /// Authoritative answer.
    pub fn aa(&self) -> bool {
        self.flags & 0x0400 != 0
    }
    /// Truncated.
    pub fn tc(&self) -> bool {
        self.flags & 0x0200 != 0
    }
    /// Recursion desired.
    pub fn rd(&self) -> bool {
        self.flags & 0x0100 != 0
    }
    /// Recursion available.
    pub fn ra(&self) -> bool {
        self.flags & 0x0080 != 0
    }
    /// The reserved Z bit.
    pub fn z(&self) -> bool {
        self.flags & 0x0040 != 0
    }
    /// Response code (low 4 bits).
    pub fn rcode(&self) -> u8 {
        (self.flags & 0x000f) as u8
    }
    /// Whether the counts can fit in `len` bytes (Suricata's header check: two bytes per
    /// record at least).
    pub fn plausible(&self, len: usize) -> bool {
        let n = usize::from(self.qdcount)
            + usize::from(self.ancount)
            + usize::from(self.nscount)
            + usize::from(self.arcount);
        12 + 2 * n <= len
    }
}

/// One question.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DnsQuery {
    /// Queried name.
    pub name: Name,
    /// Query type.
    pub rrtype: u16,
    /// Query class.
    pub rrclass: u16,
}

/// SOA rdata.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Soa {
    /// Primary name server.
    pub mname: Name,
    /// Responsible mailbox.
    pub rname: Name,
    /// Serial.
    pub serial: u32,
    /// Refresh interval.
    pub refresh: u32,
    /// Retry interval.
    pub retry: u32,
    /// Expiry.
    pub expire: u32,
    /// Minimum / negative TTL.
    pub minimum: u32,
}

/// Parsed rdata.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RData {
    /// A or AAAA: the address bytes as sent (any length; 4 or 16 when valid).
    Addr(Bytes),
    /// CNAME, NS or PTR target.
    Name(Name),
    /// MX.
    Mx {
        /// Preference.
        preference: u16,
        /// Exchange host.
        exchange: Name,
    },
    /// One TXT character-string (a record with several strings gives several records).
    Txt(Bytes),
    /// SOA.
    Soa(Soa),
    /// SRV.
    Srv {
        /// Priority.
        priority: u16,
        /// Weight.
        weight: u16,
        /// Port.
        port: u16,
        /// Target host.
        target: Name,
    },
    /// SSHFP.
    Sshfp {
        /// Algorithm.
        algo: u8,
        /// Fingerprint type.
        fp_type: u8,
        /// Fingerprint bytes.
        fingerprint: Bytes,
    },
    /// NULL record data.
    Null(Bytes),
    /// Any other type: raw rdata.
    Other(Bytes),
}

/// One resource record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DnsRecord {
    /// Owner name.
    pub name: Name,
    /// Type.
    pub rrtype: u16,
    /// Class.
    pub rrclass: u16,
    /// Time to live.
    pub ttl: u32,
    /// Data.
    pub data: RData,
}

/// Problems seen in names, accumulated over a message.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NameFlags {
    /// A name was cut (`name_too_long`).
    pub truncated: bool,
    /// A pointer pointed at itself (`infinite_loop`).
    pub infinite_loop: bool,
    /// More than 255 labels/pointers (`too_many_labels`).
    pub label_limit: bool,
}

/// Why a message could not be parsed (Suricata's `malformed_data`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DnsError {
    /// Fewer bytes than a field needs.
    #[error("message truncated")]
    Truncated,
    /// A label type other than a length or a pointer (0x40/0x80 prefixes).
    #[error("bad label type")]
    BadLabel,
    /// A compression pointer beyond the message.
    #[error("compression pointer out of range")]
    BadPointer,
    /// A pointer to itself before any other pointer.
    #[error("compression pointer loop")]
    Loop,
    /// More than 255 labels with no pointer followed.
    #[error("too many labels")]
    TooManyLabels,
}

/// A parsed message. Reusable: [`DnsMessage::parse`] clears it first.
#[derive(Clone, Debug, Default)]
pub struct DnsMessage {
    /// Header.
    pub header: DnsHeader,
    /// Questions.
    pub queries: Vec<DnsQuery>,
    /// Answer records (responses only).
    pub answers: Vec<DnsRecord>,
    /// Authority records (responses only).
    pub authorities: Vec<DnsRecord>,
    /// Name problems.
    pub name_flags: NameFlags,
    arena: Vec<u8>,
}

/// Reads a big-endian u16 at `i`.
fn be16(m: &[u8], i: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*m.get(i)?, *m.get(i + 1)?]))
}

fn be32(m: &[u8], i: usize) -> Option<u32> {
    Some(u32::from_be_bytes([
        *m.get(i)?,
        *m.get(i + 1)?,
        *m.get(i + 2)?,
        *m.get(i + 3)?,
    ]))
}

/// Parses the 12-byte header.
pub fn parse_header(m: &[u8]) -> Option<DnsHeader> {
    Some(DnsHeader {
        id: be16(m, 0)?,
        flags: be16(m, 2)?,
        qdcount: be16(m, 4)?,
        ancount: be16(m, 6)?,
        nscount: be16(m, 8)?,
        arcount: be16(m, 10)?,
    })
}

impl DnsMessage {
    /// The bytes of a name.
    pub fn name(&self, n: &Name) -> &[u8] {
        self.bytes(n.bytes)
    }

    /// Bytes kept in the arena.
    pub fn bytes(&self, b: Bytes) -> &[u8] {
        self.arena
            .get(b.start as usize..(b.start as usize + b.len as usize))
            .unwrap_or(&[])
    }

    /// The first question's name (`dns.query` uses every question's name).
    pub fn query_name(&self, i: usize) -> Option<&[u8]> {
        self.queries.get(i).map(|q| self.name(&q.name))
    }

    /// Heap bytes held.
    pub fn memory(&self) -> usize {
        self.arena.capacity()
            + self.queries.capacity() * std::mem::size_of::<DnsQuery>()
            + (self.answers.capacity() + self.authorities.capacity())
                * std::mem::size_of::<DnsRecord>()
    }

    fn clear(&mut self) {
        self.header = DnsHeader::default();
        self.queries.clear();
        self.answers.clear();
        self.authorities.clear();
        self.name_flags = NameFlags::default();
        self.arena.clear();
    }

    fn keep(&mut self, data: &[u8]) -> Bytes {
        let start = self.arena.len();
        self.arena.extend_from_slice(data);
        Bytes {
            start: start as u32,
            len: data.len() as u32,
        }
    }

    /// Parses `m`: header and questions, and for `full` also the answer and authority sections
    /// (Suricata parses only questions in requests and skips the additional section).
    pub fn parse(&mut self, m: &[u8], full: bool) -> Result<(), DnsError> {
        self.clear();
        self.header = parse_header(m).ok_or(DnsError::Truncated)?;
        let mut pos = 12;
        for _ in 0..self.header.qdcount {
            let (p, name) = self.parse_name(m, pos, m.len())?;
            let rrtype = be16(m, p).ok_or(DnsError::Truncated)?;
            let rrclass = be16(m, p + 2).ok_or(DnsError::Truncated)?;
            pos = p + 4;
            self.queries.push(DnsQuery {
                name,
                rrtype,
                rrclass,
            });
        }
        if full {
            pos = self.parse_records(m, pos, self.header.ancount, true)?;
            self.parse_records(m, pos, self.header.nscount, false)?;
        }
        Ok(())
    }

    fn parse_records(
        &mut self,
        m: &[u8],
        mut pos: usize,
        count: u16,
        answers: bool,
    ) -> Result<usize, DnsError> {
        for _ in 0..count {
            let (p, name) = self.parse_name(m, pos, m.len())?;
            let rrtype = be16(m, p).ok_or(DnsError::Truncated)?;
            let rrclass = be16(m, p + 2).ok_or(DnsError::Truncated)?;
            let ttl = be32(m, p + 4).ok_or(DnsError::Truncated)?;
            let rdlen = usize::from(be16(m, p + 8).ok_or(DnsError::Truncated)?);
            let rs = p + 10;
            let re = rs + rdlen;
            if re > m.len() {
                return Err(DnsError::Truncated);
            }
            pos = re;
            if rdlen == 0 {
                // Suricata 7 keeps no record for empty rdata.
                continue;
            }
            let push = |msg: &mut DnsMessage, data: RData| {
                let r = DnsRecord {
                    name,
                    rrtype,
                    rrclass,
                    ttl,
                    data,
                };
                if answers {
                    msg.answers.push(r)
                } else {
                    msg.authorities.push(r)
                }
            };
            if rrtype == rrtype::TXT {
                // Each character-string becomes its own record; a cut string ends the list
                // (and fails the message when it is the first).
                let mut q = rs;
                let mut n = 0u32;
                while q < re {
                    let l = usize::from(*m.get(q).ok_or(DnsError::Truncated)?);
                    if q + 1 + l > re {
                        break;
                    }
                    let b = self.keep(m.get(q + 1..q + 1 + l).unwrap_or(&[]));
                    push(self, RData::Txt(b));
                    n += 1;
                    q += 1 + l;
                }
                if n == 0 {
                    return Err(DnsError::Truncated);
                }
                continue;
            }
            let data = self.parse_rdata(m, rrtype, rs, re)?;
            push(self, data);
        }
        Ok(pos)
    }

    fn parse_rdata(
        &mut self,
        m: &[u8],
        rrtype: u16,
        rs: usize,
        re: usize,
    ) -> Result<RData, DnsError> {
        let raw = m.get(rs..re).unwrap_or(&[]);
        Ok(match rrtype {
            rrtype::A | rrtype::AAAA => RData::Addr(self.keep(raw)),
            rrtype::CNAME | rrtype::NS | rrtype::PTR => RData::Name(self.parse_name(m, rs, re)?.1),
            rrtype::MX => {
                if rs + 2 > re {
                    return Err(DnsError::Truncated);
                }
                let preference = be16(m, rs).ok_or(DnsError::Truncated)?;
                RData::Mx {
                    preference,
                    exchange: self.parse_name(m, rs + 2, re)?.1,
                }
            }
            rrtype::SOA => {
                let (p, mname) = self.parse_name(m, rs, re)?;
                let (p, rname) = self.parse_name(m, p, re)?;
                if p + 20 > re {
                    return Err(DnsError::Truncated);
                }
                let g = |i: usize| be32(m, p + 4 * i).ok_or(DnsError::Truncated);
                RData::Soa(Soa {
                    mname,
                    rname,
                    serial: g(0)?,
                    refresh: g(1)?,
                    retry: g(2)?,
                    expire: g(3)?,
                    minimum: g(4)?,
                })
            }
            rrtype::SRV => {
                if rs + 6 > re {
                    return Err(DnsError::Truncated);
                }
                let priority = be16(m, rs).ok_or(DnsError::Truncated)?;
                let weight = be16(m, rs + 2).ok_or(DnsError::Truncated)?;
                let port = be16(m, rs + 4).ok_or(DnsError::Truncated)?;
                RData::Srv {
                    priority,
                    weight,
                    port,
                    target: self.parse_name(m, rs + 6, re)?.1,
                }
            }
            rrtype::SSHFP => {
                if rs + 2 > re {
                    return Err(DnsError::Truncated);
                }
                let algo = *m.get(rs).ok_or(DnsError::Truncated)?;
                let fp_type = *m.get(rs + 1).ok_or(DnsError::Truncated)?;
                RData::Sshfp {
                    algo,
                    fp_type,
                    fingerprint: self.keep(m.get(rs + 2..re).unwrap_or(&[])),
                }
            }
            rrtype::NULL => RData::Null(self.keep(raw)),
            _ => RData::Other(self.keep(raw)),
        })
    }

    /// Decompresses the name at `start` (its own bytes end at `end`; pointers may go anywhere
    /// in the message). Returns the position after the name's own bytes.
    fn parse_name(
        &mut self,
        m: &[u8],
        start: usize,
        end: usize,
    ) -> Result<(usize, Name), DnsError> {
        let ns = self.arena.len();
        let mut cur = start;
        let mut lim = end.min(m.len());
        let mut pivot: Option<usize> = None;
        let mut count = 0u32;
        let mut truncated = false;
        loop {
            if cur >= lim {
                break;
            }
            let len = *m.get(cur).ok_or(DnsError::Truncated)?;
            if len == 0 {
                cur += 1;
                break;
            } else if len & 0xc0 == 0 {
                let l = usize::from(len);
                if cur + 1 + l > lim {
                    return Err(DnsError::Truncated);
                }
                if !truncated {
                    if self.arena.len() > ns {
                        self.arena.push(b'.');
                    }
                    self.arena
                        .extend_from_slice(m.get(cur + 1..cur + 1 + l).unwrap_or(&[]));
                }
                cur += 1 + l;
            } else if len & 0xc0 == 0xc0 {
                if cur + 2 > lim {
                    return Err(DnsError::Truncated);
                }
                let off = usize::from(be16(m, cur).ok_or(DnsError::Truncated)? & 0x3fff);
                if off > m.len() {
                    return Err(DnsError::BadPointer);
                }
                if off == cur {
                    self.name_flags.infinite_loop = true;
                    if pivot.is_some() {
                        break;
                    }
                    return Err(DnsError::Loop);
                }
                if pivot.is_none() {
                    pivot = Some(cur + 2);
                }
                cur = off;
                lim = m.len();
            } else {
                return Err(DnsError::BadLabel);
            }
            count += 1;
            if count > MAX_LABELS {
                self.name_flags.label_limit = true;
                if pivot.is_some() {
                    truncated = true;
                    break;
                }
                return Err(DnsError::TooManyLabels);
            }
            if self.arena.len() - ns > MAX_NAME_LEN {
                self.arena.truncate(ns + MAX_NAME_LEN);
                truncated = true;
                if pivot.is_some() {
                    break;
                }
            }
        }
        if truncated {
            self.name_flags.truncated = true;
        }
        let name = Name {
            bytes: Bytes {
                start: ns as u32,
                len: (self.arena.len() - ns) as u32,
            },
            truncated,
        };
        Ok((pivot.unwrap_or(cur), name))
    }
}

/// Suricata's name for a record type (`None`: Suricata prints the number).
pub fn rrtype_name(t: u16) -> Option<&'static str> {
    Some(match t {
        1 => "A",
        2 => "NS",
        3 => "ND", // sic: Suricata 7 prints MD as "ND"
        4 => "MF",
        5 => "CNAME",
        6 => "SOA",
        7 => "MB",
        8 => "MG",
        9 => "MR",
        10 => "NULL",
        11 => "WKS",
        12 => "PTR",
        13 => "HINFO",
        14 => "MINFO",
        15 => "MX",
        16 => "TXT",
        17 => "RP",
        18 => "AFSDB",
        19 => "X25",
        20 => "ISDN",
        21 => "RT",
        22 => "NSAP",
        23 => "NSAPPT", // sic
        24 => "SIG",
        25 => "KEY",
        26 => "PX",
        27 => "GPOS",
        28 => "AAAA",
        29 => "LOC",
        30 => "NXT",
        33 => "SRV",
        34 => "ATMA",
        35 => "NAPTR",
        36 => "KX",
        37 => "CERT",
        38 => "A6",
        39 => "DNAME",
        41 => "OPT",
        42 => "APL",
        43 => "DS",
        44 => "SSHFP",
        45 => "IPSECKEY",
        46 => "RRSIG",
        47 => "NSEC",
        48 => "DNSKEY",
        49 => "DHCID",
        50 => "NSEC3",
        51 => "NSEC3PARAM",
        52 => "TLSA",
        55 => "HIP",
        59 => "CDS",
        60 => "CDSNKEY", // sic
        65 => "HTTPS",
        99 => "SPF",
        249 => "TKEY",
        250 => "TSIG",
        254 => "MAILA",
        255 => "ANY",
        256 => "URI",
        _ => return None,
    })
}

/// Suricata's name for a response code (`None`: Suricata prints the number).
pub fn rcode_name(rcode: u8) -> Option<&'static str> {
    Some(match rcode {
        0 => "NOERROR",
        1 => "FORMERR",
        2 => "SERVFAIL",
        3 => "NXDOMAIN",
        4 => "NOTIMP",
        5 => "REFUSED",
        6 => "YXDOMAIN",
        7 => "YXRRSET",
        8 => "NXRRSET",
        9 => "NOTAUTH",
        10 => "NOTZONE",
        _ => return None,
    })
}
