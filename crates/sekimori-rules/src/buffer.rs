//! Inspection buffers: the sticky buffers of Suricata 7 (`http.uri; content:...`), their legacy
//! content-modifier spellings (`content:...; http_uri;`), transforms, and per-buffer facts the
//! matcher and fast-pattern selection need (direction, app protocol, prefilter priority).
//!
//! Generated from a table (see `BUFFERS`); the order of `BUFFERS` equals the enum order.
//! As in Suricata 7, `http.response_body` / `http_server_body` are the `file.data` buffer.

use crate::proto::AppProto;
use serde::Serialize;

/// Which traffic direction a buffer exists in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BufferDir {
    /// Client to server only.
    ToServer,
    /// Server to client only.
    ToClient,
    /// Either direction.
    Both,
}

/// What a buffer is made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BufferKind {
    /// Packet payload or reassembled stream (or data derived from it, like base64_data).
    Payload,
    /// An application-layer (transaction) buffer.
    App,
    /// A raw packet header buffer.
    Packet,
}

/// Static facts about one buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BufferInfo {
    /// The enum value.
    pub buffer: Buffer,
    /// Suricata's keyword name.
    pub name: &'static str,
    /// Other sticky-buffer spellings.
    pub aliases: &'static [&'static str],
    /// Direction(s) the buffer exists in.
    pub dir: BufferDir,
    /// Fast-pattern priority group (lower is preferred; 0 = cannot be a fast pattern).
    pub fp_priority: u8,
    /// App-layer protocols providing it (empty: not app-layer).
    pub protos: &'static [AppProto],
    /// Kind of data.
    pub kind: BufferKind,
}

/// An inspection buffer (a Suricata "sigmatch list").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(into = "&'static str")]
#[allow(missing_docs)]
pub enum Buffer {
    /// `pkt_data`
    Payload,
    /// `base64_data`
    Base64Data,
    /// `file.data`
    FileData,
    /// `file.name`
    FileName,
    /// `file.magic`
    FileMagic,
    /// `http.uri`
    HttpUri,
    /// `http.uri.raw`
    HttpUriRaw,
    /// `http.method`
    HttpMethod,
    /// `http.host`
    HttpHost,
    /// `http.host.raw`
    HttpHostRaw,
    /// `http.user_agent`
    HttpUserAgent,
    /// `http.header`
    HttpHeader,
    /// `http.header.raw`
    HttpHeaderRaw,
    /// `http.header_names`
    HttpHeaderNames,
    /// `http.request_body`
    HttpRequestBody,
    /// `http.stat_code`
    HttpStatCode,
    /// `http.stat_msg`
    HttpStatMsg,
    /// `http.content_type`
    HttpContentType,
    /// `http.content_len`
    HttpContentLen,
    /// `http.cookie`
    HttpCookie,
    /// `http.referer`
    HttpReferer,
    /// `http.request_line`
    HttpRequestLine,
    /// `http.response_line`
    HttpResponseLine,
    /// `http.protocol`
    HttpProtocol,
    /// `http.start`
    HttpStart,
    /// `http.accept`
    HttpAccept,
    /// `http.accept_enc`
    HttpAcceptEnc,
    /// `http.accept_lang`
    HttpAcceptLang,
    /// `http.connection`
    HttpConnection,
    /// `http.location`
    HttpLocation,
    /// `http.server`
    HttpServer,
    /// `http.request_header`
    HttpRequestHeader,
    /// `http.response_header`
    HttpResponseHeader,
    /// `http2.header_name`
    Http2HeaderName,
    /// `dns.query`
    DnsQuery,
    /// `tls.sni`
    TlsSni,
    /// `tls.cert_subject`
    TlsCertSubject,
    /// `tls.cert_issuer`
    TlsCertIssuer,
    /// `tls.cert_serial`
    TlsCertSerial,
    /// `tls.cert_fingerprint`
    TlsCertFingerprint,
    /// `tls.certs`
    TlsCerts,
    /// `tls.random`
    TlsRandom,
    /// `tls.random_time`
    TlsRandomTime,
    /// `tls.random_bytes`
    TlsRandomBytes,
    /// `ja3.hash`
    Ja3Hash,
    /// `ja3.string`
    Ja3String,
    /// `ja3s.hash`
    Ja3sHash,
    /// `ja3s.string`
    Ja3sString,
    /// `ja4.hash`
    Ja4Hash,
    /// `smb.share`
    SmbShare,
    /// `smb.named_pipe`
    SmbNamedPipe,
    /// `smb.ntlmssp_user`
    SmbNtlmsspUser,
    /// `smb.ntlmssp_domain`
    SmbNtlmsspDomain,
    /// `ssh.proto`
    SshProto,
    /// `ssh.software`
    SshSoftware,
    /// `ssh.hassh`
    SshHassh,
    /// `ssh.hassh.string`
    SshHasshString,
    /// `ssh.hassh.server`
    SshHasshServer,
    /// `ssh.hassh.server.string`
    SshHasshServerString,
    /// `krb5.cname`
    Krb5Cname,
    /// `krb5.sname`
    Krb5Sname,
    /// `dcerpc.stub_data`
    DcerpcStubData,
    /// `dnp3.data`
    Dnp3Data,
    /// `sip.method`
    SipMethod,
    /// `sip.uri`
    SipUri,
    /// `sip.protocol`
    SipProtocol,
    /// `sip.request_line`
    SipRequestLine,
    /// `sip.response_line`
    SipResponseLine,
    /// `sip.stat_code`
    SipStatCode,
    /// `sip.stat_msg`
    SipStatMsg,
    /// `mqtt.connect.clientid`
    MqttConnectClientid,
    /// `mqtt.connect.username`
    MqttConnectUsername,
    /// `mqtt.connect.password`
    MqttConnectPassword,
    /// `mqtt.connect.willtopic`
    MqttConnectWilltopic,
    /// `mqtt.connect.willmessage`
    MqttConnectWillmessage,
    /// `mqtt.publish.topic`
    MqttPublishTopic,
    /// `mqtt.publish.message`
    MqttPublishMessage,
    /// `mqtt.subscribe.topic`
    MqttSubscribeTopic,
    /// `mqtt.unsubscribe.topic`
    MqttUnsubscribeTopic,
    /// `quic.sni`
    QuicSni,
    /// `quic.ua`
    QuicUa,
    /// `quic.version`
    QuicVersion,
    /// `quic.cyu.hash`
    QuicCyuHash,
    /// `quic.cyu.string`
    QuicCyuString,
    /// `ike.init_spi`
    IkeInitSpi,
    /// `ike.resp_spi`
    IkeRespSpi,
    /// `ike.key_exchange_payload`
    IkeKeyExchangePayload,
    /// `ike.nonce_payload`
    IkeNoncePayload,
    /// `ike.vendor`
    IkeVendor,
    /// `rfb.name`
    RfbName,
    /// `snmp.community`
    SnmpCommunity,
    /// `snmp.usm`
    SnmpUsm,
    /// `ipv4.hdr`
    Ipv4Hdr,
    /// `ipv6.hdr`
    Ipv6Hdr,
    /// `tcp.hdr`
    TcpHdr,
    /// `udp.hdr`
    UdpHdr,
    /// `icmpv4.hdr`
    Icmpv4Hdr,
    /// `icmpv6.hdr`
    Icmpv6Hdr,
}

