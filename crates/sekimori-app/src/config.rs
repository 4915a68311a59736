//! Limits and switches of the protocol layer. Defaults follow Suricata 7's packaged
//! configuration (libhtp limits, DNS detection ports) unless stated.

use crate::error::ConfigError;

/// HTTP/1.x parser settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpConfig {
    /// Bytes of each request body kept in the transaction for inspection (Suricata's
    /// `request-body-limit`, 100 KiB). Streaming to the file sink is not limited by this.
    pub request_body_limit: usize,
    /// Bytes of each response body kept for inspection (`response-body-limit`, 100 KiB).
    pub response_body_limit: usize,
    /// Maximum size of a request or response head (start line + headers). Beyond it the head
    /// is cut, `REQUEST_FIELD_TOO_LONG` / `RESPONSE_FIELD_TOO_LONG` is raised and the rest of
    /// the head is skipped without buffering.
    pub max_head_len: usize,
    /// Maximum number of distinct headers kept per head (libhtp's 1024); more raise
    /// `REQUEST_TOO_MANY_HEADERS` / `RESPONSE_TOO_MANY_HEADERS` and are dropped.
    pub max_headers: usize,
    /// Maximum open transactions per flow (libhtp `max-tx`, 512). When exceeded, the oldest is
    /// completed early (logged with what it has) and dropped.
    pub max_tx: usize,
    /// Maximum decoded bytes produced from one compressed body; the rest is not decoded
    /// (`COMPRESSION_BOMB`). Bounds decompression bombs.
    pub decompress_max_output: u64,
    /// Decoded size after which the ratio check applies (libhtp `compression-bomb-limit`, 1 MiB).
    pub bomb_limit: u64,
    /// Maximum decoded/encoded ratio once `bomb_limit` is passed (libhtp: 2048).
    pub bomb_ratio: u64,
    /// Decode gzip/deflate request bodies too (Suricata enables request decompression).
    pub decompress_requests: bool,
    /// Parse `multipart/form-data` request bodies into parts (streamed as form parts).
    pub multipart: bool,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            request_body_limit: 100 * 1024,
            response_body_limit: 100 * 1024,
            max_head_len: 64 * 1024,
            max_headers: 1024,
            max_tx: 512,
            decompress_max_output: 64 * 1024 * 1024,
            bomb_limit: 1024 * 1024,
            bomb_ratio: 2048,
            decompress_requests: true,
            multipart: true,
        }
    }
}

/// DNS parser settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DnsConfig {
    /// UDP server ports on which DNS is probed (Suricata: 53).
    pub udp_ports: Vec<u16>,
    /// TCP server ports on which DNS is probed (Suricata: 53).
    pub tcp_ports: Vec<u16>,
    /// Probe DNS on every port, not only the ones above (Suricata does not).
    pub any_port: bool,
    /// Outstanding queries remembered per flow for query/response pairing.
    pub max_pending_queries: usize,
}

impl Default for DnsConfig {
    fn default() -> Self {
        DnsConfig {
            udp_ports: vec![53],
            tcp_ports: vec![53],
            any_port: false,
            max_pending_queries: 64,
        }
    }
}

/// TLS parser settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsConfig {
    /// TCP server ports where TLS is probed first (Suricata: 443). TLS is recognised by content
    /// on every port.
    pub ports: Vec<u16>,
    /// Largest handshake message reassembled (certificate chains included); longer messages
    /// are skipped with `HANDSHAKE_INVALID_LENGTH`.
    pub max_handshake_len: usize,
}

impl Default for TlsConfig {
    fn default() -> Self {
        TlsConfig {
            ports: vec![443],
            max_handshake_len: 256 * 1024,
        }
    }
}

/// SMB parser settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SmbConfig {
    /// TCP server ports where SMB is probed (Suricata: 445 and 139).
    pub ports: Vec<u16>,
    /// Probe SMB on every TCP port (recognised by content: NetBIOS header + SMB magic).
    pub any_port: bool,
    /// Open transactions per flow; beyond it the oldest is completed early.
    pub max_tx: usize,
    /// Open files (and tree shares) remembered per flow.
    pub max_open_files: usize,
    /// Records up to this size are buffered whole; larger ones are parsed by their head and
    /// their READ/WRITE data streamed (also bounded by `max_pending`).
    pub max_record_buffer: usize,
    /// Bytes kept of names (file, share, NTLMSSP fields, dialect strings).
    pub max_name_len: usize,
}

impl Default for SmbConfig {
    fn default() -> Self {
        SmbConfig {
            ports: vec![445, 139],
            any_port: true,
            max_tx: 1024,
            max_open_files: 1024,
            max_record_buffer: 64 * 1024,
            max_name_len: 1024,
        }
    }
}

/// Settings of the whole protocol layer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppConfig {
    /// Bytes per direction buffered while the protocol is not yet known.
    pub max_probe_len: usize,
    /// UDP datagrams probed per flow before detection gives up.
    pub max_probe_datagrams: u32,
    /// Bytes per direction a parser may ask the layer to hold for an incomplete message; beyond
    /// it the held bytes are dropped as a gap (`APPLAYER_PENDING_OVERFLOW`).
    pub max_pending: usize,
    /// HTTP settings.
    pub http: HttpConfig,
    /// DNS settings.
    pub dns: DnsConfig,
    /// TLS settings.
    pub tls: TlsConfig,
    /// SMTP settings.
    pub smtp: crate::smtp::SmtpConfig,
    /// SMB settings.
    pub smb: SmbConfig,
}

impl Default for AppConfig {
    fn default() -> Self {
        AppConfig {
            max_probe_len: 4096,
            max_probe_datagrams: 4,
            max_pending: 128 * 1024,
            http: HttpConfig::default(),
            dns: DnsConfig::default(),
            tls: TlsConfig::default(),
            smtp: crate::smtp::SmtpConfig::default(),
            smb: SmbConfig::default(),
        }
    }
}

impl AppConfig {
    /// Checks that the limits are usable.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let checks: [(&'static str, u64); 8] = [
            ("tls.max_handshake_len", self.tls.max_handshake_len as u64),
            ("max_probe_len", self.max_probe_len as u64),
            ("max_pending", self.max_pending as u64),
            ("http.max_head_len", self.http.max_head_len as u64),
            ("http.max_headers", self.http.max_headers as u64),
            ("http.max_tx", self.http.max_tx as u64),
            ("http.bomb_ratio", self.http.bomb_ratio),
            (
                "dns.max_pending_queries",
                self.dns.max_pending_queries as u64,
            ),
        ];
        for (name, v) in checks {
            if v == 0 {
                return Err(ConfigError::Zero(name));
            }
        }
        if self.http.max_head_len > self.max_pending {
            return Err(ConfigError::HeadLargerThanPending {
                head: self.http.max_head_len,
                pending: self.max_pending,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_validate_and_bad_values_do_not() {
        assert!(AppConfig::default().validate().is_ok());
        let mut c = AppConfig::default();
        c.http.max_tx = 0;
        assert!(matches!(
            c.validate(),
            Err(ConfigError::Zero("http.max_tx"))
        ));
        let mut c = AppConfig::default();
        c.http.max_head_len = c.max_pending + 1;
        assert!(matches!(
            c.validate(),
            Err(ConfigError::HeadLargerThanPending { .. })
        ));
    }
}
