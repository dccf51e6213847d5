//! Small helpers shared by several stages: dates, hashes, canonical JSON.

use chrono::{DateTime, NaiveDate};
use serde_json::Value;
use sha2::{Digest, Sha256};

pub mod canonical;

/// The items of a JSON array; anything else (absent, null, another type) is empty, so that
/// readers of published data never fail on a wrong type.
pub fn array(v: Option<&Value>) -> &[Value] {
    match v {
        Some(Value::Array(a)) => a,
        _ => &[],
    }
}

/// An identifier as text: OC4IDS ids are strings, OCDS also allows integers; blank is none.
pub fn id_text(v: Option<&Value>) -> Option<String> {
    match v {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    }
}

/// A contracting process's id as verdicts and flags name it: its `id`, else `#<index>`.
pub fn process_id(i: usize, cp: &Value) -> String {
    match cp.get("id") {
        Some(Value::String(s)) => s.clone(),
        _ => format!("#{i}"),
    }
}

/// Parses an RFC 3339 date-time (or a bare `YYYY-MM-DD`, taken as midnight UTC) into
/// nanoseconds since the epoch.
pub fn parse_instant(text: &str) -> Option<i64> {
    let t = text.trim();
    if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
        return dt.timestamp_nanos_opt();
    }
    NaiveDate::parse_from_str(t, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .and_then(|d| d.and_utc().timestamp_nanos_opt())
}

/// A period's length in days: `durationInDays`, else end minus start.
pub fn period_days(p: &Value) -> Option<f64> {
    if let Some(d) = p.get("durationInDays").and_then(Value::as_f64) {
        return Some(d);
    }
    let start = parse_instant(p.get("startDate")?.as_str()?)?;
    let end = parse_instant(p.get("endDate")?.as_str()?)?;
    Some((end - start) as f64 / 86_400e9)
}

/// True when `text` is an RFC 3339 date-time (the schema's `format: date-time`).
pub fn is_date_time(text: &str) -> bool {
    DateTime::parse_from_rfc3339(text.trim()).is_ok()
}

/// True when `text` is a bare calendar date, `YYYY-MM-DD` (the schema's `format: date`).
pub fn is_day(text: &str) -> bool {
    let t = text.trim();
    t.len() == 10 && NaiveDate::parse_from_str(t, "%Y-%m-%d").is_ok()
}

/// This build of the program: its version and the running executable's path, size, inode and
/// times. The version alone does not change between builds of one release, and what a run
/// keeps from an earlier one (the output, each project's tally) is only as good as the program
/// that made it: a rebuilt or reinstalled binary makes everything again (the change time
/// moves whenever a file is written or copied in, whatever its modification time says). When
/// the executable cannot be looked at, the id is new every run, so nothing is kept.
pub fn build_id() -> String {
    use std::os::unix::fs::MetadataExt;
    let exe = std::env::current_exe().and_then(|path| {
        let m = std::fs::metadata(&path)?;
        Ok(format!(
            "{} {} {} {}.{} {}.{}",
            path.display(),
            m.len(),
            m.ino(),
            m.mtime(),
            m.mtime_nsec(),
            m.ctime(),
            m.ctime_nsec()
        ))
    });
    let exe = exe.unwrap_or_else(|_| {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        format!("unknown executable, {now} {}", std::process::id())
    });
    format!("{} {exe}", env!("CARGO_PKG_VERSION"))
}

/// Serde for an `f64` kept exactly, as its bits: a decimal text may read back one unit in the
/// last place off, and a kept figure must add up as the made one does.
pub mod exact_f64 {
    /// Writes the bits.
    pub fn serialize<S: serde::Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(v.to_bits())
    }

    /// Reads the bits back.
    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        <u64 as serde::Deserialize>::deserialize(d).map(f64::from_bits)
    }

    /// The same for a figure that may be missing.
    pub mod option {
        /// Writes the bits, or nothing.
        pub fn serialize<S: serde::Serializer>(v: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
            match v {
                Some(v) => s.serialize_some(&v.to_bits()),
                None => s.serialize_none(),
            }
        }

        /// Reads the bits back, or nothing.
        pub fn deserialize<'de, D: serde::Deserializer<'de>>(
            d: D,
        ) -> Result<Option<f64>, D::Error> {
            <Option<u64> as serde::Deserialize>::deserialize(d).map(|v| v.map(f64::from_bits))
        }
    }
}

