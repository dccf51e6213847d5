//! Five-field cron expressions (minute, hour, day of month, month, day of week), as
//! `[schedule] cron` and `costwatch schedule --cron` take them: parsing and the next time one
//! names. A leaf: configuration checks an expression with it, the scheduler follows it.

use chrono::{DateTime, Datelike, Duration as Minutes, TimeZone, Timelike};

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
