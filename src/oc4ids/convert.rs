//! OCDS compiled releases → one OC4IDS project.
//!
//! Covers every row of the OCDS-to-OC4IDS mapping, the italic ones included (sector map,
//! reactive documents, transactions, metrics, status and completion), avoiding the reference
//! converter's known bugs: ids are strings, party references are rewritten to the
//! de-duplicated parties, conflicting values are reported instead of last-wins, nothing is
//! invented, and no null or empty value is emitted.

use std::collections::HashMap;

use serde_json::{Map, Value, json};

use super::completion;
use super::status::process_status;
use crate::config::SectorRule;
use crate::store::CompiledRow;
use crate::util::{array, id_text};

/// A fact about the conversion that a reader of the output should know.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Note {
    /// The OC4IDS path concerned.
    pub path: String,
    /// What happened.
    pub message: String,
}

/// The result of converting one project.
#[derive(Debug, Clone)]
pub struct Converted {
    /// The OC4IDS project.
    pub project: Value,
    /// Things decided during conversion (conflicts, values left unset and why).
    pub notes: Vec<Note>,
    /// Buyer parties (canonical ids), in process order, for entity attribution.
    pub buyers: Vec<String>,
    /// Schema errors that could not be repaired: the project is published with its sheet but
    /// left out of the package.
    pub errors: Vec<Note>,
}

/// Options that shape a conversion.
#[derive(Debug, Clone)]
pub struct Options {
    /// OC4IDS project id prefix.
    pub id_prefix: String,
    /// Instant the statuses are computed for (ns since the epoch).
    pub as_of: i64,
    /// The classification map to project sectors (first match wins).
    pub sectors: Vec<SectorRule>,
}

/// The mapping's spellings that are not in the OC4IDS documentType codelist, and the codelist
/// code emitted for each (spec §9). `finalAudit` (OCDS only) has no equivalent and is kept.
const DOCUMENT_TYPE_SPELLINGS: &[(&str, &str)] = &[
    ("escalationApprovals", "escalationApproval"),
    ("projectDesignReport", "designReport"),
    ("projectCompletionReport", "completionCertificate"),
];

/// Project-level document types copied from a contract's implementation documents.
const PROJECT_DOCUMENTS_FROM_IMPLEMENTATION: &[&str] = &[
    "completionCertificate",
    "projectCompletionReport",
    "projectEvaluation",
    "technicalAuditReport",
    "financialAuditReport",
    "finalAudit",
    "physicalProgressReport",
    "financialProgressReport",
];

/// Project-level document types copied from `planning.documents`.
const PROJECT_DOCUMENT_TYPES: &[&str] = &[
    "needsAssessment",
    "projectScope",
    "environmentalImpact",
    "landAndSettlementImpact",
    "budgetApproval",
    "feasibilityStudy",
    "socialImpact",
    "resettlementPlan",
    "financialAgreement",
    "procurementPlan",
    "budgetAmendmentApproval",
];

/// The OC4IDS project id for a grouping key.
pub fn project_id(key: &str, prefix: &str) -> String {
    if key.starts_with("oc4ids-") {
        key.to_string()
    } else {
        format!("{prefix}-{key}")
    }
}

