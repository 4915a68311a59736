//! The typed rule and its builder: options are applied in order, keeping Suricata's model of
//! one ordered match list per inspection buffer ("sigmatch lists"), then validated.

use crate::buffer::{Buffer, BufferDir, BufferKind, Transform};
use crate::config::Classifications;
use crate::content::{Content, FastPatternOpt, NumOrVar, decode_content};
use crate::error::{ErrorKind, ParseError, Result, invalid};
use crate::lex::{Options, ValueRules, prepare_value, split_rule};
use crate::net::{Addresses, Ports, Resolver, Vars};
use crate::options::*;
use crate::pcre::{Pcre, parse_pcre};
use crate::proto::{Action, AppProto, Direction, Protocol};
use serde::Serialize;
use std::borrow::Cow;

/// One item of a buffer's match list (order matters: relative matches refer to the previous one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Match {
    /// `content`
    Content(Content),
    /// `pcre`
    Pcre(Pcre),
    /// `byte_test`
    ByteTest(ByteTest),
    /// `byte_jump`
    ByteJump(ByteJump),
    /// `byte_extract`
    ByteExtract(ByteExtract),
    /// `byte_math`
    ByteMath(ByteMath),
    /// `isdataat`
    IsDataAt(IsDataAt),
    /// `bsize`: length of the buffer.
    Bsize(UintMatch),
    /// `base64_decode` (decoded data is inspected by the `base64_data` list).
    Base64Decode(Base64Decode),
    /// `asn1`
    Asn1(Asn1),
    /// `dataset` / `datarep` (kept as text; not supported for matching).
    Dataset {
        /// `dataset` or `datarep`.
        keyword: String,
        /// The arguments.
        args: String,
    },
}

/// A buffer and its ordered matches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BufferList {
    /// The buffer inspected.
    pub buffer: Buffer,
    /// Transforms applied to the buffer first, in order.
    pub transforms: Vec<Transform>,
    /// The matches, in rule order.
    pub matches: Vec<Match>,
}

/// Comparison of `ip_proto` / `fragoffset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NumCmp {
    /// `=`
    Eq,
    /// `!`
    Ne,
    /// `<`
    Lt,
    /// `>`
    Gt,
}

/// `app-layer-protocol` matching mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AppProtoMode {
    /// Current protocol (default).
    Direction,
    /// `to_server` detection result.
    ToServer,
    /// `to_client` detection result.
    ToClient,
    /// Final protocol.
    Final,
    /// Original protocol (before a change).
    Original,
    /// Either.
    Either,
}

/// Non-buffer keywords: packet, flow and app-layer state conditions and actions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "keyword", content = "value", rename_all = "snake_case")]
pub enum Condition {
    /// `flowbits` (conditions and actions).
    Flowbits(Flowbits),
    /// `xbits`
    Xbits(Xbits),
    /// `hostbits`
    Hostbits(Xbits),
    /// `flowint`
    Flowint(Flowint),
    /// `dsize`
    Dsize(UintMatch),
    /// `ttl`
    Ttl(UintMatch),
    /// `tos`
    Tos(NegNum),
    /// `id` (IPv4 identification).
    IpId(u16),
    /// `ip_proto`
    IpProto {
        /// Comparison.
        cmp: NumCmp,
        /// Protocol number.
        proto: u8,
    },
    /// `flags` / `tcp.flags`
    TcpFlags(TcpFlags),
    /// `window` / `tcp.window`
    Window(NegNum),
    /// `seq` / `tcp.seq`
    Seq(u32),
    /// `ack` / `tcp.ack`
    Ack(u32),
    /// `itype`
    Itype(UintMatch),
    /// `icode`
    Icode(UintMatch),
    /// `icmp_id`
    IcmpId(u16),
    /// `icmp_seq`
    IcmpSeq(u16),
    /// `fragbits`
    Fragbits(Fragbits),
    /// `fragoffset`
    Fragoffset {
        /// Comparison.
        cmp: NumCmp,
        /// Offset.
        offset: u16,
    },
    /// `ipopts`
    Ipopts(String),
    /// `sameip`
    SameIp,
    /// `stream_size`
    StreamSize(StreamSize),
    /// `urilen` (`raw`: on the raw URI).
    Urilen {
        /// Comparison.
        cmp: UintMatch,
        /// Raw (true) or normalized URI.
        raw: bool,
    },
    /// `app-layer-event`
    AppLayerEvent(String),
    /// `decode-event`, `stream-event`, `engine-event`
    Event {
        /// The keyword.
        kind: String,
        /// Event name.
        name: String,
    },
    /// `app-layer-protocol`
    AppLayerProtocol {
        /// `!`
        negated: bool,
        /// Protocol name (an app protocol, `failed` or `unknown`).
        proto: String,
        /// Mode.
        mode: AppProtoMode,
    },
    /// `tls.subject` / `tls.issuerdn` (substring of the certificate's subject or issuer) and
    /// `tls.fingerprint` (the SHA-1 fingerprint, compared without regard to case): Suricata's
    /// legacy TLS keywords.
    TlsString {
        /// The keyword.
        keyword: String,
        /// `!`
        negated: bool,
        /// The decoded string.
        value: String,
    },
    /// `filemagic` / `filename` / `fileext` (legacy, not sticky).
    FileString {
        /// The keyword.
        keyword: String,
        /// `!`
        negated: bool,
        /// The decoded string.
        value: String,
    },
    /// `filemd5` / `filesha1` / `filesha256`: name of a hash list file.
    FileHashList {
        /// The keyword.
        keyword: String,
        /// `!`
        negated: bool,
        /// File name.
        file: String,
    },
    /// `filesize`
    FileSize(UintMatch),
    /// `filestore`
    Filestore {
        /// Direction (`request`, `response`, `both`, `to_server`, `to_client`), if given.
        direction: Option<String>,
        /// Scope (`file`, `tx`, `ssn`, `flow`), if given.
        scope: Option<String>,
    },
    /// `tls.version`: the (negotiated) version as its wire value, e.g. 0x0303 for 1.2.
    TlsVersion(u16),
    /// `ssl_version`: accepted versions (negated entries excluded).
    SslVersion {
        /// Allowed versions.
        versions: Vec<String>,
        /// Versions that must not be seen.
        negated: Vec<String>,
    },
    /// `ssl_state`
    SslState {
        /// States (any of).
        states: Vec<String>,
        /// Negated states.
        negated: Vec<String>,
    },
    /// `dns.opcode`
    DnsOpcode(NegNum),
    /// `ftpbounce`
    Ftpbounce,
    /// An app-layer integer keyword (e.g. `tls.cert_chain_len`, `mqtt.qos`, `snmp.version`).
    Uint {
        /// The keyword.
        keyword: String,
        /// Comparison.
        cmp: UintMatch,
    },
    /// A keyword recognised but not (yet) typed: kept as text, reported as unsupported.
    Other {
        /// The keyword.
        keyword: String,
        /// Its value, if any.
        value: Option<String>,
    },
}

/// A `reference:system,id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reference {
    /// Reference system (`cve`, `url`, ...).
    pub system: String,
    /// Identifier.
    pub id: String,
}

/// `target:src_ip|dest_ip`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    /// The source is the target.
    SrcIp,
    /// The destination is the target.
    DestIp,
}

/// Where the fast pattern of a rule lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FastPattern<'a> {
    /// Index into [`Rule::lists`].
    pub list: usize,
    /// Index into that list's matches.
    pub index: usize,
    /// The buffer.
    pub buffer: Buffer,
    /// The content.
    pub content: &'a Content,
    /// Bytes to give the prefilter (chop applied).
    pub bytes: &'a [u8],
    /// Set explicitly with `fast_pattern`.
    pub explicit: bool,
}

/// A parsed, validated rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rule {
    /// Action.
    pub action: Action,
    /// Header protocol.
    pub protocol: Protocol,
    /// Source addresses.
    pub src: Addresses,
    /// Source ports.
    pub src_ports: Ports,
    /// Direction.
    pub direction: Direction,
    /// Destination addresses.
    pub dst: Addresses,
    /// Destination ports.
    pub dst_ports: Ports,
    /// Signature id.
    pub sid: u32,
    /// Generator id (default 1).
    pub gid: u32,
    /// Revision (default 0).
    pub rev: u32,
    /// Message (escapes removed).
    pub msg: String,
    /// `classtype`, if any.
    pub classtype: Option<String>,
    /// Effective priority: `priority` keyword, else the classtype's, else 3.
    pub priority: u8,
    /// References.
    pub references: Vec<Reference>,
    /// Metadata key/value pairs in order.
    pub metadata: Vec<(String, String)>,
    /// `target`.
    pub target: Option<Target>,
    /// `flow`.
    pub flow: Option<Flow>,
    /// App-layer protocol from the header or implied by keywords.
    pub app_proto: Option<AppProto>,
    /// Buffer match lists, in order of first use.
    pub lists: Vec<BufferList>,
    /// Other conditions and actions, in rule order.
    pub conditions: Vec<Condition>,
    /// `threshold`.
    pub threshold: Option<Threshold>,
    /// `detection_filter`.
    pub detection_filter: Option<Threshold>,
    /// `noalert` / `flowbits:noalert`.
    pub noalert: bool,
    /// `tag`.
    pub tag: Option<Tag>,
    /// `config:` (Suricata 7 conditional logging): what a match of this rule switches off.
    pub config: Option<RuleConfig>,
    /// Keywords that were parsed but that the matcher does not support (unique, in order).
    pub unsupported: Vec<String>,
    /// Position of the fast pattern (list, match), computed at load.
    #[serde(skip)]
    pub fast_pattern_pos: Option<(usize, usize)>,
    /// The rule text (as joined from the file).
    pub text: String,
}

impl Rule {
    /// Parse one rule with the given variables (and no classification table).
    pub fn parse(text: &str, vars: &Vars) -> Result<Rule> {
        let mut r = Resolver::new();
        parse_rule(text, vars, &Classifications::new(), &mut r)
    }

    /// The match list of a buffer (first one, if transforms make several).
    pub fn list(&self, buffer: Buffer) -> Option<&BufferList> {
        self.lists.iter().find(|l| l.buffer == buffer)
    }

    /// The content used by the prefilter, chosen as Suricata does (see [`crate::fast_pattern`]).
    pub fn fast_pattern(&self) -> Option<FastPattern<'_>> {
        let (li, mi) = self.fast_pattern_pos?;
        let list = self.lists.get(li)?;
        match list.matches.get(mi)? {
            Match::Content(c) => Some(FastPattern {
                list: li,
                index: mi,
                buffer: list.buffer,
                content: c,
                bytes: c.fast_pattern_bytes(),
                explicit: c.fast_pattern.is_some(),
            }),
            _ => None,
        }
    }
}

/// What the current option list position writes to.
#[derive(Debug, Clone)]
struct Sticky {
    buffer: Buffer,
    transforms: Vec<Transform>,
    /// List receiving matches (None until the first match, or after a late transform).
    list: Option<usize>,
    /// Some match was added since the buffer was selected.
    had_matches: bool,
    /// Transforms were consumed by a match; no more may be added (Suricata's `list_set`).
    transforms_applied: bool,
}

impl Sticky {
    fn new(buffer: Buffer) -> Self {
        Sticky {
            buffer,
            transforms: Vec::new(),
            list: None,
            had_matches: false,
            transforms_applied: false,
        }
    }
}

struct Builder<'a> {
    classes: &'a Classifications,
    sid: Option<u32>,
    gid: Option<u32>,
    rev: Option<u32>,
    msg: Option<String>,
    classtype: Option<String>,
    priority: Option<u8>,
    references: Vec<Reference>,
    metadata: Vec<(String, String)>,
    target: Option<Target>,
    flow: Option<Flow>,
    app_proto: Option<AppProto>,
    header_app: Option<AppProto>,
    lists: Vec<BufferList>,
    conditions: Vec<Condition>,
    threshold: Option<Threshold>,
    detection_filter: Option<Threshold>,
    noalert: bool,
    tag: Option<Tag>,
    config: Option<RuleConfig>,
    unsupported: Vec<String>,
    sticky: Option<Sticky>,
    last_content: Option<(usize, usize)>,
    vars_defined: Vec<String>,
    require_packet: Option<&'static str>,
    require_stream: bool,
}

