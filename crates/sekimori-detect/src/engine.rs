//! Compilation of a rule set into a [`DetectEngine`] and the per-call matching loop:
//! prefilter (one Aho-Corasick automaton per scope and buffer over the rules' fast patterns)
//! → candidate rules in Suricata's signature order → header, flow, packet conditions, flowbits,
//! buffer lists → flowbit actions, suppression, thresholds → [`Alert`]s.

use crate::addrindex::{self, AddrIndex, AddrIndexBuilder};
use crate::input::FileFacts;
use crate::input::{Buffers, FlowState, PacketInfo, Scope};
use crate::inspect::{CList, Ctx, ItemError, VarMap, compile_list, inspect_list};
use crate::threshold::{RateFilter, Suppress, ThresholdState};
use crate::transform;
use aho_corasick::{AhoCorasick, MatchKind};
use sekimori_capture::Timestamp;
use sekimori_decode::{Addr, Anomaly};
use sekimori_flow::Direction as FlowDir;
use sekimori_rules::config::RateAction;
use sekimori_rules::options::{
    BitCmd, FlagsMode, Flow, FlowintOp, NegNum, StreamSide, StreamSize, TcpFlags, Threshold,
    UintMatch, UintMode, ValueOrVar, XbitTrack, Xbits,
};
use sekimori_rules::rule::NumCmp;
use sekimori_rules::{
    Action, AddressSet, AppProto, Buffer, BufferKind, Condition, Direction, PortSet, Protocol,
    Rule, RuleSet, ThresholdEntry, Transform,
};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

/// Index of a compiled rule in a [`DetectEngine`] (its position in signature order).
pub type RuleId = u32;

/// What an alert record needs about a rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleMeta {
    /// Action.
    pub action: Action,
    /// Signature id.
    pub sid: u32,
    /// Generator id.
    pub gid: u32,
    /// Revision.
    pub rev: u32,
    /// Message.
    pub msg: String,
    /// Classtype name.
    pub classtype: Option<String>,
    /// Effective priority.
    pub priority: u8,
    /// `noalert`: the rule only runs its flowbit actions.
    pub noalert: bool,
    /// The rule text.
    pub text: String,
    /// To what a drop, reject or pass of this rule applies (Suricata's action scope).
    pub action_scope: ActionScope,
    /// The rule has `filestore` (the files it matches are listed with its sid).
    pub filestore: bool,
    /// `filestore` options: (direction, scope) as written (`both`, `to_client`, ...; `file`,
    /// `tx`, `ssn`, `flow`), `None` when not given.
    pub filestore_opts: (Option<String>, Option<String>),
    /// `config:` (conditional logging): what a match switches off.
    pub config: Option<sekimori_rules::RuleConfig>,
}

/// To what a rule's drop, reject or pass action applies, as Suricata 7 decides it from the
/// signature type: IP-only, protocol-detection-only, app-layer and stream rules act on the
/// whole flow; packet rules (decoder events, packet keywords such as `dsize`/`ttl`, any
/// `flow:` option) act on the packet alone; payload rules act on the flow when they matched
/// stream data (TCP) and on the packet otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionScope {
    /// The packet only.
    Packet,
    /// The flow (this and all later packets).
    Flow,
    /// The flow when the match was on TCP stream data, else the packet.
    FlowIfStream,
}

impl ActionScope {
    /// Does the action apply to the flow, for a match on a packet of IP protocol `ip_proto`?
    pub fn applies_to_flow(self, ip_proto: u8) -> bool {
        match self {
            ActionScope::Packet => false,
            ActionScope::Flow => true,
            ActionScope::FlowIfStream => ip_proto == 6,
        }
    }

    /// The scope of rule `r` compiled for `scope`.
    pub fn of(r: &Rule, scope: Scope) -> ActionScope {
        if scope == Scope::Transaction {
            return ActionScope::Flow;
        }
        let f = r.flow.unwrap_or_default();
        if !r.lists.is_empty() {
            return if f.no_stream || r.protocol == Protocol::TcpPkt {
                ActionScope::Packet
            } else if f.only_stream || r.protocol == Protocol::TcpStream {
                ActionScope::Flow
            } else {
                ActionScope::FlowIfStream
            };
        }
        // Keywords the IP-only and protocol-detection-only engines take: flowbit actions and
        // `app-layer-protocol`; anything else (and `flow:`) makes a packet rule.
        let packet_rule = r.flow.is_some()
            || r.conditions.iter().any(|c| match c {
                Condition::Flowbits(b) => b.cmd.is_condition(),
                Condition::AppLayerProtocol { .. } => false,
                _ => true,
            });
        if packet_rule {
            ActionScope::Packet
        } else {
            ActionScope::Flow
        }
    }
}

/// One rule that fired.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Alert {
    /// The rule (see [`DetectEngine::meta`]).
    pub rule: RuleId,
    /// Action.
    pub action: Action,
    /// Signature id.
    pub sid: u32,
    /// Generator id.
    pub gid: u32,
    /// Revision.
    pub rev: u32,
    /// Priority.
    pub priority: u8,
    /// The rule is `noalert`: it is returned only for its drop, reject or pass action.
    pub noalert: bool,
    /// A threshold.config `rate_filter` set `action`.
    pub rate_filtered: bool,
}

/// Why a rule was not compiled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedRule {
    /// Signature id.
    pub sid: u32,
    /// Generator id.
    pub gid: u32,
    /// Reason.
    pub reason: String,
}

/// Counters of a compile.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CompileStats {
    /// Rules received.
    pub rules_in: u64,
    /// Rules compiled (can match).
    pub compiled: u64,
    /// Rules skipped (unsupported keyword, pcre compile error, ...).
    pub skipped: u64,
    /// IP-only rules (address table path).
    pub ip_only: u64,
    /// Rules behind a prefilter pattern.
    pub prefiltered: u64,
    /// Rules evaluated on every call of their scope (no usable fast pattern).
    pub always: u64,
    /// Rules without a fast pattern found through the address table.
    pub addr_indexed: u64,
    /// Rules without a fast pattern gated by a required `flowbits:isset`.
    pub flowbit_gated: u64,
    /// Prefilter patterns, summed over all automata (a pattern of a rule without a direction
    /// requirement is in the flowless, to_server and to_client automata).
    pub patterns: u64,
    /// Compile time in milliseconds.
    pub compile_ms: u64,
    /// threshold.config entries applied to at least one rule.
    pub threshold_entries_applied: u64,
}

/// Counters of matching (kept in the [`Scratch`] of each caller).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MatchStats {
    /// Inspection calls.
    pub calls: u64,
    /// Candidate rules evaluated.
    pub evaluated: u64,
    /// Candidates from the always-evaluate lists.
    pub always_candidates: u64,
    /// Candidates from the address table.
    pub addr_candidates: u64,
    /// Candidates from prefilter pattern hits (before de-duplication).
    pub prefilter_candidates: u64,
    /// Rules whose conditions all matched.
    pub matched: u64,
    /// Alerts returned (after noalert, suppression and thresholds).
    pub alerts: u64,
    /// Matches without alert because of `noalert`.
    pub noalert: u64,
    /// Pass rules that matched (they stop the inspection of the call).
    pub passes: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AppMatch {
    Proto(AppProto),
    Unknown,
}

#[derive(Debug, Clone)]
enum Cond {
    /// `app-layer-event` on a transaction's events (full name, lower case).
    AppEvent(String),
    /// A file keyword, on the file of the call ([`Buffers::file`]).
    File(FileCond),
    Dsize(UintMatch),
    Ttl(UintMatch),
    Tos(NegNum),
    IpId(u16),
    IpProto(NumCmp, u8),
    Flags(TcpFlags),
    Window(NegNum),
    Seq(u32),
    Ack(u32),
    Itype(UintMatch),
    Icode(UintMatch),
    IcmpId(u16),
    IcmpSeq(u16),
    Urilen(UintMatch, bool),
    AppProto(bool, AppMatch),
    SameIp,
    /// isset / isnotset with any-of bit ids.
    Bits(BitCmd, Vec<u32>),
    /// A `flowint` test (comparison, isset, notset) of variable `.1`.
    Flowint(FlowintOp, u32, Option<IntOperand>),
    /// Never matches (a rule Suricata 7 loads but can never fire; see `Builder::compile`).
    Never,
    /// `decode-event`: the decoder raised this anomaly on the packet.
    Decoder(Anomaly),
    /// `stream-event`: the stream engine raised this event (EVE name, `stream.` prefix) on
    /// the packet ([`Buffers::stream_events`]).
    StreamEvent(String),
    /// `stream_size`: the TCP session's bytes per side ([`PacketInfo::stream_size`]).
    StreamSize(StreamSize),
    /// `xbits` / `hostbits` isset / isnotset of bit `.1` tracked by `.2`.
    Xbit(BitCmd, u32, XbitTrack),
    /// `icmpv6.mtu`: the MTU of an ICMPv6 Packet Too Big message.
    Icmpv6Mtu(UintMatch),
    /// `tls.version`.
    TlsVersion(u16),
    /// `dns.opcode`.
    DnsOpcode(NegNum),
    /// Legacy `tls.subject` / `tls.issuerdn` (substring) and `tls.fingerprint` (equal, any
    /// case) on the transaction's buffer; `negated` matches a present buffer without it.
    TlsString {
        buffer: Buffer,
        equal_nocase: bool,
        negated: bool,
        value: Vec<u8>,
    },
}

