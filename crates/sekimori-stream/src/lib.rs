//! TCP session tracking and stream reassembly for sekimori, following Suricata's stream engine:
//! three-way-handshake validation, Suricata's TCP state machine and state names, midstream and
//! async-oneside pickups, sequence/ACK/window validation with 32-bit wrap-around, target-based
//! overlap policies (`first`, `last`, `bsd`, `linux`, `solaris`, `windows`, ...), release of data
//! once the receiver acknowledged it (IDS) or as soon as it is contiguous (inline), gaps for data
//! known to be missing, reassembly depth and a shared memory cap.
//!
//! One [`StreamEngine`] per worker; one [`TcpSession`] per flow. Feed every TCP packet of a flow
//! to [`StreamEngine::process`]; reassembled bytes arrive in order at a [`StreamSink`]. At flow
//! end call [`StreamEngine::flush`]. A [`RawStream`] per direction keeps reassembled data for
//! the signature rules that inspect the stream (Suricata's raw reassembly).
#![deny(missing_docs)]

mod buffer;
pub mod config;
pub mod engine;
pub mod event;
pub mod raw;
pub mod seq;
pub mod session;
pub mod stats;

pub use config::{ALL_POLICIES, ConfigError, OverlapPolicy, StreamConfig};
pub use engine::{NullSink, SegmentOutcome, StreamEngine, StreamSink};
pub use event::{EventSet, StreamEvent};
pub use raw::RawStream;
pub use session::{TcpSession, TcpState};
pub use stats::{StreamMemory, StreamStats};

#[cfg(test)]
mod tests;
