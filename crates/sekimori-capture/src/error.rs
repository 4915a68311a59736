//! Typed capture errors. Every message is one line naming the file (or interface) and offset.

use std::io;
use std::path::PathBuf;

/// Why a packet source could not be opened or read.
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    /// The file could not be opened (missing, permissions, ...).
    #[error("{}: cannot open: {error}", path.display())]
    Open {
        /// The file.
        path: PathBuf,
        /// The OS error.
        error: io::Error,
    },
    /// The file has zero bytes.
    #[error("{}: offset 0: empty file (0 bytes), not a pcap or pcapng file", path.display())]
    Empty {
        /// The file.
        path: PathBuf,
    },
    /// The file does not start with a pcap or pcapng magic number.
    #[error("{}: offset 0: not a pcap or pcapng file (magic {magic})", path.display())]
    NotPcap {
        /// The file.
        path: PathBuf,
        /// The first bytes in hex, with a guess of what the file is when recognisable.
        magic: String,
    },
    /// The file is structurally broken at `offset` (the start of the offending record/block).
    #[error("{}: offset {offset}: corrupt capture file: {reason}", path.display())]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// Byte offset of the record or block that could not be parsed.
        offset: u64,
        /// What is wrong, in a few words.
        reason: String,
    },
    /// Reading the file failed (I/O error, not a format problem).
    #[error("{}: offset {offset}: read error: {error}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Bytes consumed before the failure.
        offset: u64,
        /// The OS error.
        error: io::Error,
    },
    /// More inputs than `Packet::source` (u16) can number.
    #[error("too many input files: {count} (at most 65536)")]
    TooManyFiles {
        /// How many were given.
        count: usize,
    },
    /// Live capture failure (open, filter compile, read).
    #[cfg(feature = "live")]
    #[error("interface {iface}: {what}: {reason}")]
    Live {
        /// The interface name.
        iface: String,
        /// The operation that failed ("open", "bpf filter", "read").
        what: &'static str,
        /// libpcap's message.
        reason: String,
    },
}

/// Describes the first bytes of a file that is not a capture: hex plus a guess.
pub(crate) fn describe_magic(head: &[u8]) -> String {
    let n = head.len().min(4);
    let mut s = String::with_capacity(32);
    for (i, b) in head.iter().take(n).enumerate() {
        if i > 0 {
            s.push(' ');
        }
        s.push_str(&format!("{b:02x}"));
    }
    if n < 4 {
        s.push_str(&format!("; file too short ({} bytes)", head.len()));
        return s;
    }
    let guess = match head {
        [0x1f, 0x8b, ..] => Some("gzip-compressed; decompress it first"),
        [0x28, 0xb5, 0x2f, 0xfd, ..] => Some("zstd-compressed; decompress it first"),
        [0xfd, b'7', b'z', b'X', ..] => Some("xz-compressed; decompress it first"),
        [b'B', b'Z', b'h', ..] => Some("bzip2-compressed; decompress it first"),
        [b'P', b'K', 3, 4, ..] => Some("zip archive"),
        [0x34, 0xcd, 0xb2, 0xa1, ..] => Some("big-endian modified pcap, unsupported"),
        _ if head
            .iter()
            .take(16)
            .all(|b| b.is_ascii_graphic() || b.is_ascii_whitespace()) =>
        {
            Some("looks like text")
        }
        _ => None,
    };
    if let Some(g) = guess {
        s.push_str("; ");
        s.push_str(g);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_one_line_with_path_and_offset() {
        let e = CaptureError::Corrupt {
            path: "x/y.pcap".into(),
            offset: 1234,
            reason: "bad block".into(),
        };
        let m = e.to_string();
        assert_eq!(m, "x/y.pcap: offset 1234: corrupt capture file: bad block");
        let e = CaptureError::NotPcap {
            path: "z".into(),
            magic: describe_magic(b"\x1f\x8b\x08\x00"),
        };
        assert_eq!(
            e.to_string(),
            "z: offset 0: not a pcap or pcapng file (magic 1f 8b 08 00; gzip-compressed; decompress it first)"
        );
        assert!(!e.to_string().contains('\n'));
    }

    #[test]
    fn magic_descriptions() {
        assert_eq!(describe_magic(b"ab"), "61 62; file too short (2 bytes)");
        assert_eq!(
            describe_magic(b"hello world\n"),
            "68 65 6c 6c; looks like text"
        );
        assert_eq!(describe_magic(&[0, 1, 2, 0xff]), "00 01 02 ff");
    }
}