/// The operand of a `flowint` test or modification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum IntOperand {
    /// A literal.
    Num(u32),
    /// Another flow integer (by id).
    Var(u32),
}

impl IntOperand {
    /// The operand's value (None: a variable that is not set).
    fn value(self, flow: Option<&FlowState>) -> Option<u32> {
        match self {
            IntOperand::Num(n) => Some(n),
            IntOperand::Var(o) => flow.and_then(|f| f.int(o)),
        }
    }
}

#[derive(Debug)]
struct CBufList {
    buffer: Buffer,
    transforms: Vec<Transform>,
    list: CList,
}

#[derive(Debug)]
struct CRule {
    protocol: Protocol,
    src: Arc<AddressSet>,
    dst: Arc<AddressSet>,
    sp: Arc<PortSet>,
    dp: Arc<PortSet>,
    addr_any: bool,
    ports_any: bool,
    bidir: bool,
    flow: Option<Flow>,
    app_proto: Option<AppProto>,
    scope: Scope,
    conds: Vec<Cond>,
    lists: Vec<CBufList>,
    bit_actions: Vec<(BitCmd, u32)>,
    /// `flowint` modifications (`=`, `+`, `-`) applied when the rule matches.
    int_actions: Vec<(FlowintOp, u32, IntOperand)>,
    /// `xbits` / `hostbits` set, unset, toggle: (command, bit, tracker, expiry in seconds).
    xbit_actions: Vec<(BitCmd, u32, XbitTrack, u32)>,
    threshold: Option<Threshold>,
    suppress: Vec<Suppress>,
    rate: Option<RateFilter>,
    /// The rule's payload lists inspect TCP stream data (see [`stream_payload`]).
    stream_payload: bool,
}

/// Suricata 7: a TCP rule with payload keywords inspects the reassembled stream
/// (`tcp-stream`/`flow:only_stream` rules only the stream), and the packet's payload only when
/// the packet's data did not go into the stream. A rule that also tests the packet itself
/// (`tcp-pkt`, `flow:no_stream`, or any per-packet keyword: `dsize`, `flags`, `ttl`,
/// `stream_size`, `flowbits:isset`, `flow:established`, ...) inspects the packet's payload.
fn stream_payload(r: &Rule, conds: &[Cond], tx: bool) -> bool {
    let only = r.protocol == Protocol::TcpStream || r.flow.is_some_and(|f| f.only_stream);
    let payload = r.lists.iter().any(|l| l.buffer == Buffer::Payload);
    if !payload || tx {
        return false;
    }
    let packet_flow = r.flow.is_some_and(|f| {
        f.no_stream || f.established || f.not_established || f.stateless || f.only_frag || f.no_frag
    });
    only || (r.protocol == Protocol::Tcp && !packet_flow && conds.is_empty())
}

/// A file keyword compiled.
#[derive(Debug, Clone)]
enum FileCond {
    /// `filename`: the name contains the value (any case).
    Name { negated: bool, value: Vec<u8> },
    /// `fileext`: the name ends with `.` and the value (any case).
    Ext { negated: bool, value: Vec<u8> },
    /// `filemagic`: the magic description contains the value (any case).
    Magic { negated: bool, value: Vec<u8> },
    /// `filesize`.
    Size(UintMatch),
    /// Any file (`filestore` in a rule without buffers or other file keywords: the rule
    /// matches files).
    Any,
    /// `filemd5` / `filesha1` / `filesha256`: the digest is (or, negated, is not) in the list.
    Hash {
        kind: HashKind,
        negated: bool,
        list: Arc<HashSet<Vec<u8>>>,
    },
}

/// Which digest a hash list holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HashKind {
    Md5,
    Sha1,
    Sha256,
}

impl HashKind {
    fn len(self) -> usize {
        match self {
            HashKind::Md5 => 16,
            HashKind::Sha1 => 20,
            HashKind::Sha256 => 32,
        }
    }
}

/// Reads a hash list as Suricata does: one hex digest per line (text after it ignored), blank
/// lines and `#` comments skipped. Lines that are not a digest of the right length are errors.
fn parse_hash_list(text: &str, kind: HashKind) -> Result<HashSet<Vec<u8>>, String> {
    let mut set = HashSet::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let hex = line.split([' ', '\t', ',']).next().unwrap_or("");
        let bytes = decode_hex(hex)
            .filter(|b| b.len() == kind.len())
            .ok_or_else(|| format!("line {}: not a {}-byte hex digest", n + 1, kind.len()))?;
        set.insert(bytes);
    }
    Ok(set)
}

fn decode_hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    let nib = |c: u8| (c as char).to_digit(16).map(|v| v as u8);
    s.as_bytes()
        .chunks(2)
        .map(|p| match p {
            [a, b] => Some(nib(*a)? << 4 | nib(*b)?),
            _ => None,
        })
        .collect()
}

fn contains_nocase(hay: &[u8], needle: &[u8]) -> bool {
    needle.is_empty()
        || hay
            .windows(needle.len())
            .any(|w| w.eq_ignore_ascii_case(needle))
}

fn file_matches(c: &FileCond, f: &FileFacts<'_>) -> bool {
    match c {
        FileCond::Name { negated, value } => contains_nocase(f.name, value) != *negated,
        FileCond::Ext { negated, value } => {
            let ends = f.name.len() > value.len()
                && f.name
                    .get(f.name.len() - value.len() - 1..)
                    .is_some_and(|t| {
                        t.first() == Some(&b'.')
                            && t.get(1..).is_some_and(|e| e.eq_ignore_ascii_case(value))
                    });
            ends != *negated
        }
        FileCond::Magic { negated, value } => match f.magic {
            Some(m) => contains_nocase(m.as_bytes(), value) != *negated,
            None => false,
        },
        FileCond::Size(u) => u.matches(f.size),
        FileCond::Any => true,
        FileCond::Hash {
            kind,
            negated,
            list,
        } => {
            let d = match kind {
                HashKind::Md5 => f.md5,
                HashKind::Sha1 => f.sha1,
                HashKind::Sha256 => f.sha256,
            };
            d.is_some_and(|d| list.contains(d) != *negated)
        }
    }
}

/// Prefilter of one (scope, buffer).
#[derive(Debug)]
struct Prefilter {
    buffer: Buffer,
    /// Direction variant (0 flowless, 1 to_server, 2 to_client).
    dir: u8,
    /// Transforms applied to the buffer before scanning (the fast pattern's list's).
    transforms: Vec<Transform>,
    ac: AhoCorasick,
    /// Rules per pattern id.
    rules: Vec<Vec<RuleId>>,
}

/// Patterns (lowercased) of one scope per buffer, with their rules.
/// Key: buffer, transforms, direction variant (0 flowless, 1 to_server, 2 to_client).
type PatternMap = HashMap<(Buffer, Vec<Transform>, u8), HashMap<Vec<u8>, Vec<RuleId>>>;

/// Direction variants whose automaton holds a rule: rules without a direction requirement are
/// in all three, `flow:to_server` rules only in the to_server one, `to_client` likewise.
fn dir_variants(flow: Option<&Flow>) -> &'static [u8] {
    match flow {
        Some(f) if f.to_server => &[1],
        Some(f) if f.to_client => &[2],
        _ => &[0, 1, 2],
    }
}

/// Rules without a usable fast pattern sharing scope, transport class, flow direction
/// requirement and app protocol: the list is skipped when the call cannot match them.
#[derive(Debug)]
struct AlwaysList {
    scope: u8,
    class: u8,
    /// 0: any direction, 1: to_server only, 2: to_client only.
    dir: u8,
    app: Option<AppProto>,
    rules: Vec<RuleId>,
}

type AlwaysKey = (u8, u8, u8, Option<AppProto>);

fn push_always(map: &mut HashMap<AlwaysKey, Vec<RuleId>>, cr: &CRule, id: RuleId, scope: u8) {
    let dir = match cr.flow {
        Some(f) if f.to_server => 1,
        Some(f) if f.to_client => 2,
        _ => 0,
    };
    for &c in rule_classes(cr.protocol) {
        map.entry((scope, c as u8, dir, cr.app_proto))
            .or_default()
            .push(id);
    }
}

