//! SMB2/3 wire structures, read from byte slices with bounds checks.
//!
//! Hand-rolled: no maintained Rust crate parses SMB2 zero-copy without pulling in nom-based
//! state we could not bound (and the fields needed here are fixed offsets of [MS-SMB2]).

/// Little-endian u16 at `o`, if in range.
pub(crate) fn u16le(d: &[u8], o: usize) -> Option<u16> {
    let b = d.get(o..o.checked_add(2)?)?;
    Some(u16::from_le_bytes([b[0], b[1]]))
}

/// Little-endian u32 at `o`, if in range.
pub(crate) fn u32le(d: &[u8], o: usize) -> Option<u32> {
    let b = d.get(o..o.checked_add(4)?)?;
    Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

/// Little-endian u64 at `o`, if in range.
pub(crate) fn u64le(d: &[u8], o: usize) -> Option<u64> {
    let b = d.get(o..o.checked_add(8)?)?;
    let mut a = [0u8; 8];
    a.copy_from_slice(b);
    Some(u64::from_le_bytes(a))
}

/// 16 bytes at `o`.
pub(crate) fn guid(d: &[u8], o: usize) -> Option<[u8; 16]> {
    let b = d.get(o..o.checked_add(16)?)?;
    let mut a = [0u8; 16];
    a.copy_from_slice(b);
    Some(a)
}

/// Size of the SMB2 header.
pub(crate) const HDR: usize = 64;
/// SMB2 protocol id.
pub(crate) const SMB2_MAGIC: &[u8; 4] = b"\xfeSMB";
/// SMB1 protocol id.
pub(crate) const SMB1_MAGIC: &[u8; 4] = b"\xffSMB";
/// SMB3 transform header protocol id (encrypted message).
pub(crate) const TRANSFORM_MAGIC: &[u8; 4] = b"\xfdSMB";
/// SMB3.1.1 compression transform header protocol id.
pub(crate) const COMPRESS_MAGIC: &[u8; 4] = b"\xfcSMB";

/// Flag: the message is a response.
pub(crate) const FLAG_RESPONSE: u32 = 0x1;
/// Flag: async header.
pub(crate) const FLAG_ASYNC: u32 = 0x2;

/// The fixed SMB2 header fields sekimori uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Smb2Header {
    pub(crate) status: u32,
    pub(crate) command: u16,
    pub(crate) flags: u32,
    pub(crate) next_command: u32,
    pub(crate) message_id: u64,
    /// Tree id (0 for async messages, which carry an async id instead).
    pub(crate) tree_id: u32,
    pub(crate) session_id: u64,
}

impl Smb2Header {
    /// Parses the 64-byte header at the start of `d` (magic checked).
    pub(crate) fn parse(d: &[u8]) -> Option<Smb2Header> {
        if d.get(..4)? != SMB2_MAGIC || d.len() < HDR {
            return None;
        }
        let flags = u32le(d, 16)?;
        Some(Smb2Header {
            status: u32le(d, 8)?,
            command: u16le(d, 12)?,
            flags,
            next_command: u32le(d, 20)?,
            message_id: u64le(d, 24)?,
            tree_id: if flags & FLAG_ASYNC != 0 {
                0
            } else {
                u32le(d, 36)?
            },
            session_id: u64le(d, 40)?,
        })
    }
    /// The message is a response.
    pub(crate) fn is_response(&self) -> bool {
        self.flags & FLAG_RESPONSE != 0
    }
}

/// Decodes UTF-16LE into UTF-8 (`out` cleared first), replacing invalid units, at most `cap`
/// output bytes.
pub(crate) fn utf16le(d: &[u8], cap: usize, out: &mut Vec<u8>) {
    out.clear();
    let units = d.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]]));
    for ch in char::decode_utf16(units) {
        let ch = ch.unwrap_or(char::REPLACEMENT_CHARACTER);
        let mut b = [0u8; 4];
        let s = ch.encode_utf8(&mut b);
        if out.len() + s.len() > cap {
            break;
        }
        out.extend_from_slice(s.as_bytes());
    }
}

