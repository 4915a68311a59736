//! Counters of the protocol layer: what it received, parsed, dropped and failed on.

/// HTTP parser counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HttpStats {
    /// Request heads parsed.
    pub requests: u64,
    /// Response heads parsed (interim 1xx responses included).
    pub responses: u64,
    /// Responses that had no request to pair with (`UNABLE_TO_MATCH_RESPONSE_TO_REQUEST`).
    pub unmatched_responses: u64,
    /// Transactions completed (handed to the sink at `Complete`).
    pub txs: u64,
    /// Transactions completed early because `max_tx` was reached.
    pub txs_evicted: u64,
    /// Request body bytes as seen on the wire (chunk framing included).
    pub request_body_bytes: u64,
    /// Response body bytes as seen on the wire (chunk framing included).
    pub response_body_bytes: u64,
    /// Bytes produced by gzip/deflate decoding.
    pub decoded_bytes: u64,
    /// Bodies whose decoding failed (`GZIP_DECOMPRESSION_FAILED`); delivered undecoded after.
    pub decompress_errors: u64,
    /// Bodies whose decoding was cut by the output cap or the ratio check (`COMPRESSION_BOMB`).
    pub decompress_truncated: u64,
    /// Invalid chunk-size lines.
    pub chunk_errors: u64,
    /// Heads longer than `max_head_len` (cut).
    pub heads_truncated: u64,
    /// Headers dropped because of `max_headers` or the repetition limit.
    pub headers_dropped: u64,
    /// Gaps seen by the HTTP parser.
    pub gaps: u64,
    /// Bytes skipped while resynchronising after a gap or garbage.
    pub resync_skipped: u64,
    /// CONNECT / Upgrade tunnels: parsing handed back to detection.
    pub tunnels: u64,
    /// Body streams opened on the file sink.
    pub files: u64,
    /// Bodies cut by the end of the stream before their framing finished (their files still
    /// close as complete, as libhtp finalises the message on close).
    pub bodies_cut: u64,
}

/// DNS parser counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DnsStats {
    /// Query messages parsed (to_server).
    pub requests: u64,
    /// Response messages parsed (to_client).
    pub responses: u64,
    /// Messages that could not be parsed (`malformed_data`, header checks, `not_request`).
    pub malformed: u64,
    /// Names cut at 1025 bytes or at the label limit (`name_too_long`).
    pub names_truncated: u64,
    /// Compression pointers pointing at themselves (`infinite_loop`).
    pub pointer_loops: u64,
    /// Names with more than 255 labels/pointers (`too_many_labels`).
    pub label_limits: u64,
    /// Responses paired with an outstanding query by id.
    pub paired: u64,
    /// Responses with no outstanding query of that id.
    pub unsolicited: u64,
    /// Queries never answered (evicted from the pairing window or pending at flow end).
    pub unanswered: u64,
    /// TCP length-prefixed frames of length zero (skipped).
    pub empty_frames: u64,
}

/// TLS parser counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TlsStats {
    /// TLS records whose header was parsed (both directions).
    pub records: u64,
    /// Handshake messages parsed in the clear.
    pub handshake_messages: u64,
    /// ClientHello messages decoded.
    pub client_hellos: u64,
    /// ServerHello messages decoded.
    pub server_hellos: u64,
    /// Certificates decoded (first certificate of each chain).
    pub certificates: u64,
    /// Certificates or certificate messages that could not be decoded.
    pub cert_errors: u64,
    /// Handshake messages that could not be decoded (`INVALID_HANDSHAKE_MESSAGE`, lengths).
    pub malformed: u64,
    /// Records after encryption started (application data, encrypted handshake): counted only.
    pub encrypted_records: u64,
    /// Payload bytes of those records.
    pub encrypted_bytes: u64,
    /// Handshake messages dropped because they exceeded `tls.max_handshake_len`.
    pub handshake_overflows: u64,
    /// Gaps seen by the TLS parser.
    pub gaps: u64,
    /// Bytes skipped while resynchronising after a gap.
    pub resync_skipped: u64,
    /// Sessions whose handshake completed (transaction handed over before the flow ended).
    pub handshakes_done: u64,
}

/// SMB parser counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SmbStats {
    /// NetBIOS session messages (SMB records) seen.
    pub records: u64,
    /// Records too large to buffer, parsed by their head and streamed.
    pub streamed_records: u64,
    /// NetBIOS packets other than session messages (requests, keepalives): skipped.
    pub nbss_other: u64,
    /// SMB2 messages parsed (compounded ones counted each).
    pub messages: u64,
    /// SMB2 messages that followed another in the same record (compounding).
    pub compounded: u64,
    /// SMB2 requests.
    pub requests: u64,
    /// SMB2 responses.
    pub responses: u64,
    /// Responses with no outstanding request of that message id.
    pub unmatched_responses: u64,
    /// SMB1 messages (only NEGOTIATE requests are parsed).
    pub smb1_messages: u64,
    /// SMB3 transform (encrypted) or compression-transform messages: counted, not parsed.
    pub encrypted_messages: u64,
    /// Bytes of those messages.
    pub encrypted_bytes: u64,
    /// Records or messages that could not be parsed.
    pub malformed: u64,
    /// Transactions completed early because `smb.max_tx` was reached.
    pub txs_evicted: u64,
    /// File streams opened on the file sink.
    pub files: u64,
    /// READ/WRITE on a new file id dropped because `smb.max_open_files` was reached.
    pub files_dropped: u64,
    /// READ response data bytes streamed.
    pub read_bytes: u64,
    /// WRITE request data bytes streamed.
    pub write_bytes: u64,
    /// Gaps seen by the SMB parser.
    pub gaps: u64,
    /// Bytes skipped while resynchronising after a gap.
    pub resync_skipped: u64,
}

/// Counters of the whole protocol layer (one per [`crate::AppLayer`], i.e. per worker).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AppStats {
    /// Flows that reached the layer (first call with a new slot).
    pub flows: u64,
    /// Flows on which HTTP was detected.
    pub detected_http: u64,
    /// Flows on which DNS was detected.
    pub detected_dns: u64,
    /// Flows on which TLS was detected.
    pub detected_tls: u64,
    /// Flows on which SMTP was detected.
    pub detected_smtp: u64,
    /// Flows on which SMB was detected.
    pub detected_smb: u64,
    /// Flows on which RFB (VNC) was detected.
    pub detected_rfb: u64,
    /// Flows on which QUIC was detected.
    pub detected_quic: u64,
    /// Flows on which no protocol could be detected.
    pub detect_failed: u64,
    /// TCP stream bytes received.
    pub stream_bytes: u64,
    /// UDP datagrams received.
    pub udp_datagrams: u64,
    /// Bytes (stream and datagram) handed to a parser.
    pub parsed_bytes: u64,
    /// Bytes dropped: undetected or failed flows, overflowed buffers, data after a parser error.
    pub dropped_bytes: u64,
    /// Gap notifications received.
    pub gaps: u64,
    /// Incomplete messages that outgrew `max_pending` (dropped as a gap).
    pub pending_overflows: u64,
    /// Parsers that gave up on a flow (`ParseResult::Error`).
    pub parse_errors: u64,
    /// App-layer events raised.
    pub events: u64,
    /// Transactions completed, all protocols.
    pub txs: u64,
    /// HTTP counters.
    pub http: HttpStats,
    /// DNS counters.
    pub dns: DnsStats,
    /// TLS counters.
    pub tls: TlsStats,
    /// SMTP counters.
    pub smtp: crate::smtp::SmtpStats,
    /// SMB counters.
    pub smb: SmbStats,
}
