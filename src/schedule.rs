//! `costwatch schedule`: runs the pipeline at the times a cron expression names, one run at a
//! time, until SIGTERM or SIGINT. For a container, where there is no cron daemon.
//!
//! A signal while waiting ends the loop at once; a signal during a run lets the run finish
//! (a kill would be safe too: the next run repairs what a killed one left). A run that fails
//! is logged and the loop goes on to the next time; the configuration is read again before
//! each run, so an edit takes effect without a restart.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use chrono::{DateTime, Datelike, Duration as Minutes, Local, TimeZone, Timelike};

use crate::config::Config;
use crate::pipeline::{self, RunOptions};
use crate::{Error, ExitCode};

/// A five-field cron expression: minute, hour, day of month, month, day of week.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cron {
    minutes: Vec<bool>,
    hours: Vec<bool>,
    days: Vec<bool>,
    months: Vec<bool>,
    weekdays: Vec<bool>,
    /// Day of month and day of week both restricted: either matches (as cron does).
    either_day: bool,
}

/// Why a cron expression was not understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cron expression `{expr}`: {reason}")]
pub struct CronError {
    /// The expression.
    pub expr: String,
    /// Why.
    pub reason: String,
}

/// One field: `*`, `5`, `1-5`, `*/15`, `0-30/10`, and comma lists of those.
fn field(text: &str, min: u32, max: u32, name: &str) -> Result<Vec<bool>, String> {
    let mut set = vec![false; max as usize + 1];
    for part in text.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => (
                r,
                s.parse::<u32>()
                    .ok()
                    .filter(|s| *s > 0)
                    .ok_or_else(|| format!("{name}: `{s}` is not a step"))?,
            ),
            None => (part, 1),
        };
        let number = |t: &str| {
            t.parse::<u32>()
                .ok()
                .filter(|n| (min..=max).contains(n))
                .ok_or_else(|| format!("{name}: `{t}` is not between {min} and {max}"))
        };
        let (from, to) = match range {
            "*" => (min, max),
            r => match r.split_once('-') {
                Some((a, b)) => (number(a)?, number(b)?),
                None if part.contains('/') => (number(r)?, max),
                None => {
                    let n = number(r)?;
                    (n, n)
                }
            },
        };
        if from > to {
            return Err(format!("{name}: `{range}` runs backwards"));
        }
        for v in (from..=to).step_by(step as usize) {
            set[v as usize] = true;
        }
    }
    Ok(set)
}

impl Cron {
    /// Parses `minute hour day-of-month month day-of-week` (0 or 7 is Sunday).
    pub fn parse(expr: &str) -> Result<Cron, CronError> {
        let err = |reason: String| CronError {
            expr: expr.to_string(),
            reason,
        };
        let parts: Vec<&str> = expr.split_whitespace().collect();
        let [m, h, dom, mon, dow] = parts.as_slice() else {
            return Err(err(format!(
                "needs five fields (minute hour day month weekday), found {}",
                parts.len()
            )));
        };
        let mut weekdays = field(dow, 0, 7, "day of week").map_err(err)?;
        if weekdays[7] {
            weekdays[0] = true;
        }
        weekdays.truncate(7);
        Ok(Cron {
            minutes: field(m, 0, 59, "minute").map_err(err)?,
            hours: field(h, 0, 23, "hour").map_err(err)?,
            days: field(dom, 1, 31, "day of month").map_err(err)?,
            months: field(mon, 1, 12, "month").map_err(err)?,
            weekdays,
            either_day: *dom != "*" && *dow != "*",
        })
    }

    fn matches<Tz: TimeZone>(&self, t: &DateTime<Tz>) -> bool {
        let day = self.days[t.day() as usize];
        let weekday = self.weekdays[t.weekday().num_days_from_sunday() as usize];
        let day_ok = if self.either_day {
            day || weekday
        } else {
            day && weekday
        };
        self.minutes[t.minute() as usize]
            && self.hours[t.hour() as usize]
            && self.months[t.month() as usize]
            && day_ok
    }

    /// The first whole minute strictly after `after` that the expression names (within
    /// about four years; `None` for an expression that names no real date, like 31 February).
    pub fn next_after<Tz: TimeZone>(&self, after: &DateTime<Tz>) -> Option<DateTime<Tz>> {
        let mut t = after.clone().with_second(0)?.with_nanosecond(0)? + Minutes::minutes(1);
        for _ in 0..(4 * 366 * 24 * 60) {
            if self.matches(&t) {
                return Some(t);
            }
            t += Minutes::minutes(1);
        }
        None
    }
}

/// What `costwatch schedule` was asked.
#[derive(Debug, Clone)]
pub struct Options {
    /// The configuration file, read again before each run.
    pub config: PathBuf,
    /// A cron expression that overrides the file's.
    pub cron: Option<String>,
    /// Run once at start.
    pub run_now: bool,
    /// Progress display.
    pub progress: crate::source::ProgressMode,
}

