//! Progress while sources are fetched: a bar per source on a terminal, nothing otherwise
//! (JSON-log mode writes one line per page instead, from `mod.rs`).

use std::io::Write;
use std::sync::OnceLock;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::report::SourceReport;

/// How progress is shown.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ProgressMode {
    /// Nothing (not a terminal, or tests).
    #[default]
    Quiet,
    /// A bar per source on stderr.
    Bars,
    /// One structured log line per page.
    JsonLines,
}

/// The bars being drawn, so that log lines can be written above them instead of through them.
static DRAWING: OnceLock<MultiProgress> = OnceLock::new();

/// Stderr for log lines: while bars are drawn, each line is written with the bars lifted.
pub struct LogWriter;

impl Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match DRAWING.get() {
            Some(multi) => multi.suspend(|| std::io::stderr().write_all(buf))?,
            None => std::io::stderr().write_all(buf)?,
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

/// The bars of one run.
pub struct Bars {
    multi: Option<MultiProgress>,
}

/// One source's bar (hidden unless bars are on).
pub struct Bar {
    bar: ProgressBar,
    started: std::time::Instant,
}

impl Bars {
    /// Bars drawn on stderr in `Bars` mode, hidden otherwise.
    pub fn new(mode: ProgressMode) -> Bars {
        let multi = (mode == ProgressMode::Bars).then(|| {
            DRAWING
                .get_or_init(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr()))
                .clone()
        });
        Bars { multi }
    }

    /// A bar for a source.
    pub fn source(&self, id: &str) -> Bar {
        let Some(multi) = &self.multi else {
            return Bar {
                bar: ProgressBar::hidden(),
                started: std::time::Instant::now(),
            };
        };
        let bar = multi.add(ProgressBar::new_spinner());
        // The template is a constant; a bad one would fail on every run, so fall back quietly.
        let style = ProgressStyle::with_template(
            "{spinner} {prefix:<24} {pos:>6} pages · {elapsed_precise} · {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_spinner());
        bar.set_style(style);
        bar.set_prefix(id.to_string());
        bar.enable_steady_tick(std::time::Duration::from_millis(200));
        Bar {
            bar,
            started: std::time::Instant::now(),
        }
    }
}

impl Bar {
    /// Advances by one page or file.
    pub fn page(&self, h: &SourceReport) {
        self.bar.inc(1);
        let secs = self.started.elapsed().as_secs_f64().max(1e-3);
        self.bar.set_message(format!(
            "{:.1} pages/s · {} releases ({} new) · {} errors",
            self.bar.position() as f64 / secs,
            h.items,
            h.new,
            h.pages_quarantined
        ));
    }

    /// Leaves the bar with the source's result.
    pub fn finish(&self, h: &SourceReport) {
        self.bar.finish_with_message(format!(
            "{} · {} releases ({} new) · {} errors",
            h.status.code(),
            h.items,
            h.new,
            h.pages_quarantined
        ));
    }
}
