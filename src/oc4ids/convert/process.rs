//! One contracting process's summary: title, status, tender, suppliers, values, period,
//! payments, documents, modifications, and the releases it was built from.

use serde_json::{Map, Value, json};

use super::documents::codelist_spelling;
use super::values::{push_unique, sum_values, text, unique_ids};
use super::{Converter, completion, process_status};
use crate::ocds::CompiledProcess;
use crate::util::At as _;
use crate::util::{array, id_text};

impl Converter {
    /// `summary.finalValue`: the sum of the live contracts' actual values, only once the process
    /// is complete: every live contract is `terminated` or states its `implementation.finalValue`.
    /// Payments on a contract still running are a running total, not a final value, and
    /// publishing one would read as a price change (the schema's final value is the value at
    /// completion). A partial sum would understate the cost, so it is refused too.
    fn final_value(&mut self, summary: &mut Map<String, Value>, row: &CompiledProcess) {
        let contracts: Vec<&Value> = completion::live_contracts(&row.data).collect();
        let actual: Vec<Value> = contracts
            .iter()
            .filter_map(|c| completion::actual_value(c))
            .collect();
        if actual.is_empty() {
            return;
        }
        let path = format!("/contractingProcesses/{}/summary/finalValue", row.ocid);
        let running = contracts
            .iter()
            .filter(|c| {
                c.get("status").and_then(Value::as_str) != Some("terminated")
                    && !c
                        .at("/implementation/finalValue")
                        .is_some_and(Value::is_object)
            })
            .count();
        if running > 0 {
            self.note(
                &path,
                format!(
                    "{running} of {} contracts are not terminated and state no final value; payments so far are not a final value, left unset",
                    contracts.len()
                ),
            );
            return;
        }
        if actual.len() < contracts.len() {
            self.note(
                &path,
                format!(
                    "only {} of {} contracts publish a final value or payments; left unset",
                    actual.len(),
                    contracts.len()
                ),
            );
            return;
        }
        match sum_values(actual.iter()) {
            Ok(v) => {
                summary.insert("finalValue".into(), v);
            }
            Err(why) => self.note(&path, why),
        }
    }

    /// `summary.transactions` from each contract's implementation transactions, with payer
    /// and payee rewritten to the project's parties.
    pub(super) fn transactions(&mut self, row: &CompiledProcess) -> Vec<Value> {
        let mut out: Vec<(&str, Value)> = Vec::new();
        for contract in array(row.data.get("contracts")) {
            for t in array(contract.at("/implementation/transactions")) {
                let Some(src) = t.as_object() else { continue };
                let mut tx = Map::new();
                if let Some(id) = id_text(src.get("id")) {
                    tx.insert("id".into(), Value::from(id));
                }
                for key in ["source", "date", "uri"] {
                    if let Some(v) = src.get(key) {
                        tx.insert(key.into(), v.clone());
                    }
                }
                // OCDS 1.0 wrote `amount`; 1.1 writes `value`.
                if let Some(v) = src.get("value").or_else(|| src.get("amount")) {
                    tx.insert("value".into(), v.clone());
                }
                for (field, old) in [
                    ("payer", "providerOrganization"),
                    ("payee", "receiverOrganization"),
                ] {
                    if let Some(r) = src.get(field).or_else(|| src.get(old))
                        && let Some(id) = self.parties.reference_id(&row.ocid, r)
                    {
                        let role = if field == "payer" { "payer" } else { "payee" };
                        self.parties.add_role(&id, role);
                        tx.insert(field.into(), self.parties.reference(&id));
                    }
                }
                out.push((row.ocid.as_str(), Value::Object(tx)));
            }
        }
        unique_ids(out)
    }