/// The bits of the first `flowbits:isset` of a rule (any of them must be set for a match).
fn isset_gate(cr: &CRule) -> Option<&[u32]> {
    cr.conds.iter().find_map(|c| match c {
        Cond::Bits(BitCmd::IsSet, ids) if !ids.is_empty() => Some(&ids[..]),
        _ => None,
    })
}

/// Transport class used to split the always-evaluate lists.
fn proto_class(ip_proto: u8) -> usize {
    match ip_proto {
        6 => 0,
        17 => 1,
        1 | 58 => 2,
        _ => 3,
    }
}

fn rule_classes(p: Protocol) -> &'static [usize] {
    match p {
        Protocol::Tcp | Protocol::TcpPkt | Protocol::TcpStream => &[0],
        Protocol::Udp => &[1],
        Protocol::Icmp | Protocol::Icmpv4 | Protocol::Icmpv6 => &[2],
        Protocol::Sctp => &[3],
        Protocol::App(_) => &[0, 1],
        Protocol::Ip | Protocol::Ipv4 | Protocol::Ipv6 | Protocol::Pkthdr => &[0, 1, 2, 3],
    }
}

/// The compiled rule set. Immutable and shareable between threads; per-caller mutable state is
/// in [`Scratch`] (and [`FlowState`] per flow).
#[derive(Debug)]
pub struct DetectEngine {
    rules: Vec<CRule>,
    metas: Vec<RuleMeta>,
    /// Prefilters per scope (0 packet, 1 transaction).
    prefilters: [Vec<Prefilter>; 2],
    /// Always-evaluated rules, grouped by scope, transport, flow direction and app protocol.
    always: Vec<AlwaysList>,
    ip_only: Vec<RuleId>,
    /// Address tables (by packet source, by packet destination) per scope for rules without a
    /// fast pattern whose source or destination set is small.
    addr_index: [Option<(AddrIndex, AddrIndex)>; 2],
    /// Rules without a fast pattern that require `flowbits:isset` of a bit, per scope and bit:
    /// candidates only when the flow has that bit set.
    gated: [Vec<Vec<RuleId>>; 2],
    flowbits: Vec<String>,
    skipped: Vec<SkippedRule>,
    /// Compile counters.
    pub stats: CompileStats,
}

/// Suricata's expiry of an `xbits` bit set without `expire` (seconds).
const XBIT_EXPIRE_DEFAULT: u32 = 30;
/// Most bits the store keeps; sets beyond are dropped (counted).
const XBIT_MAX: usize = 65_536;

/// Who an xbit belongs to: a host or an unordered IP pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum XbitKey {
    Host(Addr),
    Pair(Addr, Addr),
}

/// The `xbits` / `hostbits` set on hosts and IP pairs, with their expiry (packet time).
#[derive(Debug, Default)]
pub struct XbitStore {
    bits: HashMap<(u32, XbitKey), Timestamp>,
    /// Sets dropped because the store was full.
    pub dropped: u64,
}

impl XbitStore {
    fn keys(track: XbitTrack, info: &PacketInfo) -> [Option<XbitKey>; 2] {
        match track {
            XbitTrack::IpSrc => [Some(XbitKey::Host(info.src)), None],
            XbitTrack::IpDst => [Some(XbitKey::Host(info.dst)), None],
            XbitTrack::IpPair => {
                let (a, b) = if info.src <= info.dst {
                    (info.src, info.dst)
                } else {
                    (info.dst, info.src)
                };
                [Some(XbitKey::Pair(a, b)), None]
            }
            XbitTrack::Both => [Some(XbitKey::Host(info.src)), Some(XbitKey::Host(info.dst))],
        }
    }

    fn is_set(&self, bit: u32, key: XbitKey, now: Timestamp) -> bool {
        self.bits.get(&(bit, key)).is_some_and(|&exp| exp > now)
    }

    /// `isset` / `isnotset` (with `Both`: on either host).
    fn test(&self, cmd: BitCmd, bit: u32, track: XbitTrack, info: &PacketInfo) -> bool {
        let set = Self::keys(track, info)
            .into_iter()
            .flatten()
            .any(|k| self.is_set(bit, k, info.ts));
        match cmd {
            BitCmd::IsSet => set,
            BitCmd::IsNotSet => !set,
            _ => true,
        }
    }

    /// `set` / `unset` / `toggle`.
    fn apply(&mut self, cmd: BitCmd, bit: u32, track: XbitTrack, info: &PacketInfo, expire: u32) {
        let now = info.ts;
        if self.bits.len() >= XBIT_MAX {
            self.bits.retain(|_, exp| *exp > now);
        }
        for key in Self::keys(track, info).into_iter().flatten() {
            let set = self.is_set(bit, key, now);
            let on = match cmd {
                BitCmd::Set => true,
                BitCmd::Unset => false,
                BitCmd::Toggle => !set,
                BitCmd::IsSet | BitCmd::IsNotSet => continue,
            };
            if !on {
                self.bits.remove(&(bit, key));
            } else if self.bits.len() < XBIT_MAX || self.bits.contains_key(&(bit, key)) {
                self.bits
                    .insert((bit, key), now.add_secs(u64::from(expire)));
            } else {
                self.dropped += 1;
            }
        }
    }
}

/// Reusable per-caller working memory, match counters and threshold state.
#[derive(Debug, Default)]
pub struct Scratch {
    cands: Vec<RuleId>,
    tbuf_a: Vec<u8>,
    tbuf_b: Vec<u8>,
    alerts: Vec<Alert>,
    /// Threshold/detection_filter tracking.
    pub thresholds: ThresholdState,
    /// `xbits` / `hostbits` of hosts and IP pairs.
    pub xbits: XbitStore,
    /// Match counters.
    pub stats: MatchStats,
}

impl Scratch {
    /// New scratch space.
    pub fn new() -> Self {
        Self::default()
    }
}

fn action_rank(a: Action) -> u8 {
    match a {
        Action::Pass => 0,
        Action::Drop => 1,
        Action::Reject | Action::RejectSrc | Action::RejectDst | Action::RejectBoth => 2,
        Action::Alert => 3,
        Action::Config => 4,
    }
}

fn flowbits_rank(r: &Rule) -> u8 {
    let mut set = false;
    let mut read = false;
    for c in &r.conditions {
        if let Condition::Flowbits(f) = c {
            if f.cmd.is_condition() {
                read = true;
            } else {
                set = true;
            }
        }
    }
    match (set, read) {
        (true, false) => 0,
        (false, false) | (true, true) => 1,
        (false, true) => 2,
    }
}

struct Builder {
    flowbits: HashMap<String, u32>,
    flowints: HashMap<String, u32>,
    xbits: HashMap<String, u32>,
    /// Where relative hash list names are looked up (the rule files' directories), in order.
    file_dirs: Vec<PathBuf>,
    /// Hash lists read so far, by path.
    hash_lists: HashMap<PathBuf, Arc<HashSet<Vec<u8>>>>,
}

impl Builder {
    fn bit(&mut self, name: &str) -> u32 {
        let n = self.flowbits.len() as u32;
        *self.flowbits.entry(name.to_string()).or_insert(n)
    }

    fn xbit(&mut self, name: &str) -> u32 {
        let n = self.xbits.len() as u32;
        *self.xbits.entry(name.to_string()).or_insert(n)
    }

    fn int(&mut self, name: &str) -> u32 {
        let n = self.flowints.len() as u32;
        *self.flowints.entry(name.to_string()).or_insert(n)
    }

    fn operand(&mut self, v: &ValueOrVar) -> Result<IntOperand, String> {
        match v {
            ValueOrVar::Num(n) => u32::try_from(*n)
                .map(IntOperand::Num)
                .map_err(|_| format!("flowint value {n} out of range")),
            ValueOrVar::Var(name) => Ok(IntOperand::Var(self.int(name))),
        }
    }