/// Every buffer, in enum order.
pub const BUFFERS: &[BufferInfo] = &[
    BufferInfo {
        buffer: Buffer::Payload,
        name: "pkt_data",
        aliases: &[],
        dir: BufferDir::Both,
        fp_priority: 3,
        protos: &[],
        kind: BufferKind::Payload,
    },
    BufferInfo {
        buffer: Buffer::Base64Data,
        name: "base64_data",
        aliases: &[],
        dir: BufferDir::Both,
        fp_priority: 0,
        protos: &[],
        kind: BufferKind::Payload,
    },
    BufferInfo {
        buffer: Buffer::FileData,
        name: "file.data",
        aliases: &["file_data", "http.response_body"],
        dir: BufferDir::Both,
        fp_priority: 2,
        protos: &[
            AppProto::Http,
            AppProto::Http2,
            AppProto::Smtp,
            AppProto::Smb,
            AppProto::Ftp,
            AppProto::FtpData,
            AppProto::Nfs,
        ],
        kind: BufferKind::App,
    },
    BufferInfo {
        buffer: Buffer::FileName,
        name: "file.name",
        aliases: &[],
        dir: BufferDir::Both,
        fp_priority: 2,
        protos: &[
            AppProto::Http,
            AppProto::Http2,
            AppProto::Smtp,
            AppProto::Smb,
            AppProto::Ftp,
            AppProto::FtpData,
            AppProto::Nfs,
        ],
        kind: BufferKind::App,
    },
    BufferInfo {
        buffer: Buffer::FileMagic,
        name: "file.magic",
        aliases: &[],
        dir: BufferDir::Both,
        fp_priority: 2,
        protos: &[
            AppProto::Http,
            AppProto::Http2,
            AppProto::Smtp,
            AppProto::Smb,
            AppProto::Ftp,
            AppProto::FtpData,
            AppProto::Nfs,
        ],
        kind: BufferKind::App,
    },
    BufferInfo {
        buffer: Buffer::HttpUri,
        name: "http.uri",
        aliases: &["http.uri.normalized"],
        dir: BufferDir::ToServer,
        fp_priority: 2,
        protos: &[AppProto::Http],
        kind: BufferKind::App,
    },
    BufferInfo {
        buffer: Buffer::HttpUriRaw,
        name: "http.uri.raw",
        aliases: &[],
        dir: BufferDir::ToServer,
        fp_priority: 2,
        protos: &[AppProto::Http],
        kind: BufferKind::App,
    },
    BufferInfo {
        buffer: Buffer::HttpMethod,
        name: "http.method",
        aliases: &[],
        dir: BufferDir::ToServer,
        fp_priority: 4,
        protos: &[AppProto::Http],
        kind: BufferKind::App,
    },
    BufferInfo {
        buffer: Buffer::HttpHost,
        name: "http.host",
        aliases: &[],
        dir: BufferDir::ToServer,
        fp_priority: 2,
        protos: &[AppProto::Http],
        kind: BufferKind::App,
    },
    BufferInfo {
        buffer: Buffer::HttpHostRaw,
        name: "http.host.raw",
        aliases: &[],
        dir: BufferDir::ToServer,
        fp_priority: 2,
        protos: &[AppProto::Http],
        kind: BufferKind::App,
    },
    BufferInfo {
        buffer: Buffer::HttpUserAgent,
        name: "http.user_agent",
        aliases: &[],
        dir: BufferDir::ToServer,
        fp_priority: 2,
        protos: &[AppProto::Http],
        kind: BufferKind::App,
    },
    BufferInfo {
        buffer: Buffer::HttpHeader,
        name: "http.header",
        aliases: &[],
        dir: BufferDir::Both,
        fp_priority: 2,
        protos: &[AppProto::Http],
        kind: BufferKind::App,
    },
    BufferInfo {
        buffer: Buffer::HttpHeaderRaw,
        name: "http.header.raw",
        aliases: &[],
        dir: BufferDir::Both,
        fp_priority: 2,
        protos: &[AppProto::Http],
        kind: BufferKind::App,
    },
    BufferInfo {
        buffer: Buffer::HttpHeaderNames,
        name: "http.header_names",
        aliases: &["http_header_names"],
        dir: BufferDir::Both,
        fp_priority: 2,
        protos: &[AppProto::Http],
        kind: BufferKind::App,
    },
    BufferInfo {
        buffer: Buffer::HttpRequestBody,
        name: "http.request_body",
        aliases: &[],
        dir: BufferDir::ToServer,
        fp_priority: 2,
        protos: &[AppProto::Http],
        kind: BufferKind::App,
    },
    BufferInfo {
        buffer: Buffer::HttpStatCode,
        name: "http.stat_code",
        aliases: &[],
        dir: BufferDir::ToClient,
        fp_priority: 4,
        protos: &[AppProto::Http],
        kind: BufferKind::App,
    },
    BufferInfo {
        buffer: Buffer::HttpStatMsg,
        name: "http.stat_msg",
        aliases: &[],
        dir: BufferDir::ToClient,
        fp_priority: 3,
        protos: &[AppProto::Http],
        kind: BufferKind::App,
    },
    BufferInfo {
        buffer: Buffer::HttpContentType,
        name: "http.content_type",
        aliases: &["http_content_type"],
        dir: BufferDir::Both,
        fp_priority: 2,
        protos: &[AppProto::Http],
        kind: BufferKind::App,
    },
    BufferInfo {
        buffer: Buffer::HttpContentLen,
        name: "http.content_len",
        aliases: &["http_content_len"],
        dir: BufferDir::Both,
        fp_priority: 2,
        protos: &[AppProto::Http],
        kind: BufferKind::App,
    },
    BufferInfo {
        buffer: Buffer::HttpCookie,
        name: "http.cookie",
        aliases: &[],
        dir: BufferDir::Both,
        fp_priority: 2,
        protos: &[AppProto::Http],
        kind: BufferKind::App,
    },
    BufferInfo {
        buffer: Buffer::HttpReferer,
        name: "http.referer",
        aliases: &["http_referer"],
        dir: BufferDir::ToServer,
        fp_priority: 2,
        protos: &[AppProto::Http],
        kind: BufferKind::App,
    },
    BufferInfo {
        buffer: Buffer::HttpRequestLine,
        name: "http.request_line",
        aliases: &["http_request_line"],
        dir: BufferDir::ToServer,
        fp_priority: 2,
        protos: &[AppProto::Http],
        kind: BufferKind::App,
    },
    BufferInfo {
        buffer: Buffer::HttpResponseLine,
        name: "http.response_line",
        aliases: &["http_response_line"],
        dir: BufferDir::ToClient,
        fp_priority: 2,
        protos: &[AppProto::Http],
        kind: BufferKind::App,
    },
    BufferInfo {
        buffer: Buffer::HttpProtocol,
        name: "http.protocol",
        aliases: &["http_protocol"],
        dir: BufferDir::Both,
        fp_priority: 2,
        protos: &[AppProto::Http],
        kind: BufferKind::App,
    },
    BufferInfo {
        buffer: Buffer::HttpStart,
        name: "http.start",
        aliases: &["http_start"],
        dir: BufferDir::Both,
        fp_priority: 2,
        protos: &[AppProto::Http],
        kind: BufferKind::App,
    },
    BufferInfo {
        buffer: Buffer::HttpAccept,
        name: "http.accept",
        aliases: &["http_accept"],
        dir: BufferDir::ToServer,
        fp_priority: 2,
        protos: &[AppProto::Http],
        kind: BufferKind::App,
    },
    BufferInfo {
        buffer: Buffer::HttpAcceptEnc,
        name: "http.accept_enc",
        aliases: &["http_accept_enc"],
        dir: BufferDir::ToServer,
        fp_priority: 2,
        protos: &[AppProto::Http],
        kind: BufferKind::App,
    },
    BufferInfo {
        buffer: Buffer::HttpAcceptLang,
        name: "http.accept_lang",
        aliases: &["http_accept_lang"],
        dir: BufferDir::ToServer,
        fp_priority: 2,
        protos: &[AppProto::Http],
        kind: BufferKind::App,
    },
    BufferInfo {
        buffer: Buffer::HttpConnection,
        name: "http.connection",
        aliases: &["http_connection"],
        dir: BufferDir::Both,
        fp_priority: 2,
        protos: &[AppProto::Http],
        kind: BufferKind::App,
    },
    BufferInfo {
        buffer: Buffer::HttpLocation,
        name: "http.location",
        aliases: &[],
        dir: BufferDir::ToClient,
        fp_priority: 2,
        protos: &[AppProto::Http],
        kind: BufferKind::App,
    },
    BufferInfo {
        buffer: Buffer::HttpServer,
        name: "http.server",
        aliases: &[],
        dir: BufferDir::ToClient,
        fp_priority: 2,
        protos: &[AppProto::Http],
        kind: BufferKind::App,
    },
    BufferInfo {
        buffer: Buffer::HttpRequestHeader,
        name: "http.request_header",
        aliases: &[],
        dir: BufferDir::ToServer,
        fp_priority: 2,
        protos: &[AppProto::Http],
        kind: BufferKind::App,
    },
    BufferInfo {
        buffer: Buffer::HttpResponseHeader,
        name: "http.response_header",
        aliases: &[],
        dir: BufferDir::ToClient,
        fp_priority: 2,
        protos: &[AppProto::Http],
        kind: BufferKind::App,
    },
    BufferInfo {
        buffer: Buffer::Http2HeaderName,
        name: "http2.header_name",
        aliases: &[],
        dir: BufferDir::Both,
        fp_priority: 2,
        protos: &[AppProto::Http2],
        kind: BufferKind::App,
    },
    BufferInfo {
        buffer: Buffer::DnsQuery,
        name: "dns.query",
        aliases: &["dns_query"],
        dir: BufferDir::ToServer,
        fp_priority: 2,
        protos: &[AppProto::Dns],
        kind: BufferKind::App,
    },
    BufferInfo {
        buffer: Buffer::TlsSni,
        name: "tls.sni",
        aliases: &["tls_sni"],
        dir: BufferDir::ToServer,
        fp_priority: 2,
        protos: &[AppProto::Tls],
        kind: BufferKind::App,
    },
    BufferInfo {
        buffer: Buffer::TlsCertSubject,
        name: "tls.cert_subject",
        aliases: &["tls_cert_subject"],
        dir: BufferDir::Both,
        fp_priority: 2,
        protos: &[AppProto::Tls],
        kind: BufferKind::App,
    },
    BufferInfo {
        buffer: Buffer::TlsCertIssuer,
        name: "tls.cert_issuer",
        aliases: &["tls_cert_issuer"],
        dir: BufferDir::Both,
        fp_priority: 2,
        protos: &[AppProto::Tls],
        kind: BufferKind::App,
    },
    BufferInfo {
        buffer: Buffer::TlsCertSerial,
        name: "tls.cert_serial",
        aliases: &["tls_cert_serial"],
        dir: BufferDir::Both,
        fp_priority: 2,
        protos: &[AppProto::Tls],
        kind: BufferKind::App,
    },
    BufferInfo {
        buffer: Buffer::TlsCertFingerprint,
        name: "tls.cert_fingerprint",
        aliases: &["tls_cert_fingerprint"],
        dir: BufferDir::Both,
        fp_priority: 2,
        protos: &[AppProto::Tls],
        kind: BufferKind::App,
    },
    BufferInfo {
        buffer: Buffer::TlsCerts,
        name: "tls.certs",
        aliases: &[],
        dir: BufferDir::Both,
        fp_priority: 2,
        protos: &[AppProto::Tls],
        kind: BufferKind::App,
    },
    BufferInfo {
        buffer: Buffer::TlsRandom,
        name: "tls.random",
        aliases: &[],
        dir: BufferDir::Both,
        fp_priority: 2,
        protos: &[AppProto::Tls],
        kind: BufferKind::App,
    },
    BufferInfo {
        buffer: Buffer::TlsRandomTime,
        name: "tls.random_time",
        aliases: &[],
        dir: BufferDir::Both,
        fp_priority: 2,
        protos: &[AppProto::Tls],
        kind: BufferKind::App,
    },
    BufferInfo {
        buffer: Buffer::TlsRandomBytes,
        name: "tls.random_bytes",
        aliases: &[],
        dir: BufferDir::Both,
        fp_priority: 2,
        protos: &[AppProto::Tls],
        kind: BufferKind::App,
    },
    BufferInfo {
        buffer: Buffer::Ja3Hash,
        name: "ja3.hash",
        aliases: &["ja3_hash"],
        dir: BufferDir::ToServer,
        fp_priority: 2,
        protos: &[AppProto::Tls, AppProto::Quic],
        kind: BufferKind::App,
    },
    BufferInfo {
        buffer: Buffer::Ja3String,
        name: "ja3.string",
        aliases: &["ja3_string"],
        dir: BufferDir::ToServer,
        fp_priority: 2,
        protos: &[AppProto::Tls, AppProto::Quic],
        kind: BufferKind::App,
    },
    BufferInfo {
        buffer: Buffer::Ja3sHash,
        name: "ja3s.hash",
        aliases: &[],
        dir: BufferDir::ToClient,
        fp_priority: 2,
        protos: &[AppProto::Tls, AppProto::Quic],
        kind: BufferKind::App,
    },
    BufferInfo {
        buffer: Buffer::Ja3sString,
        name: "ja3s.string",
        aliases: &[],
        dir: BufferDir::ToClient,
        fp_priority: 2,
        protos: &[AppProto::Tls, AppProto::Quic],
        kind: BufferKind::App,
    },
    BufferInfo {
        buffer: Buffer::Ja4Hash,
        name: "ja4.hash",
        aliases: &["ja4_hash"],
        dir: BufferDir::ToServer,
        fp_priority: 2,
        protos: &[AppProto::Tls, AppProto::Quic],
        kind: BufferKind::App,
    },
    BufferInfo {
        buffer: Buffer::SmbShare,
        name: "smb.share",
        aliases: &["smb_share"],
        dir: BufferDir::ToServer,
        fp_priority: 2,
        protos: &[AppProto::Smb],
        kind: BufferKind::App,
    },
    BufferInfo {
        buffer: Buffer::SmbNamedPipe,
        name: "smb.named_pipe",
        aliases: &["smb_named_pipe"],
        dir: BufferDir::ToServer,
        fp_priority: 2,
        protos: &[AppProto::Smb],
        kind: BufferKind::App,
    },
    BufferInfo {
        buffer: Buffer::SmbNtlmsspUser,
        name: "smb.ntlmssp_user",
        aliases: &[],
        dir: BufferDir::ToServer,
        fp_priority: 2,
        protos: &[AppProto::Smb],
        kind: BufferKind::App,
    },
    BufferInfo {
        buffer: Buffer::SmbNtlmsspDomain,
        name: "smb.ntlmssp_domain",
        aliases: &[],
        dir: BufferDir::ToServer,
        fp_priority: 2,
        protos: &[AppProto::Smb],
        kind: BufferKind::App,
    },
    BufferInfo {
        buffer: Buffer::SshProto,
        name: "ssh.proto",
        aliases: &["ssh_proto"],
        dir: BufferDir::Both,
        fp_priority: 2,
        protos: &[AppProto::Ssh],
        kind: BufferKind::App,
    },
    BufferInfo {
        buffer: Buffer::SshSoftware,
        name: "ssh.software",
        aliases: &["ssh_software"],
        dir: BufferDir::Both,
        fp_priority: 2,
        protos: &[AppProto::Ssh],
        kind: BufferKind::App,
    },
    BufferInfo {
        buffer: Buffer::SshHassh,
        name: "ssh.hassh",
        aliases: &[],
        dir: BufferDir::ToServer,
        fp_priority: 2,
        protos: &[AppProto::Ssh],
        kind: BufferKind::App,
    },
    BufferInfo {
        buffer: Buffer::SshHasshString,
        name: "ssh.hassh.string",
        aliases: &[],
        dir: BufferDir::ToServer,
        fp_priority: 2,
        protos: &[AppProto::Ssh],
        kind: BufferKind::App,
    },
    BufferInfo {
        buffer: Buffer::SshHasshServer,
        name: "ssh.hassh.server",
        aliases: &[],
        dir: BufferDir::ToClient,
        fp_priority: 2,
        protos: &[AppProto::Ssh],
        kind: BufferKind::App,
    },
    BufferInfo {
        buffer: Buffer::SshHasshServerString,
        name: "ssh.hassh.server.string",
        aliases: &[],
        dir: BufferDir::ToClient,
        fp_priority: 2,
        protos: &[AppProto::Ssh],
        kind: BufferKind::App,
    },
    BufferInfo {
        buffer: Buffer::Krb5Cname,
        name: "krb5.cname",
        aliases: &["krb5_cname"],
        dir: BufferDir::Both,
        fp_priority: 2,
        protos: &[AppProto::Krb5],
        kind: BufferKind::App,
    },
    BufferInfo {
        buffer: Buffer::Krb5Sname,
        name: "krb5.sname",
        aliases: &["krb5_sname"],
        dir: BufferDir::Both,
        fp_priority: 2,
        protos: &[AppProto::Krb5],
        kind: BufferKind::App,
    },
    BufferInfo {
        buffer: Buffer::DcerpcStubData,
        name: "dcerpc.stub_data",
        aliases: &["dce_stub_data"],
        dir: BufferDir::Both,
        fp_priority: 2,
        protos: &[AppProto::Dcerpc, AppProto::Smb],
        kind: BufferKind::App,
    },
    BufferInfo {
        buffer: Buffer::Dnp3Data,
        name: "dnp3.data",
        aliases: &["dnp3_data"],
        dir: BufferDir::Both,
        fp_priority: 2,
        protos: &[AppProto::Dnp3],
        kind: BufferKind::App,
    },
    BufferInfo {
        buffer: Buffer::SipMethod,
        name: "sip.method",
        aliases: &[],
        dir: BufferDir::ToServer,
        fp_priority: 2,
        protos: &[AppProto::Sip],
        kind: BufferKind::App,
    },
    BufferInfo {
        buffer: Buffer::SipUri,
        name: "sip.uri",
        aliases: &[],
        dir: BufferDir::ToServer,
        fp_priority: 2,
        protos: &[AppProto::Sip],
        kind: BufferKind::App,
    },
    BufferInfo {
        buffer: Buffer::SipProtocol,
        name: "sip.protocol",
        aliases: &[],
        dir: BufferDir::Both,
        fp_priority: 2,
        protos: &[AppProto::Sip],
        kind: BufferKind::App,
    },
    BufferInfo {
        buffer: Buffer::SipRequestLine,
        name: "sip.request_line",
        aliases: &[],
        dir: BufferDir::ToServer,
        fp_priority: 2,
        protos: &[AppProto::Sip],
        kind: BufferKind::App,
    },
    BufferInfo {
        buffer: Buffer::SipResponseLine,
        name: "sip.response_line",
        aliases: &[],
        dir: BufferDir::ToClient,
        fp_priority: 2,
        protos: &[AppProto::Sip],
        kind: BufferKind::App,
    },
    BufferInfo {
        buffer: Buffer::SipStatCode,
        name: "sip.stat_code",
        aliases: &[],
        dir: BufferDir::ToClient,
        fp_priority: 4,
        protos: &[AppProto::Sip],
        kind: BufferKind::App,
    },
    BufferInfo {
        buffer: Buffer::SipStatMsg,
        name: "sip.stat_msg",
        aliases: &[],
        dir: BufferDir::ToClient,
        fp_priority: 3,
        protos: &[AppProto::Sip],
        kind: BufferKind::App,
    },
    BufferInfo {
        buffer: Buffer::MqttConnectClientid,
        name: "mqtt.connect.clientid",
        aliases: &[],
        dir: BufferDir::ToServer,
        fp_priority: 2,
        protos: &[AppProto::Mqtt],
        kind: BufferKind::App,
    },
    BufferInfo {
        buffer: Buffer::MqttConnectUsername,
        name: "mqtt.connect.username",
        aliases: &[],
        dir: BufferDir::ToServer,
        fp_priority: 2,
        protos: &[AppProto::Mqtt],
        kind: BufferKind::App,
    },
    BufferInfo {
        buffer: Buffer::MqttConnectPassword,
        name: "mqtt.connect.password",
        aliases: &[],
        dir: BufferDir::ToServer,
        fp_priority: 2,
        protos: &[AppProto::Mqtt],
        kind: BufferKind::App,
    },
    BufferInfo {
        buffer: Buffer::MqttConnectWilltopic,
        name: "mqtt.connect.willtopic",
        aliases: &[],
        dir: BufferDir::ToServer,
        fp_priority: 2,
        protos: &[AppProto::Mqtt],
        kind: BufferKind::App,
    },
    BufferInfo {
        buffer: Buffer::MqttConnectWillmessage,
        name: "mqtt.connect.willmessage",
        aliases: &[],
        dir: BufferDir::ToServer,
        fp_priority: 2,
        protos: &[AppProto::Mqtt],
        kind: BufferKind::App,
    },
    BufferInfo {
        buffer: Buffer::MqttPublishTopic,
        name: "mqtt.publish.topic",
        aliases: &[],
        dir: BufferDir::Both,
        fp_priority: 2,
        protos: &[AppProto::Mqtt],
        kind: BufferKind::App,
    },
    BufferInfo {
        buffer: Buffer::MqttPublishMessage,
        name: "mqtt.publish.message",
        aliases: &[],
        dir: BufferDir::Both,
        fp_priority: 2,
        protos: &[AppProto::Mqtt],
        kind: BufferKind::App,
    },
    BufferInfo {
        buffer: Buffer::MqttSubscribeTopic,
        name: "mqtt.subscribe.topic",
        aliases: &[],
        dir: BufferDir::Both,
        fp_priority: 1,
        protos: &[AppProto::Mqtt],
        kind: BufferKind::App,
    },
    BufferInfo {
        buffer: Buffer::MqttUnsubscribeTopic,
        name: "mqtt.unsubscribe.topic",
        aliases: &[],
        dir: BufferDir::Both,
        fp_priority: 1,
        protos: &[AppProto::Mqtt],
        kind: BufferKind::App,
    },
    BufferInfo {
        buffer: Buffer::QuicSni,
        name: "quic.sni",
        aliases: &[],
        dir: BufferDir::ToServer,
        fp_priority: 2,
        protos: &[AppProto::Quic],
        kind: BufferKind::App,
    },
    BufferInfo {
        buffer: Buffer::QuicUa,
        name: "quic.ua",
        aliases: &[],
        dir: BufferDir::ToServer,
        fp_priority: 2,
        protos: &[AppProto::Quic],
        kind: BufferKind::App,
    },
    BufferInfo {
        buffer: Buffer::QuicVersion,
        name: "quic.version",
        aliases: &[],
        dir: BufferDir::Both,
        fp_priority: 2,
        protos: &[AppProto::Quic],
        kind: BufferKind::App,
    },
    BufferInfo {
        buffer: Buffer::QuicCyuHash,
        name: "quic.cyu.hash",
        aliases: &[],
        dir: BufferDir::ToServer,
        fp_priority: 2,
        protos: &[AppProto::Quic],
        kind: BufferKind::App,
    },
    BufferInfo {
        buffer: Buffer::QuicCyuString,
        name: "quic.cyu.string",
        aliases: &[],
        dir: BufferDir::ToServer,
        fp_priority: 2,
        protos: &[AppProto::Quic],
        kind: BufferKind::App,
    },
    BufferInfo {
        buffer: Buffer::IkeInitSpi,
        name: "ike.init_spi",
        aliases: &[],
        dir: BufferDir::Both,
        fp_priority: 1,
        protos: &[AppProto::Ike],
        kind: BufferKind::App,
    },
    BufferInfo {
        buffer: Buffer::IkeRespSpi,
        name: "ike.resp_spi",
        aliases: &[],
        dir: BufferDir::Both,
        fp_priority: 1,
        protos: &[AppProto::Ike],
        kind: BufferKind::App,
    },
    BufferInfo {
        buffer: Buffer::IkeKeyExchangePayload,
        name: "ike.key_exchange_payload",
        aliases: &[],
        dir: BufferDir::Both,
        fp_priority: 1,
        protos: &[AppProto::Ike],
        kind: BufferKind::App,
    },
    BufferInfo {
        buffer: Buffer::IkeNoncePayload,
        name: "ike.nonce_payload",
        aliases: &[],
        dir: BufferDir::Both,
        fp_priority: 1,
        protos: &[AppProto::Ike],
        kind: BufferKind::App,
    },
    BufferInfo {
        buffer: Buffer::IkeVendor,
        name: "ike.vendor",
        aliases: &[],
        dir: BufferDir::ToServer,
        fp_priority: 1,
        protos: &[AppProto::Ike],
        kind: BufferKind::App,
    },
    BufferInfo {
        buffer: Buffer::RfbName,
        name: "rfb.name",
        aliases: &[],
        dir: BufferDir::ToClient,
        fp_priority: 1,
        protos: &[AppProto::Rfb],
        kind: BufferKind::App,
    },
    BufferInfo {
        buffer: Buffer::SnmpCommunity,
        name: "snmp.community",
        aliases: &[],
        dir: BufferDir::Both,
        fp_priority: 2,
        protos: &[AppProto::Snmp],
        kind: BufferKind::App,
    },
    BufferInfo {
        buffer: Buffer::SnmpUsm,
        name: "snmp.usm",
        aliases: &[],
        dir: BufferDir::Both,
        fp_priority: 2,
        protos: &[AppProto::Snmp],
        kind: BufferKind::App,
    },
    BufferInfo {
        buffer: Buffer::Ipv4Hdr,
        name: "ipv4.hdr",
        aliases: &[],
        dir: BufferDir::Both,
        fp_priority: 2,
        protos: &[],
        kind: BufferKind::Packet,
    },
    BufferInfo {
        buffer: Buffer::Ipv6Hdr,
        name: "ipv6.hdr",
        aliases: &[],
        dir: BufferDir::Both,
        fp_priority: 2,
        protos: &[],
        kind: BufferKind::Packet,
    },
    BufferInfo {
        buffer: Buffer::TcpHdr,
        name: "tcp.hdr",
        aliases: &[],
        dir: BufferDir::Both,
        fp_priority: 2,
        protos: &[],
        kind: BufferKind::Packet,
    },
    BufferInfo {
        buffer: Buffer::UdpHdr,
        name: "udp.hdr",
        aliases: &[],
        dir: BufferDir::Both,
        fp_priority: 2,
        protos: &[],
        kind: BufferKind::Packet,
    },
    BufferInfo {
        buffer: Buffer::Icmpv4Hdr,
        name: "icmpv4.hdr",
        aliases: &[],
        dir: BufferDir::Both,
        fp_priority: 2,
        protos: &[],
        kind: BufferKind::Packet,
    },
    BufferInfo {
        buffer: Buffer::Icmpv6Hdr,
        name: "icmpv6.hdr",
        aliases: &[],
        dir: BufferDir::Both,
        fp_priority: 2,
        protos: &[],
        kind: BufferKind::Packet,
    },
];