fn conflict(kw: &str, msg: impl Into<String>) -> ParseError {
    ParseError::kw(ErrorKind::Conflict, kw, msg)
}

fn no_context(kw: &str, msg: impl Into<String>) -> ParseError {
    ParseError::kw(ErrorKind::NoContext, kw, msg)
}

impl Builder<'_> {
    fn set_app(&mut self, kw: &str, protos: &[AppProto]) -> Result<()> {
        if protos.is_empty() {
            return Ok(());
        }
        if let Some(cur) = self.app_proto {
            if !protos.iter().any(|p| p.compatible(cur)) {
                return Err(conflict(
                    kw,
                    format!(
                        "rule contains conflicting app-layer protocols ({} vs {})",
                        cur.as_str(),
                        protos
                            .iter()
                            .map(|p| p.as_str())
                            .collect::<Vec<_>>()
                            .join("/")
                    ),
                ));
            }
            // narrow http to http1/http2 only when the header did not already pick
            return Ok(());
        }
        if let [one] = protos {
            self.app_proto = Some(*one);
        }
        Ok(())
    }

    fn select_sticky(&mut self, kw: &str, buffer: Buffer) -> Result<()> {
        if let Some(s) = &self.sticky
            && !s.had_matches
        {
            return Err(ParseError::kw(
                ErrorKind::Syntax,
                kw,
                format!("previous sticky buffer {} has no matches", s.buffer.name()),
            ));
        }
        self.set_app(kw, buffer.info().protos)?;
        self.sticky = Some(Sticky::new(buffer));
        Ok(())
    }

    fn list_index(&mut self, buffer: Buffer, transforms: &[Transform]) -> usize {
        if let Some(i) = self
            .lists
            .iter()
            .position(|l| l.buffer == buffer && l.transforms == transforms)
        {
            return i;
        }
        self.lists.push(BufferList {
            buffer,
            transforms: transforms.to_vec(),
            matches: Vec::new(),
        });
        self.lists.len() - 1
    }

    /// The list the next payload keyword goes to.
    fn current_list(&mut self) -> usize {
        match self.sticky.take() {
            Some(mut s) => {
                let i = match s.list {
                    Some(i) => i,
                    None => self.list_index(s.buffer, &s.transforms),
                };
                s.list = Some(i);
                s.had_matches = true;
                if !s.transforms.is_empty() {
                    s.transforms_applied = true;
                }
                self.sticky = Some(s);
                i
            }
            None => self.list_index(Buffer::Payload, &[]),
        }
    }

    fn push(&mut self, m: Match) -> (usize, usize) {
        let li = self.current_list();
        let list = &mut self.lists[li];
        list.matches.push(m);
        (li, list.matches.len() - 1)
    }

    fn last_content_mut(&mut self, kw: &str) -> Result<&mut Content> {
        let (li, mi) = self
            .last_content
            .ok_or_else(|| no_context(kw, format!("{kw} needs a preceding content")))?;
        match self.lists.get_mut(li).and_then(|l| l.matches.get_mut(mi)) {
            Some(Match::Content(c)) => Ok(c),
            _ => Err(no_context(kw, format!("{kw} needs a preceding content"))),
        }
    }

    /// Is there a content/pcre before the last content in the same list?
    fn has_previous_in_list(&self, li: usize, before: usize) -> bool {
        self.lists.get(li).is_some_and(|l| {
            l.matches
                .iter()
                .take(before)
                .any(|m| matches!(m, Match::Content(_) | Match::Pcre(_)))
        })
    }

    fn check_var(&self, kw: &str, v: &NumOrVar) -> Result<()> {
        if let NumOrVar::Var(name) = v
            && !self.vars_defined.iter().any(|d| d == name)
        {
            return Err(invalid(
                kw,
                format!("unknown byte_extract/byte_math variable \"{name}\""),
            ));
        }
        Ok(())
    }

    fn check_value_var(&self, kw: &str, v: &ValueOrVar) -> Result<()> {
        if let ValueOrVar::Var(name) = v
            && !self.vars_defined.iter().any(|d| d == name)
        {
            return Err(invalid(
                kw,
                format!("unknown byte_extract/byte_math variable \"{name}\""),
            ));
        }
        Ok(())
    }

    fn add_content(&mut self, kw: &str, text: &str, negated: bool) -> Result<()> {
        let pat = decode_content(text).map_err(|m| invalid(kw, m))?;
        if let Some(s) = &self.sticky
            && !negated
            && let Some(t) = s.transforms.iter().find(|t| !t.content_compatible(&pat))
        {
            return Err(ParseError::kw(
                ErrorKind::CannotMatch,
                kw,
                format!(
                    "content \"{text}\" incompatible with {} transform",
                    t.name()
                ),
            ));
        }
        let pos = self.push(Match::Content(Content::new(pat, negated)));
        self.last_content = Some(pos);
        Ok(())
    }

    fn move_last_content(&mut self, kw: &str, buffer: Buffer) -> Result<()> {
        if self.sticky.is_some() {
            return Err(conflict(
                kw,
                format!(
                    "\"{kw}\" seen with a sticky buffer still set; reset it with pkt_data before using the modifier"
                ),
            ));
        }
        let (li, mi) = self.last_content.ok_or_else(|| {
            no_context(
                kw,
                format!("\"{kw}\" found without a content context; use a content before it"),
            )
        })?;
        let in_payload = self
            .lists
            .get(li)
            .is_some_and(|l| l.buffer == Buffer::Payload && l.transforms.is_empty());
        // Suricata takes the last content of the payload list.
        let (li, mi) = if in_payload {
            (li, mi)
        } else {
            let Some(pl) = self
                .lists
                .iter()
                .position(|l| l.buffer == Buffer::Payload && l.transforms.is_empty())
            else {
                return Err(no_context(
                    kw,
                    format!("\"{kw}\" found without a content context"),
                ));
            };
            let Some(idx) = self.lists[pl]
                .matches
                .iter()
                .rposition(|m| matches!(m, Match::Content(_)))
            else {
                return Err(no_context(
                    kw,
                    format!("\"{kw}\" found without a content context"),
                ));
            };
            (pl, idx)
        };
        if let Some(Match::Content(c)) = self.lists.get(li).and_then(|l| l.matches.get(mi)) {
            if c.rawbytes {
                return Err(conflict(kw, format!("{kw} can not be used with rawbytes")));
            }
            if c.replace.is_some() {
                return Err(conflict(kw, format!("{kw} can not be used with replace")));
            }
        }
        self.set_app(kw, buffer.info().protos)?;
        let m = self.lists[li].matches.remove(mi);
        if self.lists[li].matches.is_empty() {
            self.lists.remove(li);
        }
        let ti = self.list_index(buffer, &[]);
        self.lists[ti].matches.push(m);
        self.last_content = Some((ti, self.lists[ti].matches.len() - 1));
        Ok(())
    }

    fn add_transform(&mut self, kw: &str, t: Transform) -> Result<()> {
        match &mut self.sticky {
            Some(s) if !s.transforms_applied => {
                // A transform after untransformed matches starts a new (transformed) list,
                // as Suricata 7 does.
                s.transforms.push(t);
                s.list = None;
                Ok(())
            }
            Some(_) => Err(conflict(
                kw,
                "transforms must directly follow sticky buffers (these transforms were already applied to matches)",
            )),
            None => Err(no_context(
                kw,
                "transforms must directly follow sticky buffers",
            )),
        }
    }

    fn packet_kw(&mut self, kw: &'static str) {
        if self.require_packet.is_none() {
            self.require_packet = Some(kw);
        }
    }

    fn note_unsupported(&mut self, kw: &str) {
        if !self.unsupported.iter().any(|u| u == kw) {
            self.unsupported.push(kw.to_string());
        }
    }
}

/// Keywords that are recognised (Suricata 7) and kept as text, unsupported for matching.
const UNSUPPORTED_TEXT: &[&str] = &[
    "lua",
    "luajit",
    "iprep",
    "geoip",
    "rpc",
    "frame",
    "config",
    "template",
    "template2",
    "nfq_set_mark",
    "l3_proto",
    "flowvar",
    "pktvar",
    "tls_cert_notbefore",
    "tls_cert_notafter",
    "tls_cert_expired",
    "tls_cert_valid",
    "ssh.protoversion",
    "ssh.softwareversion",
    "dcerpc.iface",
    "dce_iface",
    "dcerpc.opnum",
    "dce_opnum",
    "modbus",
    "dnp3_func",
    "dnp3.func",
    "dnp3_ind",
    "dnp3.ind",
    "dnp3_obj",
    "dnp3.obj",
    "enip_command",
    "cip_service",
    "krb5_err_code",
    "krb5_msg_type",
    "krb5.ticket_encryption",
    "nfs_procedure",
    "nfs.version",
    "nfs_version",
    "snmp.pdu_type",
    "ftpdata_command",
    "http2.frametype",
    "http2.errorcode",
    "http2.settings",
    "http2.header",
    "ike.exchtype",
    "ike.vendor_id",
    "ike.chosen_sa_attribute",
    "rfb.secresult",
    "rfb.sectype",
    "mqtt.type",
    "mqtt.flags",
    "mqtt.connect.flags",
    "mqtt.connack.session_present",
    "mqtt.reason_code",
    "mqtt.connack.return_code",
    "ipv4-csum",
    "tcpv4-csum",
    "tcpv6-csum",
    "udpv4-csum",
    "udpv6-csum",
    "icmpv4-csum",
    "icmpv6-csum",
    "ip.src",
    "ip.dst",
];

/// App-layer integer keywords (typed as [`Condition::Uint`]) with their maximum value.
const UINT_KEYWORDS: &[(&str, u64)] = &[
    ("tls.cert_chain_len", u32::MAX as u64),
    ("snmp.version", u32::MAX as u64),
    ("mqtt.protocol_version", 255),
    ("mqtt.qos", 2),
    ("http2.priority", 255),
    ("http2.window", u32::MAX as u64),
    ("http2.size_update", u64::MAX),
    ("ike.key_exchange_payload_length", u32::MAX as u64),
    ("ike.nonce_payload_length", u32::MAX as u64),
    ("dhcp.leasetime", u64::MAX),
    ("dhcp.rebinding_time", u64::MAX),
    ("dhcp.renewal_time", u64::MAX),
    ("tcp.mss", 65535),
    ("icmpv6.mtu", u32::MAX as u64),
    ("flow.age", u32::MAX as u64),
];

fn lower(s: &str) -> Cow<'_, str> {
    if s.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(s.to_ascii_lowercase())
    } else {
        Cow::Borrowed(s)
    }
}

