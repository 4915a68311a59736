//! Errors of the protocol layer. Parsing never fails with an error type: hostile input becomes
//! events and counters. Only configuration can be rejected.

/// An unusable [`crate::AppConfig`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// A limit that must be positive is zero.
    #[error("app-layer setting {0} must be greater than zero")]
    Zero(&'static str),
    /// The HTTP head limit exceeds what the layer may buffer for an incomplete message.
    #[error("http.max_head_len ({head}) must not exceed max_pending ({pending})")]
    HeadLargerThanPending {
        /// `http.max_head_len`.
        head: usize,
        /// `max_pending`.
        pending: usize,
    },
}