impl From<Buffer> for &'static str {
    fn from(b: Buffer) -> &'static str {
        b.name()
    }
}

impl Buffer {
    /// Static facts about this buffer.
    pub fn info(self) -> &'static BufferInfo {
        // BUFFERS is in enum order (checked by a unit test); fall back to a search anyway.
        match BUFFERS.get(self as usize) {
            Some(i) if i.buffer == self => i,
            _ => BUFFERS
                .iter()
                .find(|i| i.buffer == self)
                .unwrap_or(&BUFFERS[0]),
        }
    }

    /// Suricata's keyword name of the buffer.
    pub fn name(self) -> &'static str {
        self.info().name
    }

    /// Look up a sticky-buffer keyword (name or alias, case-insensitive).
    pub fn from_sticky_keyword(kw: &str) -> Option<Buffer> {
        static MAP: std::sync::OnceLock<std::collections::HashMap<&'static str, Buffer>> =
            std::sync::OnceLock::new();
        let map = MAP.get_or_init(|| {
            let mut m = std::collections::HashMap::new();
            for i in BUFFERS {
                if i.buffer == Buffer::Payload || i.buffer == Buffer::Base64Data {
                    continue;
                }
                m.insert(i.name, i.buffer);
                for a in i.aliases {
                    m.insert(*a, i.buffer);
                }
            }
            m
        });
        if kw.bytes().any(|b| b.is_ascii_uppercase()) {
            map.get(kw.to_ascii_lowercase().as_str()).copied()
        } else {
            map.get(kw).copied()
        }
    }

    /// Look up a legacy content modifier (`http_uri` after a `content`).
    pub fn from_content_modifier(kw: &str) -> Option<Buffer> {
        if !kw.starts_with(['h', 'H']) {
            return None;
        }
        let b = match kw.to_ascii_lowercase().as_str() {
            "http_uri" => Buffer::HttpUri,
            "http_raw_uri" => Buffer::HttpUriRaw,
            "http_method" => Buffer::HttpMethod,
            "http_header" => Buffer::HttpHeader,
            "http_raw_header" => Buffer::HttpHeaderRaw,
            "http_cookie" => Buffer::HttpCookie,
            "http_user_agent" => Buffer::HttpUserAgent,
            "http_host" => Buffer::HttpHost,
            "http_raw_host" => Buffer::HttpHostRaw,
            "http_client_body" => Buffer::HttpRequestBody,
            "http_server_body" => Buffer::FileData,
            "http_stat_code" => Buffer::HttpStatCode,
            "http_stat_msg" => Buffer::HttpStatMsg,
            _ => return None,
        };
        Some(b)
    }

    /// Human description used in Suricata's messages for buffer-selecting pcre flags.
    pub fn description(self) -> &'static str {
        match self {
            Buffer::HttpRequestBody => "http request body",
            Buffer::HttpUriRaw => "raw http uri",
            Buffer::HttpUri => "http request uri",
            Buffer::FileData => "data from tracked files",
            Buffer::HttpHeaderRaw => "raw http headers",
            Buffer::HttpHeader => "http headers",
            Buffer::HttpMethod => "http request method",
            Buffer::HttpCookie => "http cookie header",
            Buffer::HttpStatCode => "http response status code",
            Buffer::HttpStatMsg => "http response status message",
            Buffer::HttpUserAgent => "http user agent",
            Buffer::HttpHost => "http host",
            Buffer::HttpHostRaw => "raw http host",
            other => other.name(),
        }
    }
}

