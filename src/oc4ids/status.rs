//! Contracting-process status, by the business logic of the OC4IDS `contractingProcessStatus`
//! codelist, with dates parsed to instants and the clock given by the caller.

use serde_json::Value;

use crate::util::At as _;
use crate::util::{array, parse_instant};

fn status_of(v: &Value) -> Option<&str> {
    v.get("status").and_then(Value::as_str)
}

fn instant(v: Option<&Value>) -> Option<i64> {
    v.and_then(Value::as_str).and_then(parse_instant)
}

/// `pre-award`, `active` or `closed` for a compiled release as of `now` (ns since the epoch);
/// `None` when the data gives no evidence either way.
///
/// Contract periods are taken in the codelist's order of preference (contracts, else awards,
/// else the tender), but only once something was awarded or contracted: a tender's planned
/// period alone does not make a process active.
pub fn process_status(cr: &Value, now: i64) -> Option<&'static str> {
    let tender = cr.get("tender");
    let awards = array(cr.get("awards"));
    let contracts = array(cr.get("contracts"));
    let tender_status = tender.and_then(status_of);
    if matches!(
        tender_status,
        Some("cancelled" | "unsuccessful" | "withdrawn")
    ) {
        return Some("closed");
    }
    if contracts.iter().any(|c| status_of(c) == Some("active")) {
        return Some("active");
    }
    if !awards.is_empty()
        && awards
            .iter()
            .all(|a| matches!(status_of(a), Some("cancelled" | "unsuccessful")))
    {
        return Some("closed");
    }
    if !contracts.is_empty()
        && contracts
            .iter()
            .all(|c| matches!(status_of(c), Some("terminated" | "cancelled")))
    {
        return Some("closed");
    }
    let awarded = !awards.is_empty() || !contracts.is_empty();
    if awarded {
        let periods: Vec<&Value> = {
            let c: Vec<&Value> = contracts.iter().filter_map(|c| c.get("period")).collect();
            if !c.is_empty() {
                c
            } else {
                let a: Vec<&Value> = awards
                    .iter()
                    .filter_map(|a| a.get("contractPeriod"))
                    .collect();
                if !a.is_empty() {
                    a
                } else {
                    tender
                        .and_then(|t| t.get("contractPeriod"))
                        .into_iter()
                        .collect()
                }
            }
        };
        let includes_now = periods.iter().any(|p| {
            let start = instant(p.get("startDate"));
            let end = instant(p.get("endDate"));
            start.is_some_and(|s| s <= now) && end.is_none_or(|e| now <= e)
        });
        if includes_now {
            return Some("active");
        }
        if !periods.is_empty()
            && periods
                .iter()
                .all(|p| instant(p.get("endDate")).is_some_and(|e| e < now))
        {
            return Some("closed");
        }
    }
    if !awarded {
        return tender.map(|_| "pre-award");
    }
    let all_pending = awards
        .iter()
        .chain(contracts)
        .all(|x| status_of(x) == Some("pending"));
    if all_pending {
        return Some("pre-award");
    }
    let award_dates: Vec<Option<i64>> = if awards.iter().any(|a| a.get("date").is_some()) {
        awards.iter().map(|a| instant(a.get("date"))).collect()
    } else {
        vec![instant(tender.and_then(|t| t.at("/awardPeriod/startDate")))]
    };
    if !award_dates.is_empty() && award_dates.iter().all(|d| d.is_some_and(|d| d > now)) {
        return Some("pre-award");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn at(s: &str) -> i64 {
        parse_instant(s).expect("date")
    }

    #[test]
    fn statuses_follow_the_codelist() {
        let now = at("2024-06-01T00:00:00Z");
        assert_eq!(
            process_status(&json!({"tender": {"status": "active"}}), now),
            Some("pre-award")
        );
        assert_eq!(
            process_status(&json!({"tender": {"status": "cancelled"}}), now),
            Some("closed")
        );
        let running = json!({"tender": {}, "awards": [{"status": "active",
            "contractPeriod": {"startDate": "2024-01-01T00:00:00Z", "endDate": "2025-01-01T00:00:00Z"}}]});
        assert_eq!(process_status(&running, now), Some("active"));
        let ended = json!({"awards": [{"status": "active"}], "contracts": [{"status": "terminated",
            "period": {"startDate": "2022-01-01T00:00:00Z", "endDate": "2023-01-01T00:00:00Z"}}]});
        assert_eq!(process_status(&ended, now), Some("closed"));
        assert_eq!(process_status(&json!({"ocid": "x"}), now), None);
    }
}