/// Converts the compiled releases of one project (ordered by ocid).
pub fn convert(key: &str, rows: &[CompiledRow], opts: &Options) -> Converted {
    let mut c = Converter {
        notes: Vec::new(),
        parties: Parties::default(),
    };
    c.parties.collect(rows);
    let mut project = Map::new();
    project.insert("id".into(), Value::from(project_id(key, &opts.id_prefix)));
    c.text_field(
        &mut project,
        rows,
        "title",
        "/planning/project/title",
        "/tender/title",
    );
    c.text_field(
        &mut project,
        rows,
        "description",
        "/planning/project/description",
        "/tender/description",
    );
    c.purpose(&mut project, rows);
    c.sector(&mut project, rows, &opts.sectors);
    c.locations(&mut project, rows);
    c.budget(&mut project, rows);
    c.documents(&mut project, rows);

    c.metrics(&mut project, rows);

    let processes: Vec<Value> = rows.iter().map(|row| c.process(row, opts.as_of)).collect();
    let statuses: Vec<Option<&str>> = processes
        .iter()
        .map(|p| p.pointer("/summary/status").and_then(Value::as_str))
        .collect();
    match completion::project_status(rows, &statuses) {
        (Some(status), why) => {
            project.insert("status".into(), Value::from(status));
            if status == "completion"
                && let Some(block) = completion::completion(rows, &mut c.notes)
            {
                project.insert("completion".into(), block);
            }
            c.note("/status", format!("{status}: {why}"));
        }
        (None, why) => c.note("/status", why),
    }

    // Public authority: parties already in that role, and every buyer (mapping: buyer → add
    // publicAuthority). The reference is set only when there is exactly one.
    let mut buyers = Vec::new();
    for row in rows {
        if let Some(b) = row.data.get("buyer")
            && let Some(id) = c.parties.reference_id(&row.ocid, b)
        {
            c.parties.add_role(&id, "publicAuthority");
            if !buyers.contains(&id) {
                buyers.push(id);
            }
        }
    }
    let authorities = c.parties.with_role("publicAuthority");
    match authorities.as_slice() {
        [one] => {
            project.insert("publicAuthority".into(), c.parties.reference(one));
        }
        [] => {}
        many => c.note(
            "/publicAuthority",
            format!(
                "{} public authorities ({}); the reference is left unset",
                many.len(),
                many.join(", ")
            ),
        ),
    }
    let parties = c.parties.output();
    if !parties.is_empty() {
        project.insert("parties".into(), Value::Array(parties));
    }
    if !processes.is_empty() {
        project.insert("contractingProcesses".into(), Value::Array(processes));
    }
    let mut project = Value::Object(project);
    super::clean(&mut project);
    let validity = super::validity::check(&mut project);
    let mut notes = c.notes;
    notes.extend(validity.repairs);
    Converted {
        project,
        notes,
        buyers,
        errors: validity.errors,
    }
}

struct Converter {
    notes: Vec<Note>,
    parties: Parties,
}

impl Converter {
    fn note(&mut self, path: &str, message: String) {
        self.notes.push(Note {
            path: path.to_string(),
            message,
        });
    }

    /// A project text taken from the Project extension when the processes agree; with a
    /// single process and no project text, the tender's text is used.
    fn text_field(
        &mut self,
        project: &mut Map<String, Value>,
        rows: &[CompiledRow],
        field: &str,
        pointer: &str,
        fallback: &str,
    ) {
        let values = distinct_text(rows, pointer);
        match values.as_slice() {
            [one] => {
                project.insert(field.into(), Value::from(one.clone()));
            }
            [] => {
                if let [row] = rows
                    && let Some(t) = text(row.data.pointer(fallback))
                {
                    project.insert(field.into(), Value::from(t));
                }
            }
            many => self.note(
                &format!("/{field}"),
                format!(
                    "processes disagree on {pointer} ({} different values); left unset",
                    many.len()
                ),
            ),
        }
    }

    fn purpose(&mut self, project: &mut Map<String, Value>, rows: &[CompiledRow]) {
        let mut lines = Vec::new();
        let values = distinct_text(rows, "/planning/rationale");
        if values.len() == 1 {
            project.insert("purpose".into(), Value::from(values[0].clone()));
            return;
        }
        for row in rows {
            if let Some(t) = text(row.data.pointer("/planning/rationale")) {
                lines.push(format!("{}: {t}", row.ocid));
            }
        }
        if !lines.is_empty() {
            project.insert("purpose".into(), Value::from(lines.join("\n")));
            self.note(
                "/purpose",
                "processes give different rationales; each is kept, prefixed by its ocid".into(),
            );
        }
    }