/// NTLMSSP AUTHENTICATE facts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Ntlmssp {
    /// Domain name (UTF-8).
    pub domain: Vec<u8>,
    /// User name (UTF-8).
    pub user: Vec<u8>,
    /// Workstation name (UTF-8).
    pub host: Vec<u8>,
    /// OS version `(major, minor, build, revision)` when the client sent one.
    pub version: Option<(u8, u8, u16, u8)>,
}

/// Finds an NTLMSSP AUTHENTICATE message in a security blob (SPNEGO-wrapped or raw).
/// `Err(())` when one is present but malformed; `Ok(None)` when there is none.
#[allow(clippy::result_unit_err)]
pub(crate) fn ntlmssp_auth(blob: &[u8], cap: usize) -> Result<Option<Ntlmssp>, ()> {
    let Some(pos) = memchr::memmem::find(blob, b"NTLMSSP\0") else {
        return Ok(None);
    };
    let m = blob.get(pos..).ok_or(())?;
    let ty = u32le(m, 8).ok_or(())?;
    if ty != 3 {
        return Ok(None);
    }
    let flags = u32le(m, 60).ok_or(())?;
    let unicode = flags & 1 != 0;
    let field = |o: usize, out: &mut Vec<u8>| -> Result<(), ()> {
        let len = usize::from(u16le(m, o).ok_or(())?);
        let off = u32le(m, o + 4).ok_or(())? as usize;
        let b = m.get(off..off.checked_add(len).ok_or(())?).ok_or(())?;
        if unicode {
            utf16le(b, cap, out);
        } else {
            out.clear();
            out.extend_from_slice(b.get(..b.len().min(cap)).unwrap_or_default());
        }
        Ok(())
    };
    let mut n = Ntlmssp::default();
    field(28, &mut n.domain)?;
    field(36, &mut n.user)?;
    field(44, &mut n.host)?;
    if flags & 0x0200_0000 != 0
        && let (Some(&maj), Some(&min), Some(build), Some(&rev)) =
            (m.get(64), m.get(65), u16le(m, 66), m.get(71))
    {
        n.version = Some((maj, min, build, rev));
    }
    Ok(Some(n))
}

/// Suricata's name of an SMB2 command.
pub fn command_name(c: u16) -> Option<&'static str> {
    Some(match c {
        0 => "SMB2_COMMAND_NEGOTIATE_PROTOCOL",
        1 => "SMB2_COMMAND_SESSION_SETUP",
        2 => "SMB2_COMMAND_SESSION_LOGOFF",
        3 => "SMB2_COMMAND_TREE_CONNECT",
        4 => "SMB2_COMMAND_TREE_DISCONNECT",
        5 => "SMB2_COMMAND_CREATE",
        6 => "SMB2_COMMAND_CLOSE",
        7 => "SMB2_COMMAND_FLUSH",
        8 => "SMB2_COMMAND_READ",
        9 => "SMB2_COMMAND_WRITE",
        10 => "SMB2_COMMAND_LOCK",
        11 => "SMB2_COMMAND_IOCTL",
        12 => "SMB2_COMMAND_CANCEL",
        13 => "SMB2_COMMAND_KEEPALIVE",
        14 => "SMB2_COMMAND_FIND",
        15 => "SMB2_COMMAND_CHANGE_NOTIFY",
        16 => "SMB2_COMMAND_GET_INFO",
        17 => "SMB2_COMMAND_SET_INFO",
        18 => "SMB2_COMMAND_OPLOCK_BREAK",
        _ => return None,
    })
}