    pub(super) fn process(&mut self, row: &CompiledProcess, as_of: i64) -> Value {
        let cr = &row.data;
        let mut summary = Map::new();
        summary.insert("ocid".into(), Value::from(row.ocid.clone()));
        if let Some(t) = process_title(cr) {
            summary.insert("title".into(), Value::from(t));
        }
        if let Some(d) = process_description(cr) {
            summary.insert("description".into(), Value::from(d));
        }
        if let Some(s) = process_status(cr, as_of) {
            summary.insert("status".into(), Value::from(s));
        }
        let nature = contract_nature(cr);
        if !nature.is_empty() {
            summary.insert("nature".into(), json!(nature));
        }
        let mut tender = Map::new();
        for key in [
            "procurementMethod",
            "procurementMethodDetails",
            "numberOfTenderers",
        ] {
            if let Some(v) = cr.at(&format!("/tender/{key}")) {
                tender.insert(key.into(), v.clone());
            }
        }
        if let Some(v) = row.history.get("costEstimate") {
            tender.insert("costEstimate".into(), v.clone());
        }
        let tenderers: Vec<Value> = array(cr.at("/tender/tenderers"))
            .iter()
            .filter_map(|r| self.parties.reference_id(&row.ocid, r))
            .fold(Vec::new(), |mut acc, id| {
                let r = self.parties.reference(&id);
                push_unique(&mut acc, r);
                acc
            });
        if !tenderers.is_empty() {
            tender.insert("tenderers".into(), Value::Array(tenderers));
        }
        for (field, role) in [
            ("procuringEntity", "procuringEntity"),
            ("administrativeEntity", "administrativeEntity"),
        ] {
            let mut ids: Vec<String> = Vec::new();
            if let Some(r) = cr.at(&format!("/tender/{field}")) {
                ids.extend(self.parties.reference_id(&row.ocid, r));
            }
            for id in self.parties.in_process_with_role(&row.ocid, role) {
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
            match ids.as_slice() {
                [one] => {
                    self.parties.add_role(one, role);
                    tender.insert(field.into(), self.parties.reference(one));
                }
                [] => {}
                many => self.note(
                    &format!("/contractingProcesses/{}/summary/tender/{field}", row.ocid),
                    format!(
                        "{} parties with role {role}; the reference is left unset",
                        many.len()
                    ),
                ),
            }
        }
        if !tender.is_empty() {
            summary.insert("tender".into(), Value::Object(tender));
        }
        let mut suppliers = Vec::new();
        for award in array(cr.get("awards")) {
            for s in array(award.get("suppliers")) {
                if let Some(id) = self.parties.reference_id(&row.ocid, s) {
                    self.parties.add_role(&id, "supplier");
                    push_unique(&mut suppliers, self.parties.reference(&id));
                }
            }
        }
        if !suppliers.is_empty() {
            summary.insert("suppliers".into(), Value::Array(suppliers));
        }
        let live_awards = array(cr.get("awards")).iter().filter(|a| {
            !matches!(
                a.get("status").and_then(Value::as_str),
                Some("cancelled" | "unsuccessful")
            )
        });
        let mut values: Vec<&Value> = live_awards.filter_map(|a| a.get("value")).collect();
        if values.is_empty() {
            // Publishers that skip the award (Paraguay's release packages) give the price on
            // the signed contract.
            values = completion::live_contracts(cr)
                .filter_map(|c| c.get("value"))
                .collect();
        }
        if !values.is_empty() {
            match sum_values(values.into_iter()) {
                Ok(v) => {
                    summary.insert("contractValue".into(), v);
                }
                Err(why) => self.note(
                    &format!("/contractingProcesses/{}/summary/contractValue", row.ocid),
                    why,
                ),
            }
        }
        if let Some(p) = contract_period(cr) {
            summary.insert("contractPeriod".into(), p);
        }
        self.final_value(&mut summary, row);
        let transactions = self.transactions(row);
        if !transactions.is_empty() {
            summary.insert("transactions".into(), Value::Array(transactions));
        }
        let mut docs = Vec::new();
        for d in array(cr.at("/tender/documents")) {
            docs.push((row.ocid.as_str(), codelist_spelling(d)));
        }
        // The design report is a planning document the mapping places on the process.
        for d in array(cr.at("/planning/documents")) {
            if matches!(
                d.get("documentType").and_then(Value::as_str),
                Some("designReport" | "projectDesignReport")
            ) {
                docs.push((row.ocid.as_str(), codelist_spelling(d)));
            }
        }
        for contract in array(cr.get("contracts")) {
            for d in array(contract.get("documents"))
                .iter()
                .chain(array(contract.at("/implementation/documents")))
            {
                docs.push((row.ocid.as_str(), codelist_spelling(d)));
            }
        }
        let docs = unique_ids(docs);
        if !docs.is_empty() {
            summary.insert("documents".into(), Value::Array(docs));
        }
        let modifications = modifications(cr, &row.history);
        if !modifications.is_empty() {
            summary.insert("modifications".into(), Value::Array(modifications));
        }
        let mut process = json!({ "id": row.ocid, "summary": summary });
        let releases = linked_releases(&row.history);
        if !releases.is_empty() {
            process["releases"] = Value::Array(releases);
        }
        process
    }
}

/// `releaseTag` codes, the closed list a LinkedRelease's `tag` must come from.
const RELEASE_TAGS: &[&str] = &[
    "planning",
    "planningUpdate",
    "tender",
    "tenderAmendment",
    "tenderUpdate",
    "tenderCancellation",
    "award",
    "awardUpdate",
    "awardCancellation",
    "contract",
    "contractUpdate",
    "contractAmendment",
    "implementation",
    "implementationUpdate",
    "contractTermination",
    "compiled",
];

/// `releases`: the releases a process was built from, as OC4IDS LinkedReleases (`id`, `tag`,
/// `date`, `url`, each required): a stored release from a package with a `uri` is addressed
/// as `uri#id`; a record's linked release keeps its `url`, and its id is the url's fragment,
/// else its last path segment without `.json`. A link missing a date-time, a known tag or a URL is left out.
fn linked_releases(history: &Value) -> Vec<Value> {
    let mut ids: Vec<String> = Vec::new();
    array(history.get("links"))
        .iter()
        .filter_map(|link| {
            let url = text(link.get("url")).filter(|u| u.contains("://"))?;
            let date = text(link.get("date")).filter(|d| crate::util::is_date_time(d))?;
            let tags: Vec<Value> = match link.get("tag") {
                Some(Value::String(t)) => vec![Value::from(t.as_str())],
                Some(Value::Array(list)) => list.clone(),
                _ => Vec::new(),
            }
            .into_iter()
            .filter(|t| t.as_str().is_some_and(|t| RELEASE_TAGS.contains(&t)))
            .collect();
            if tags.is_empty() {
                return None;
            }
            let id = id_text(link.get("id")).or_else(|| {
                let (_, rest) = url.split_once("://")?;
                match rest.rsplit_once('#') {
                    Some((_, fragment)) if !fragment.is_empty() => Some(fragment.to_string()),
                    _ => rest
                        .split(['?', '#'])
                        .next()
                        .and_then(|p| p.rsplit('/').find(|s| !s.is_empty()))
                        .map(|s| s.trim_end_matches(".json").to_string()),
                }
            })?;
            // A release fetched from a record's link is listed once, by its own address.
            if ids.contains(&id) {
                return None;
            }
            ids.push(id.clone());
            Some(json!({ "id": id, "tag": tags, "date": date, "url": url }))
        })
        .collect()
}

/// `summary.modifications`: one per change the release history shows (value, duration,
/// scope; with the amendment published with it), then each amendment that explains no
/// detected change, without a type (an amendment alone does not say what changed).
fn modifications(cr: &Value, history: &Value) -> Vec<Value> {
    let mut out = Vec::new();
    let mut explained: Vec<(String, String)> = Vec::new();
    for change in array(history.get("changes")) {
        let mut m = Map::new();
        let kind = change
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("scope");
        // Unique within the process: one release may change several contracts.
        let contract = change
            .get("contract")
            .and_then(Value::as_str)
            .unwrap_or("-");
        let id = match change.get("releaseID").and_then(Value::as_str) {
            Some(r) => format!("{r}-{contract}-{kind}"),
            None => format!("{}-{contract}-{kind}", out.len() + 1),
        };
        m.insert("id".into(), Value::from(id));
        for key in [
            "type",
            "date",
            "description",
            "rationale",
            "releaseID",
            "oldContractValue",
            "newContractValue",
            "oldContractPeriod",
            "newContractPeriod",
        ] {
            if let Some(v) = change.get(key) {
                m.insert(key.into(), v.clone());
            }
        }
        if let (Some(c), Some(a)) = (
            change.get("contract").and_then(Value::as_str),
            change.get("amendment").and_then(Value::as_str),
        ) {
            explained.push((c.to_string(), a.to_string()));
        }
        out.push(Value::Object(m));
    }
    for contract in array(cr.get("contracts")) {
        let contract_id = id_text(contract.get("id")).unwrap_or_default();
        for a in array(contract.get("amendments")) {
            let amendment_id = id_text(a.get("id")).unwrap_or_default();
            if explained.contains(&(contract_id.clone(), amendment_id)) {
                continue;
            }
            let mut m = Map::new();
            for key in ["date", "description", "rationale"] {
                if let Some(v) = a.get(key) {
                    m.insert(key.into(), v.clone());
                }
            }
            if !m.is_empty() {
                let id = id_text(a.get("id")).unwrap_or_else(|| (out.len() + 1).to_string());
                m.shift_insert(0, "id".into(), Value::from(id));
                out.push(Value::Object(m));
            }
        }
    }
    out
}

/// PC-PR-6 (`summary.nature`, the mapping's italic row "from the item classification or the
/// tender description"): works are construction; for services, the tender's title and
/// description are searched for design and supervision words (Spanish and English). Nothing
/// is set when neither says.
fn contract_nature(cr: &Value) -> Vec<&'static str> {
    let mut out = Vec::new();
    let category = cr
        .at("/tender/mainProcurementCategory")
        .and_then(Value::as_str);
    if category == Some("works") {
        out.push("construction");
    }
    if category == Some("services") {
        let words = format!(
            "{} {}",
            text(cr.at("/tender/title")).unwrap_or_default(),
            text(cr.at("/tender/description")).unwrap_or_default()
        )
        .to_lowercase();
        let any = |list: &[&str]| list.iter().any(|w| words.contains(w));
        if any(&["diseño", "diseno", "design"]) {
            out.push("design");
        }
        if any(&["supervisión", "supervision", "inspección", "fiscalización"]) {
            out.push("supervision");
        }
    }
    out
}