    /// `sector` from the Project extension's sector: an `oc4idsProjectSector` code is used as
    /// is; another scheme goes through the configured map (and is kept as an additional
    /// classification). Without a project sector, the tender items' classifications are
    /// mapped.
    fn sector(
        &mut self,
        project: &mut Map<String, Value>,
        rows: &[CompiledRow],
        map: &[SectorRule],
    ) {
        let mut sectors: Vec<Value> = Vec::new();
        let mut classifications: Vec<Value> = Vec::new();
        let mut unmapped: Vec<String> = Vec::new();
        // The configured rules first, then the COFOG map that ships with the program.
        let mapped = |scheme: &str, id: &str| {
            map.iter()
                .find(|r| r.matches(scheme, id))
                .map(|r| r.sector.clone())
                .or_else(|| crate::config::default_sector(scheme, id).map(str::to_string))
        };
        for row in rows {
            if let Some(s) = row.data.pointer("/planning/project/sector") {
                let scheme = text(s.get("scheme"));
                let id = id_text(s.get("id"));
                match (scheme.as_deref(), id) {
                    (Some("oc4idsProjectSector"), Some(code)) => {
                        // A sub-sector code (`transport.road`) is a classification of the
                        // project as the mapping asks (PJ-ID-3), and OC4IDS wants its parent
                        // beside it in `sector`.
                        if code.contains('.') {
                            push_unique(&mut classifications, s.clone());
                        }
                        push_sector(&mut sectors, &code)
                    }
                    (Some(scheme), Some(id)) => {
                        match mapped(scheme, &id) {
                            Some(code) => push_sector(&mut sectors, &code),
                            None => unmapped.push(format!("{scheme} {id}")),
                        }
                        push_unique(&mut classifications, s.clone());
                    }
                    _ => {}
                }
            }
            if let Some(Value::Array(list)) = row
                .data
                .pointer("/planning/project/additionalClassifications")
            {
                for c in list {
                    push_unique(&mut classifications, c.clone());
                }
            }
        }
        if sectors.is_empty() {
            let mut from_items = Vec::new();
            for row in rows {
                for item in array(row.data.pointer("/tender/items")) {
                    for c in item
                        .get("classification")
                        .into_iter()
                        .chain(array(item.get("additionalClassifications")))
                    {
                        if let (Some(scheme), Some(id)) =
                            (text(c.get("scheme")), id_text(c.get("id")))
                            && let Some(code) = mapped(&scheme, &id)
                        {
                            push_sector(&mut from_items, &code);
                        }
                    }
                }
            }
            if !from_items.is_empty() {
                self.note(
                    "/sector",
                    "mapped from the tender items' classifications by the configured [[sector]] map".into(),
                );
                sectors = from_items;
            }
        }
        if !unmapped.is_empty() && sectors.is_empty() {
            self.note(
                "/sector",
                format!(
                    "no [[sector]] rule maps {}; the sector is left unset",
                    unmapped.join(", ")
                ),
            );
        }
        if !sectors.is_empty() {
            project.insert("sector".into(), Value::Array(sectors));
        }
        if !classifications.is_empty() {
            project.insert(
                "additionalClassifications".into(),
                Value::Array(classifications),
            );
        }
    }

    /// `forecasts` from `planning.forecasts` and `metrics` from each contract's implementation
    /// metrics (Metrics extension), with string ids.
    fn metrics(&mut self, project: &mut Map<String, Value>, rows: &[CompiledRow]) {
        for (field, pointers) in [
            ("forecasts", &["/planning/forecasts"][..]),
            ("metrics", &["/contracts/*/implementation/metrics"][..]),
        ] {
            let mut list: Vec<(&str, Value)> = Vec::new();
            for row in rows {
                for pointer in pointers {
                    let found: Vec<&Value> = match pointer.split_once("/*") {
                        Some((head, tail)) => array(row.data.pointer(head))
                            .iter()
                            .flat_map(|c| array(c.pointer(tail)))
                            .collect(),
                        None => array(row.data.pointer(pointer)).iter().collect(),
                    };
                    for m in found {
                        let Some(mut m) = m.as_object().cloned() else {
                            continue;
                        };
                        if let Some(Value::Array(obs)) = m.get_mut("observations") {
                            for (i, o) in obs.iter_mut().enumerate() {
                                if let Value::Object(o) = o {
                                    let id =
                                        id_text(o.get("id")).unwrap_or_else(|| (i + 1).to_string());
                                    o.insert("id".into(), Value::from(id));
                                }
                            }
                        }
                        list.push((row.ocid.as_str(), Value::Object(m)));
                    }
                }
            }
            let list = unique_ids(list);
            if !list.is_empty() {
                project.insert(field.into(), Value::Array(list));
            }
        }
    }