    /// The hash list `name` (read once).
    fn hash_list(&mut self, name: &str, kind: HashKind) -> Result<Arc<HashSet<Vec<u8>>>, String> {
        let p = Path::new(name);
        let path = if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.file_dirs
                .iter()
                .map(|d| d.join(p))
                .find(|c| c.is_file())
                .unwrap_or_else(|| p.to_path_buf())
        };
        if let Some(l) = self.hash_lists.get(&path) {
            return Ok(l.clone());
        }
        let text =
            std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let set =
            Arc::new(parse_hash_list(&text, kind).map_err(|m| format!("{}: {m}", path.display()))?);
        self.hash_lists.insert(path, set.clone());
        Ok(set)
    }

    fn compile(&mut self, r: &Rule) -> Result<CRule, String> {
        if let Some(k) = r.unsupported.first() {
            return Err(format!("unsupported keyword {k}"));
        }
        // A `config` rule does its `config:` (conditional logging) and nothing else.
        if r.action == Action::Config && r.config.is_none() {
            return Err("config rule without a config keyword".into());
        }
        let mut conds = Vec::new();
        let mut bit_actions = Vec::new();
        let mut int_actions = Vec::new();
        let mut xbit_actions = Vec::new();
        let mut prev: Option<&Condition> = None;
        for c in &r.conditions {
            let last = prev.replace(c);
            let cc = match c {
                Condition::Xbits(x) | Condition::Hostbits(x) => {
                    let Xbits {
                        cmd,
                        name,
                        track,
                        expire,
                    } = x;
                    let id = self.xbit(name);
                    if cmd.is_condition() {
                        Cond::Xbit(*cmd, id, *track)
                    } else {
                        xbit_actions.push((
                            *cmd,
                            id,
                            *track,
                            expire.unwrap_or(XBIT_EXPIRE_DEFAULT),
                        ));
                        continue;
                    }
                }
                Condition::Flowint(f) => {
                    let id = self.int(&f.name);
                    let operand = f.value.as_ref().map(|v| self.operand(v)).transpose()?;
                    match (f.op.is_modifier(), operand) {
                        (true, Some(v)) => {
                            int_actions.push((f.op, id, v));
                            continue;
                        }
                        (true, None) => return Err("flowint modifier without a value".into()),
                        (false, v) => Cond::Flowint(f.op, id, v),
                    }
                }
                // Suricata 7.0 builds the explicit `prefilter` of `itype`/`icode` as a table of the
                // 256 values filled only for `=`, `<`, `>` and ranges: with `<=`, `>=` or `!=` the
                // rule never becomes a candidate and so never fires. Reproduced for agreement.
                Condition::Other { keyword, .. }
                    if keyword == "prefilter"
                        && matches!(
                            last,
                            Some(Condition::Itype(u) | Condition::Icode(u))
                                if matches!(u.mode, UintMode::Le | UintMode::Ge | UintMode::Ne)
                        ) =>
                {
                    Cond::Never
                }
                Condition::Flowbits(f) => {
                    let ids: Vec<u32> = f.names.iter().map(|n| self.bit(n)).collect();
                    if f.cmd.is_condition() {
                        Cond::Bits(f.cmd, ids)
                    } else {
                        for id in ids {
                            bit_actions.push((f.cmd, id));
                        }
                        continue;
                    }
                }
                Condition::Dsize(u) => Cond::Dsize(*u),
                Condition::Ttl(u) => Cond::Ttl(*u),
                Condition::Tos(n) => Cond::Tos(*n),
                Condition::IpId(v) => Cond::IpId(*v),
                Condition::IpProto { cmp, proto } => Cond::IpProto(*cmp, *proto),
                Condition::TcpFlags(f) => Cond::Flags(*f),
                Condition::Window(n) => Cond::Window(*n),
                Condition::Seq(v) => Cond::Seq(*v),
                Condition::Ack(v) => Cond::Ack(*v),
                Condition::Itype(u) => Cond::Itype(*u),
                Condition::Icode(u) => Cond::Icode(*u),
                Condition::IcmpId(v) => Cond::IcmpId(*v),
                Condition::IcmpSeq(v) => Cond::IcmpSeq(*v),
                Condition::Urilen { cmp, raw } => Cond::Urilen(*cmp, *raw),
                Condition::SameIp => Cond::SameIp,
                Condition::AppLayerProtocol { negated, proto, .. } => {
                    let m = match (proto.as_str(), AppProto::parse(proto)) {
                        (_, Some(p)) => AppMatch::Proto(p),
                        ("unknown", None) => AppMatch::Unknown,
                        _ => return Err(format!("app-layer-protocol:{proto} not supported")),
                    };
                    Cond::AppProto(*negated, m)
                }
                Condition::Other { keyword, .. } if keyword == "prefilter" => continue,
                Condition::TlsVersion(v) => Cond::TlsVersion(*v),
                Condition::DnsOpcode(n) => Cond::DnsOpcode(*n),
                // Transaction events are served for DNS only so far.
                Condition::AppLayerEvent(name) if name.to_ascii_lowercase().starts_with("dns.") => {
                    Cond::AppEvent(name.to_ascii_lowercase())
                }
                Condition::FileString {
                    keyword,
                    negated,
                    value,
                } => {
                    let negated = *negated;
                    let value = value.as_bytes().to_vec();
                    Cond::File(match keyword.as_str() {
                        "filename" => FileCond::Name { negated, value },
                        "fileext" => FileCond::Ext { negated, value },
                        "filemagic" => FileCond::Magic { negated, value },
                        other => return Err(format!("unsupported keyword {other}")),
                    })
                }
                Condition::FileSize(u) => Cond::File(FileCond::Size(*u)),
                Condition::FileHashList {
                    keyword,
                    negated,
                    file,
                } => {
                    let kind = match keyword.as_str() {
                        "filemd5" => HashKind::Md5,
                        "filesha1" => HashKind::Sha1,
                        "filesha256" => HashKind::Sha256,
                        other => return Err(format!("unsupported keyword {other}")),
                    };
                    let list = self
                        .hash_list(file, kind)
                        .map_err(|m| format!("{keyword}: {m}"))?;
                    Cond::File(FileCond::Hash {
                        kind,
                        negated: *negated,
                        list,
                    })
                }
                // `filestore`: the file tracker's store decides (see RuleMeta::filestore); a rule
                // with nothing else to inspect matches files (once per file, as in Suricata).
                Condition::Filestore { .. } => {
                    let inspects = !r.lists.is_empty()
                        || r.conditions.iter().any(|c| {
                            matches!(
                                c,
                                Condition::FileString { .. }
                                    | Condition::FileHashList { .. }
                                    | Condition::FileSize(_)
                            )
                        });
                    if inspects {
                        continue;
                    }
                    Cond::File(FileCond::Any)
                }
                Condition::TlsString {
                    keyword,
                    negated,
                    value,
                } => {
                    let (buffer, equal_nocase) = match keyword.as_str() {
                        "tls.subject" => (Buffer::TlsCertSubject, false),
                        "tls.issuerdn" => (Buffer::TlsCertIssuer, false),
                        "tls.fingerprint" => (Buffer::TlsCertFingerprint, true),
                        other => return Err(format!("unsupported keyword {other}")),
                    };
                    Cond::TlsString {
                        buffer,
                        equal_nocase,
                        negated: *negated,
                        value: value.as_bytes().to_vec(),
                    }
                }
                Condition::Event { kind, name } if kind == "stream-event" => {
                    Cond::StreamEvent(format!("stream.{}", name.to_ascii_lowercase()))
                }
                Condition::StreamSize(ss) => Cond::StreamSize(*ss),
                Condition::Uint { keyword, cmp } if keyword == "icmpv6.mtu" => Cond::Icmpv6Mtu(*cmp),
                Condition::Event { kind, name } if kind == "decode-event" => {
                    match Anomaly::from_name(&format!("decoder.{name}")) {
                        Some(a) => Cond::Decoder(a),
                        None => {
                            return Err(format!(
                                "decode-event:{name} is not raised by the decoder"
                            ));
                        }
                    }
                }
                other => {
                    return Err(format!("unsupported condition {}", serde_keyword(other)));
                }
            };
            conds.push(cc);
        }
        let mut vars = VarMap::default();
        let mut lists = Vec::new();
        for l in &r.lists {
            if let Some(t) = l.transforms.iter().find(|t| !transform::supported(t)) {
                return Err(format!("transform {} not supported", t.name()));
            }
            let list = compile_list(&l.matches, &mut vars).map_err(|e| match e {
                ItemError::Unsupported(k) => format!("unsupported keyword {k}"),
                ItemError::Var(m) => m,
                ItemError::Pcre(m) => format!("pcre: {m}"),
            })?;
            lists.push(CBufList {
                buffer: l.buffer,
                transforms: l.transforms.clone(),
                list,
            });
        }
        // A rule for an app protocol with no buffer at all is a packet rule that requires the
        // flow's protocol (Suricata alerts on the packet, without a transaction).
        // File keywords are served on a finished file with its name only (no transaction
        // buffers, no file data): a rule that needs both could never fire.
        if conds.iter().any(|c| matches!(c, Cond::File(_)))
            && r.lists.iter().any(|l| l.buffer != Buffer::FileName)
        {
            return Err("file keywords combined with other buffers are not supported yet".into());
        }
        // DNS rules with payload lists only inspect the packet (a DNS transaction has no
        // stream data); other app-protocol payload rules inspect the transaction's stream.
        let dns_payload_only = r.app_proto == Some(AppProto::Dns)
            && r.lists
                .iter()
                .all(|l| l.buffer.info().kind == BufferKind::Payload);
        let tx = (r.app_proto.is_some() && !r.lists.is_empty() && !dns_payload_only)
            || r.lists
                .iter()
                .any(|l| l.buffer.info().kind == BufferKind::App)
            || conds.iter().any(|c| {
                matches!(
                    c,
                    Cond::Urilen(..)
                        | Cond::TlsString { .. }
                        | Cond::TlsVersion(_)
                        | Cond::DnsOpcode(_)
                        | Cond::File(_)
                        | Cond::AppEvent(_)
                )
            });
        let stream = stream_payload(r, &conds, tx);
        Ok(CRule {
            protocol: r.protocol,
            addr_any: r.src.set.is_any() && r.dst.set.is_any(),
            ports_any: r.src_ports.set.is_any() && r.dst_ports.set.is_any(),
            src: r.src.set.clone(),
            dst: r.dst.set.clone(),
            sp: r.src_ports.set.clone(),
            dp: r.dst_ports.set.clone(),
            bidir: r.direction == Direction::Both,
            flow: r.flow,
            app_proto: r.app_proto,
            scope: if tx {
                Scope::Transaction
            } else {
                Scope::Packet
            },
            conds,
            lists,
            bit_actions,
            int_actions,
            xbit_actions,
            threshold: r.threshold.or(r.detection_filter),
            suppress: Vec::new(),
            rate: None,
            stream_payload: stream,
        })
    }
}

