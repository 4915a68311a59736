//! Errors of the flow table.

/// Invalid flow table configuration.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FlowError {
    /// Neither `max_flows` nor `memcap_bytes` is set: the table would grow without bound.
    #[error("flow table needs a limit: set max_flows or memcap_bytes")]
    Unbounded,
    /// `emergency_recovery` is outside 1..=100.
    #[error("flow emergency_recovery must be a percentage in 1..=100, got {0}")]
    EmergencyRecovery(u8),
    /// The memory cap leaves room for no flow at all.
    #[error("flow memcap of {memcap} bytes is below the size of one flow ({per_flow} bytes)")]
    MemcapTooSmall {
        /// Configured cap.
        memcap: u64,
        /// Estimated bytes per flow.
        per_flow: u64,
    },
}