/// Lower-case hex SHA-256 of some bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Lower-case hex of a digest.
pub fn hex(bytes: &[u8]) -> String {
    // By table, not `write!`: every stored release's hash passes here, and formatting each
    // byte cost more than hashing it.
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

/// Rounds to a number of decimal places (scores are published with 2, shares with 4: more
/// would suggest a precision they do not have), half away from zero on the decimal value.
///
/// A mean such as 65.625 arrives as 65.62499999999999 or 65.62500000000001 depending on the
/// order its sum was taken in (which follows the thread layout), and a plain `round` would
/// publish 65.62 or 65.63 from run to run. The value is first snapped to nine decimals, far
/// below any published precision and far above the noise of a sum, and the half is then
/// decided on that decimal value: 65.625 always gives 65.63.
pub fn round_to(x: f64, places: i32) -> f64 {
    const SNAP: i32 = 9;
    let places = places.clamp(0, SNAP);
    // Beyond 1e12 the snapped integer would lose digits; such values (never a score or a
    // share) are rounded plainly.
    if !x.is_finite() || x.abs() >= 1e12 {
        let f = 10f64.powi(places);
        return (x * f).round() / f;
    }
    let snapped = (x * 10f64.powi(SNAP)).round() as i128;
    let div = 10i128.pow((SNAP - places) as u32);
    let mut q = snapped / div;
    let r = snapped % div;
    if r.abs() * 2 >= div {
        q += snapped.signum();
    }
    q as f64 / 10f64.powi(places)
}

/// An amount with its currency as Panama writes it, thousands grouped: `PAB 1,498,125.00`
/// (decimal point, comma for thousands); an amount no float holds is `-`.
pub fn money(amount: f64, currency: &str) -> String {
    if !amount.is_finite() {
        return "-".into();
    }
    let fixed = format!("{:.2}", amount.abs());
    let (whole, cents) = fixed.split_once('.').unwrap_or((&fixed, "00"));
    let mut grouped = String::new();
    for (i, ch) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    let sign = if amount < 0.0 { "-" } else { "" };
    format!("{currency} {sign}{grouped}.{cents}")
        .trim()
        .to_string()
}

/// A percentage with one decimal, without a trailing `.0`, a space before the sign, as the
/// pages and the alerts write it: "3.2 %", "15 %".
pub fn percent(x: f64) -> String {
    let r = round_to(x, 1);
    if r.fract() == 0.0 {
        format!("{r:.0} %")
    } else {
        format!("{r:.1} %")
    }
}

/// JSON pointer lookups (RFC 6901) that allocate nothing for tokens without `~`: serde_json's
/// `Value::pointer` copies every token twice, and the checks, the conversion and the sheets
/// look up millions of paths in a run.
pub trait At {
    /// The value `pointer` points at, as `Value::pointer` finds it.
    fn at(&self, pointer: &str) -> Option<&Value>;
}

impl At for Value {
    fn at(&self, pointer: &str) -> Option<&Value> {
        if pointer.is_empty() {
            return Some(self);
        }
        let rest = pointer.strip_prefix('/')?;
        let mut target = self;
        for token in rest.split('/') {
            let unescaped;
            let token = if token.contains('~') {
                unescaped = token.replace("~1", "/").replace("~0", "~");
                unescaped.as_str()
            } else {
                token
            };
            target = match target {
                Value::Object(map) => map.get(token)?,
                Value::Array(list) => list.get(array_index(token)?)?,
                _ => return None,
            };
        }
        Some(target)
    }
}

/// An array index as a pointer token writes it: digits, no sign, no leading zero.
fn array_index(token: &str) -> Option<usize> {
    if token.starts_with('+') || (token.starts_with('0') && token.len() != 1) {
        return None;
    }
    token.parse().ok()
}

/// A JSON number as a float when a float holds it; `None` for amounts beyond it (1e400 is
/// kept exact in the output as published, but cannot be added up).
pub fn finite(v: &Value) -> Option<f64> {
    v.as_f64().filter(|x| x.is_finite())
}

/// The local folders and files a pattern reads: the part before its first glob character.
pub fn pattern_root(pattern: &str) -> std::path::PathBuf {
    let mut root = std::path::PathBuf::new();
    for c in std::path::Path::new(pattern).components() {
        let text = c.as_os_str().to_string_lossy();
        if text.contains(['*', '?', '[', '{']) {
            break;
        }
        root.push(c);
    }
    if root.as_os_str().is_empty() {
        root.push(".");
    }
    root
}

/// Batches worked on the thread pool while the calling thread goes on with its own, serial part
/// (reading the next batch, storing the previous one's results): see [`overlap`].
pub struct Relay<'a, 'scope, T, R> {
    scope: &'a rayon::Scope<'scope>,
    work: &'scope (dyn Fn(T) -> R + Sync),
    pending: Option<std::sync::mpsc::Receiver<Vec<R>>>,
}

impl<'scope, T: Send + 'scope, R: Send + 'scope> Relay<'_, 'scope, T, R> {
    /// Waits for the batch handed in before (if any), starts `batch` on the pool, and gives
    /// back the earlier batch's results in the order of its items: the caller stores them
    /// while the pool works on `batch`. The last batch's results come from [`Relay::take`].
    #[must_use = "the results of the batch handed in before are lost unless stored"]
    pub fn hand(&mut self, batch: Vec<T>) -> Option<Vec<R>> {
        use rayon::prelude::*;
        let previous = self.take();
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        let work = self.work;
        self.scope.spawn(move |_| {
            let out: Vec<R> = batch.into_par_iter().map(work).collect();
            // The receiver is gone only when the caller stopped early; nothing waits then.
            let _ = tx.send(out);
        });
        self.pending = Some(rx);
        previous
    }

    /// The results of the last batch handed in, once it is done; `None` if there is none.
    #[must_use = "the results of the last batch are lost unless stored"]
    pub fn take(&mut self) -> Option<Vec<R>> {
        let rx = self.pending.take()?;
        match rx.recv() {
            Ok(results) => Some(results),
            // The work panicked (a bug, never the data): stop here rather than go on without
            // that batch until the scope raises the panic at its end.
            Err(_) => panic!("a batch worked on the thread pool panicked"),
        }
    }
}