fn serde_keyword(c: &Condition) -> String {
    match c {
        Condition::Other { keyword, .. } => keyword.clone(),
        Condition::Uint { keyword, .. } => keyword.clone(),
        Condition::Event { kind, .. } => kind.clone(),
        other => {
            let s = format!("{other:?}");
            s.split(['(', ' ', '{'])
                .next()
                .unwrap_or("")
                .to_ascii_lowercase()
        }
    }
}

/// The fast pattern of a rule if it can drive a prefilter (not negated). Returns the buffer,
/// the transforms of its list and the bytes.
fn usable_fast_pattern(r: &Rule) -> Option<(Buffer, &[Transform], &[u8])> {
    let fp = r.fast_pattern()?;
    // `base64_data` exists only while a rule is evaluated: nothing to prefilter on.
    if fp.content.negated || fp.buffer == Buffer::Base64Data {
        return None;
    }
    let list = r.lists.get(fp.list)?;
    if fp.bytes.is_empty() {
        return None;
    }
    Some((fp.buffer, &list.transforms, fp.bytes))
}

impl DetectEngine {
    /// Compile the rules of a rule set. Rules using keywords the matcher does not implement are
    /// skipped and listed in [`DetectEngine::skipped`].
    pub fn new(set: &RuleSet) -> DetectEngine {
        let mut dirs: Vec<PathBuf> = Vec::new();
        for f in &set.files {
            let d = f
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
                .unwrap_or(Path::new("."))
                .to_path_buf();
            if !dirs.contains(&d) {
                dirs.push(d);
            }
        }
        Self::from_rules_in(&set.rules, &dirs)
    }

    /// Compile a list of rules (hash lists of `filemd5` & co. relative to the current
    /// directory).
    pub fn from_rules(rules: &[Rule]) -> DetectEngine {
        Self::from_rules_in(rules, &[])
    }

    /// Compile a list of rules; relative hash list names of `filemd5`/`filesha1`/`filesha256`
    /// are looked up in `file_dirs` in order (then the current directory), as Suricata looks
    /// them up beside the rules. A rule whose list cannot be read is skipped.
    pub fn from_rules_in(rules: &[Rule], file_dirs: &[PathBuf]) -> DetectEngine {
        let t0 = Instant::now();
        let mut stats = CompileStats {
            rules_in: rules.len() as u64,
            ..CompileStats::default()
        };
        // Suricata's signature order: action, flowbits setters before readers, priority, file order.
        let mut order: Vec<usize> = (0..rules.len()).collect();
        order.sort_by_key(|&i| {
            let r = &rules[i];
            (action_rank(r.action), flowbits_rank(r), r.priority, i)
        });
        let mut b = Builder {
            flowbits: HashMap::new(),
            flowints: HashMap::new(),
            xbits: HashMap::new(),
            file_dirs: file_dirs.to_vec(),
            hash_lists: HashMap::new(),
        };
        let mut crules = Vec::new();
        let mut metas = Vec::new();
        let mut skipped = Vec::new();
        // (scope, buffer) -> pattern (lowercased) -> rules
        let mut pf: [PatternMap; 2] = [HashMap::new(), HashMap::new()];
        let mut always_map: HashMap<AlwaysKey, Vec<RuleId>> = HashMap::new();
        let mut ip_only = Vec::new();
        let mut gated: [Vec<Vec<RuleId>>; 2] = [Vec::new(), Vec::new()];
        let mut src_ix: [AddrIndexBuilder; 2] = Default::default();
        let mut dst_ix: [AddrIndexBuilder; 2] = Default::default();
        let mut addr_rules: [Vec<RuleId>; 2] = Default::default();
        for &i in &order {
            let r = &rules[i];
            let cr = match b.compile(r) {
                Ok(c) => c,
                Err(reason) => {
                    stats.skipped += 1;
                    skipped.push(SkippedRule {
                        sid: r.sid,
                        gid: r.gid,
                        reason,
                    });
                    continue;
                }
            };
            let id = crules.len() as RuleId;
            let scope_ix = match cr.scope {
                Scope::Packet => 0,
                Scope::Transaction => 1,
            };
            let is_ip_only = cr.lists.is_empty()
                && cr.conds.is_empty()
                && cr.flow.is_none()
                && cr.app_proto.is_none()
                && cr.bit_actions.is_empty()
                && cr.int_actions.is_empty()
                && cr.xbit_actions.is_empty()
                && matches!(cr.protocol, Protocol::Ip | Protocol::Ipv4 | Protocol::Ipv6)
                && cr.ports_any;
            if is_ip_only {
                ip_only.push(id);
                stats.ip_only += 1;
            } else if let Some((buf, ts, bytes)) = usable_fast_pattern(r) {
                for &v in dir_variants(cr.flow.as_ref()) {
                    pf[scope_ix]
                        .entry((buf, ts.to_vec(), v))
                        .or_default()
                        .entry(bytes.to_ascii_lowercase())
                        .or_default()
                        .push(id);
                }
                stats.prefiltered += 1;
            } else if let Some(bits) = isset_gate(&cr) {
                for &bit in bits {
                    let g = &mut gated[scope_ix];
                    let bi = bit as usize;
                    if g.len() <= bi {
                        g.resize_with(bi + 1, Vec::new);
                    }
                    if let Some(v) = g.get_mut(bi) {
                        v.push(id);
                    }
                }
                stats.flowbit_gated += 1;
            } else if addrindex::small(&cr.src) || addrindex::small(&cr.dst) {
                // index by the smaller side; a bidirectional rule under both packet sides
                let (set, fwd, rev) = if addrindex::small(&cr.src) {
                    (&cr.src, &mut src_ix[scope_ix], &mut dst_ix[scope_ix])
                } else {
                    (&cr.dst, &mut dst_ix[scope_ix], &mut src_ix[scope_ix])
                };
                fwd.add(set, id);
                if cr.bidir {
                    rev.add(set, id);
                }
                addr_rules[scope_ix].push(id);
                stats.addr_indexed += 1;
            } else {
                push_always(&mut always_map, &cr, id, scope_ix as u8);
                stats.always += 1;
            }
            metas.push(RuleMeta {
                action: r.action,
                sid: r.sid,
                gid: r.gid,
                rev: r.rev,
                msg: r.msg.clone(),
                classtype: r.classtype.clone(),
                priority: r.priority,
                noalert: r.noalert,
                text: r.text.clone(),
                action_scope: ActionScope::of(r, cr.scope),
                filestore: r
                    .conditions
                    .iter()
                    .any(|c| matches!(c, Condition::Filestore { .. })),
                filestore_opts: r
                    .conditions
                    .iter()
                    .find_map(|c| match c {
                        Condition::Filestore { direction, scope } => {
                            Some((direction.clone(), scope.clone()))
                        }
                        _ => None,
                    })
                    .unwrap_or_default(),
                config: r.config,
            });
            crules.push(cr);
        }
        let mut prefilters: [Vec<Prefilter>; 2] = [Vec::new(), Vec::new()];
        for (s, map) in pf.into_iter().enumerate() {
            let mut bufs: Vec<_> = map.into_iter().collect();
            bufs.sort_by_cached_key(|((b, t, d), _)| (*b, format!("{t:?}"), *d));
            for ((buffer, transforms, dir), pats) in bufs {
                let mut pats: Vec<(Vec<u8>, Vec<RuleId>)> = pats.into_iter().collect();
                pats.sort();
                stats.patterns += pats.len() as u64;
                let ac = AhoCorasick::builder()
                    .ascii_case_insensitive(true)
                    .match_kind(MatchKind::Standard)
                    .build(pats.iter().map(|(p, _)| p));
                match ac {
                    Ok(ac) => {
                        if let Some(slot) = prefilters.get_mut(s) {
                            slot.push(Prefilter {
                                buffer,
                                transforms,
                                dir,
                                ac,
                                rules: pats.into_iter().map(|(_, r)| r).collect(),
                            })
                        }
                    }
                    Err(_) => {
                        // cannot build the automaton: evaluate those rules always
                        for (_, ids) in pats {
                            for id in ids {
                                if let Some(cr) = crules.get(id as usize) {
                                    push_always(&mut always_map, cr, id, s as u8);
                                }
                            }
                        }
                    }
                }
            }
        }
        let mut addr_index: [Option<(AddrIndex, AddrIndex)>; 2] = [None, None];
        for (s_ix, (sb, db)) in src_ix.into_iter().zip(dst_ix).enumerate() {
            if sb.is_empty() && db.is_empty() {
                continue;
            }
            match (sb.build(), db.build()) {
                (Some(a), Some(b)) => {
                    if let Some(slot) = addr_index.get_mut(s_ix) {
                        *slot = Some((a, b));
                    }
                }
                _ => {
                    // too large: back to the plain lists
                    for &id in addr_rules.get(s_ix).map(Vec::as_slice).unwrap_or(&[]) {
                        if let Some(cr) = crules.get(id as usize) {
                            push_always(&mut always_map, cr, id, s_ix as u8);
                        }
                    }
                }
            }
        }
        let mut always: Vec<AlwaysList> = always_map
            .into_iter()
            .map(|((scope, class, dir, app), mut rules)| {
                rules.sort_unstable();
                AlwaysList {
                    scope,
                    class,
                    dir,
                    app,
                    rules,
                }
            })
            .collect();
        always.sort_by_key(|l| (l.scope, l.class, l.dir, l.app));
        let mut flowbits = vec![String::new(); b.flowbits.len()];
        for (n, i) in b.flowbits {
            if let Some(slot) = flowbits.get_mut(i as usize) {
                *slot = n;
            }
        }
        stats.compiled = crules.len() as u64;
        stats.compile_ms = t0.elapsed().as_millis() as u64;
        DetectEngine {
            rules: crules,
            metas,
            prefilters,
            always,
            ip_only,
            gated,
            addr_index,
            flowbits,
            skipped,
            stats,
        }
    }