/// Value rules of a keyword, or `None` if the keyword is unknown to Suricata 7.
fn value_rules(kw: &str) -> Option<ValueRules> {
    use ValueRules as V;
    if Buffer::from_sticky_keyword(kw).is_some()
        || Buffer::from_content_modifier(kw).is_some()
        || Transform::simple(kw).is_some()
    {
        return Some(V::NOOPT);
    }
    let r = match kw {
        "msg" => V::QUOTED,
        "content" | "uricontent" | "replace" => V::QUOTED_NEG,
        "pcre" => V::OPTQUOTE_NEG,
        "filename" | "fileext" => V::OPTQUOTE_NEG,
        "filemagic" | "tls.fingerprint" | "tls.subject" | "tls.issuerdn" => V::QUOTED_NEG,
        "pcrexform" | "xor" => V::QUOTED,
        "ip_proto" | "ssh.protoversion" | "ssh.softwareversion" => V::OPTQUOTE,
        "fast_pattern" | "base64_decode" | "filestore" => V::OPTIONAL,
        "nocase" | "rawbytes" | "startswith" | "endswith" | "noalert" | "sameip" | "ftpbounce"
        | "pkt_data" | "base64_data" | "prefilter" | "bypass" | "tls.store" | "tls_store"
        | "tls_cert_expired" | "tls_cert_valid" | "ip.src" | "ip.dst" => V::NOOPT,
        "sid" | "rev" | "gid" | "classtype" | "priority" | "reference" | "metadata" | "target"
        | "depth" | "offset" | "distance" | "within" | "isdataat" | "byte_test" | "byte_jump"
        | "byte_extract" | "byte_math" | "bsize" | "dsize" | "urilen" | "flow" | "flowbits"
        | "xbits" | "hostbits" | "flowint" | "threshold" | "detection_filter" | "ttl" | "tos"
        | "id" | "flags" | "tcp.flags" | "window" | "tcp.window" | "seq" | "tcp.seq" | "ack"
        | "tcp.ack" | "itype" | "icode" | "icmp_id" | "icmp_seq" | "fragbits" | "fragoffset"
        | "ipopts" | "stream_size" | "tag" | "app-layer-event" | "app-layer-protocol"
        | "decode-event" | "stream-event" | "engine-event" | "asn1" | "tls.version"
        | "ssl_version" | "ssl_state" | "filemd5" | "filesha1" | "filesha256" | "filesize"
        | "dns.opcode" | "dataset" | "datarep" | "requires" => V::PLAIN,
        k if UINT_KEYWORDS.iter().any(|(n, _)| *n == k) => V::PLAIN,
        k if UNSUPPORTED_TEXT.contains(&k) => ValueRules {
            optional: true,
            quotes_optional: true,
            negation: true,
            ..V::PLAIN
        },
        _ => return None,
    };
    Some(r)
}

/// Parse, type and validate one rule.
pub fn parse_rule(
    text: &str,
    vars: &Vars,
    classes: &Classifications,
    resolver: &mut Resolver,
) -> Result<Rule> {
    let raw = split_rule(text)?;
    let action = Action::parse(raw.action).ok_or_else(|| {
        ParseError::kw(
            ErrorKind::Action,
            "action",
            format!("invalid action \"{}\"", raw.action),
        )
    })?;
    let protocol = Protocol::parse(raw.protocol).ok_or_else(|| {
        ParseError::kw(
            ErrorKind::Protocol,
            "protocol",
            format!(
                "protocol \"{}\" cannot be used in a signature",
                raw.protocol
            ),
        )
    })?;
    let direction = match raw.direction {
        "->" => Direction::ToDst,
        "<>" => Direction::Both,
        "<-" => {
            return Err(ParseError::kw(
                ErrorKind::Direction,
                "direction",
                "\"<-\" is not a valid direction; write the rule the other way round with \"->\" (or use \"<>\")",
            ));
        }
        d => {
            return Err(ParseError::kw(
                ErrorKind::Direction,
                "direction",
                format!("\"{d}\" is not a valid direction; \"->\" and \"<>\" are supported"),
            ));
        }
    };
    let src = resolver
        .addresses(vars, raw.src)
        .map_err(|e| e.with_keyword("src"))?;
    let dst = resolver
        .addresses(vars, raw.dst)
        .map_err(|e| e.with_keyword("dst"))?;
    let src_ports = resolver
        .ports(vars, raw.src_port)
        .map_err(|e| e.with_keyword("sp"))?;
    let dst_ports = resolver
        .ports(vars, raw.dst_port)
        .map_err(|e| e.with_keyword("dp"))?;

    let mut b = Builder {
        classes,
        sid: None,
        gid: None,
        rev: None,
        msg: None,
        classtype: None,
        priority: None,
        references: Vec::new(),
        metadata: Vec::new(),
        target: None,
        flow: None,
        app_proto: protocol.app_proto(),
        header_app: protocol.app_proto(),
        lists: Vec::new(),
        conditions: Vec::new(),
        threshold: None,
        detection_filter: None,
        noalert: false,
        tag: None,
        config: None,
        unsupported: Vec::new(),
        sticky: None,
        last_content: None,
        vars_defined: Vec::new(),
        require_packet: None,
        require_stream: false,
    };
    if protocol == Protocol::TcpPkt {
        b.require_packet = Some("tcp-pkt");
    }
    if protocol == Protocol::TcpStream {
        b.require_stream = true;
    }
    for opt in Options::new(raw.options) {
        let opt = opt?;
        let name = lower(opt.name);
        apply(&mut b, &name, opt.value)?;
    }
    finish(
        b, action, protocol, src, src_ports, direction, dst, dst_ports, text,
    )
}

