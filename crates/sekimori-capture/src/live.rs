//! Live capture through libpcap (cargo feature `live`, needs libpcap at build and run time).
//!
//! Each packet is copied once into a reusable buffer owned by the source: libpcap's read times
//! out periodically and the retry loop cannot hand out a borrow of libpcap's own buffer (the
//! borrow checker cannot prove the timed-out attempt's borrow dead), so one `memcpy` of at most
//! `snaplen` bytes per packet is the price; no allocation happens after the first packets.

use std::os::fd::AsRawFd;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::cell::RefCell;

use crate::stats::{CaptureStats, Progress};
use crate::types::{LinkType, Packet, Timestamp};
use crate::{CaptureError, PacketSource};

/// libpcap read timeout: how long a read waits before libpcap returns (and we read again).
const READ_TIMEOUT_MS: i32 = 100;
/// Kernel buffer requested for the capture.
const KERNEL_BUFFER: i32 = 16 * 1024 * 1024;

/// A live network interface as a [`PacketSource`]. `next_packet` blocks until a packet arrives;
/// it returns `Ok(None)` only if libpcap reports the end of the capture.
pub struct LiveSource {
    iface: String,
    /// In a `RefCell` so that `stats(&self)` can ask libpcap for fresh drop counters.
    cap: RefCell<pcap::Capture<pcap::Active>>,
    linktype: LinkType,
    buf: Vec<u8>,
    cnt: u64,
    bytes: u64,
    errors: u64,
    stop: Arc<AtomicBool>,
}

impl std::fmt::Debug for LiveSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveSource")
            .field("iface", &self.iface)
            .field("linktype", &self.linktype)
            .field("packets", &self.cnt)
            .finish_non_exhaustive()
    }
}

impl LiveSource {
    /// Opens `iface` for capture with an optional BPF filter (tcpdump syntax), a snap length in
    /// bytes (0 = 262144) and promiscuous mode on or off.
    pub fn open(
        iface: &str,
        bpf: Option<&str>,
        snaplen: u32,
        promisc: bool,
    ) -> Result<Self, CaptureError> {
        let err = |what: &'static str, e: pcap::Error| CaptureError::Live {
            iface: iface.to_string(),
            what,
            reason: e.to_string(),
        };
        let snaplen = if snaplen == 0 {
            262_144
        } else {
            snaplen.min(i32::MAX as u32) as i32
        };
        let mut cap = pcap::Capture::from_device(iface)
            .map_err(|e| err("open", e))?
            .snaplen(snaplen)
            .promisc(promisc)
            .timeout(READ_TIMEOUT_MS)
            .buffer_size(KERNEL_BUFFER)
            .open()
            .map_err(|e| err("open", e))?
            // Non-blocking: with TPACKET_V3 the read timeout never fires on an idle interface,
            // so the reader polls the descriptor itself (see `wait_readable`).
            .setnonblock()
            .map_err(|e| err("set non-blocking", e))?;
        if let Some(f) = bpf {
            cap.filter(f, true).map_err(|e| err("bpf filter", e))?;
        }
        let linktype = LinkType(cap.get_datalink().0 as u32);
        Ok(LiveSource {
            iface: iface.to_string(),
            cap: RefCell::new(cap),
            linktype,
            buf: Vec::with_capacity(snaplen.clamp(0, 65_536) as usize),
            cnt: 0,
            bytes: 0,
            errors: 0,
            stop: Arc::new(AtomicBool::new(false)),
        })
    }

    /// A flag that ends the capture: once set (e.g. from a signal handler), `next_packet`
    /// returns `Ok(None)` within one read timeout.
    pub fn stop_flag(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.stop)
    }

    /// The interface name.
    pub fn iface(&self) -> &str {
        &self.iface
    }

    /// The interface's link type.
    pub fn linktype(&self) -> LinkType {
        self.linktype
    }
}