    fn locations(&mut self, project: &mut Map<String, Value>, rows: &[CompiledRow]) {
        let mut locations: Vec<Value> = Vec::new();
        for row in rows {
            if let Some(Value::Array(list)) = row.data.pointer("/planning/project/locations") {
                for l in list {
                    push_unique(&mut locations, l.clone());
                }
            }
        }
        if locations.is_empty() {
            // Optional mapping: the delivery locations of the tender's items.
            for row in rows {
                for item in array(row.data.pointer("/tender/items")) {
                    for l in array(item.get("deliveryLocations"))
                        .iter()
                        .chain(item.get("deliveryLocation"))
                    {
                        push_unique(&mut locations, l.clone());
                    }
                    for a in array(item.get("deliveryAddresses"))
                        .iter()
                        .chain(item.get("deliveryAddress"))
                    {
                        push_unique(&mut locations, json!({ "address": a }));
                    }
                }
            }
            if !locations.is_empty() {
                self.note(
                    "/locations",
                    "taken from the delivery locations of tender items".into(),
                );
            }
        }
        // Location.id is required by the schema: number the locations that lack one.
        let mut n = 0;
        for l in &mut locations {
            if let Value::Object(o) = l {
                n += 1;
                let id = id_text(o.get("id")).unwrap_or_else(|| n.to_string());
                o.shift_insert(0, "id".into(), Value::from(id));
            }
        }
        if !locations.is_empty() {
            project.insert("locations".into(), Value::Array(locations));
        }
    }

    fn budget(&mut self, project: &mut Map<String, Value>, rows: &[CompiledRow]) {
        let mut budget = Map::new();
        let amounts: Vec<Option<&Value>> = rows
            .iter()
            .map(|r| r.data.pointer("/planning/budget/amount"))
            .collect();
        if amounts.iter().any(Option::is_some) {
            match sum_values(amounts.iter().copied().flatten()) {
                Ok(v) if amounts.iter().all(Option::is_some) => {
                    budget.insert("amount".into(), v);
                }
                Ok(_) => self.note(
                    "/budget/amount",
                    format!(
                        "only {} of {} processes give a budget; a partial sum is not published",
                        amounts.iter().filter(|a| a.is_some()).count(),
                        rows.len()
                    ),
                ),
                Err(why) => self.note("/budget/amount", why),
            }
        }
        if !budget.contains_key("amount") {
            self.project_total_value(&mut budget, rows);
        }
        let approvals = rows
            .iter()
            .flat_map(|r| array(r.data.pointer("/planning/milestones")))
            .filter(|m| m.get("type").and_then(Value::as_str) == Some("approval"))
            .filter_map(|m| text(m.get("dateMet")))
            .fold(Vec::new(), |mut acc, d| {
                if !acc.contains(&d) {
                    acc.push(d);
                }
                acc
            });
        match approvals.as_slice() {
            [one] => {
                budget.insert("approvalDate".into(), Value::from(one.clone()));
            }
            [] => {}
            _ => self.note(
                "/budget/approvalDate",
                "processes give different approval dates; left unset".into(),
            ),
        }
        let mut breakdowns = Vec::new();
        for row in rows {
            let items: Vec<Value> = array(row.data.pointer("/planning/budget/budgetBreakdown"))
                .iter()
                .enumerate()
                .filter_map(|(i, bd)| {
                    let mut bd = bd.as_object()?.clone();
                    let id = id_text(bd.get("id")).unwrap_or_else(|| (i + 1).to_string());
                    bd.insert("id".into(), Value::from(id));
                    if let Some(src) = bd.get("sourceParty").cloned() {
                        match self.parties.reference_id(&row.ocid, &src) {
                            Some(pid) => {
                                self.parties.add_role(&pid, "funder");
                                bd.insert("sourceParty".into(), self.parties.reference(&pid));
                            }
                            None => {
                                bd.remove("sourceParty");
                            }
                        }
                    }
                    Some(Value::Object(bd))
                })
                .collect();
            if !items.is_empty() {
                breakdowns.push(json!({ "id": row.ocid, "budgetBreakdown": items }));
            }
        }
        if !breakdowns.is_empty() {
            budget.insert("budgetBreakdowns".into(), Value::Array(breakdowns));
        }
        if !budget.is_empty() {
            project.insert("budget".into(), Value::Object(budget));
        }
    }