    /// Apply threshold.config entries: `suppress` entries add suppressions, `threshold` and
    /// `event_filter` entries replace the rules' own thresholds, `rate_filter` entries change
    /// the action of a rule matching too often (and replace its threshold, as in Suricata).
    /// `gid`/`sid` 0 select all. Returns entries applied.
    pub fn apply_threshold_config(&mut self, entries: &[ThresholdEntry]) -> usize {
        let mut applied = 0;
        for e in entries {
            enum What {
                Suppress(Suppress),
                Threshold(Threshold),
                Rate(RateFilter),
            }
            let (sig, what) = match e {
                ThresholdEntry::Suppress { sig, track, ip, .. } => (
                    sig,
                    What::Suppress(Suppress {
                        track: *track,
                        ip: ip.clone(),
                    }),
                ),
                ThresholdEntry::Threshold { sig, threshold }
                | ThresholdEntry::EventFilter { sig, threshold } => {
                    (sig, What::Threshold(*threshold))
                }
                ThresholdEntry::RateFilter {
                    sig,
                    track,
                    count,
                    seconds,
                    new_action,
                    timeout,
                } => (
                    sig,
                    What::Rate(RateFilter {
                        track: *track,
                        count: *count,
                        seconds: *seconds,
                        new_action: *new_action,
                        timeout: *timeout,
                    }),
                ),
            };
            let mut hit = false;
            for (r, m) in self.rules.iter_mut().zip(&self.metas) {
                if (sig.gid == 0 || sig.gid == m.gid) && (sig.sid == 0 || sig.sid == m.sid) {
                    hit = true;
                    match &what {
                        What::Threshold(t) => r.threshold = Some(*t),
                        What::Suppress(s) => r.suppress.push(s.clone()),
                        What::Rate(rf) => {
                            r.threshold = None;
                            r.rate = Some(*rf);
                        }
                    }
                }
            }
            if hit {
                applied += 1;
            }
        }
        self.stats.threshold_entries_applied += applied as u64;
        applied
    }

    /// Sizes of the always-evaluate lists: (scope, transport class, direction, app protocol,
    /// rules) — for diagnostics.
    pub fn always_lists(&self) -> Vec<(Scope, u8, u8, Option<AppProto>, usize)> {
        self.always
            .iter()
            .map(|l| {
                let scope = if l.scope == 0 {
                    Scope::Packet
                } else {
                    Scope::Transaction
                };
                (scope, l.class, l.dir, l.app, l.rules.len())
            })
            .collect()
    }

    /// Rules that were not compiled, with the reason.
    pub fn skipped(&self) -> &[SkippedRule] {
        &self.skipped
    }

    /// Metadata of a compiled rule.
    pub fn meta(&self, id: RuleId) -> Option<&RuleMeta> {
        self.metas.get(id as usize)
    }

