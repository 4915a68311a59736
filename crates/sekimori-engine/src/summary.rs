//! What a run did, for the CLI's end-of-run screen and for tests.

/// Totals of one run.
#[derive(Clone, Debug, Default)]
pub struct Summary {
    /// Packets processed.
    pub packets: u64,
    /// Captured bytes processed.
    pub bytes: u64,
    /// Flows created.
    pub flows: u64,
    /// Decoder anomalies.
    pub decoder_anomalies: u64,
    /// Stream events (invalid packets, overlaps with different data, gaps, ...).
    pub stream_events: u64,
    /// IP datagrams rebuilt from fragments.
    pub reassembled: u64,
    /// EVE records written, per event type.
    pub events: Vec<(String, u64)>,
    /// Signature rules in use.
    pub rules: usize,
    /// EVE file name inside the log directory.
    pub eve_file: String,
}