    /// `budget.amount` from `planning.project.totalValue` (Project extension) when the processes'
    /// budgets do not add up to the project's: the publisher's own statement of the project's
    /// total, used only when every process that gives one gives the same.
    fn project_total_value(&mut self, budget: &mut Map<String, Value>, rows: &[CompiledRow]) {
        let mut totals: Vec<&Value> = Vec::new();
        for row in rows {
            if let Some(v) = row.data.pointer("/planning/project/totalValue")
                && v.get("amount").is_some_and(Value::is_number)
                && text(v.get("currency")).is_some()
                && !totals.contains(&v)
            {
                totals.push(v);
            }
        }
        match totals.as_slice() {
            [] => {}
            [one] => {
                budget.insert("amount".into(), (*one).clone());
                self.note(
                    "/budget/amount",
                    "the project's total value as its processes state it (planning.project.totalValue)".into(),
                );
            }
            many => self.note(
                "/budget/amount",
                format!(
                    "processes state {} different project total values; left unset",
                    many.len()
                ),
            ),
        }
    }

    fn documents(&mut self, project: &mut Map<String, Value>, rows: &[CompiledRow]) {
        let mut docs = Vec::new();
        let typed = |d: &Value, types: &[&str]| {
            d.get("documentType")
                .and_then(Value::as_str)
                .is_some_and(|t| types.contains(&t))
        };
        for row in rows {
            for d in array(row.data.pointer("/planning/documents")) {
                if typed(d, PROJECT_DOCUMENT_TYPES) {
                    docs.push((row.ocid.as_str(), codelist_spelling(d)));
                }
            }
            for contract in array(row.data.get("contracts")) {
                for d in array(contract.pointer("/implementation/documents")) {
                    if typed(d, PROJECT_DOCUMENTS_FROM_IMPLEMENTATION) {
                        docs.push((row.ocid.as_str(), codelist_spelling(d)));
                    }
                }
            }
        }
        let docs = unique_ids(docs);
        if !docs.is_empty() {
            project.insert("documents".into(), Value::Array(docs));
        }
    }