/// Runs `body` with a [`Relay`] that applies `work` to each batch on the thread pool, one
/// batch at a time, while `body` goes on: the caller's serial work (store reads and writes, on
/// its own thread) overlaps the pool's parallel work instead of alternating with it. Results
/// come back batch by batch in the order handed in, so what is stored does not depend on the
/// number of threads. Everything handed in has finished when this returns.
pub fn overlap<'scope, T, R, X>(
    work: &'scope (dyn Fn(T) -> R + Sync),
    body: impl FnOnce(&mut Relay<'_, 'scope, T, R>) -> X,
) -> X
where
    T: Send + 'scope,
    R: Send + 'scope,
{
    rayon::in_place_scope(|scope| {
        let mut relay = Relay {
            scope,
            work,
            pending: None,
        };
        body(&mut relay)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn halves_round_away_from_zero_whatever_the_last_binary_digit() {
        // 65.625 as three sums of the same terms in different orders would give.
        for x in [65.625, 65.624_999_999_999_99, 65.625_000_000_000_01] {
            assert_eq!(round_to(x, 2), 65.63, "{x:?}");
        }
        assert_eq!(round_to(-0.125, 2), -0.13);
        assert_eq!(round_to(0.1 + 0.2, 2), 0.3);
        assert_eq!(round_to(2.675, 2), 2.68);
        assert_eq!(round_to(1.23456, 4), 1.2346);
        assert_eq!(round_to(12.344, 2), 12.34);
        assert_eq!(round_to(1e15 + 0.5, 2), 1e15 + 0.5);
        assert!(round_to(f64::NAN, 2).is_nan());
        assert_eq!(percent(12.25), "12.3 %");
    }

    #[test]
    fn pointers_find_what_serde_json_finds() {
        let v: Value = serde_json::from_str(
            r#"{"a":{"b/c":[10,{"d~e":true}],"":{"x":1}},"0":"zero","list":[1,2,3]}"#,
        )
        .expect("json");
        for p in [
            "",
            "/",
            "/a",
            "/a/b~1c",
            "/a/b~1c/0",
            "/a/b~1c/1/d~0e",
            "/a//x",
            "/0",
            "/list/2",
            "/list/3",
            "/list/01",
            "/list/+1",
            "/list/-1",
            "a",
            "/a/b/c",
            "/a/b~1c/x",
            "/~2",
        ] {
            assert_eq!(v.at(p), v.pointer(p), "{p}");
        }
    }

    #[test]
    fn digests_are_lower_case_hex() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(hex(&[0, 9, 10, 255]), "00090aff");
    }

    #[test]
    fn amounts_are_grouped_for_reading() {
        assert_eq!(money(1_498_125.0, "PAB"), "PAB 1,498,125.00");
        assert_eq!(money(999.5, "USD"), "USD 999.50");
        assert_eq!(money(-1000.0, "PAB"), "PAB -1,000.00");
        assert_eq!(money(f64::INFINITY, "PAB"), "-");
    }

    #[test]
    fn pattern_roots_stop_at_the_first_glob() {
        use std::path::PathBuf;
        assert_eq!(
            pattern_root("fixtures/ocds"),
            PathBuf::from("fixtures/ocds")
        );
        assert_eq!(pattern_root("data/*/x.json"), PathBuf::from("data"));
        assert_eq!(pattern_root("*.json"), PathBuf::from("."));
    }

    #[test]
    fn instants_parse_with_offsets() {
        assert_eq!(
            parse_instant("2020-01-01T05:00:00-05:00"),
            parse_instant("2020-01-01T10:00:00Z")
        );
        assert!(parse_instant("2020-01-01").is_some());
        assert!(parse_instant("soon").is_none());
    }

    #[test]
    fn overlap_gives_every_batch_back_in_order() {
        let work = |x: u32| x * 2;
        let mut seen = Vec::new();
        overlap(&work, |relay| {
            for start in (0..100u32).step_by(7) {
                let batch: Vec<u32> = (start..(start + 7).min(100)).collect();
                if let Some(done) = relay.hand(batch) {
                    seen.extend(done);
                }
            }
            if let Some(done) = relay.take() {
                seen.extend(done);
            }
        });
        assert_eq!(seen, (0..100u32).map(|x| x * 2).collect::<Vec<_>>());
    }
}
