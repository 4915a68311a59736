//! The sekimori pipeline for one worker: capture → decode → defrag → flow → TCP stream → app hook
//! → EVE. [`Engine::process`] takes one packet; [`Engine::finish`] flushes every flow and writes
//! the final records. Configuration comes from [`Config`] (TOML, every key optional).
#![deny(missing_docs)]

mod alerts;
mod app;
mod detect;
pub use detect::classification_beside;
mod dlp;
mod inspect;
mod ips;
pub use ips::Verdict;
pub mod config;
pub mod hook;
mod pipeline;
pub mod summary;

pub use config::{Config, ConfigError};
pub use hook::{AppHook, AppSlot, FlowInfo, NoApp};
pub use pipeline::{Engine, EngineError, EngineOptions, Stage};
pub use sekimori_flow::Direction;
pub use summary::Summary;