fn apply(b: &mut Builder<'_>, kw: &str, raw_value: Option<&str>) -> Result<()> {
    let rules = value_rules(kw).ok_or_else(|| {
        ParseError::kw(
            ErrorKind::UnknownKeyword,
            kw,
            format!("unknown rule keyword '{kw}'"),
        )
    })?;
    let v = prepare_value(kw, raw_value, rules)?;
    let negated = v.negated;
    let val = v.text.unwrap_or("");

    if let Some(buf) = Buffer::from_sticky_keyword(kw) {
        return b.select_sticky(kw, buf);
    }
    if let Some(buf) = Buffer::from_content_modifier(kw) {
        return b.move_last_content(kw, buf);
    }
    if let Some(t) = Transform::simple(kw) {
        return b.add_transform(kw, t);
    }
    match kw {
        "msg" => {
            if b.msg.is_some() {
                return Err(conflict(kw, "duplicated msg keyword"));
            }
            b.msg = Some(crate::lex::unescape_lenient(val));
        }
        "sid" | "rev" | "gid" => {
            let n: u32 = val
                .trim()
                .parse()
                .map_err(|_| invalid(kw, format!("invalid {kw} \"{val}\"")))?;
            let slot = match kw {
                "sid" => &mut b.sid,
                "rev" => &mut b.rev,
                _ => &mut b.gid,
            };
            if slot.is_some() {
                return Err(conflict(kw, format!("duplicated '{kw}' keyword")));
            }
            if kw == "sid" && n == 0 {
                return Err(invalid(kw, "sid must be greater than 0"));
            }
            *slot = Some(n);
        }
        "classtype" => {
            if b.classtype.is_some() {
                return Err(conflict(kw, "duplicated classtype keyword"));
            }
            let name = val.trim();
            if name.is_empty() || name.contains(char::is_whitespace) {
                return Err(invalid(kw, format!("invalid classtype \"{name}\"")));
            }
            if !b.classes.is_empty() && b.classes.get(name).is_none() {
                return Err(invalid(
                    kw,
                    format!("unknown classtype \"{name}\" (not in classification.config)"),
                ));
            }
            b.classtype = Some(name.to_ascii_lowercase());
        }
        "priority" => {
            if b.priority.is_some() {
                return Err(conflict(kw, "duplicated priority keyword"));
            }
            let p: u8 = val
                .trim()
                .parse()
                .map_err(|_| invalid(kw, format!("invalid priority \"{val}\" (1-255)")))?;
            if p == 0 {
                return Err(invalid(kw, "priority must be 1-255"));
            }
            b.priority = Some(p);
        }
        "reference" => {
            let (sys, id) = val
                .split_once(',')
                .ok_or_else(|| invalid(kw, "expected 'system,id'"))?;
            let (sys, id) = (sys.trim(), id.trim());
            if sys.is_empty() || id.is_empty() {
                return Err(invalid(kw, "expected 'system,id'"));
            }
            b.references.push(Reference {
                system: sys.to_string(),
                id: id.to_string(),
            });
        }
        "metadata" => {
            for item in val.split(',') {
                let item = item.trim_start_matches([' ', '\t']);
                if let Some((k, v)) = item.split_once(' ') {
                    let v = v.trim_start_matches([' ', '\t']);
                    if !k.is_empty() && !v.is_empty() {
                        b.metadata.push((k.to_string(), v.to_string()));
                    }
                }
            }
        }
        "target" => {
            if b.target.is_some() {
                return Err(conflict(kw, "duplicated target keyword"));
            }
            b.target = Some(match val.trim() {
                "src_ip" => Target::SrcIp,
                "dest_ip" => Target::DestIp,
                o => {
                    return Err(invalid(
                        kw,
                        format!("target must be src_ip or dest_ip, not \"{o}\""),
                    ));
                }
            });
        }
        "content" => b.add_content(kw, val, negated)?,
        "uricontent" => {
            b.sticky = None;
            b.add_content(kw, val, negated)?;
            b.move_last_content(kw, Buffer::HttpUri)?;
        }
        "replace" => {
            let rep = decode_content(val).map_err(|m| invalid(kw, m))?;
            let (li, _) = b
                .last_content
                .ok_or_else(|| no_context(kw, "replace needs a preceding content"))?;
            if b.lists.get(li).is_some_and(|l| l.buffer != Buffer::Payload) {
                return Err(conflict(kw, "replace can only be used on payload content"));
            }
            b.packet_kw("replace");
            let c = b.last_content_mut(kw)?;
            if c.negated {
                return Err(conflict(
                    kw,
                    "replace cannot be used with a negated content",
                ));
            }
            if c.replace.is_some() {
                return Err(conflict(kw, "replace given twice for the same content"));
            }
            if rep.len() != c.pattern.len() {
                return Err(invalid(
                    kw,
                    "replace must have the same length as its content",
                ));
            }
            c.replace = Some(rep);
        }
        "nocase" => {
            let c = b.last_content_mut(kw)?;
            if c.nocase {
                return Err(conflict(
                    kw,
                    "can't use multiple nocase modifiers with the same content",
                ));
            }
            c.nocase = true;
        }
        "rawbytes" => {
            let (li, _) = b
                .last_content
                .ok_or_else(|| no_context(kw, "rawbytes needs a preceding content"))?;
            if b.lists.get(li).is_some_and(|l| l.buffer != Buffer::Payload) {
                return Err(conflict(kw, "rawbytes can only be used on payload content"));
            }
            b.last_content_mut(kw)?.rawbytes = true;
        }
        "depth" | "offset" => {
            let n = crate::options::num_or_var(kw, val, 0, 65535)?;
            b.check_var(kw, &n)?;
            let c = b.last_content_mut(kw)?;
            if c.is_relative() {
                return Err(conflict(
                    kw,
                    "can't use a relative keyword like within/distance with an absolute one like depth/offset for the same content",
                ));
            }
            if c.negated && c.fast_pattern.is_some() {
                return Err(conflict(
                    kw,
                    "can't have a negated content with depth/offset along with fast_pattern",
                ));
            }
            if c.fast_pattern == Some(FastPatternOpt::Only) {
                return Err(conflict(
                    kw,
                    "can't use depth/offset with fast_pattern:only",
                ));
            }
            if c.startswith {
                return Err(conflict(kw, "can't use depth/offset with startswith"));
            }
            if kw == "depth" {
                if c.depth.is_some() {
                    return Err(conflict(
                        kw,
                        "can't use multiple depths for the same content",
                    ));
                }
                if let NumOrVar::Num(d) = n
                    && (d as usize) < c.pattern.len()
                {
                    return Err(ParseError::kw(
                        ErrorKind::CannotMatch,
                        kw,
                        format!("depth:{d} smaller than content length {}", c.pattern.len()),
                    ));
                }
                c.depth = Some(n);
            } else {
                if c.offset.is_some() {
                    return Err(conflict(
                        kw,
                        "can't use multiple offsets for the same content",
                    ));
                }
                c.offset = Some(n);
            }
        }
        "distance" | "within" => {
            let n = crate::options::num_or_var(kw, val, -65535, 65535)?;
            b.check_var(kw, &n)?;
            let c = b.last_content_mut(kw)?;
            if c.depth.is_some() || c.offset.is_some() || c.startswith {
                return Err(conflict(
                    kw,
                    "can't use a relative keyword like within/distance with an absolute one like depth/offset for the same content",
                ));
            }
            if c.negated && c.fast_pattern.is_some() {
                return Err(conflict(
                    kw,
                    "can't have a relative negated content along with fast_pattern",
                ));
            }
            if c.fast_pattern == Some(FastPatternOpt::Only) {
                return Err(conflict(
                    kw,
                    "can't have a relative keyword along with fast_pattern:only",
                ));
            }
            if kw == "distance" {
                if c.distance.is_some() {
                    return Err(conflict(
                        kw,
                        "can't use multiple distances for the same content",
                    ));
                }
                c.distance = Some(n);
            } else {
                if c.within.is_some() {
                    return Err(conflict(
                        kw,
                        "can't use multiple withins for the same content",
                    ));
                }
                if let NumOrVar::Num(w) = n
                    && (w < 0 || (w as usize) < c.pattern.len())
                {
                    return Err(ParseError::kw(
                        ErrorKind::CannotMatch,
                        kw,
                        format!(
                            "within:{w} is less than the content length {}",
                            c.pattern.len()
                        ),
                    ));
                }
                c.within = Some(n);
            }
        }
        "startswith" => {
            let c = b.last_content_mut(kw)?;
            if c.startswith {
                return Err(conflict(kw, "startswith given twice for the same content"));
            }
            if c.depth.is_some() || c.offset.is_some() || c.is_relative() {
                return Err(conflict(
                    kw,
                    "startswith can't be mixed with depth, offset, distance or within",
                ));
            }
            c.startswith = true;
        }
        "endswith" => {
            let c = b.last_content_mut(kw)?;
            if c.endswith {
                return Err(conflict(kw, "endswith given twice for the same content"));
            }
            c.endswith = true;
        }
        "fast_pattern" => {
            let (li, mi) = b.last_content.ok_or_else(|| {
                no_context(
                    kw,
                    "fast_pattern found without a content context; use a content before it",
                )
            })?;
            let has_prev = b.has_previous_in_list(li, mi);
            let _ = has_prev;
            let other_fp_in_list = b.lists.get(li).is_some_and(|l| {
                l.matches.iter().enumerate().any(|(i, m)| {
                    i != mi && matches!(m, Match::Content(c) if c.fast_pattern.is_some())
                })
            });
            let c = b.last_content_mut(kw)?;
            if c.negated && (c.is_relative() || c.offset.is_some() || c.depth.is_some()) {
                return Err(conflict(
                    kw,
                    "fast_pattern cannot be used with a negated content along with relative/absolute modifiers",
                ));
            }
            let opt = match v.text.map(str::trim) {
                None | Some("") => {
                    if c.fast_pattern.is_some() {
                        return Err(conflict(
                            kw,
                            "can't use multiple fast_pattern options for the same content",
                        ));
                    }
                    if other_fp_in_list {
                        return Err(conflict(
                            kw,
                            "fast_pattern can be used on only one content in a rule",
                        ));
                    }
                    FastPatternOpt::Yes
                }
                Some("only") => {
                    if c.negated || c.is_relative() || c.offset.is_some() || c.depth.is_some() {
                        return Err(conflict(
                            kw,
                            "fast_pattern:only cannot be used with a negated content or with distance, within, offset, depth",
                        ));
                    }
                    FastPatternOpt::Only
                }
                Some(t) => {
                    let (o, l) = t
                        .split_once(',')
                        .ok_or_else(|| invalid(kw, format!("parse error \"{t}\"")))?;
                    let o: u16 = o
                        .trim()
                        .parse()
                        .map_err(|_| invalid(kw, format!("invalid fast pattern offset \"{o}\"")))?;
                    let l: u16 = l
                        .trim()
                        .parse()
                        .map_err(|_| invalid(kw, format!("invalid fast pattern length \"{l}\"")))?;
                    if l == 0 {
                        return Err(invalid(kw, "fast pattern length must be > 0"));
                    }
                    if usize::from(o) + usize::from(l) > c.pattern.len() {
                        return Err(invalid(
                            kw,
                            format!(
                                "fast pattern (offset + length = {}) exceeds the pattern length ({})",
                                usize::from(o) + usize::from(l),
                                c.pattern.len()
                            ),
                        ));
                    }
                    FastPatternOpt::Chop { offset: o, len: l }
                }
            };
            c.fast_pattern = Some(opt);
        }
        "pcre" => {
            let p = parse_pcre(val, negated)?;
            if let Some(s) = &b.sticky {
                if let Some(fb) = p.flag_buffer
                    && fb != s.buffer
                {
                    return Err(conflict(
                        kw,
                        format!(
                            "Expression seen with a sticky buffer still set; either (1) reset sticky buffer with pkt_data or (2) use a sticky buffer providing \"{}\"",
                            fb.description()
                        ),
                    ));
                }
                b.push(Match::Pcre(p));
            } else if let Some(fb) = p.flag_buffer {
                b.set_app(kw, fb.info().protos)?;
                let li = b.list_index(fb, &[]);
                b.lists[li].matches.push(Match::Pcre(p));
            } else {
                b.push(Match::Pcre(p));
            }
        }
        "pkt_data" => {
            if let Some(s) = &b.sticky
                && !s.had_matches
            {
                return Err(ParseError::kw(
                    ErrorKind::Syntax,
                    kw,
                    format!("previous sticky buffer {} has no matches", s.buffer.name()),
                ));
            }
            b.sticky = None;
        }
        "base64_decode" => {
            let d = parse_base64_decode(v.text)?;
            // As Suricata: without a sticky buffer it goes to the list of the last content
            // (which a legacy modifier such as `http_uri` may have moved), else the payload.
            let target = match (&b.sticky, b.last_content) {
                (None, Some((li, _))) => b.lists.get_mut(li),
                _ => None,
            };
            match target {
                Some(l) => l.matches.push(Match::Base64Decode(d)),
                None => {
                    b.push(Match::Base64Decode(d));
                }
            }
        }
        "base64_data" => {
            let has_decode = b.lists.iter().any(|l| {
                l.matches
                    .iter()
                    .any(|m| matches!(m, Match::Base64Decode(_)))
            });
            if !has_decode {
                return Err(no_context(
                    kw,
                    "base64_data must be preceded by base64_decode",
                ));
            }
            if let Some(s) = &b.sticky
                && !s.had_matches
            {
                return Err(ParseError::kw(
                    ErrorKind::Syntax,
                    kw,
                    format!("previous sticky buffer {} has no matches", s.buffer.name()),
                ));
            }
            b.sticky = Some(Sticky::new(Buffer::Base64Data));
        }
        "pcrexform" => {
            crate::pcre::parse_pcre(&format!("/{val}/"), false)
                .map_err(|e| invalid(kw, e.message))?;
            b.add_transform(kw, Transform::Pcrexform(val.to_string()))?;
        }
        "xor" => {
            let hex = val.trim();
            if hex.is_empty() || hex.len() % 2 != 0 || hex.len() > 510 {
                return Err(invalid(
                    kw,
                    "xor key must be an even number of hex digits (max 255 bytes)",
                ));
            }
            let mut key = Vec::with_capacity(hex.len() / 2);
            for i in (0..hex.len()).step_by(2) {
                let byte = hex
                    .get(i..i + 2)
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or_else(|| invalid(kw, "xor key must be hex"))?;
                key.push(byte);
            }
            b.add_transform(kw, Transform::Xor(key))?;
        }
        "byte_test" => {
            let t = parse_byte_test(val)?;
            b.check_var(kw, &t.nbytes)?;
            b.check_var(kw, &t.offset)?;
            b.check_value_var(kw, &t.value)?;
            b.push(Match::ByteTest(t));
        }
        "byte_jump" => {
            let j = parse_byte_jump(val)?;
            b.check_var(kw, &j.nbytes)?;
            b.check_var(kw, &j.offset)?;
            b.push(Match::ByteJump(j));
        }
        "byte_extract" => {
            let e = parse_byte_extract(val)?;
            if b.vars_defined.contains(&e.name) {
                return Err(conflict(
                    kw,
                    format!("variable \"{}\" defined twice", e.name),
                ));
            }
            b.vars_defined.push(e.name.clone());
            b.push(Match::ByteExtract(e));
        }
        "byte_math" => {
            let m = parse_byte_math(val)?;
            b.check_var(kw, &m.nbytes)?;
            b.check_value_var(kw, &m.rvalue)?;
            if !b.vars_defined.contains(&m.result) {
                b.vars_defined.push(m.result.clone());
            }
            b.push(Match::ByteMath(m));
        }
        "isdataat" => {
            let d = parse_isdataat(val)?;
            b.check_var(kw, &d.pos)?;
            b.push(Match::IsDataAt(d));
        }
        "bsize" => {
            let m = parse_uint(kw, val, u64::MAX, true)?;
            if b.sticky.is_none() {
                return Err(no_context(kw, "bsize needs a sticky buffer"));
            }
            b.push(Match::Bsize(m));
        }
        "asn1" => {
            let a = parse_asn1(val)?;
            b.push(Match::Asn1(a));
        }
        "dataset" | "datarep" => {
            if b.sticky.is_none() {
                return Err(no_context(kw, format!("{kw} needs a sticky buffer")));
            }
            let parts: Vec<&str> = val.split(',').map(str::trim).collect();
            if parts.len() < 2 || parts.iter().any(|p| p.is_empty()) {
                return Err(invalid(
                    kw,
                    "expected at least: command/name, name/operator",
                ));
            }
            if kw == "dataset"
                && !matches!(
                    parts.first().copied().unwrap_or(""),
                    "set" | "isset" | "isnotset" | "unset"
                )
            {
                return Err(invalid(
                    kw,
                    "dataset command must be set, unset, isset or isnotset",
                ));
            }
            b.push(Match::Dataset {
                keyword: kw.to_string(),
                args: val.to_string(),
            });
            b.note_unsupported(kw);
        }
        "flow" => {
            let f = parse_flow(val)?;
            let merged = match b.flow.take() {
                None => f,
                Some(old) => {
                    if (old.to_server && f.to_client) || (old.to_client && f.to_server) {
                        return Err(conflict(kw, "flow keywords with conflicting directions"));
                    }
                    Flow {
                        established: old.established || f.established,
                        not_established: old.not_established || f.not_established,
                        stateless: old.stateless || f.stateless,
                        to_server: old.to_server || f.to_server,
                        to_client: old.to_client || f.to_client,
                        only_stream: old.only_stream || f.only_stream,
                        no_stream: old.no_stream || f.no_stream,
                        only_frag: old.only_frag || f.only_frag,
                        no_frag: old.no_frag || f.no_frag,
                    }
                }
            };
            if merged.only_stream {
                b.require_stream = true;
            }
            if merged.no_stream {
                b.packet_kw("flow:no_stream");
            }
            b.flow = Some(merged);
        }
        "flowbits" => match parse_flowbits(val)? {
            FlowbitsKw::NoAlert => b.noalert = true,
            FlowbitsKw::Bits(f) => b.conditions.push(Condition::Flowbits(f)),
        },
        "xbits" | "hostbits" => {
            if let Some(x) = parse_xbits(kw, val)? {
                b.conditions.push(if kw == "xbits" {
                    Condition::Xbits(x)
                } else {
                    Condition::Hostbits(x)
                });
            } else {
                b.noalert = true;
            }
        }
        "flowint" => b.conditions.push(Condition::Flowint(parse_flowint(val)?)),
        "noalert" => b.noalert = true,
        "threshold" | "detection_filter" => {
            let t = parse_threshold(val, kw == "detection_filter")?;
            if b.threshold.is_some() || b.detection_filter.is_some() {
                return Err(conflict(
                    kw,
                    "only one threshold or detection_filter per rule",
                ));
            }
            if kw == "threshold" {
                b.threshold = Some(t);
            } else {
                b.detection_filter = Some(t);
            }
        }
        "config" => {
            if b.config.is_some() {
                return Err(conflict(kw, "duplicated config keyword"));
            }
            b.config = Some(parse_config(v.text.unwrap_or(""))?);
        }
        "tag" => {
            if b.tag.is_some() {
                return Err(conflict(kw, "duplicated tag keyword"));
            }
            b.tag = Some(parse_tag(val)?);
        }
        "dsize" => {
            if b.conditions
                .iter()
                .any(|c| matches!(c, Condition::Dsize(_)))
            {
                return Err(conflict(kw, "can't use 2 or more dsizes in the same sig"));
            }
            b.packet_kw("dsize");
            b.conditions
                .push(Condition::Dsize(parse_uint(kw, val, 65535, false)?));
        }
        "ttl" => {
            b.packet_kw("ttl");
            b.conditions
                .push(Condition::Ttl(parse_uint(kw, val, 255, false)?));
        }
        "tos" => {
            b.packet_kw("tos");
            b.conditions
                .push(Condition::Tos(parse_neg_num(kw, val, 255)?));
        }
        "id" => {
            b.packet_kw("id");
            let n = parse_neg_num(kw, val.trim_matches('"'), 65535)?;
            if n.negated {
                return Err(invalid(kw, "id cannot be negated"));
            }
            b.conditions.push(Condition::IpId(n.value as u16));
        }
        "ip_proto" => {
            b.packet_kw("ip_proto");
            let t = val.trim();
            let (cmp, rest) = match t.chars().next() {
                Some('!') => (NumCmp::Ne, t.get(1..).unwrap_or("")),
                Some('<') => (NumCmp::Lt, t.get(1..).unwrap_or("")),
                Some('>') => (NumCmp::Gt, t.get(1..).unwrap_or("")),
                _ => (NumCmp::Eq, t),
            };
            let rest = rest.trim();
            let proto = match rest.parse::<u8>() {
                Ok(p) => p,
                Err(_) => ip_proto_by_name(rest)
                    .ok_or_else(|| invalid(kw, format!("unknown protocol \"{rest}\"")))?,
            };
            b.conditions.push(Condition::IpProto { cmp, proto });
        }
        "flags" | "tcp.flags" => {
            b.packet_kw("flags");
            b.conditions
                .push(Condition::TcpFlags(parse_tcp_flags(kw, val)?));
        }
        "window" | "tcp.window" => {
            b.packet_kw("window");
            b.conditions
                .push(Condition::Window(parse_neg_num(kw, val, 65535)?));
        }
        "seq" | "tcp.seq" | "ack" | "tcp.ack" => {
            b.packet_kw("seq");
            let n: u32 = val
                .trim()
                .parse()
                .map_err(|_| invalid(kw, format!("invalid number \"{val}\"")))?;
            b.conditions.push(if kw.ends_with("seq") {
                Condition::Seq(n)
            } else {
                Condition::Ack(n)
            });
        }
        "itype" | "icode" => {
            b.packet_kw("itype");
            let m = parse_uint(kw, val, 255, false)?;
            b.conditions.push(if kw == "itype" {
                Condition::Itype(m)
            } else {
                Condition::Icode(m)
            });
        }
        "icmp_id" | "icmp_seq" => {
            b.packet_kw("icmp_id");
            let n = parse_neg_num(kw, val.trim().trim_matches('"'), 65535)?;
            if n.negated {
                return Err(invalid(kw, format!("{kw} cannot be negated")));
            }
            let v = n.value as u16;
            b.conditions.push(if kw == "icmp_id" {
                Condition::IcmpId(v)
            } else {
                Condition::IcmpSeq(v)
            });
        }
        "fragbits" => {
            b.packet_kw("fragbits");
            b.conditions.push(Condition::Fragbits(parse_fragbits(val)?));
        }
        "fragoffset" => {
            b.packet_kw("fragoffset");
            let t = val.trim();
            let (cmp, rest) = match t.chars().next() {
                Some('!') => (NumCmp::Ne, t.get(1..).unwrap_or("")),
                Some('<') => (NumCmp::Lt, t.get(1..).unwrap_or("")),
                Some('>') => (NumCmp::Gt, t.get(1..).unwrap_or("")),
                _ => (NumCmp::Eq, t),
            };
            let offset: u16 = rest
                .trim()
                .parse()
                .map_err(|_| invalid(kw, format!("invalid offset \"{rest}\"")))?;
            b.conditions.push(Condition::Fragoffset { cmp, offset });
        }
        "ipopts" => {
            b.packet_kw("ipopts");
            let o = val.trim();
            if !matches!(
                o,
                "rr" | "eol" | "nop" | "ts" | "sec" | "esec" | "lsrr" | "ssrr" | "satid" | "any"
            ) {
                return Err(invalid(kw, format!("unknown ip option \"{o}\"")));
            }
            b.conditions.push(Condition::Ipopts(o.to_string()));
        }
        "sameip" => {
            b.packet_kw("sameip");
            b.conditions.push(Condition::SameIp);
        }
        "stream_size" => b
            .conditions
            .push(Condition::StreamSize(parse_stream_size(val)?)),
        "urilen" => {
            let (m, rest) = match val.split_once(',') {
                Some((m, r)) => (m, Some(r.trim())),
                None => (val, None),
            };
            let raw = match rest {
                None | Some("norm") => false,
                Some("raw") => true,
                Some(o) => {
                    return Err(invalid(
                        kw,
                        format!("invalid urilen option \"{o}\" (norm or raw)"),
                    ));
                }
            };
            let cmp = parse_uint(kw, m, 65535, false)?;
            b.set_app(kw, &[AppProto::Http])?;
            b.conditions.push(Condition::Urilen { cmp, raw });
        }
        "app-layer-event" => {
            let e = val.trim();
            let proto = e.split_once('.').map(|(p, _)| p);
            match proto {
                Some(p) if AppProto::parse(p).is_some() || p == "applayer" => {}
                _ => {
                    return Err(invalid(
                        kw,
                        format!("app-layer-event \"{e}\" must be of the form <protocol>.<event>"),
                    ));
                }
            }
            if let Some(p) = proto.and_then(AppProto::parse) {
                b.set_app(kw, &[p])?;
            }
            b.conditions.push(Condition::AppLayerEvent(e.to_string()));
        }
        "decode-event" | "stream-event" | "engine-event" => {
            let e = val.trim();
            if e.is_empty() || e.contains(char::is_whitespace) {
                return Err(invalid(kw, format!("invalid event \"{e}\"")));
            }
            b.conditions.push(Condition::Event {
                kind: kw.to_string(),
                name: e.to_string(),
            });
        }
        "app-layer-protocol" => {
            let t = val.trim();
            let (negated, t) = match t.strip_prefix('!') {
                Some(r) => (true, r.trim()),
                None => (false, t),
            };
            let (name, mode) = match t.split_once(',') {
                Some((n, m)) => (n.trim(), Some(m.trim())),
                None => (t, None),
            };
            if AppProto::parse(name).is_none() && !matches!(name, "failed" | "unknown") {
                return Err(invalid(kw, format!("unknown protocol \"{name}\"")));
            }
            let mode = match mode {
                None => AppProtoMode::Direction,
                Some("to_server") => AppProtoMode::ToServer,
                Some("to_client") => AppProtoMode::ToClient,
                Some("final") => AppProtoMode::Final,
                Some("original") => AppProtoMode::Original,
                Some("either") => AppProtoMode::Either,
                Some(o) => return Err(invalid(kw, format!("unknown mode \"{o}\""))),
            };
            b.conditions.push(Condition::AppLayerProtocol {
                negated,
                proto: name.to_string(),
                mode,
            });
        }
        "tls.subject" | "tls.issuerdn" | "tls.fingerprint" => {
            let s = decode_content(val).map_err(|m| invalid(kw, m))?;
            b.set_app(kw, &[AppProto::Tls])?;
            b.conditions.push(Condition::TlsString {
                keyword: kw.to_string(),
                negated,
                value: String::from_utf8_lossy(&s).into_owned(),
            });
        }
        "filemagic" | "filename" | "fileext" => {
            let s = decode_content(val).map_err(|m| invalid(kw, m))?;
            b.set_app(kw, Buffer::FileData.info().protos)?;
            b.conditions.push(Condition::FileString {
                keyword: kw.to_string(),
                negated,
                value: String::from_utf8_lossy(&s).into_owned(),
            });
        }
        "filemd5" | "filesha1" | "filesha256" => {
            let t = val.trim();
            let (neg, f) = match t.strip_prefix('!') {
                Some(r) => (true, r.trim()),
                None => (false, t),
            };
            if f.is_empty() {
                return Err(invalid(kw, "missing hash list file name"));
            }
            b.set_app(kw, Buffer::FileData.info().protos)?;
            b.conditions.push(Condition::FileHashList {
                keyword: kw.to_string(),
                negated: neg,
                file: f.to_string(),
            });
        }
        "filesize" => {
            b.set_app(kw, Buffer::FileData.info().protos)?;
            b.conditions
                .push(Condition::FileSize(parse_uint(kw, val, u64::MAX, true)?));
        }
        "filestore" => {
            let mut direction = None;
            let mut scope = None;
            if let Some(t) = v.text {
                let mut parts = t.split(',').map(str::trim);
                if let Some(d) = parts.next().filter(|d| !d.is_empty()) {
                    if !matches!(
                        d,
                        "request" | "response" | "both" | "to_server" | "to_client"
                    ) {
                        return Err(invalid(kw, format!("invalid direction \"{d}\"")));
                    }
                    direction = Some(d.to_string());
                }
                if let Some(s) = parts.next() {
                    if !matches!(s, "file" | "tx" | "ssn" | "flow") {
                        return Err(invalid(kw, format!("invalid scope \"{s}\"")));
                    }
                    scope = Some(s.to_string());
                }
                if parts.next().is_some() {
                    return Err(invalid(kw, "too many arguments"));
                }
            }
            b.conditions.push(Condition::Filestore { direction, scope });
        }
        "tls.version" => {
            let t = val.trim();
            let ver = match t {
                "1.0" => 0x0301,
                "1.1" => 0x0302,
                "1.2" => 0x0303,
                "1.3" => 0x0304,
                _ => t
                    .strip_prefix("0x")
                    .and_then(|h| u16::from_str_radix(h, 16).ok())
                    .ok_or_else(|| invalid(kw, format!("invalid TLS version \"{t}\"")))?,
            };
            b.set_app(kw, &[AppProto::Tls])?;
            b.conditions.push(Condition::TlsVersion(ver));
        }
        "ssl_version" => {
            let mut versions = Vec::new();
            let mut neg = Vec::new();
            for p in val.split(',').map(str::trim) {
                let (n, name) = match p.strip_prefix('!') {
                    Some(r) => (true, r.trim()),
                    None => (false, p),
                };
                if !matches!(
                    name,
                    "sslv2" | "sslv3" | "tls1.0" | "tls1.1" | "tls1.2" | "tls1.3"
                ) {
                    return Err(invalid(kw, format!("invalid ssl version \"{name}\"")));
                }
                if n {
                    neg.push(name.to_string())
                } else {
                    versions.push(name.to_string())
                }
            }
            b.set_app(kw, &[AppProto::Tls])?;
            b.conditions.push(Condition::SslVersion {
                versions,
                negated: neg,
            });
        }
        "ssl_state" => {
            let mut states = Vec::new();
            let mut neg = Vec::new();
            for p in val.split([',', '|']).map(str::trim) {
                let (n, name) = match p.strip_prefix('!') {
                    Some(r) => (true, r.trim()),
                    None => (false, p),
                };
                if !matches!(
                    name,
                    "client_hello" | "server_hello" | "client_keyx" | "server_keyx" | "unknown"
                ) {
                    return Err(invalid(kw, format!("invalid ssl state \"{name}\"")));
                }
                if n {
                    neg.push(name.to_string())
                } else {
                    states.push(name.to_string())
                }
            }
            b.set_app(kw, &[AppProto::Tls])?;
            b.conditions.push(Condition::SslState {
                states,
                negated: neg,
            });
        }
        "tls.store" | "tls_store" => {
            b.set_app(kw, &[AppProto::Tls])?;
            b.conditions.push(Condition::Other {
                keyword: "tls.store".into(),
                value: None,
            });
        }
        "dns.opcode" => {
            b.set_app(kw, &[AppProto::Dns])?;
            b.conditions
                .push(Condition::DnsOpcode(parse_neg_num(kw, val, 15)?));
        }
        "ftpbounce" => {
            b.set_app(kw, &[AppProto::Ftp])?;
            b.conditions.push(Condition::Ftpbounce);
        }
        "prefilter" | "bypass" => {
            b.conditions.push(Condition::Other {
                keyword: kw.to_string(),
                value: None,
            });
        }
        "requires" => {
            check_requires(val)?;
        }
        k if UINT_KEYWORDS.iter().any(|(n, _)| *n == k) => {
            let max = UINT_KEYWORDS
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, m)| *m)
                .unwrap_or(u64::MAX);
            b.conditions.push(Condition::Uint {
                keyword: k.to_string(),
                cmp: parse_uint(k, val, max, false)?,
            });
        }
        k => {
            // recognised, kept as text
            b.conditions.push(Condition::Other {
                keyword: k.to_string(),
                value: v.text.map(str::to_string),
            });
            b.note_unsupported(k);
        }
    }
    Ok(())
}