/// Waits until `fd` is readable or `timeout_ms` passed (EINTR, e.g. a signal, also returns).
fn wait_readable(fd: std::os::fd::RawFd, timeout_ms: i32) {
    let mut p = libc::pollfd { fd, events: libc::POLLIN, revents: 0 };
    // SAFETY: `p` is a valid pollfd for the duration of the call and nfds is 1.
    unsafe {
        libc::poll(&mut p, 1, timeout_ms);
    }
}

impl PacketSource for LiveSource {
    fn next_packet(&mut self) -> Result<Option<Packet<'_>>, CaptureError> {
        let cap = self.cap.get_mut();
        let (ts, orig_len) = loop {
            if self.stop.load(Ordering::Relaxed) {
                return Ok(None);
            }
            match cap.next_packet() {
                Ok(p) => {
                    // time_t / suseconds_t are i64 here but i32 on some platforms.
                    #[allow(clippy::useless_conversion)]
                    let (secs, usecs) = (i64::from(p.header.ts.tv_sec), i64::from(p.header.ts.tv_usec));
                    let ns = secs
                        .saturating_mul(1_000_000_000)
                        .saturating_add(usecs.saturating_mul(1_000));
                    self.buf.clear();
                    self.buf.extend_from_slice(p.data);
                    break (Timestamp(ns), p.header.len.max(p.data.len() as u32));
                }
                Err(pcap::Error::TimeoutExpired) => {
                    if self.stop.load(Ordering::Relaxed) {
                        return Ok(None);
                    }
                    wait_readable(cap.as_raw_fd(), READ_TIMEOUT_MS);
                    continue;
                }
                Err(pcap::Error::NoMorePackets) => return Ok(None),
                Err(e) => {
                    self.errors += 1;
                    return Err(CaptureError::Live {
                        iface: self.iface.clone(),
                        what: "read",
                        reason: e.to_string(),
                    });
                }
            }
        };
        self.cnt += 1;
        self.bytes += self.buf.len() as u64;
        Ok(Some(Packet {
            ts,
            linktype: self.linktype,
            data: &self.buf,
            orig_len,
            pcap_cnt: self.cnt,
            source: 0,
        }))
    }

    fn stats(&self) -> CaptureStats {
        let mut s = CaptureStats {
            packets: self.cnt,
            bytes: self.bytes,
            errors: self.errors,
            ..Default::default()
        };
        // No borrow of the capture can be outstanding here (`next_packet` uses `get_mut`).
        if let Ok(mut cap) = self.cap.try_borrow_mut()
            && let Ok(k) = cap.stats()
        {
            s.kernel_received = u64::from(k.received);
            s.kernel_dropped = u64::from(k.dropped);
            s.if_dropped = u64::from(k.if_dropped);
        }
        s
    }

    fn progress(&self) -> Progress {
        Progress {
            done: self.bytes,
            total: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_interface_is_a_clear_error() {
        let e =
            LiveSource::open("sekimori-no-such-if0", None, 0, false).expect_err("no such iface");
        let m = e.to_string();
        assert!(
            m.starts_with("interface sekimori-no-such-if0: open: "),
            "{m}"
        );
        assert!(!m.contains('\n'));
    }

    /// Captures a UDP datagram sent to ourselves on loopback. Skipped without capture rights.
    #[test]
    fn loopback_capture_sees_our_datagram() {
        let mut src = match LiveSource::open("lo", Some("udp and dst port 47931"), 0, false) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("skipping live test: {e}");
                return;
            }
        };
        let sock = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind");
        sock.send_to(b"sekimori-live-probe", "127.0.0.1:47931")
            .expect("send");
        let p = src.next_packet().expect("read").expect("a packet");
        assert!(p.data.windows(19).any(|w| w == b"sekimori-live-probe"));
        assert_eq!(p.pcap_cnt, 1);
        assert!(p.ts.secs() > 1_600_000_000);
        let lt = p.linktype;
        assert!(
            lt == LinkType::ETHERNET || lt == LinkType::NULL || lt == LinkType::LOOP,
            "{lt:?}"
        );
        let s = src.stats();
        assert_eq!(s.packets, 1);
        assert!(s.kernel_received >= 1);
    }
}
