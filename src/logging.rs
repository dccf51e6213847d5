//! Log output: human-readable on a terminal, one JSON object per line for cron.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

/// The log format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines (colours on a terminal).
    Human,
    /// One JSON object per line.
    Json,
}

/// Installs the global subscriber; logs go to stderr. `RUST_LOG` overrides the level.
pub fn init(format: LogFormat, verbose: bool) {
    let default = if verbose {
        "costwatch=debug"
    } else {
        "costwatch=info"
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        // Through the progress bars' writer: on a terminal, lines go above the bars.
        .with_writer(|| crate::source::LogWriter);
    // A second init (tests) is harmless: the first subscriber stays.
    let _ = match format {
        LogFormat::Human => builder
            .with_ansi(std::io::stderr().is_terminal())
            .with_target(false)
            .try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}
