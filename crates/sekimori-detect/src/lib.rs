//! Signature matching for sekimori (the matching half of the signature engine).
//!
//! [`DetectEngine::new`] compiles a [`sekimori_rules::RuleSet`]: IP-only rules go to a separate
//! path evaluated once per flow direction; the other rules are put behind one Aho-Corasick
//! prefilter per (scope, buffer) built over their fast patterns, or on a small always-evaluate
//! list per transport when they have no usable fast pattern. [`DetectEngine::inspect`] is
//! called per packet ([`Scope::Packet`]) and per app-layer transaction update
//! ([`Scope::Transaction`]) with [`PacketInfo`] facts, the [`Buffers`] to inspect, the flow's
//! [`FlowState`] (flowbits) and a reusable [`Scratch`] (which also holds threshold tracking),
//! and returns the [`Alert`]s. Content semantics follow Suricata 7 (see `inspect`).
#![deny(missing_docs)]

mod addrindex;
mod engine;
mod input;
mod inspect;
pub mod threshold;
mod transform;

pub use engine::{
    ActionScope, Alert, CompileStats, DetectEngine, MatchStats, RuleId, RuleMeta, Scratch,
    SkippedRule, XbitStore,
};
pub use input::{
    Buffers, DeferredAlert, FileFacts, FlowFacts, FlowState, IcmpFacts, PacketInfo, Scope, TcpFacts,
};
pub use threshold::{ThresholdState, ThresholdStats};

#[cfg(test)]
mod tests;
