//! Bidirectional flow table (in progress).
#![deny(missing_docs)]

pub mod direction;

pub use direction::Direction;
