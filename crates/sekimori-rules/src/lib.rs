//! Suricata 7 rule language for sekimori: lexing and parsing rules into a typed, validated
//! form ([`Rule`]), variables ([`Vars`]), classification/threshold/reference config files,
//! loading whole rule files ([`load_files`]) with a check report ([`CheckReport`]), and the
//! fast-pattern choice a prefilter needs ([`Rule::fast_pattern`]).
#![deny(missing_docs)]

pub mod buffer;
pub mod config;
pub mod content;
pub mod error;
pub mod fast_pattern;
pub mod lex;
pub mod load;
pub mod net;
pub mod options;
pub mod pcre;
pub mod proto;
pub mod ranges;
pub mod rule;

pub use buffer::{Buffer, BufferDir, BufferInfo, BufferKind, Transform};
pub use config::{
    Classification, Classifications, ThresholdEntry, parse_reference_config, parse_threshold_config,
};
pub use content::{Content, FastPatternOpt, NumOrVar};
pub use error::{ErrorKind, ParseError};
pub use load::{
    CheckReport, LoadStats, Loader, LogLevel, LogLine, RuleError, RuleSet, check_files, load_files, load_str,
};
pub use net::{AddressSet, Addresses, PortSet, Ports, Resolver, Vars};
pub use pcre::Pcre;
pub use proto::{Action, AppProto, Direction, Protocol};
pub use rule::{BufferList, Condition, ConfigScope, FastPattern, Match, Rule, RuleConfig, parse_rule};