/// What the `config:` keyword switches off when its rule matches (Suricata 7 knows one
/// subsystem, `logging`, and the action `disable`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct RuleConfig {
    /// What is configured: `type tx` (the transaction's records).
    pub kind: ConfigScope,
    /// For how long: `scope tx` (this transaction) or `scope flow` (every later one too).
    pub scope: ConfigScope,
}

/// `type` / `scope` values of [`RuleConfig`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ConfigScope {
    /// `tx`.
    Tx,
    /// `flow`.
    Flow,
}

/// Parses `config: logging disable, type tx, scope tx` (Suricata 7's syntax: the subsystem and
/// action first, then `type` and `scope` in either order).
fn parse_config(val: &str) -> Result<RuleConfig> {
    const KW: &str = "config";
    let mut parts = val.split(',').map(str::trim);
    let head: Vec<&str> = parts.next().unwrap_or("").split_whitespace().collect();
    match head.as_slice() {
        ["logging", "disable"] => {}
        ["logging", other] => {
            return Err(invalid(
                KW,
                format!("unsupported config action \"{other}\""),
            ));
        }
        [sub, ..] => {
            return Err(invalid(
                KW,
                format!("unsupported config subsystem \"{sub}\""),
            ));
        }
        [] => {
            return Err(ParseError::kw(
                ErrorKind::MissingValue,
                KW,
                "config needs a value",
            ));
        }
    }
    let (mut kind, mut scope) = (None, None);
    for p in parts {
        let (k, v) = p.split_once(char::is_whitespace).unwrap_or((p, ""));
        let value = match v.trim() {
            "tx" => ConfigScope::Tx,
            "flow" => ConfigScope::Flow,
            other => return Err(invalid(KW, format!("unsupported config {k} \"{other}\""))),
        };
        match k {
            "type" if kind.is_none() => kind = Some(value),
            "scope" if scope.is_none() => scope = Some(value),
            _ => return Err(invalid(KW, format!("unexpected config option \"{p}\""))),
        }
    }
    match (kind, scope) {
        (Some(ConfigScope::Tx), Some(scope)) => Ok(RuleConfig {
            kind: ConfigScope::Tx,
            scope,
        }),
        (Some(ConfigScope::Flow), _) => Err(invalid(KW, "config type flow is not supported")),
        _ => Err(invalid(KW, "config needs `type` and `scope`")),
    }
}