/// PC-PR-9: one contract → its title; else one award → its title; else the tender's title.
fn process_title(cr: &Value) -> Option<String> {
    for list in ["contracts", "awards"] {
        let items = array(cr.get(list));
        if items.len() == 1
            && let Some(t) = text(items[0].get("title"))
        {
            return Some(t);
        }
    }
    text(cr.at("/tender/title"))
}

/// PC-PR-12: the single contract's or award's description, else the tender's.
fn process_description(cr: &Value) -> Option<String> {
    for list in ["contracts", "awards"] {
        let items = array(cr.get(list));
        if items.len() == 1
            && let Some(t) = text(items[0].get("description"))
        {
            return Some(t);
        }
    }
    text(cr.at("/tender/description")).or_else(|| {
        let items = array(cr.at("/tender/items"));
        match items {
            [one] => text(one.get("description")),
            _ => None,
        }
    })
}

/// PC-PR-13: the awards' contract period (earliest start, latest end, compared as instants), as
/// the OC4IDS mapping says; what the awards leave out is taken from the signed contracts'
/// `period`, then from the tender's. Each side is taken on its own, so a start is not lost for
/// want of an end. The awards come first because a contract's period is the current one,
/// extensions included, which the IDS asks for as variations, not as the contract period.
/// Without an end anywhere, the duration of the level that gave the start is kept; with no date
/// at all, the tender's period is copied whole (it may hold only a duration).
fn contract_period(cr: &Value) -> Option<Value> {
    let awards: Vec<&Value> = array(cr.get("awards"))
        .iter()
        .filter(|a| {
            !matches!(
                a.get("status").and_then(Value::as_str),
                Some("cancelled" | "unsuccessful")
            )
        })
        .filter_map(|a| a.get("contractPeriod"))
        .collect();
    let contracts: Vec<&Value> = completion::live_contracts(cr)
        .filter_map(|c| c.get("period"))
        .collect();
    let tender: Vec<&Value> = cr.at("/tender/contractPeriod").into_iter().collect();
    let levels = [&awards, &contracts, &tender];
    let pick = |field: &str, later: bool| {
        levels
            .into_iter()
            .find_map(|periods| extreme(periods, field, later).map(|d| (d, periods)))
    };
    match (pick("startDate", false), pick("endDate", true)) {
        (None, None) => tender
            .first()
            .filter(|p| p.is_object())
            .map(|p| (*p).clone()),
        (start, end) => {
            let mut period = Map::new();
            if let Some((s, periods)) = &start {
                period.insert("startDate".into(), Value::from(s.clone()));
                if end.is_none()
                    && let Some(days) = periods
                        .iter()
                        .filter_map(|p| p.get("durationInDays"))
                        .filter(|d| d.is_number())
                        .max_by(|a, b| {
                            let (a, b) = (a.as_f64().unwrap_or(0.0), b.as_f64().unwrap_or(0.0));
                            a.total_cmp(&b)
                        })
                {
                    period.insert("durationInDays".into(), days.clone());
                }
            }
            if let Some((e, _)) = end {
                period.insert("endDate".into(), Value::from(e));
            }
            Some(Value::Object(period))
        }
    }
}