    /// Number of compiled rules.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// True when no rule compiled.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Names of the flowbits set in `state`, in id order (for the EVE `metadata`).
    pub fn flowbits_set<'a>(&'a self, state: &'a FlowState) -> impl Iterator<Item = &'a str> + Clone + 'a {
        self.flowbits
            .iter()
            .enumerate()
            .filter(|(i, _)| state.is_set(*i as u32))
            .map(|(_, n)| n.as_str())
    }

    /// Id of a flowbit name (for inspecting a [`FlowState`]).
    pub fn flowbit_id(&self, name: &str) -> Option<u32> {
        self.flowbits
            .iter()
            .position(|n| n == name)
            .map(|i| i as u32)
    }

    /// Whether any rule needs raw stream data (`tcp-stream`, `flow:only_stream` with a payload
    /// list): the caller then keeps reassembled data and inspects it with
    /// [`Buffers::stream_only`] set.
    pub fn needs_stream(&self) -> bool {
        self.rules.iter().any(|r| r.stream_payload)
    }

    /// Inspect one packet or transaction. Returns the alerts (valid until the next call with the
    /// same scratch), in signature order. `flow` is the flow's detection state (flowbits); pass
    /// None for flowless packets.
    pub fn inspect<'s>(
        &self,
        info: &PacketInfo,
        bufs: &Buffers<'_>,
        flow: Option<&mut FlowState>,
        scratch: &'s mut Scratch,
    ) -> &'s [Alert] {
        self.run(info, bufs, flow, scratch, false)
    }

    /// Like [`DetectEngine::inspect`] but without the prefilter: every rule of the scope is
    /// evaluated (reference path for tests and debugging).
    pub fn inspect_all<'s>(
        &self,
        info: &PacketInfo,
        bufs: &Buffers<'_>,
        flow: Option<&mut FlowState>,
        scratch: &'s mut Scratch,
    ) -> &'s [Alert] {
        self.run(info, bufs, flow, scratch, true)
    }

    fn run<'s>(
        &self,
        info: &PacketInfo,
        bufs: &Buffers<'_>,
        mut flow: Option<&mut FlowState>,
        scratch: &'s mut Scratch,
        all: bool,
    ) -> &'s [Alert] {
        scratch.alerts.clear();
        scratch.stats.calls += 1;
        let mut cands = std::mem::take(&mut scratch.cands);
        cands.clear();
        let scope_ix = match bufs.scope {
            Scope::Packet => 0,
            Scope::Transaction => 1,
        };
        let mut before = 0;
        if all {
            cands.extend(
                self.rules
                    .iter()
                    .enumerate()
                    .filter(|(_, r)| r.scope == bufs.scope)
                    .map(|(i, _)| i as RuleId)
                    .filter(|i| !self.ip_only.contains(i)),
            );
        } else {
            let class = proto_class(info.ip_proto) as u8;
            let dir = match info.flow.map(|f| f.direction) {
                Some(FlowDir::ToServer) => 1,
                Some(FlowDir::ToClient) => 2,
                None => 0,
            };
            for l in &self.always {
                if l.scope == scope_ix as u8
                    && l.class == class
                    && (l.dir == 0 || l.dir == dir)
                    && l.app
                        .is_none_or(|a| info.app_proto.is_some_and(|p| p.compatible(a)))
                {
                    cands.extend_from_slice(&l.rules);
                    scratch.stats.always_candidates += l.rules.len() as u64;
                }
            }
            if let Some(Some((si, di))) = self.addr_index.get(scope_ix) {
                let a = si.lookup(info.src);
                let b = di.lookup(info.dst);
                cands.extend_from_slice(a);
                cands.extend_from_slice(b);
                scratch.stats.addr_candidates += (a.len() + b.len()) as u64;
            }
            before = cands.len();
            let variant = match info.flow.map(|f| f.direction) {
                Some(FlowDir::ToServer) => 1,
                Some(FlowDir::ToClient) => 2,
                None => 0,
            };
            for p in self
                .prefilters
                .get(scope_ix)
                .map(Vec::as_slice)
                .unwrap_or(&[])
                .iter()
                .filter(|p| p.dir == variant)
            {
                let mut tb = std::mem::take(&mut scratch.tbuf_a);
                let mut tb2 = std::mem::take(&mut scratch.tbuf_b);
                let mut scan = |data: &[u8]| {
                    let data = if p.transforms.is_empty() {
                        data
                    } else {
                        transform::apply_all(&p.transforms, data, &mut tb, &mut tb2);
                        &tb[..]
                    };
                    for m in p.ac.find_overlapping_iter(data) {
                        if let Some(ids) = p.rules.get(m.pattern().as_usize()) {
                            cands.extend_from_slice(ids);
                        }
                    }
                };
                if p.buffer == Buffer::Payload {
                    if let Some(d) = bufs.packet {
                        scan(d);
                    }
                    if let Some(d) = bufs.stream {
                        scan(d);
                    }
                } else {
                    for (b, d) in bufs.sticky() {
                        if *b == p.buffer {
                            scan(d);
                        }
                    }
                }
                scratch.tbuf_a = tb;
                scratch.tbuf_b = tb2;
            }
        }
        if !all {
            scratch.stats.prefilter_candidates += (cands.len() - before) as u64;
            if let (Some(fs), Some(g)) = (flow.as_deref(), self.gated.get(scope_ix))
                && !g.is_empty()
            {
                fs.for_each_set(|bit| {
                    if let Some(ids) = g.get(bit as usize) {
                        cands.extend_from_slice(ids);
                    }
                });
            }
        }
        // IP-only rules: packet scope, once per flow direction (every packet when flowless)
        if bufs.scope == Scope::Packet && !bufs.stream_only {
            let dir_ix = match info.flow.map(|f| f.direction) {
                Some(FlowDir::ToServer) => Some(0),
                Some(FlowDir::ToClient) => Some(1),
                None => None,
            };
            let run_iponly = match (dir_ix, flow.as_deref_mut()) {
                (Some(d), Some(fs)) => {
                    let done = fs.iponly_done.get(d).copied().unwrap_or(false);
                    if let Some(x) = fs.iponly_done.get_mut(d) {
                        *x = true;
                    }
                    !done
                }
                _ => true,
            };
            if run_iponly {
                cands.extend_from_slice(&self.ip_only);
            }
        }
        cands.sort_unstable();
        cands.dedup();
        let gated = if all {
            &[][..]
        } else {
            self.gated.get(scope_ix).map(Vec::as_slice).unwrap_or(&[])
        };
        let mut k = 0;
        while let Some(&id) = cands.get(k) {
            k += 1;
            let Some(r) = self.rules.get(id as usize) else {
                continue;
            };
            scratch.stats.evaluated += 1;
            if !self.rule_matches(r, info, bufs, flow.as_deref(), scratch) {
                continue;
            }
            scratch.stats.matched += 1;
            for &(cmd, bit, track, expire) in &r.xbit_actions {
                scratch.xbits.apply(cmd, bit, track, info, expire);
            }
            if let Some(fs) = flow.as_deref_mut() {
                for &(op, var, v) in &r.int_actions {
                    if let Some(val) = v.value(Some(fs)) {
                        fs.int_apply(op, var, val);
                    }
                }
                let mut added = false;
                for &(cmd, bit) in &r.bit_actions {
                    match cmd {
                        BitCmd::Set => fs.set(bit),
                        BitCmd::Unset => fs.unset(bit),
                        BitCmd::Toggle => fs.toggle(bit),
                        BitCmd::IsSet | BitCmd::IsNotSet => {}
                    }
                    // rules gated on a bit that just got set become candidates (later in order)
                    if fs.is_set(bit)
                        && let Some(ids) = gated.get(bit as usize)
                    {
                        cands.extend(ids.iter().copied().filter(|&g| g > id));
                        added = true;
                    }
                }
                if added && let Some(tail) = cands.get_mut(k..) {
                    tail.sort_unstable();
                    // de-duplicate the tail in place
                    let mut w = 0usize;
                    for i in 0..tail.len() {
                        let v = tail[i];
                        if w == 0 || tail[w - 1] != v {
                            tail[w] = v;
                            w += 1;
                        }
                    }
                    cands.truncate(k + w);
                }
            }
            let Some(m) = self.metas.get(id as usize) else {
                continue;
            };
            // A noalert rule writes no alert, but its drop, reject or pass still acts.
            if m.noalert {
                scratch.stats.noalert += 1;
                if m.action == Action::Alert {
                    continue;
                }
            }
            // Suppressed: no alert, but a drop, reject or pass still acts (as in Suricata).
            let mut noalert = m.noalert;
            if r.suppress.iter().any(|s| s.hits(info.src, info.dst)) {
                scratch.thresholds.stats.suppressed += 1;
                if m.action == Action::Alert {
                    continue;
                }
                noalert = true;
            }
            if let Some(t) = &r.threshold
                && !scratch.thresholds.check(id, t, info.src, info.dst, info.ts)
            {
                continue;
            }
            let mut action = m.action;
            let mut rate_filtered = false;
            if let Some(rf) = &r.rate
                && scratch.thresholds.rate(id, rf, info.src, info.dst, info.ts)
            {
                rate_filtered = true;
                action = match rf.new_action {
                    RateAction::Alert => Action::Alert,
                    RateAction::Drop => Action::Drop,
                    RateAction::Pass => Action::Pass,
                    RateAction::Reject => Action::Reject,
                };
            }
            scratch.alerts.push(Alert {
                rule: id,
                action,
                sid: m.sid,
                gid: m.gid,
                rev: m.rev,
                priority: m.priority,
                noalert,
                rate_filtered,
            });
            if action == Action::Pass {
                scratch.stats.passes += 1;
                break;
            }
        }
        scratch.stats.alerts += scratch.alerts.len() as u64;
        scratch.cands = cands;
        &scratch.alerts
    }

    fn header_matches(&self, r: &CRule, info: &PacketInfo) -> bool {
        let p = info.ip_proto;
        let proto_ok = match r.protocol {
            Protocol::Ip | Protocol::Pkthdr => info.ip_version != 0,
            Protocol::Ipv4 => info.ip_version == 4,
            Protocol::Ipv6 => info.ip_version == 6,
            Protocol::Tcp | Protocol::TcpPkt | Protocol::TcpStream => p == 6,
            Protocol::Udp => p == 17,
            Protocol::Icmp => p == 1 || p == 58,
            Protocol::Icmpv4 => p == 1,
            Protocol::Icmpv6 => p == 58,
            Protocol::Sctp => p == 132,
            Protocol::App(_) => p == 6 || p == 17 || p == 132,
        };
        if !proto_ok {
            return false;
        }
        let has_ports = matches!(p, 6 | 17 | 132);
        if !r.ports_any && !has_ports {
            return false;
        }
        let fwd = |s: Addr, d: Addr, sp: u16, dp: u16| {
            (r.addr_any || (r.src.contains(s.to_ip()) && r.dst.contains(d.to_ip())))
                && (r.ports_any || (r.sp.contains(sp) && r.dp.contains(dp)))
        };
        fwd(info.src, info.dst, info.sport, info.dport)
            || (r.bidir && fwd(info.dst, info.src, info.dport, info.sport))
    }

    fn rule_matches(
        &self,
        r: &CRule,
        info: &PacketInfo,
        bufs: &Buffers<'_>,
        flow: Option<&FlowState>,
        scratch: &mut Scratch,
    ) -> bool {
        if r.scope != bufs.scope || !self.header_matches(r, info) {
            return false;
        }
        // A raw-stream inspection runs the rules that inspect the stream, nothing else; a
        // packet whose data went into the stream leaves them to the stream inspection.
        if (bufs.stream_only && !r.stream_payload)
            || (bufs.in_stream && !bufs.stream_only && r.stream_payload)
        {
            return false;
        }
        if let Some(f) = &r.flow {
            let ff = info.flow;
            if f.established && !ff.is_some_and(|x| x.established) {
                return false;
            }
            if f.not_established && ff.is_some_and(|x| x.established) {
                return false;
            }
            if f.to_server && !ff.is_some_and(|x| x.direction == FlowDir::ToServer) {
                return false;
            }
            if f.to_client && !ff.is_some_and(|x| x.direction == FlowDir::ToClient) {
                return false;
            }
            if (f.only_frag && !info.fragment) || (f.no_frag && info.fragment) {
                return false;
            }
        }
        if let Some(a) = r.app_proto
            && !info.app_proto.is_some_and(|p| p.compatible(a))
        {
            return false;
        }
        for c in &r.conds {
            let ok = match c {
                Cond::Xbit(cmd, bit, track) => scratch.xbits.test(*cmd, *bit, *track, info),
                _ => cond_matches(c, info, bufs, flow),
            };
            if !ok {
                return false;
            }
        }
        let mut ctx = Ctx::new();
        for l in &r.lists {
            if !list_matches(l, r.flow.as_ref(), r.protocol, bufs, &mut ctx, scratch) {
                return false;
            }
        }
        true
    }
}

