//! OCDS: streaming package readers and the merge routine that compiles releases.
//!
//! In: bytes from a source. Out: releases for the store, and compiled releases per ocid.

pub mod compile;
pub mod events;
pub mod history;
pub mod merge;
pub mod package;
pub mod rules;

pub use compile::{Compiled, CompiledProcess, compile};
pub use merge::{MergeWarning, Merger};
pub use rules::{Rule, Rules};
