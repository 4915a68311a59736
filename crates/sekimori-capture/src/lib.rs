//! Packet acquisition: pcap and pcapng files (several merged in timestamp order) and, behind the
//! `live` feature, live capture. Every source counts what it read, dropped and failed on.
//!
//! All sources implement [`PacketSource`], a *lending* reader: the [`Packet`] returned by
//! [`PacketSource::next_packet`] borrows the source and is valid until the next call. Nothing is
//! allocated per packet once the buffers are warm.
//!
//! ```no_run
//! use sekimori_capture::{MultiFileSource, PacketSource};
//!
//! let mut src = MultiFileSource::open(&["a.pcap", "b.pcapng"])?;
//! while let Some(pkt) = src.next_packet()? {
//!     println!("#{} {} {:?} {} bytes", pkt.pcap_cnt, pkt.ts, pkt.linktype, pkt.data.len());
//! }
//! let stats = src.stats();
//! println!("{} packets, {} truncated files", stats.packets, stats.truncated);
//! # Ok::<(), sekimori_capture::CaptureError>(())
//! ```
//!
//! Error policy: a file cut short in the middle of a record (a capture that was killed) is not an
//! error; the source delivers every complete record, records the offset in
//! [`FileStats::truncated`] and ends. A structurally corrupt file makes `next_packet` return
//! [`CaptureError::Corrupt`] once; that file then ends (a [`MultiFileSource`] goes on with the
//! other files if called again).
#![deny(missing_docs)]

pub mod error;
pub mod file;
#[cfg(feature = "live")]
pub mod live;
pub mod multi;
pub mod stats;
#[cfg(test)]
mod testutil;
pub mod types;

pub use error::CaptureError;
pub use file::{CaptureOptions, FileFormat, PcapFile};
#[cfg(feature = "live")]
pub use live::LiveSource;
pub use multi::MultiFileSource;
pub use stats::{CaptureStats, FileStats, Progress};
pub use types::{LinkType, Packet, Timestamp};

/// A source of packets (a file, several merged files, a live interface).
///
/// `next_packet` lends the packet: it borrows the source until the next call, so sources can
/// hand out slices of their internal buffers without copying.
pub trait PacketSource {
    /// The next packet, `Ok(None)` at the end of the input.
    ///
    /// After an `Err`, the failed input is finished; calling again continues with what is left
    /// (nothing for a single file, the other files for a [`MultiFileSource`]).
    fn next_packet(&mut self) -> Result<Option<Packet<'_>>, CaptureError>;

    /// Counters so far (packets, bytes, anomalies, truncations, drops).
    fn stats(&self) -> CaptureStats;

    /// Bytes consumed so far and the total when known (files), for a progress bar.
    fn progress(&self) -> Progress;
}

impl<S: PacketSource + ?Sized> PacketSource for Box<S> {
    fn next_packet(&mut self) -> Result<Option<Packet<'_>>, CaptureError> {
        (**self).next_packet()
    }
    fn stats(&self) -> CaptureStats {
        (**self).stats()
    }
    fn progress(&self) -> Progress {
        (**self).progress()
    }
}