fn list_matches(
    l: &CBufList,
    flow: Option<&Flow>,
    protocol: Protocol,
    bufs: &Buffers<'_>,
    ctx: &mut Ctx,
    scratch: &mut Scratch,
) -> bool {
    let mut check = |data: &[u8], ctx: &mut Ctx| -> bool {
        if l.transforms.is_empty() {
            inspect_list(&l.list, data, ctx)
        } else {
            let mut a = std::mem::take(&mut scratch.tbuf_a);
            let mut b = std::mem::take(&mut scratch.tbuf_b);
            transform::apply_all(&l.transforms, data, &mut a, &mut b);
            let ok = inspect_list(&l.list, &a, ctx);
            scratch.tbuf_a = a;
            scratch.tbuf_b = b;
            ok
        }
    };
    if l.buffer == Buffer::Base64Data {
        let data = std::mem::take(&mut ctx.b64);
        let ok = !data.is_empty() && check(&data, ctx);
        // the decoded data stays for a later base64_data list
        if ctx.b64.is_empty() {
            ctx.b64 = data;
        }
        return ok;
    }
    if l.buffer == Buffer::Payload {
        // `tcp-stream` / `flow:only_stream` inspect only the stream, `tcp-pkt` /
        // `flow:no_stream` only the packet
        let only_stream = flow.is_some_and(|f| f.only_stream) || protocol == Protocol::TcpStream;
        let no_stream = flow.is_some_and(|f| f.no_stream) || protocol == Protocol::TcpPkt;
        if !only_stream
            && let Some(d) = bufs.packet
            && check(d, ctx)
        {
            return true;
        }
        if !no_stream && let Some(d) = bufs.stream {
            ctx.stream_base = bufs.stream_offset;
            let hit = check(d, ctx);
            ctx.stream_base = 0;
            if hit {
                return true;
            }
        }
        false
    } else {
        bufs.sticky()
            .iter()
            .filter(|(b, _)| *b == l.buffer)
            .any(|(_, d)| check(d, ctx))
    }
}

fn neg_num(n: &NegNum, v: u64) -> bool {
    (v == n.value) != n.negated
}

fn num_cmp(cmp: NumCmp, v: u8, want: u8) -> bool {
    match cmp {
        NumCmp::Eq => v == want,
        NumCmp::Ne => v != want,
        NumCmp::Lt => v < want,
        NumCmp::Gt => v > want,
    }
}

fn flags_match(f: &TcpFlags, pkt: u8) -> bool {
    let v = pkt & !f.ignore;
    match f.mode {
        FlagsMode::Exact => v == f.flags,
        FlagsMode::Plus => v & f.flags == f.flags,
        FlagsMode::Any => v & f.flags != 0,
        FlagsMode::Not => v & f.flags != f.flags,
    }
}

fn cond_matches(c: &Cond, info: &PacketInfo, bufs: &Buffers<'_>, flow: Option<&FlowState>) -> bool {
    match c {
        Cond::AppEvent(name) => bufs.app_events.iter().any(|e| e == name),
        Cond::File(fc) => bufs.file.as_ref().is_some_and(|f| file_matches(fc, f)),
        Cond::Dsize(u) => bufs.packet.is_some_and(|p| u.matches(p.len() as u64)),
        Cond::Ttl(u) => info.ip_version != 0 && u.matches(u64::from(info.ttl)),
        Cond::Tos(n) => info.ip_version != 0 && neg_num(n, u64::from(info.tos)),
        Cond::IpId(v) => info.ip_version == 4 && info.ip_id == *v,
        Cond::IpProto(cmp, p) => info.ip_version != 0 && num_cmp(*cmp, info.ip_proto, *p),
        Cond::Flags(f) => info.tcp.is_some_and(|t| flags_match(f, t.flags)),
        Cond::Window(n) => info.tcp.is_some_and(|t| neg_num(n, u64::from(t.window))),
        Cond::Seq(v) => info.tcp.is_some_and(|t| t.seq == *v),
        Cond::Ack(v) => info.tcp.is_some_and(|t| t.ack == *v),
        Cond::Itype(u) => info.icmp.is_some_and(|i| u.matches(u64::from(i.itype))),
        Cond::Icode(u) => info.icmp.is_some_and(|i| u.matches(u64::from(i.icode))),
        Cond::IcmpId(v) => info.icmp.is_some_and(|i| i.id == *v),
        Cond::IcmpSeq(v) => info.icmp.is_some_and(|i| i.seq == *v),
        Cond::Urilen(u, raw) => {
            let b = if *raw {
                Buffer::HttpUriRaw
            } else {
                Buffer::HttpUri
            };
            bufs.get(b).any(|d| u.matches(d.len() as u64))
        }
        Cond::AppProto(neg, m) => match m {
            // As Suricata: while the protocol is not known, neither `p` nor `!p` matches.
            AppMatch::Proto(p) => info.app_proto.is_some_and(|a| a.compatible(*p) != *neg),
            AppMatch::Unknown => info.app_proto.is_none() != *neg,
        },
        Cond::SameIp => info.src == info.dst,
        Cond::Never => false,
        Cond::Decoder(a) => info.anomalies.contains(*a),
        Cond::StreamEvent(name) => bufs.stream_events.iter().any(|e| e == name),
        // Suricata: a side's size is its next sequence number minus its initial one; no
        // session, no match.
        Cond::StreamSize(ss) => info.stream_size.is_some_and(|(client, server)| {
            let (c, s) = (u64::from(client), u64::from(server));
            match ss.side {
                StreamSide::Client => ss.cmp.matches(c),
                StreamSide::Server => ss.cmp.matches(s),
                StreamSide::Both => ss.cmp.matches(c) && ss.cmp.matches(s),
                StreamSide::Either => ss.cmp.matches(c) || ss.cmp.matches(s),
            }
        }),
        // evaluated with the xbit store in `rule_matches`
        Cond::Xbit(..) => false,
        // The MTU field (the 4 bytes after the checksum) of a Packet Too Big (type 2, code 0);
        // no match on any other packet, as Suricata.
        Cond::Icmpv6Mtu(cmp) => info.ip_version == 6
            && info.ip_proto == 58
            && info.icmp.is_some_and(|i| {
                i.itype == 2
                    && i.icode == 0
                    && cmp.matches((u64::from(i.id) << 16) | u64::from(i.seq))
            }),
        Cond::TlsVersion(v) => bufs.tls_version == Some(*v),
        Cond::DnsOpcode(n) => bufs.dns_opcode.is_some_and(|o| neg_num(n, u64::from(o))),
        Cond::TlsString {
            buffer,
            equal_nocase,
            negated,
            value,
        } => bufs.get(*buffer).any(|d| {
            let found = if *equal_nocase {
                d.eq_ignore_ascii_case(value)
            } else {
                value.is_empty() || d.windows(value.len()).any(|w| w == &value[..])
            };
            found != *negated
        }),
        Cond::Flowint(op, var, v) => {
            let cur = flow.and_then(|f| f.int(*var));
            let want = v.and_then(|v| v.value(flow));
            match (op, cur, want) {
                (FlowintOp::IsSet, c, _) => c.is_some(),
                (FlowintOp::NotSet, c, _) => c.is_none(),
                (FlowintOp::Eq, Some(c), Some(w)) => c == w,
                (FlowintOp::Ne, Some(c), Some(w)) => c != w,
                (FlowintOp::Lt, Some(c), Some(w)) => c < w,
                (FlowintOp::Le, Some(c), Some(w)) => c <= w,
                (FlowintOp::Gt, Some(c), Some(w)) => c > w,
                (FlowintOp::Ge, Some(c), Some(w)) => c >= w,
                _ => false,
            }
        }
        Cond::Bits(cmd, ids) => {
            let any_set = ids.iter().any(|&i| flow.is_some_and(|f| f.is_set(i)));
            match cmd {
                BitCmd::IsSet => any_set,
                // isnotset with several names: any of them not set
                BitCmd::IsNotSet => ids.iter().any(|&i| !flow.is_some_and(|f| f.is_set(i))),
                _ => true,
            }
        }
    }
}