/// Numbers for the protocol names `ip_proto` accepts.
fn ip_proto_by_name(n: &str) -> Option<u8> {
    Some(match n.to_ascii_lowercase().as_str() {
        "ip" | "hopopt" => 0,
        "icmp" => 1,
        "igmp" => 2,
        "ipip" | "ipv4" => 4,
        "tcp" => 6,
        "egp" => 8,
        "udp" => 17,
        "ipv6" => 41,
        "ipv6-route" => 43,
        "ipv6-frag" => 44,
        "rsvp" => 46,
        "gre" => 47,
        "esp" => 50,
        "ah" => 51,
        "ipv6-icmp" | "icmpv6" => 58,
        "ipv6-nonxt" => 59,
        "ipv6-opts" => 60,
        "eigrp" => 88,
        "ospf" => 89,
        "pim" => 103,
        "vrrp" => 112,
        "l2tp" => 115,
        "sctp" => 132,
        _ => return None,
    })
}

/// This engine's Suricata compatibility level for `requires: version`.
const COMPAT_VERSION: (u32, u32, u32) = (7, 0, 10);

fn check_requires(val: &str) -> Result<()> {
    const KW: &str = "requires";
    if let Some(item) = val.split(',').map(str::trim).find(|i| !i.is_empty()) {
        let (k, rest) = item
            .split_once(char::is_whitespace)
            .ok_or_else(|| invalid(KW, format!("malformed requirement \"{item}\"")))?;
        match k {
            "feature" => {
                return Err(ParseError::kw(
                    ErrorKind::RequirementsNotMet,
                    KW,
                    format!("feature \"{}\" is not provided", rest.trim()),
                ));
            }
            "version" => {
                for alt in rest.split("|") {
                    let mut ok = true;
                    let mut toks = alt.split_whitespace();
                    while let Some(op) = toks.next() {
                        let ver = toks.next().ok_or_else(|| {
                            invalid(KW, format!("malformed version requirement \"{alt}\""))
                        })?;
                        let mut it = ver.split('.').map(|p| p.parse::<u32>());
                        let major = it
                            .next()
                            .and_then(|r| r.ok())
                            .ok_or_else(|| invalid(KW, format!("invalid version \"{ver}\"")))?;
                        let minor = it
                            .next()
                            .transpose()
                            .map_err(|_| invalid(KW, format!("invalid version \"{ver}\"")))?
                            .unwrap_or(0);
                        let patch = it
                            .next()
                            .transpose()
                            .map_err(|_| invalid(KW, format!("invalid version \"{ver}\"")))?
                            .unwrap_or(0);
                        let want = (major, minor, patch);
                        let have = COMPAT_VERSION;
                        let good = match op {
                            ">=" => have >= want,
                            ">" => have > want,
                            "<=" => have <= want,
                            "<" => have < want,
                            "=" | "==" => have == want,
                            o => {
                                return Err(invalid(
                                    KW,
                                    format!("invalid version operator \"{o}\""),
                                ));
                            }
                        };
                        ok &= good;
                    }
                    if ok {
                        return Ok(());
                    }
                }
                return Err(ParseError::kw(
                    ErrorKind::RequirementsNotMet,
                    KW,
                    format!(
                        "version requirement \"{}\" not met (compatible with 7.0.10)",
                        rest.trim()
                    ),
                ));
            }
            o => return Err(invalid(KW, format!("unknown requirement \"{o}\""))),
        }
    }
    Ok(())
}

/// Suricata's SigParseRequiredContentSize over one list: (required length, max offset).
fn required_content_size(matches: &[Match], max_size: u64) -> (u64, u64) {
    let mut total: i64 = 0;
    let mut max_offset: i64 = 0;
    let mut first = true;
    for m in matches {
        let Match::Content(c) = m else { continue };
        let dist = c.distance.as_ref().and_then(NumOrVar::num).unwrap_or(0) as i64;
        let within = c.within.as_ref().and_then(NumOrVar::num).unwrap_or(0) as i64;
        if !first {
            if !c.is_relative() {
                continue;
            }
            if c.negated {
                let check = total + dist + within;
                if (max_size as i64) < check {
                    return (check.max(0) as u64, 0);
                }
                continue;
            }
        }
        total += c.pattern.len() as i64 + dist;
        max_offset = max_offset.max(c.offset.as_ref().and_then(NumOrVar::num).unwrap_or(0) as i64);
        first = false;
    }
    (total.max(0) as u64, max_offset.max(0) as u64)
}