/// The earliest (or, with `later`, the latest) parseable date at `field` among the periods, as
/// written.
fn extreme(periods: &[&Value], field: &str, later: bool) -> Option<String> {
    let mut best: Option<(i64, String)> = None;
    for p in periods {
        if let Some(s) = text(p.get(field))
            && let Some(t) = crate::util::parse_instant(&s)
            && best
                .as_ref()
                .is_none_or(|(b, _)| if later { t > *b } else { t < *b })
        {
            best = Some((t, s));
        }
    }
    best.map(|(_, s)| s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_contract_period_takes_each_side_from_the_first_level_that_gives_it() {
        let both = json!({"awards": [{"contractPeriod": {"startDate": "2024-01-01T00:00:00Z", "endDate": "2024-06-30T00:00:00Z"}}],
                          "contracts": [{"period": {"startDate": "2024-02-01T00:00:00Z", "endDate": "2025-01-31T00:00:00Z"}}]});
        assert_eq!(
            contract_period(&both),
            Some(json!({"startDate": "2024-01-01T00:00:00Z", "endDate": "2024-06-30T00:00:00Z"}))
        );
        let mixed = json!({"awards": [{"contractPeriod": {"endDate": "2024-06-30T00:00:00Z"}}],
                           "contracts": [{"period": {"startDate": "2024-02-01T00:00:00Z"}},
                                         {"status": "cancelled", "period": {"startDate": "2023-01-01T00:00:00Z"}}]});
        assert_eq!(
            contract_period(&mixed),
            Some(json!({"startDate": "2024-02-01T00:00:00Z", "endDate": "2024-06-30T00:00:00Z"})),
            "a cancelled contract's dates do not count"
        );
        let duration = json!({"tender": {"contractPeriod": {"startDate": "2024-03-01T00:00:00Z", "durationInDays": 90}}});
        assert_eq!(
            contract_period(&duration),
            Some(json!({"startDate": "2024-03-01T00:00:00Z", "durationInDays": 90}))
        );
        assert_eq!(contract_period(&json!({"tender": {}})), None);
    }

    #[test]
    fn linked_releases_need_every_part_and_are_listed_once() {
        let history = json!({"links": [
            {"id": "r1", "url": "https://x.example/p.json#r1", "date": "2024-01-01T00:00:00Z", "tag": ["tender"]},
            {"url": "https://x.example/releases/r2.json", "date": "2024-02-01T00:00:00Z", "tag": "award"},
            {"url": "https://x.example/releases/r3.json", "date": "2024-03-01", "tag": ["contract"]},
            {"url": "https://x.example/releases/r4.json", "date": "2024-04-01T00:00:00Z", "tag": ["signed"]},
            {"url": "https://x.example/other.json#r1", "date": "2024-01-01T00:00:00Z", "tag": ["tender"]}
        ]});
        let links = linked_releases(&history);
        let ids: Vec<&str> = links.iter().filter_map(|l| l["id"].as_str()).collect();
        assert_eq!(
            ids,
            ["r1", "r2"],
            "bare date, unknown tag and a repeated id are left out"
        );
        assert_eq!(
            links[1]["tag"],
            json!(["award"]),
            "a single tag becomes a list"
        );
    }
}
