//! The crate-level error and the exit codes.

use std::process::ExitCode as StdExitCode;

/// Exit codes, as documented in the README.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum ExitCode {
    /// The run completed and every input was read.
    Ok = 0,
    /// The run failed (store, output folder, lock, I/O): nothing was published.
    Failure = 1,
    /// The command line or the configuration is wrong: nothing was done.
    UsageOrConfig = 2,
    /// The run completed and published, but some input was quarantined or a source was
    /// partial or down.
    Partial = 3,
}

impl From<ExitCode> for StdExitCode {
    fn from(code: ExitCode) -> Self {
        StdExitCode::from(code as u8)
    }
}

/// Errors that stop a run before publishing.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad configuration.
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] crate::store::Error),
    /// A source could not be listed at all (bad pattern, unreadable folder).
    #[error(transparent)]
    Source(#[from] crate::source::Error),
    /// Writing the outputs failed.
    #[error(transparent)]
    Publish(#[from] crate::publish::Error),
    /// The output folder may not be replaced (a file, a folder holding the store or an input,
    /// a foreign folder): nothing was done.
    #[error(transparent)]
    OutputRefused(#[from] crate::publish::output::Refused),
    /// The run found no project while the previous output has some: refused unless
    /// `--allow-empty`, so a source that vanished does not wipe the published tables.
    #[error(
        "no project found in this run, while {output} holds {before} from the previous one: nothing was published (check the sources, or pass --allow-empty)"
    )]
    EmptyRun {
        /// The output folder.
        output: std::path::PathBuf,
        /// Projects it holds.
        before: u64,
    },
    /// Scoring failed.
    #[error("score: {0}")]
    Score(String),
}

impl Error {
    /// The exit code this error maps to.
    pub fn exit_code(&self) -> ExitCode {
        match self {
            Error::Config(_) | Error::OutputRefused(_) => ExitCode::UsageOrConfig,
            // A source that cannot be set up (a token variable not set) is a config problem.
            Error::Source(crate::source::Error::Setup { .. }) => ExitCode::UsageOrConfig,
            _ => ExitCode::Failure,
        }
    }
}