/// Suricata's name of an NT status code (the common ones).
pub fn status_name(s: u32) -> Option<&'static str> {
    Some(match s {
        0x0000_0000 => "STATUS_SUCCESS",
        0x0000_0103 => "STATUS_PENDING",
        0x0000_010c => "STATUS_NOTIFY_ENUM_DIR",
        0x8000_0005 => "STATUS_BUFFER_OVERFLOW",
        0x8000_0006 => "STATUS_NO_MORE_FILES",
        0xc000_0001 => "STATUS_UNSUCCESSFUL",
        0xc000_0002 => "STATUS_NOT_IMPLEMENTED",
        0xc000_000d => "STATUS_INVALID_PARAMETER",
        0xc000_000f => "STATUS_NO_SUCH_FILE",
        0xc000_0010 => "STATUS_INVALID_DEVICE_REQUEST",
        0xc000_0011 => "STATUS_END_OF_FILE",
        0xc000_0016 => "STATUS_MORE_PROCESSING_REQUIRED",
        0xc000_0022 => "STATUS_ACCESS_DENIED",
        0xc000_0023 => "STATUS_BUFFER_TOO_SMALL",
        0xc000_0034 => "STATUS_OBJECT_NAME_NOT_FOUND",
        0xc000_0035 => "STATUS_OBJECT_NAME_COLLISION",
        0xc000_003a => "STATUS_OBJECT_PATH_NOT_FOUND",
        0xc000_0043 => "STATUS_SHARING_VIOLATION",
        0xc000_006d => "STATUS_LOGON_FAILURE",
        0xc000_00bb => "STATUS_NOT_SUPPORTED",
        0xc000_00c9 => "STATUS_NETWORK_NAME_DELETED",
        0xc000_00cc => "STATUS_BAD_NETWORK_NAME",
        0xc000_0120 => "STATUS_CANCELLED",
        0xc000_0128 => "STATUS_FILE_CLOSED",
        0xc000_0203 => "STATUS_USER_SESSION_DELETED",
        0xc000_0225 => "STATUS_NOT_FOUND",
        _ => return None,
    })
}

/// Suricata's string of a dialect revision (`2.02`, `3.11`, `2.??` for the wildcard).
pub fn dialect_string(d: u16) -> Option<&'static str> {
    Some(match d {
        0x0202 => "2.02",
        0x0210 => "2.10",
        0x0222 => "2.22",
        0x0224 => "2.24",
        0x0300 => "3.00",
        0x0302 => "3.02",
        0x0310 => "3.10",
        0x0311 => "3.11",
        0x02ff => "2.??",
        _ => return None,
    })
}

/// Suricata's name of a CREATE disposition.
pub fn disposition_name(d: u32) -> Option<&'static str> {
    Some(match d {
        0 => "FILE_SUPERSEDE",
        1 => "FILE_OPEN",
        2 => "FILE_CREATE",
        3 => "FILE_OPEN_IF",
        4 => "FILE_OVERWRITE",
        5 => "FILE_OVERWRITE_IF",
        _ => return None,
    })
}

/// Seconds since 1970 of a Windows FILETIME (100 ns since 1601); 0 for times before 1970.
pub fn filetime_to_unix(ft: u64) -> u64 {
    (ft / 10_000_000).saturating_sub(11_644_473_600)
}

/// Suricata's GUID-style string of a 16-byte file id or GUID: little-endian groups of 4, 2,
/// 2, 2 bytes, then 2 and 4 bytes printed as little-endian numbers side by side.
pub fn fuid_string(g: &[u8; 16]) -> String {
    let a = u32::from_le_bytes([g[0], g[1], g[2], g[3]]);
    let b = u16::from_le_bytes([g[4], g[5]]);
    let c = u16::from_le_bytes([g[6], g[7]]);
    let d = u16::from_le_bytes([g[8], g[9]]);
    let e = u16::from_le_bytes([g[10], g[11]]);
    let f = u32::from_le_bytes([g[12], g[13], g[14], g[15]]);
    format!("{a:08x}-{b:04x}-{c:04x}-{d:04x}-{e:04x}{f:08x}")
}