/// A transform applied to a buffer before inspection.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case", tag = "transform", content = "arg")]
pub enum Transform {
    /// Prepend a `.` (for domain suffix matching).
    Dotprefix,
    /// ASCII lowercase.
    ToLowercase,
    /// ASCII uppercase.
    ToUppercase,
    /// Remove all whitespace.
    StripWhitespace,
    /// Collapse whitespace runs to one space.
    CompressWhitespace,
    /// Percent-decode (and `+` to space).
    UrlDecode,
    /// Replace the buffer with the first capture of a regex (the expression text).
    Pcrexform(String),
    /// XOR with a repeating key (key bytes).
    Xor(Vec<u8>),
    /// Replace with the MD5 digest.
    ToMd5,
    /// Replace with the SHA-1 digest.
    ToSha1,
    /// Replace with the SHA-256 digest.
    ToSha256,
    /// Lowercase header names (HTTP/2 style).
    HeaderLowercase,
    /// Remove HTTP/2 pseudo headers.
    StripPseudoHeaders,
}

impl Transform {
    /// The keyword name.
    pub fn name(&self) -> &'static str {
        match self {
            Transform::Dotprefix => "dotprefix",
            Transform::ToLowercase => "to_lowercase",
            Transform::ToUppercase => "to_uppercase",
            Transform::StripWhitespace => "strip_whitespace",
            Transform::CompressWhitespace => "compress_whitespace",
            Transform::UrlDecode => "url_decode",
            Transform::Pcrexform(_) => "pcrexform",
            Transform::Xor(_) => "xor",
            Transform::ToMd5 => "to_md5",
            Transform::ToSha1 => "to_sha1",
            Transform::ToSha256 => "to_sha256",
            Transform::HeaderLowercase => "header_lowercase",
            Transform::StripPseudoHeaders => "strip_pseudo_headers",
        }
    }

    /// Transforms taking no argument, by keyword.
    pub fn simple(kw: &str) -> Option<Transform> {
        if !kw.starts_with(['d', 't', 's', 'c', 'u', 'h', 'D', 'T', 'S', 'C', 'U', 'H']) {
            return None;
        }
        let t = match kw.to_ascii_lowercase().as_str() {
            "dotprefix" => Transform::Dotprefix,
            "to_lowercase" => Transform::ToLowercase,
            "to_uppercase" => Transform::ToUppercase,
            "strip_whitespace" => Transform::StripWhitespace,
            "compress_whitespace" => Transform::CompressWhitespace,
            "url_decode" => Transform::UrlDecode,
            "to_md5" => Transform::ToMd5,
            "to_sha1" => Transform::ToSha1,
            "to_sha256" => Transform::ToSha256,
            "header_lowercase" => Transform::HeaderLowercase,
            "strip_pseudo_headers" => Transform::StripPseudoHeaders,
            _ => return None,
        };
        Some(t)
    }

    /// Can a (non-negated) pattern ever match after this transform? (Suricata's TransformValidate.)
    pub fn content_compatible(&self, pat: &[u8]) -> bool {
        let space = |c: u8| matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c);
        match self {
            Transform::StripWhitespace => !pat.iter().any(|&c| space(c)),
            Transform::CompressWhitespace => !pat.windows(2).any(|w| space(w[0]) && space(w[1])),
            Transform::ToLowercase => !pat.iter().any(|c| c.is_ascii_uppercase()),
            Transform::ToUppercase => !pat.iter().any(|c| c.is_ascii_lowercase()),
            _ => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_in_enum_order_and_unique_names() {
        for (i, info) in BUFFERS.iter().enumerate() {
            assert_eq!(info.buffer as usize, i, "{}", info.name);
            assert_eq!(info.buffer.info().name, info.name);
        }
        let mut names: Vec<&str> = BUFFERS
            .iter()
            .flat_map(|i| std::iter::once(i.name).chain(i.aliases.iter().copied()))
            .collect();
        let n = names.len();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), n);
    }

    #[test]
    fn lookups() {
        assert_eq!(
            Buffer::from_sticky_keyword("HTTP.URI"),
            Some(Buffer::HttpUri)
        );
        assert_eq!(
            Buffer::from_sticky_keyword("file_data"),
            Some(Buffer::FileData)
        );
        assert_eq!(Buffer::from_sticky_keyword("tls_sni"), Some(Buffer::TlsSni));
        assert_eq!(Buffer::from_sticky_keyword("http_uri"), None);
        assert_eq!(Buffer::from_sticky_keyword("pkt_data"), None);
        assert_eq!(
            Buffer::from_content_modifier("http_client_body"),
            Some(Buffer::HttpRequestBody)
        );
        assert_eq!(Buffer::HttpMethod.info().fp_priority, 4);
        assert_eq!(Buffer::Payload.info().fp_priority, 3);
        assert_eq!(
            serde_json::to_string(&Buffer::HttpUri).unwrap(),
            "\"http.uri\""
        );
    }

    #[test]
    fn transform_validation() {
        assert!(!Transform::StripWhitespace.content_compatible(b"a b"));
        assert!(Transform::StripWhitespace.content_compatible(b"ab\x00"));
        assert!(!Transform::CompressWhitespace.content_compatible(b"a  b"));
        assert!(Transform::CompressWhitespace.content_compatible(b"a b c"));
        assert!(!Transform::ToLowercase.content_compatible(b"aB"));
        assert!(!Transform::ToUppercase.content_compatible(b"aB"));
        assert!(Transform::Dotprefix.content_compatible(b"A B"));
    }
}