    /// `summary.finalValue`: the sum of the live contracts' actual values, only once the process
    /// is complete: every live contract is `terminated` or states its `implementation.finalValue`.
    /// Payments on a contract still running are a running total, not a final value, and
    /// publishing one would read as a price change (the schema's final value is the value at
    /// completion). A partial sum would understate the cost, so it is refused too.
    fn final_value(&mut self, summary: &mut Map<String, Value>, row: &CompiledRow) {
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
                        .pointer("/implementation/finalValue")
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
    fn transactions(&mut self, row: &CompiledRow) -> Vec<Value> {
        let mut out: Vec<(&str, Value)> = Vec::new();
        for contract in array(row.data.get("contracts")) {
            for t in array(contract.pointer("/implementation/transactions")) {
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

    fn process(&mut self, row: &CompiledRow, as_of: i64) -> Value {
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
            if let Some(v) = cr.pointer(&format!("/tender/{key}")) {
                tender.insert(key.into(), v.clone());
            }
        }
        if let Some(v) = row.history.get("costEstimate") {
            tender.insert("costEstimate".into(), v.clone());
        }
        let tenderers: Vec<Value> = array(cr.pointer("/tender/tenderers"))
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
            if let Some(r) = cr.pointer(&format!("/tender/{field}")) {
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
        for d in array(cr.pointer("/tender/documents")) {
            docs.push((row.ocid.as_str(), codelist_spelling(d)));
        }
        // The design report is a planning document the mapping places on the process.
        for d in array(cr.pointer("/planning/documents")) {
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
                .chain(array(contract.pointer("/implementation/documents")))
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

/// Adds a projectSector code, its parent first when it is a sub-sector (`transport` before
/// `transport.road`), as OC4IDS asks.
fn push_sector(sectors: &mut Vec<Value>, code: &str) {
    if let Some((parent, _)) = code.split_once('.') {
        push_unique(sectors, Value::from(parent));
    }
    push_unique(sectors, Value::from(code));
}

/// The document with its type in the codelist's spelling.
fn codelist_spelling(d: &Value) -> Value {
    let mut d = d.clone();
    if let Some(t) = d.get("documentType").and_then(Value::as_str)
        && let Some((_, code)) = DOCUMENT_TYPE_SPELLINGS.iter().find(|(from, _)| *from == t)
    {
        d["documentType"] = Value::from(*code);
    }
    d
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
        .pointer("/tender/mainProcurementCategory")
        .and_then(Value::as_str);
    if category == Some("works") {
        out.push("construction");
    }
    if category == Some("services") {
        let words = format!(
            "{} {}",
            text(cr.pointer("/tender/title")).unwrap_or_default(),
            text(cr.pointer("/tender/description")).unwrap_or_default()
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
    text(cr.pointer("/tender/title"))
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
    text(cr.pointer("/tender/description")).or_else(|| {
        let items = array(cr.pointer("/tender/items"));
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
    let tender: Vec<&Value> = cr.pointer("/tender/contractPeriod").into_iter().collect();
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

/// Gives every document a string id unique within the list (`<ocid>-<id>` on a clash).
fn unique_ids(docs: Vec<(&str, Value)>) -> Vec<Value> {
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

fn distinct_text(rows: &[CompiledRow], pointer: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for row in rows {
        if let Some(t) = text(row.data.pointer(pointer))
            && !out.contains(&t)
        {
            out.push(t);
        }
    }
    out
}

pub(super) fn text(v: Option<&Value>) -> Option<String> {
    match v {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
        _ => None,
    }
}

fn push_unique(list: &mut Vec<Value>, v: Value) {
    if !list.contains(&v) {
        list.push(v);
    }
}

// ---- parties -------------------------------------------------------------------------------

/// The project's de-duplicated parties, and the map from each process's party ids to them.
#[derive(Default)]
struct Parties {
    list: Vec<Map<String, Value>>,
    /// (ocid, original id) → canonical id.
    ids: HashMap<(String, String), String>,
    /// identity (scheme-id, or content fingerprint) → canonical id.
    identities: HashMap<String, String>,
    /// ocid → canonical ids of that process's parties, in order.
    by_process: HashMap<String, Vec<String>>,
    /// (ocid, canonical id) → the roles that process gives the party.
    process_roles: HashMap<(String, String), Vec<String>>,
}

impl Parties {
    fn collect(&mut self, rows: &[CompiledRow]) {
        for row in rows {
            for p in array(row.data.get("parties")) {
                if let Value::Object(p) = p {
                    self.add(&row.ocid, p);
                }
            }
            // OCDS 1.0 data (and some 1.1 publishers) give full organisations in place of
            // references with no `parties` array: they become parties too.
            let mut embedded: Vec<(&Value, &str)> = Vec::new();
            if let Some(b) = row.data.get("buyer") {
                embedded.push((b, "buyer"));
            }
            if let Some(pe) = row.data.pointer("/tender/procuringEntity") {
                embedded.push((pe, "procuringEntity"));
            }
            for t in array(row.data.pointer("/tender/tenderers")) {
                embedded.push((t, "tenderer"));
            }
            for a in array(row.data.get("awards")) {
                for s in array(a.get("suppliers")) {
                    embedded.push((s, "supplier"));
                }
            }
            for c in array(row.data.get("contracts")) {
                for t in array(c.pointer("/implementation/transactions")) {
                    for (field, old, role) in [
                        ("payer", "providerOrganization", "payer"),
                        ("payee", "receiverOrganization", "payee"),
                    ] {
                        if let Some(org) = t.get(field).or_else(|| t.get(old)) {
                            embedded.push((org, role));
                        }
                    }
                }
            }
            for (org, role) in embedded {
                let Value::Object(o) = org else { continue };
                if self.reference_id(&row.ocid, org).is_some() {
                    continue;
                }
                let mut o = o.clone();
                o.insert("roles".into(), json!([role]));
                if id_text(o.get("id")).is_none() && text(o.get("name")).is_none() {
                    continue;
                }
                self.add(&row.ocid, &o);
            }
        }
    }

    fn add(&mut self, ocid: &str, p: &Map<String, Value>) {
        let original = id_text(p.get("id"));
        let scheme = text(p.get("identifier").and_then(|i| i.get("scheme")));
        let ident = id_text(p.get("identifier").and_then(|i| i.get("id")));
        let identity = match (&scheme, &ident) {
            (Some(s), Some(i)) => format!("id:{s}-{i}"),
            _ => {
                let mut rest = p.clone();
                rest.remove("id");
                rest.remove("roles");
                format!("fp:{}", crate::util::content_hash(&Value::Object(rest)))
            }
        };
        let canonical = match self.identities.get(&identity) {
            Some(c) => {
                let c = c.clone();
                self.merge_into(&c, p);
                c
            }
            None => {
                let base = match (&scheme, &ident) {
                    (Some(s), Some(i)) => format!("{s}-{i}"),
                    _ => original
                        .clone()
                        .unwrap_or_else(|| format!("{}", self.list.len() + 1)),
                };
                let mut id = base.clone();
                let mut n = 1;
                while self
                    .list
                    .iter()
                    .any(|q| id_text(q.get("id")).as_deref() == Some(&id))
                {
                    n += 1;
                    id = format!("{base}-{n}");
                }
                let mut copy = Map::new();
                copy.insert("id".into(), Value::from(id.clone()));
                for (k, v) in p {
                    if k != "id" && k != "roles" {
                        copy.insert(k.clone(), v.clone());
                    }
                }
                copy.insert("roles".into(), Value::Array(Vec::new()));
                self.list.push(copy);
                self.identities.insert(identity, id.clone());
                id
            }
        };
        for r in array(p.get("roles")) {
            if let Some(r) = r.as_str() {
                self.add_role(&canonical, r);
                let roles = self
                    .process_roles
                    .entry((ocid.to_string(), canonical.clone()))
                    .or_default();
                if !roles.iter().any(|x| x == r) {
                    roles.push(r.to_string());
                }
            }
        }
        if let Some(o) = original {
            self.ids.insert((ocid.to_string(), o), canonical.clone());
        }
        let procs = self.by_process.entry(ocid.to_string()).or_default();
        if !procs.contains(&canonical) {
            procs.push(canonical);
        }
    }

    fn merge_into(&mut self, id: &str, p: &Map<String, Value>) {
        if let Some(existing) = self.find_mut(id) {
            for (k, v) in p {
                if k != "id" && k != "roles" && !existing.contains_key(k) {
                    existing.insert(k.clone(), v.clone());
                }
            }
        }
    }

    fn find_mut(&mut self, id: &str) -> Option<&mut Map<String, Value>> {
        self.list
            .iter_mut()
            .find(|q| id_text(q.get("id")).as_deref() == Some(id))
    }

    fn add_role(&mut self, id: &str, role: &str) {
        if let Some(p) = self.find_mut(id)
            && let Some(Value::Array(roles)) = p.get_mut("roles")
            && !roles.iter().any(|r| r.as_str() == Some(role))
        {
            roles.push(Value::from(role));
        }
    }

    /// The canonical id a reference (by id, else by identifier, else by name) points to.
    fn reference_id(&self, ocid: &str, r: &Value) -> Option<String> {
        if let Some(id) = id_text(r.get("id"))
            && let Some(c) = self.ids.get(&(ocid.to_string(), id))
        {
            return Some(c.clone());
        }
        let scheme = text(r.pointer("/identifier/scheme"));
        let ident = id_text(r.pointer("/identifier/id"));
        if let (Some(s), Some(i)) = (scheme, ident)
            && let Some(c) = self.identities.get(&format!("id:{s}-{i}"))
        {
            return Some(c.clone());
        }
        let name = text(r.get("name"))?;
        let procs = self.by_process.get(ocid)?;
        procs
            .iter()
            .find(|c| {
                self.list.iter().any(|q| {
                    id_text(q.get("id")).as_deref() == Some(c.as_str())
                        && text(q.get("name")).as_deref() == Some(name.as_str())
                })
            })
            .cloned()
    }

    fn reference(&self, id: &str) -> Value {
        let name = self
            .list
            .iter()
            .find(|q| id_text(q.get("id")).as_deref() == Some(id))
            .and_then(|q| text(q.get("name")));
        match name {
            Some(n) => json!({ "id": id, "name": n }),
            None => json!({ "id": id }),
        }
    }

    fn with_role(&self, role: &str) -> Vec<String> {
        self.list
            .iter()
            .filter(|q| {
                array(q.get("roles"))
                    .iter()
                    .any(|r| r.as_str() == Some(role))
            })
            .filter_map(|q| id_text(q.get("id")))
            .collect()
    }

    /// The parties this process itself gives `role` (roles are merged per project, but a
    /// procuring entity of one process is not the procuring entity of the others).
    fn in_process_with_role(&self, ocid: &str, role: &str) -> Vec<String> {
        self.by_process
            .get(ocid)
            .map(|ids| {
                ids.iter()
                    .filter(|i| {
                        self.process_roles
                            .get(&(ocid.to_string(), (*i).clone()))
                            .is_some_and(|r| r.iter().any(|x| x == role))
                    })
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }

    fn output(&self) -> Vec<Value> {
        self.list.iter().cloned().map(Value::Object).collect()
    }
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
}
