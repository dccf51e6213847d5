//! costwatch: an infrastructure-contract transparency ingester.
//!
//! The run, stage by stage (see [`pipeline::run`]): `source` reads inputs into the `store`;
//! `ocds` compiles releases; `oc4ids` converts them into projects; `ids` judges each CoST IDS
//! element and `flags` raises red flags; `score` aggregates with polars; `publish` writes the
//! outputs atomically.

pub mod cli;
pub mod config;
pub mod cron;
pub mod error;
pub mod evidence;
/// The sample generator serves `generate-fixtures` only; it is not library API.
mod fixtures;
pub mod flags;
pub mod ids;
pub mod logging;
pub mod oc4ids;
pub mod ocds;
pub mod pipeline;
pub mod projects;
pub mod publish;
pub mod report;
pub mod schedule;
pub mod scope;
pub mod score;
pub mod source;
pub mod store;
pub mod util;

pub use error::{Error, ExitCode};