/// Runs the configuration on its schedule until a signal asks to stop.
pub fn run(opts: &Options) -> Result<ExitCode, Error> {
    let config = &opts.config;
    let first = Config::load(config)?;
    let expr = opts
        .cron
        .clone()
        .or(first.schedule.clone())
        .ok_or_else(|| crate::config::ConfigError {
            file: config.display().to_string(),
            key: "schedule.cron".into(),
            reason: "give a cron expression here or with --cron (e.g. \"30 2 * * *\")".into(),
        })?;
    let cron = Cron::parse(&expr).map_err(|e| crate::config::ConfigError {
        file: config.display().to_string(),
        key: "schedule.cron".into(),
        reason: e.to_string(),
    })?;
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        signal_hook::flag::register(signal, Arc::clone(&stop)).map_err(|e| {
            crate::publish::Error::Io {
                path: PathBuf::from("signal handler"),
                source: e,
            }
        })?;
    }
    tracing::info!(cron = %expr, config = %config.display(), "schedule started");
    let mut now_first = opts.run_now;
    loop {
        if !std::mem::take(&mut now_first) {
            let Some(next) = cron.next_after(&Local::now()) else {
                tracing::error!(cron = %expr, "the expression names no date; stopping");
                return Ok(ExitCode::UsageOrConfig);
            };
            tracing::info!(at = %next.to_rfc3339(), "next run");
            while Local::now() < next {
                if stop.load(Ordering::Relaxed) {
                    tracing::info!("signal received while waiting; stopping");
                    return Ok(ExitCode::Ok);
                }
                let left = (next - Local::now()).to_std().unwrap_or_default();
                std::thread::sleep(left.min(Duration::from_millis(500)));
            }
        }
        // Read again, so an edit made while waiting is used; a broken edit skips this run.
        match Config::load(config).and_then(|c| {
            c.check_output()
                .map_err(|e| crate::config::ConfigError {
                    file: config.display().to_string(),
                    key: "run.output".into(),
                    reason: e.to_string(),
                })
                .map(|()| c)
        }) {
            Err(e) => tracing::error!(error = %e, "configuration rejected; this run is skipped"),
            Ok(cfg) => {
                let run_opts = RunOptions {
                    progress: opts.progress,
                    ..RunOptions::default()
                };
                match pipeline::run(&cfg, &run_opts) {
                    Ok(outcome) => tracing::info!(
                        exit_code = outcome.exit_code() as u8,
                        projects = outcome.report.projects,
                        "scheduled run finished"
                    ),
                    Err(e) => {
                        tracing::error!(error = %e, "scheduled run failed; the previous output stays")
                    }
                }
            }
        }
        if stop.load(Ordering::Relaxed) {
            tracing::info!("signal received during the run; stopping after it");
            return Ok(ExitCode::Ok);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .expect("date")
            .with_timezone(&Utc)
    }

    #[test]
    fn next_times_follow_cron_rules() {
        let nightly = Cron::parse("30 2 * * *").expect("parse");
        assert_eq!(
            nightly.next_after(&at("2025-06-30T01:00:00Z")),
            Some(at("2025-06-30T02:30:00Z"))
        );
        assert_eq!(
            nightly.next_after(&at("2025-06-30T02:30:00Z")),
            Some(at("2025-07-01T02:30:00Z")),
            "strictly after"
        );
        let quarter = Cron::parse("*/15 8-9 * * 1-5").expect("parse");
        // 2025-07-05 is a Saturday: next is Monday 08:00.
        assert_eq!(
            quarter.next_after(&at("2025-07-05T10:00:00Z")),
            Some(at("2025-07-07T08:00:00Z"))
        );
        let sunday = Cron::parse("0 0 * * 7").expect("parse");
        assert_eq!(
            sunday.next_after(&at("2025-07-01T00:00:00Z")),
            Some(at("2025-07-06T00:00:00Z"))
        );
        // Day of month or day of week, as cron reads both.
        let either = Cron::parse("0 0 1 * 1").expect("parse");
        assert_eq!(
            either.next_after(&at("2025-07-01T12:00:00Z")),
            Some(at("2025-07-07T00:00:00Z"))
        );
        assert_eq!(
            Cron::parse("0 0 31 2 *")
                .expect("parse")
                .next_after(&at("2025-01-01T00:00:00Z")),
            None
        );
    }

    #[test]
    fn bad_expressions_say_why() {
        for (expr, why) in [
            ("* * * *", "five fields"),
            ("60 * * * *", "minute"),
            ("* * * * mon", "day of week"),
            ("*/0 * * * *", "step"),
            ("5-1 * * * *", "backwards"),
        ] {
            let e = Cron::parse(expr).expect_err(expr);
            assert!(e.to_string().contains(why), "{expr}: {e}");
        }
    }
}
