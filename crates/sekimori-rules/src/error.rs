//! Error types: every failure names the keyword at fault (when there is one) and a reason category.

use serde::Serialize;
use std::fmt;

/// Why a rule (or a config line) was rejected. Used to group failures in a [`crate::CheckReport`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// Structure of the rule: header fields, option list, `;` termination, quoting.
    Syntax,
    /// The text is not valid UTF-8, contains control characters, or is too long.
    Encoding,
    /// Unknown action.
    Action,
    /// Unknown or unusable protocol.
    Protocol,
    /// Invalid direction (`<-` and anything other than `->`/`<>`).
    Direction,
    /// Invalid address or address group.
    Address,
    /// Invalid port or port group.
    Port,
    /// Undefined variable or a cycle between variables.
    Variable,
    /// The keyword is not part of the Suricata 7 rule language.
    UnknownKeyword,
    /// The keyword needs a value and got none.
    MissingValue,
    /// The keyword takes no value but got one.
    UnexpectedValue,
    /// The keyword's value could not be parsed or is out of range.
    InvalidValue,
    /// A modifier without what it modifies (e.g. `nocase` before any `content`).
    NoContext,
    /// Keywords that cannot be combined (buffers, protocols, duplicate modifiers, directions).
    Conflict,
    /// The rule is well formed but can never match (Suricata refuses it), e.g. content longer than `bsize`.
    CannotMatch,
    /// The rule has no `sid`.
    MissingSid,
    /// Another rule has the same gid:sid (the one with the lower rev is dropped).
    Duplicate,
    /// A `requires` keyword names a feature or version this engine does not provide
    /// (Suricata skips such rules without counting them as failures).
    RequirementsNotMet,
    /// A file could not be read.
    Io,
}

impl ErrorKind {
    /// Short snake_case name of the category (the JSON name).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Syntax => "syntax",
            ErrorKind::Encoding => "encoding",
            ErrorKind::Action => "action",
            ErrorKind::Protocol => "protocol",
            ErrorKind::Direction => "direction",
            ErrorKind::Address => "address",
            ErrorKind::Port => "port",
            ErrorKind::Variable => "variable",
            ErrorKind::UnknownKeyword => "unknown_keyword",
            ErrorKind::MissingValue => "missing_value",
            ErrorKind::UnexpectedValue => "unexpected_value",
            ErrorKind::InvalidValue => "invalid_value",
            ErrorKind::NoContext => "no_context",
            ErrorKind::Conflict => "conflict",
            ErrorKind::CannotMatch => "cannot_match",
            ErrorKind::MissingSid => "missing_sid",
            ErrorKind::Duplicate => "duplicate",
            ErrorKind::RequirementsNotMet => "requirements_not_met",
            ErrorKind::Io => "io",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A rule (or config line) failed to parse or validate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
pub struct ParseError {
    /// Reason category.
    pub kind: ErrorKind,
    /// The keyword (or header field: `action`, `protocol`, `src`, `sp`, `direction`, `dst`, `dp`) at fault.
    pub keyword: Option<String>,
    /// Human-readable explanation.
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.keyword {
            Some(k) => write!(f, "{} [{}]: {}", k, self.kind, self.message),
            None => write!(f, "[{}]: {}", self.kind, self.message),
        }
    }
}

impl ParseError {
    /// Error without a keyword.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        ParseError {
            kind,
            keyword: None,
            message: message.into(),
        }
    }

    /// Error attributed to a keyword.
    pub fn kw(kind: ErrorKind, keyword: &str, message: impl Into<String>) -> Self {
        ParseError {
            kind,
            keyword: Some(keyword.to_string()),
            message: message.into(),
        }
    }

    /// Attach a keyword if none is set yet.
    pub fn with_keyword(mut self, keyword: &str) -> Self {
        if self.keyword.is_none() {
            self.keyword = Some(keyword.to_string());
        }
        self
    }
}

/// Shorthand result type.
pub type Result<T> = std::result::Result<T, ParseError>;

/// Build an `InvalidValue` error for `keyword`.
pub(crate) fn invalid(keyword: &str, message: impl Into<String>) -> ParseError {
    ParseError::kw(ErrorKind::InvalidValue, keyword, message)
}