#[allow(clippy::too_many_arguments)]
fn finish(
    b: Builder<'_>,
    action: Action,
    protocol: Protocol,
    src: Addresses,
    src_ports: Ports,
    direction: Direction,
    dst: Addresses,
    dst_ports: Ports,
    text: &str,
) -> Result<Rule> {
    let sid = b.sid.ok_or_else(|| {
        ParseError::new(
            ErrorKind::MissingSid,
            "signature missing required value \"sid\"",
        )
    })?;
    if let Some(s) = &b.sticky {
        if !s.had_matches {
            return Err(ParseError::kw(
                ErrorKind::Syntax,
                s.buffer.name(),
                format!(
                    "rule sets up buffer {} but adds no matches to it",
                    s.buffer.name()
                ),
            ));
        }
        if s.list.is_none() {
            return Err(ParseError::kw(
                ErrorKind::Syntax,
                s.buffer.name(),
                "transforms given after the last match are not consumed",
            ));
        }
    }
    // bsize / dsize feasibility
    for l in &b.lists {
        if let Some(u) = l.matches.iter().find_map(|m| match m {
            Match::Bsize(u) => Some(u),
            _ => None,
        }) && let Some(max) = u.max_for_validation()
        {
            let (len, off) = required_content_size(&l.matches, max);
            if len > max || len + off > max {
                let needed = if len > max { len } else { len + off };
                // Suricata's wording: the range, or the value as written.
                let limit = if u.mode == UintMode::Range {
                    format!("range: {}-{}", u.arg1, u.arg2)
                } else {
                    format!("value: {}", u.arg1)
                };
                return Err(ParseError::kw(
                    ErrorKind::CannotMatch,
                    "bsize",
                    format!(
                        "signature can't match as required content length {needed} exceeds bsize {limit}"
                    ),
                ));
            }
        }
    }
    if let Some(Condition::Dsize(d)) = b
        .conditions
        .iter()
        .find(|c| matches!(c, Condition::Dsize(_)))
        && let (Some(max), Some(pl)) = (
            d.max_for_validation(),
            b.lists.iter().find(|l| l.buffer == Buffer::Payload),
        )
    {
        let (len, off) = required_content_size(&pl.matches, max);
        if len > max || len + off > max {
            let needed = if len > max { len } else { len + off };
            return Err(ParseError::kw(
                ErrorKind::CannotMatch,
                "dsize",
                format!(
                    "signature can't match as required content length {needed} exceeds dsize value {max}"
                ),
            ));
        }
    }
    // packet-only keywords cannot be combined with app-layer buffers
    if let Some(pk) = b.require_packet {
        if let Some(l) = b
            .lists
            .iter()
            .find(|l| l.buffer.info().kind == BufferKind::App)
        {
            return Err(conflict(
                pk,
                format!(
                    "packet specific keyword ({pk}) combined with app-layer buffer {}",
                    l.buffer.name()
                ),
            ));
        }
        if b.require_stream {
            return Err(conflict(
                pk,
                "can't mix packet keywords with tcp-stream or flow:only_stream",
            ));
        }
    }
    // direction implied by buffers
    let ts = b
        .lists
        .iter()
        .any(|l| l.buffer.info().dir == BufferDir::ToServer);
    let tc = b
        .lists
        .iter()
        .any(|l| l.buffer.info().dir == BufferDir::ToClient);
    if ts && tc {
        return Err(conflict(
            "flow",
            "rule mixes keywords with conflicting directions (to_server and to_client buffers)",
        ));
    }
    if let Some(f) = &b.flow
        && ((ts && f.to_client) || (tc && f.to_server))
    {
        return Err(conflict(
            "flow",
            "flow direction conflicts with the direction of the inspected buffers",
        ));
    }
    // file keywords need a protocol that carries files
    let _ = b.header_app;
    let priority = b
        .priority
        .or_else(|| {
            b.classtype
                .as_deref()
                .and_then(|c| b.classes.get(c))
                .map(|c| c.priority)
        })
        .unwrap_or(3);
    let mut rule = Rule {
        action,
        protocol,
        src,
        src_ports,
        direction,
        dst,
        dst_ports,
        sid,
        gid: b.gid.unwrap_or(1),
        rev: b.rev.unwrap_or(0),
        msg: b.msg.unwrap_or_default(),
        classtype: b.classtype,
        priority,
        references: b.references,
        metadata: b.metadata,
        target: b.target,
        flow: b.flow,
        app_proto: b.app_proto,
        lists: b.lists,
        conditions: b.conditions,
        threshold: b.threshold,
        detection_filter: b.detection_filter,
        noalert: b.noalert,
        tag: b.tag,
        config: b.config,
        unsupported: b.unsupported,
        fast_pattern_pos: None,
        text: text.to_string(),
    };
    rule.fast_pattern_pos = crate::fast_pattern::select(&rule.lists);
    Ok(rule)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(r: &str) -> Result<Rule> {
        Rule::parse(r, &Vars::suricata_defaults())
    }

    fn err(r: &str) -> ParseError {
        match parse(r) {
            Ok(_) => panic!("rule should fail: {r}"),
            Err(e) => e,
        }
    }

    fn rule(opts: &str) -> String {
        format!("alert http any any -> any any ({opts} sid:1;)")
    }

    #[test]
    fn config_keyword_is_typed() {
        let r = parse(
            "config dns any any -> any any (dns.query; content:\"x\"; config: logging disable, type tx, scope tx; sid:1;)",
        )
        .unwrap();
        assert_eq!(r.action, Action::Config);
        assert_eq!(
            r.config,
            Some(RuleConfig {
                kind: ConfigScope::Tx,
                scope: ConfigScope::Tx
            })
        );
        assert!(r.unsupported.is_empty());
        let r = parse(
            "config http any any -> any any (config:logging disable,scope flow,type tx; sid:2;)",
        )
        .unwrap();
        assert_eq!(r.config.map(|c| c.scope), Some(ConfigScope::Flow));
        for bad in [
            "config: logging enable, type tx, scope tx;",
            "config: detect disable, type tx, scope tx;",
            "config: logging disable, type tx;",
            "config: logging disable, type tx, scope packet;",
            "config: logging disable, type tx, scope tx, scope tx;",
        ] {
            assert!(
                parse(&format!("config tcp any any -> any any ({bad} sid:3;)")).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn header_fields() {
        let r = parse(
            "drop tcp $HOME_NET any <> $EXTERNAL_NET [80,443] (msg:\"m\"; sid:7; rev:3; gid:2;)",
        )
        .unwrap();
        assert_eq!(r.action, Action::Drop);
        assert_eq!(r.protocol, Protocol::Tcp);
        assert_eq!(r.direction, Direction::Both);
        assert!(r.dst_ports.set.contains(443) && !r.dst_ports.set.contains(8080));
        assert_eq!((r.sid, r.rev, r.gid, r.priority), (7, 3, 2, 3));
        assert_eq!(
            err("alert tcp any any <- any any (sid:1;)").kind,
            ErrorKind::Direction
        );
        assert_eq!(
            err("alert tcp any any => any any (sid:1;)").kind,
            ErrorKind::Direction
        );
        assert_eq!(
            err("log tcp any any -> any any (sid:1;)").kind,
            ErrorKind::Action
        );
        assert_eq!(
            err("alert gopher any any -> any any (sid:1;)").kind,
            ErrorKind::Protocol
        );
        assert_eq!(
            err("alert tcp $NOPE any -> any any (sid:1;)").kind,
            ErrorKind::Variable
        );
        assert_eq!(
            err("alert tcp any 99999 -> any any (sid:1;)").kind,
            ErrorKind::Port
        );
        assert_eq!(
            err("alert tcp any any -> any any (msg:\"x\";)").kind,
            ErrorKind::MissingSid
        );
        assert_eq!(
            err("alert tcp any any -> any any (sid:0;)").kind,
            ErrorKind::InvalidValue
        );
        for a in [
            "reject",
            "rejectsrc",
            "rejectdst",
            "rejectboth",
            "pass",
            "config",
        ] {
            assert!(
                parse(&format!("{a} tcp any any -> any any (sid:1;)")).is_ok(),
                "{a}"
            );
        }
        for p in [
            "ip",
            "udp",
            "icmp",
            "tcp-pkt",
            "tcp-stream",
            "pkthdr",
            "http2",
            "smb",
            "dns",
            "quic",
            "mqtt",
        ] {
            assert!(
                parse(&format!("alert {p} any any -> any any (sid:1;)")).is_ok(),
                "{p}"
            );
        }
    }

    #[test]
    fn meta_keywords() {
        let r = parse(&rule(r#"msg:"a \"quoted\" \; thing"; reference:cve,2020-1234; reference:url,example.com/x; metadata:created_at 2020_01_01, former_category X, novalue; classtype:trojan-activity; priority:2; target:dest_ip;"#)).unwrap();
        assert_eq!(r.msg, "a \"quoted\" ; thing");
        assert_eq!(r.references.len(), 2);
        assert_eq!(
            r.references[0],
            Reference {
                system: "cve".into(),
                id: "2020-1234".into()
            }
        );
        assert_eq!(
            r.metadata,
            vec![
                ("created_at".into(), "2020_01_01".into()),
                ("former_category".into(), "X".into())
            ]
        );
        assert_eq!(r.priority, 2);
        assert_eq!(r.target, Some(Target::DestIp));
        let e = err(&rule("msg:unquoted;"));
        assert_eq!(
            (e.kind, e.keyword.as_deref()),
            (ErrorKind::Syntax, Some("msg"))
        );
        assert_eq!(
            err(&rule("target:middle;")).keyword.as_deref(),
            Some("target")
        );
        assert_eq!(err(&rule("priority:0;")).kind, ErrorKind::InvalidValue);
        assert_eq!(
            err("alert tcp any any -> any any (sid:1; sid:2;)").kind,
            ErrorKind::Conflict
        );
        assert_eq!(
            err(&rule("reference:cve;")).keyword.as_deref(),
            Some("reference")
        );
    }

    #[test]
    fn classtype_priority_from_config() {
        let (c, _) = Classifications::parse(
            "config classification: trojan-activity,A Network Trojan was detected,1\n",
        );
        let mut res = Resolver::new();
        let r = parse_rule(
            &rule("classtype:trojan-activity;"),
            &Vars::suricata_defaults(),
            &c,
            &mut res,
        )
        .unwrap();
        assert_eq!(r.priority, 1);
        let r = parse_rule(
            &rule("priority:4; classtype:trojan-activity;"),
            &Vars::suricata_defaults(),
            &c,
            &mut res,
        )
        .unwrap();
        assert_eq!(r.priority, 4);
        let e = parse_rule(
            &rule("classtype:nope;"),
            &Vars::suricata_defaults(),
            &c,
            &mut res,
        )
        .unwrap_err();
        assert_eq!(
            (e.kind, e.keyword.as_deref()),
            (ErrorKind::InvalidValue, Some("classtype"))
        );
    }

    #[test]
    fn content_and_modifiers() {
        let r = parse("alert tcp any any -> any any (content:\"|0d 0a|A\\;B\"; nocase; offset:2; depth:10; content:!\"x\"; distance:0; within:5; content:\"end\"; endswith; sid:1;)").unwrap();
        let l = r.list(Buffer::Payload).unwrap();
        let Match::Content(c) = &l.matches[0] else {
            panic!()
        };
        assert_eq!(c.pattern, b"\r\nA;B");
        assert!(c.nocase);
        assert_eq!(
            (c.offset.clone(), c.depth.clone()),
            (Some(NumOrVar::Num(2)), Some(NumOrVar::Num(10)))
        );
        let Match::Content(c) = &l.matches[1] else {
            panic!()
        };
        assert!(c.negated && c.is_relative());
        let Match::Content(c) = &l.matches[2] else {
            panic!()
        };
        assert!(c.endswith);
        let cases = [
            ("nocase; content:\"a\";", ErrorKind::NoContext, "nocase"),
            (
                "content:\"a\"; nocase; nocase;",
                ErrorKind::Conflict,
                "nocase",
            ),
            ("content:\"abc\"; depth:2;", ErrorKind::CannotMatch, "depth"),
            (
                "content:\"abc\"; within:2;",
                ErrorKind::CannotMatch,
                "within",
            ),
            (
                "content:\"a\"; depth:5; distance:1;",
                ErrorKind::Conflict,
                "distance",
            ),
            (
                "content:\"a\"; within:5; offset:1;",
                ErrorKind::Conflict,
                "offset",
            ),
            (
                "content:\"a\"; offset:1; offset:2;",
                ErrorKind::Conflict,
                "offset",
            ),
            ("content:\"a\"; depth:zz;", ErrorKind::InvalidValue, "depth"),
            ("content:\"a|4\";", ErrorKind::InvalidValue, "content"),
            ("content:\"a\\x\";", ErrorKind::InvalidValue, "content"),
            ("content:abc;", ErrorKind::Syntax, "content"),
            (
                "content:\"a\"; startswith; offset:1;",
                ErrorKind::Conflict,
                "offset",
            ),
            (
                "content:\"a\"; fast_pattern; fast_pattern;",
                ErrorKind::Conflict,
                "fast_pattern",
            ),
            (
                "content:\"a\"; fast_pattern; content:\"b\"; fast_pattern;",
                ErrorKind::Conflict,
                "fast_pattern",
            ),
            (
                "content:\"abc\"; fast_pattern:2,5;",
                ErrorKind::InvalidValue,
                "fast_pattern",
            ),
            (
                "content:\"a\"; distance:1; fast_pattern:only;",
                ErrorKind::Conflict,
                "fast_pattern",
            ),
            (
                "content:!\"a\"; fast_pattern:only;",
                ErrorKind::Conflict,
                "fast_pattern",
            ),
            ("content:\"a\"; frob;", ErrorKind::UnknownKeyword, "frob"),
            (
                "content:\"a\"; nocase:1;",
                ErrorKind::UnexpectedValue,
                "nocase",
            ),
            ("content:;", ErrorKind::MissingValue, "content"),
        ];
        for (opts, kind, kw) in cases {
            let e = err(&format!("alert tcp any any -> any any ({opts} sid:1;)"));
            assert_eq!(
                (e.kind, e.keyword.as_deref()),
                (kind, Some(kw)),
                "{opts}: {e}"
            );
        }
        let r = parse("alert tcp any any -> any any (content:\"abcd\"; fast_pattern:only; sid:1;)")
            .unwrap();
        assert_eq!(
            r.fast_pattern().unwrap().content.fast_pattern,
            Some(FastPatternOpt::Only)
        );
    }

    #[test]
    fn byte_vars() {
        let r = parse("alert tcp any any -> any any (content:\"a\"; byte_extract:2,0,len,relative; content:\"b\"; distance:len; within:len; byte_test:2,>,len,0,relative; byte_math:bytes 1, offset 0, oper +, rvalue len, result r2; isdataat:r2,relative; sid:1;)").unwrap();
        let l = r.list(Buffer::Payload).unwrap();
        assert_eq!(l.matches.len(), 6);
        let Match::Content(c) = &l.matches[2] else {
            panic!()
        };
        assert_eq!(c.distance, Some(NumOrVar::Var("len".into())));
        let e = err("alert tcp any any -> any any (content:\"a\"; distance:nosuch; sid:1;)");
        assert_eq!(
            (e.kind, e.keyword.as_deref()),
            (ErrorKind::InvalidValue, Some("distance"))
        );
        let e = err("alert tcp any any -> any any (byte_test:2,>,nosuch,0; sid:1;)");
        assert_eq!(e.keyword.as_deref(), Some("byte_test"));
        let e =
            err("alert tcp any any -> any any (byte_extract:1,0,v; byte_extract:1,0,v; sid:1;)");
        assert_eq!(e.kind, ErrorKind::Conflict);
    }

    #[test]
    fn sticky_buffers_and_legacy_modifiers() {
        let r = parse(&rule("http.method; content:\"GET\"; http.uri; content:\"/a\"; http.header; content:\"X\"; http.uri; content:\"/b\";")).unwrap();
        assert_eq!(r.lists.len(), 3);
        assert_eq!(r.list(Buffer::HttpUri).unwrap().matches.len(), 2);
        assert_eq!(r.app_proto, Some(AppProto::Http));
        let r = parse("alert tcp any any -> any any (content:\"GET\"; http_method; content:\"/x\"; http_uri; content:\"pay\"; sid:1;)").unwrap();
        assert_eq!(r.list(Buffer::HttpMethod).unwrap().matches.len(), 1);
        assert_eq!(r.list(Buffer::HttpUri).unwrap().matches.len(), 1);
        assert_eq!(r.list(Buffer::Payload).unwrap().matches.len(), 1);
        assert_eq!(r.app_proto, Some(AppProto::Http));
        let r = parse("alert tcp any any -> any any (uricontent:\"/x\"; sid:1;)").unwrap();
        assert!(r.list(Buffer::HttpUri).is_some());
        let r = parse(&rule(
            "file_data; content:\"MZ\"; pkt_data; content:\"raw\";",
        ))
        .unwrap();
        assert!(r.list(Buffer::FileData).is_some() && r.list(Buffer::Payload).is_some());
        let r = parse(&rule("http.response_body; content:\"x\";")).unwrap();
        assert!(r.list(Buffer::FileData).is_some());
        let cases = [
            (
                "http.uri; content:\"a\"; http_uri;",
                ErrorKind::Conflict,
                "http_uri",
            ),
            ("http_uri;", ErrorKind::NoContext, "http_uri"),
            (
                "http.uri; http.method; content:\"GET\";",
                ErrorKind::Syntax,
                "http.method",
            ),
            ("content:\"a\"; http.uri;", ErrorKind::Syntax, "http.uri"),
            (
                "http.uri; content:\"a\"; http.stat_code; content:\"200\";",
                ErrorKind::Conflict,
                "flow",
            ),
            (
                "flow:to_client; http.uri; content:\"a\";",
                ErrorKind::Conflict,
                "flow",
            ),
        ];
        for (opts, kind, kw) in cases {
            let e = err(&rule(opts));
            assert_eq!(
                (e.kind, e.keyword.as_deref()),
                (kind, Some(kw)),
                "{opts}: {e}"
            );
        }
        let e = err("alert dns any any -> any any (http.uri; content:\"a\"; sid:1;)");
        assert_eq!(e.kind, ErrorKind::Conflict);
        let e = err("alert tcp any any -> any any (dsize:10; http.uri; content:\"a\"; sid:1;)");
        assert_eq!(
            (e.kind, e.keyword.as_deref()),
            (ErrorKind::Conflict, Some("dsize"))
        );
    }

    #[test]
    fn transforms() {
        let r = parse(&rule(
            "http.uri; to_lowercase; url_decode; content:\"/a b\";",
        ))
        .unwrap();
        let l = r.list(Buffer::HttpUri).unwrap();
        assert_eq!(
            l.transforms,
            vec![Transform::ToLowercase, Transform::UrlDecode]
        );
        // a transform after untransformed matches opens a second, transformed list
        let r = parse("alert dns any any -> any any (dns.query; content:\"rs-\"; dotprefix; content:\".x.com\"; sid:1;)").unwrap();
        assert_eq!(r.lists.len(), 2);
        assert_eq!(r.lists[1].transforms, vec![Transform::Dotprefix]);
        let r = parse(&rule("http.uri; xor:\"0d0ac8ff\"; content:\"a\";")).unwrap();
        assert_eq!(
            r.lists[0].transforms,
            vec![Transform::Xor(vec![0x0d, 0x0a, 0xc8, 0xff])]
        );
        let r = parse(&rule("http.uri; pcrexform:\"[a-z]+(.*)\"; content:\"a\";")).unwrap();
        assert!(matches!(r.lists[0].transforms[0], Transform::Pcrexform(_)));
        let cases = [
            (
                "to_lowercase; content:\"a\";",
                ErrorKind::NoContext,
                "to_lowercase",
            ),
            (
                "http.uri; to_lowercase; content:\"A\";",
                ErrorKind::CannotMatch,
                "content",
            ),
            (
                "http.uri; to_uppercase; content:\"a\";",
                ErrorKind::CannotMatch,
                "content",
            ),
            (
                "http.uri; compress_whitespace; content:\"a  b\";",
                ErrorKind::CannotMatch,
                "content",
            ),
            (
                "http.uri; to_lowercase; content:\"a\"; to_uppercase; content:\"B\";",
                ErrorKind::Conflict,
                "to_uppercase",
            ),
            (
                "http.uri; xor:\"0d0\"; content:\"a\";",
                ErrorKind::InvalidValue,
                "xor",
            ),
            (
                "http.uri; content:\"a\"; dotprefix;",
                ErrorKind::Syntax,
                "http.uri",
            ),
        ];
        for (opts, kind, kw) in cases {
            let e = err(&rule(opts));
            assert_eq!(
                (e.kind, e.keyword.as_deref()),
                (kind, Some(kw)),
                "{opts}: {e}"
            );
        }
        // negated content is not checked against the transform
        assert!(parse(&rule("http.uri; to_lowercase; content:!\"A\";")).is_ok());
    }

    #[test]
    fn pcre_placement() {
        let r = parse(&rule("pcre:\"/^\\/x/U\";")).unwrap();
        assert!(matches!(
            r.list(Buffer::HttpUri).unwrap().matches[0],
            Match::Pcre(_)
        ));
        let r = parse(&rule("http.uri; content:\"a\"; pcre:\"/b/UR\";")).unwrap();
        assert_eq!(r.list(Buffer::HttpUri).unwrap().matches.len(), 2);
        let e = err(&rule("http.uri; content:\"a\"; pcre:\"/b/H\";"));
        assert_eq!(
            (e.kind, e.keyword.as_deref()),
            (ErrorKind::Conflict, Some("pcre"))
        );
        let r = parse("alert tcp any any -> any any (pcre:!\"/evil/i\"; sid:1;)").unwrap();
        let Match::Pcre(p) = &r.lists[0].matches[0] else {
            panic!()
        };
        assert!(p.negated);
    }

    #[test]
    fn bsize_and_dsize_feasibility() {
        assert_eq!(
            err(&rule("http.uri; content:\"abcdef\"; bsize:3;")).kind,
            ErrorKind::CannotMatch
        );
        assert!(parse(&rule("http.uri; content:\"abc\"; bsize:>3;")).is_ok());
        assert_eq!(
            err("alert tcp any any -> any any (content:\"abcdef\"; dsize:<4; sid:1;)")
                .keyword
                .as_deref(),
            Some("dsize")
        );
        assert!(parse("alert tcp any any -> any any (content:\"ab\"; dsize:4; sid:1;)").is_ok());
        assert_eq!(
            err("alert tcp any any -> any any (bsize:3; sid:1;)").kind,
            ErrorKind::NoContext
        );
        assert_eq!(
            err("alert tcp any any -> any any (dsize:1; dsize:2; sid:1;)").kind,
            ErrorKind::Conflict
        );
    }

    #[test]
    fn flow_state_keywords() {
        let r = parse(&rule("flow:established,to_server; flowbits:set,a; flowbits:isset,b|c; flowbits:noalert; xbits:set,x,track ip_src,expire 10; flowint:cnt,+,1; threshold:type limit, track by_src, count 1, seconds 60;")).unwrap();
        assert!(r.flow.unwrap().established);
        assert!(r.noalert);
        assert_eq!(r.conditions.len(), 4);
        assert_eq!(r.threshold.unwrap().kind, ThresholdType::Limit);
        assert_eq!(
            err(&rule("flow:to_server,to_client;")).keyword.as_deref(),
            Some("flow")
        );
        assert_eq!(
            err(&rule("flowbits:set,a|b;")).keyword.as_deref(),
            Some("flowbits")
        );
        assert_eq!(err(&rule("threshold:type limit, count 1, seconds 1, track by_src; detection_filter:track by_src, count 1, seconds 1;")).kind, ErrorKind::Conflict);
    }

    #[test]
    fn packet_keywords() {
        let r = parse("alert icmp any any -> any any (itype:8; icode:0; icmp_id:5; icmp_seq:7; ttl:<10; tos:!16; id:12; fragbits:M; fragoffset:>0; ipopts:rr; sameip; ip_proto:!tcp; sid:1;)").unwrap();
        assert_eq!(r.conditions.len(), 12);
        assert!(r.conditions.contains(&Condition::IpProto {
            cmp: NumCmp::Ne,
            proto: 6
        }));
        let r = parse("alert tcp any any -> any any (flags:S,12; window:!0; seq:1; ack:2; stream_size:client,>,100; sid:1;)").unwrap();
        assert_eq!(r.conditions.len(), 5);
        assert_eq!(
            err("alert tcp any any -> any any (ttl:300; sid:1;)")
                .keyword
                .as_deref(),
            Some("ttl")
        );
        assert_eq!(
            err("alert tcp any any -> any any (ipopts:bogus; sid:1;)")
                .keyword
                .as_deref(),
            Some("ipopts")
        );
        assert_eq!(
            err("alert tcp any any -> any any (ip_proto:nonsense; sid:1;)")
                .keyword
                .as_deref(),
            Some("ip_proto")
        );
        assert_eq!(
            err("alert tcp any any -> any any (flags:Z; sid:1;)")
                .keyword
                .as_deref(),
            Some("flags")
        );
    }

    #[test]
    fn app_keywords() {
        let r = parse("alert tls any any -> any any (tls.version:1.2; ssl_version:tls1.2,!sslv3; ssl_state:client_hello|server_hello; tls.sni; content:\"x\"; sid:1;)").unwrap();
        assert!(r.conditions.contains(&Condition::TlsVersion(0x0303)));
        let r = parse(&rule("app-layer-event:http.invalid_transfer_encoding_value_in_request; urilen:5<>10,raw; filemagic:\"PE32\"; filename:\"a.exe\"; fileext:\"exe\"; filesize:>1MB; filestore;")).unwrap_err();
        assert_eq!(r.keyword.as_deref(), Some("filesize"));
        let r = parse(&rule("app-layer-event:http.invalid_transfer_encoding_value_in_request; urilen:5<>10,raw; filemagic:\"PE32\"; filename:\"a.exe\"; fileext:\"exe\"; filesize:>100; filestore:request,file;")).unwrap();
        assert_eq!(r.conditions.len(), 7);
        assert_eq!(
            err(&rule("app-layer-event:nodot;")).keyword.as_deref(),
            Some("app-layer-event")
        );
        assert_eq!(
            err(&rule("urilen:5,weird;")).keyword.as_deref(),
            Some("urilen")
        );
        let r =
            parse("alert dns any any -> any any (dns.opcode:!0; dns.query; content:\"x\"; sid:1;)")
                .unwrap();
        assert!(r.conditions.contains(&Condition::DnsOpcode(NegNum {
            negated: true,
            value: 0
        })));
        let r =
            parse("alert tcp any any -> any any (app-layer-protocol:!http,final; sid:1;)").unwrap();
        assert!(matches!(
            r.conditions[0],
            Condition::AppLayerProtocol {
                negated: true,
                mode: AppProtoMode::Final,
                ..
            }
        ));
        let r = parse("alert tcp any any -> any any (lua:x.lua; sid:1;)").unwrap();
        assert_eq!(r.unsupported, vec!["lua".to_string()]);
        let r = parse(&rule(
            "http.uri; content:\"x\"; dataset:isset,ua-seen,type string; ",
        ))
        .unwrap();
        assert_eq!(r.unsupported, vec!["dataset".to_string()]);
        assert_eq!(
            err("alert tcp any any -> any any (requires: version >= 9; sid:1;)").kind,
            ErrorKind::RequirementsNotMet
        );
        assert_eq!(
            err("alert tcp any any -> any any (requires: feature foo; sid:1;)").kind,
            ErrorKind::RequirementsNotMet
        );
        assert!(parse("alert tcp any any -> any any (requires: version >= 7 < 8; sid:1;)").is_ok());
    }

    #[test]
    fn keyword_names_case_insensitive_and_spacing() {
        let r =
            parse("alert tcp any any -> any any ( MSG:\"x\" ;  Content : \"a\";NoCase; SID:1 ; )")
                .unwrap();
        assert_eq!(r.msg, "x");
        let Match::Content(c) = &r.lists[0].matches[0] else {
            panic!()
        };
        assert!(c.nocase);
    }
}
