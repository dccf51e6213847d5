//! Values and texts: sums in one currency, exact amounts, non-blank texts, unique items.

use std::collections::HashMap;

use serde_json::{Value, json};

use crate::util::id_text;

/// Sums Value objects of one currency; refuses mixed or missing currencies.
pub fn sum_values<'a>(values: impl Iterator<Item = &'a Value>) -> Result<Value, String> {
    let mut total = 0f64;
    let mut currency: Option<String> = None;
    let mut texts: Vec<String> = Vec::new();
    let mut beyond: Option<String> = None;
    for v in values {
        let amount = v.get("amount").filter(|a| a.is_number());
        let cur = text(v.get("currency"));
        let (Some(amount), Some(cur)) = (amount, cur) else {
            return Err(
                "an amount lacks a numeric value or a currency; the total is not published".into(),
            );
        };
        if currency.as_ref().is_some_and(|c| *c != cur) {
            return Err("amounts in more than one currency; no exchange rates are configured, so the total is not published".into());
        }
        currency = Some(cur);
        texts.push(amount.to_string());
        match crate::util::finite(amount) {
            Some(x) => total += x,
            None => beyond = Some(amount.to_string()),
        }
    }
    if texts.len() > 1 {
        if let Some(amount) = beyond {
            return Err(format!(
                "the amount {amount} is beyond what a float holds; it is kept as published but left out of the total, which is not published"
            ));
        }
        if !total.is_finite() {
            return Err("the total is beyond what a float holds; it is not published".into());
        }
    }
    let Some(currency) = currency else {
        return Err("no amounts".into());
    };
    // A single amount is copied as published (exact decimals); a sum is rounded to cents.
    let amount: Value = if texts.len() == 1 {
        serde_json::from_str(&texts[0]).unwrap_or(Value::Null)
    } else {
        let rounded = (total * 100.0).round() / 100.0;
        serde_json::from_str(&format_amount(rounded)).unwrap_or(Value::Null)
    };
    Ok(json!({ "amount": amount, "currency": currency }))
}

fn format_amount(x: f64) -> String {
    if x.fract() == 0.0 {
        format!("{x:.0}")
    } else {
        let s = format!("{x:.2}");
        s.trim_end_matches('0').to_string()
    }
}

pub(in crate::oc4ids) fn text(v: Option<&Value>) -> Option<String> {
    match v {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
        _ => None,
    }
}

pub(super) fn push_unique(list: &mut Vec<Value>, v: Value) {
    if !list.contains(&v) {
        list.push(v);
    }
}

/// Gives every document a string id unique within the list (`<ocid>-<id>` on a clash).
pub(super) fn unique_ids(docs: Vec<(&str, Value)>) -> Vec<Value> {
    let mut counts: HashMap<String, usize> = HashMap::new();
    for (_, d) in &docs {
        if let Some(id) = id_text(d.get("id")) {
            *counts.entry(id).or_default() += 1;
        }
    }
    let mut out: Vec<Value> = Vec::new();
    for (n, (ocid, d)) in docs.into_iter().enumerate() {
        let Value::Object(mut o) = d else { continue };
        let id = match id_text(o.get("id")) {
            Some(id) if counts.get(&id) == Some(&1) => id,
            Some(id) => format!("{ocid}-{id}"),
            None => format!("{ocid}-{}", n + 1),
        };
        o.shift_insert(0, "id".into(), Value::from(id));
        push_unique(&mut out, Value::Object(o));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(amount: &str) -> Value {
        serde_json::from_str(&format!("{{\"amount\": {amount}, \"currency\": \"PAB\"}}"))
            .expect("json")
    }

    #[test]
    fn amounts_beyond_a_float_are_kept_exact_and_left_out_of_sums() {
        let huge = value("1e400");
        // Alone, the amount is copied as published.
        let one = sum_values([&huge].into_iter()).expect("one amount");
        assert_eq!(one["amount"], huge["amount"]);
        assert!(!one["amount"].to_string().contains("inf"));
        // In a sum, the total is refused with a reason, never infinity.
        let small = value("10.5");
        let err = sum_values([&small, &huge].into_iter()).expect_err("no total");
        assert!(err.contains("beyond what a float holds"), "{err}");
        let total = sum_values([&small, &value("2.25")].into_iter()).expect("sum");
        assert_eq!(total["amount"].to_string(), "12.75");
    }

    #[test]
    fn document_ids_are_text_and_unique_within_the_list() {
        let docs = vec![
            ("ocds-a", serde_json::json!({"id": 1, "title": "x"})),
            ("ocds-b", serde_json::json!({"id": "1", "title": "y"})),
            ("ocds-b", serde_json::json!({"title": "z"})),
        ];
        let ids: Vec<Value> = unique_ids(docs).iter().map(|d| d["id"].clone()).collect();
        assert!(ids.iter().all(Value::is_string), "{ids:?}");
        let mut sorted: Vec<_> = ids.iter().filter_map(Value::as_str).collect();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), 3, "{ids:?}");
    }
}
