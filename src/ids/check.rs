//! The kinds of check the catalogue names, and the primitives they are built from.
//!
//! Every check is total: a value of the wrong JSON type counts as absent, so any JSON gives a
//! verdict and nothing panics.

use serde::Deserialize;
use serde_json::Value;

use super::Outcome;
use crate::util::At as _;
use crate::util::{array, id_text, is_date_time, is_day};

/// A disclosure predicate, as written in the catalogue.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Check {
    /// A non-blank string.
    String(String),
    /// An array holding at least one non-blank string.
    AnyString(String),
    /// A Value object: numeric `amount` and non-blank `currency`.
    Value(String),
    /// An RFC 3339 date-time.
    DateTime(String),
    /// A string from a closed list of codes.
    Code {
        /// Pointer.
        path: String,
        /// Accepted codes.
        codes: Vec<String>,
    },
    /// An array holding at least one of the codes.
    AnyCode {
        /// Pointer.
        path: String,
        /// Accepted codes.
        codes: Vec<String>,
    },
    /// A whole number ≥ 0.
    Count(String),
    /// A non-empty array.
    NonEmpty(String),
    /// A party with this role and a name.
    PartyNamed(String),
    /// An organisation reference that is named or resolves to a named party.
    OrgRef(String),
    /// An array of organisation references, one of them named or resolving to a named party.
    AnyOrgRef(String),
    /// Postal and electronic address of an organisation (partial when only one).
    Contact {
        /// Role of the parties to look at when the reference does not resolve.
        role: String,
        /// Reference to the organisation, when the element names one.
        reference: Option<String>,
    },
    /// A document of one of these types, with a URL or a description; a document of the type at
    /// the other level (project vs process) makes it partial.
    Document {
        /// Accepted `documentType` codes (alternative spellings included).
        types: Vec<String>,
    },
    /// An additional classification with scheme and id.
    Classification {
        /// Only these schemes count (empty: any).
        #[serde(default)]
        schemes: Vec<String>,
        /// These schemes never count.
        #[serde(default)]
        exclude_schemes: Vec<String>,
    },
    /// A sector value holding a sub-sector code (`transport.road`).
    SubsectorCode(String),
    /// A location with geometry, address or gazetteer (partial: description or URI only).
    Location,
    /// A period with start and end or duration (partial: one side only).
    Period(String),
    /// A budget breakdown whose source party is named.
    BudgetSourceNamed,
    /// A finance arrangement whose financing party is named.
    FinancePartyNamed,
    /// A modification of these types with every listed part (partial: some parts).
    Modification {
        /// Modification types.
        types: Vec<String>,
        /// Parts needed: date, description, old_value, new_value, old_end, new_end.
        needs: Vec<String>,
    },
    /// Every modification of these types has a rationale (partial: some).
    Rationale(Vec<String>),
    /// A document of one of these types in the unit's own documents; the other level does not
    /// count (for partial rules that name one level, as PJ-CO-4's names project documents).
    OwnDocument {
        /// Accepted `documentType` codes.
        types: Vec<String>,
    },
    /// A document of one of these types in the project or in any of its processes.
    DocumentAnywhere {
        /// Accepted `documentType` codes.
        types: Vec<String>,
    },
    /// A metric (or forecast) with one of these ids and an observation with a measure.
    Metric {
        /// `/metrics` or `/forecasts`.
        list: String,
        /// Accepted metric ids.
        ids: Vec<String>,
    },
    /// A person with name and job title in an organisation (partial: name only).
    People {
        /// Roles of the parties looked at when the reference does not resolve.
        roles: Vec<String>,
        /// Reference to the organisation, when the element names one.
        reference: Option<String>,
    },
    /// A budget breakdown entry with an amount and either a full period or a named source
    /// (partial: amount only).
    BudgetBreakdown,
    /// Every supplier resolves to a party with an identifier scheme and id (partial: some).
    SupplierIdentifiers,
    /// Every modification has a date, description and type (partial: some lack one).
    ModificationList,
    /// A transaction with a value and a date (partial: transactions without both).
    Transactions,
    /// The best outcome of several checks.
    Any(Vec<Check>),
    /// Every check disclosed; partial when some are and some are not.
    All(Vec<Check>),
}

/// Whether an element is due for a unit, and if not, why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Gate {
    /// Due: judge it.
    Due,
    /// Not applicable: the event it depends on did not happen, or never will.
    NotApplicable(String),
    /// Not yet applicable: the stage has not been reached.
    NotYet(String),
}

/// When an element is due.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Applies {
    /// Always.
    Always,
    /// Once the project is past identification (absent status: due).
    Preparation,
    /// Once the project is in implementation or later (absent status: due).
    Implementation,
    /// Once the project is completed or later; an absent status counts as completed when every
    /// process is closed.
    Completion,
    /// Once the process is past pre-award (absent status: due).
    PostAward,
    /// Only when there is evidence that the contract changed.
    ChangeEvidence,
    /// Only when the process has modifications of these types.
    Modifications(Vec<String>),
}

/// What a check found: the outcome and the pointer that decided it.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    /// D, PT or N (never NA: applicability is decided elsewhere).
    pub outcome: Outcome,
    /// JSON pointer, absolute within the project.
    pub path: String,
    /// Why, in a few words, for people.
    pub reason: String,
    /// True when a linked document decided it: its contents were not read.
    pub uninspected: bool,
}

impl Found {
    fn yes(path: String, reason: impl Into<String>) -> Found {
        Found {
            outcome: Outcome::Disclosed,
            path,
            reason: reason.into(),
            uninspected: false,
        }
    }
    fn partly(path: String, reason: impl Into<String>) -> Found {
        Found {
            outcome: Outcome::Partial,
            path,
            reason: reason.into(),
            uninspected: false,
        }
    }
    fn no(path: String, reason: impl Into<String>) -> Found {
        Found {
            outcome: Outcome::Missing,
            path,
            reason: reason.into(),
            uninspected: false,
        }
    }
    fn document(mut self) -> Found {
        self.uninspected = self.outcome != Outcome::Missing;
        self
    }
    fn rank(&self) -> u8 {
        match self.outcome {
            Outcome::Disclosed => 0,
            Outcome::Partial => 1,
            _ => 2,
        }
    }
}

/// The unit being judged: the project, and the process for process-level elements.
pub struct Unit<'a> {
    /// The OC4IDS project.
    pub project: &'a Value,
    /// The contracting process and its index, for process-level elements.
    pub process: Option<(usize, &'a Value)>,
}

impl Unit<'_> {
    fn base(&self) -> &Value {
        self.process.map(|(_, c)| c).unwrap_or(self.project)
    }
    /// Turns a pointer relative to the unit into one absolute within the project.
    fn abs(&self, ptr: &str) -> String {
        match self.process {
            Some((i, _)) => format!("/contractingProcesses/{i}{ptr}"),
            None => ptr.to_string(),
        }
    }
    fn get(&self, ptr: &str) -> Option<&Value> {
        self.base().at(ptr)
    }
}

// ---- primitives (spec §1) -----------------------------------------------------------------

/// `str(x)`: a string that is not blank.
pub fn is_str(v: Option<&Value>) -> bool {
    matches!(v, Some(Value::String(s)) if !s.trim().is_empty())
}

fn is_num(v: Option<&Value>) -> bool {
    matches!(v, Some(Value::Number(_)))
}

fn is_int(v: Option<&Value>) -> bool {
    match v {
        Some(Value::Number(n)) => {
            n.is_i64() || n.is_u64() || n.as_f64().is_some_and(|f| f.fract() == 0.0)
        }
        _ => false,
    }
}

/// `val(v)`: a Value with a numeric amount and a currency.
pub fn is_value(v: Option<&Value>) -> bool {
    matches!(v, Some(Value::Object(_)))
        && is_num(v.and_then(|o| o.get("amount")))
        && is_str(v.and_then(|o| o.get("currency")))
}

/// `dt(x)`: an RFC 3339 date-time, or (the spec's project decision) a bare `YYYY-MM-DD`, which
/// the verdict then notes as a format problem without withholding the disclosure.
fn is_dt(v: Option<&Value>) -> bool {
    matches!(v, Some(Value::String(s)) if is_date_time(s) || is_day(s))
}

/// True when the value is a date given without a time.
fn is_bare_day(v: Option<&Value>) -> bool {
    matches!(v, Some(Value::String(s)) if !is_date_time(s) && is_day(s))
}

fn roles(p: &Value) -> impl Iterator<Item = &str> {
    array(p.get("roles")).iter().filter_map(Value::as_str)
}

fn parties<'a>(project: &'a Value, role: &'a str) -> impl Iterator<Item = (usize, &'a Value)> {
    array(project.get("parties"))
        .iter()
        .enumerate()
        .filter(move |(_, p)| roles(p).any(|r| r == role))
}

/// `ref(P, o)`: the party an organisation reference points to.
fn resolve<'a>(project: &'a Value, reference: &Value) -> Option<(usize, &'a Value)> {
    let id = reference.get("id").and_then(Value::as_str)?;
    array(project.get("parties"))
        .iter()
        .enumerate()
        .find(|(_, p)| p.get("id").and_then(Value::as_str) == Some(id))
}

fn addr(v: Option<&Value>) -> bool {
    [
        "streetAddress",
        "locality",
        "region",
        "postalCode",
        "countryName",
    ]
    .iter()
    .any(|k| is_str(v.and_then(|a| a.get(*k))))
}

fn elec(v: Option<&Value>) -> bool {
    is_str(v.and_then(|c| c.get("email"))) || is_str(v.and_then(|c| c.get("url")))
}

fn doc_match(list: Option<&Value>, types: &[String]) -> Option<usize> {
    array(list).iter().position(|d| {
        d.get("documentType")
            .and_then(Value::as_str)
            .is_some_and(|t| types.iter().any(|x| x == t))
            && (is_str(d.get("url")) || is_str(d.get("description")))
    })
}

fn geometry(g: Option<&Value>) -> bool {
    const TYPES: [&str; 6] = [
        "Point",
        "MultiPoint",
        "LineString",
        "MultiLineString",
        "Polygon",
        "MultiPolygon",
    ];
    g.and_then(|g| g.get("type"))
        .and_then(Value::as_str)
        .is_some_and(|t| TYPES.contains(&t))
        && !array(g.and_then(|g| g.get("coordinates"))).is_empty()
}

fn gazetteer(z: Option<&Value>) -> bool {
    is_str(z.and_then(|z| z.get("scheme")))
        && array(z.and_then(|z| z.get("identifiers")))
            .iter()
            .any(|i| is_str(Some(i)))
}

fn modifications<'a>(unit: &'a Unit<'_>, types: &'a [String]) -> Vec<(usize, &'a Value)> {
    array(unit.get("/summary/modifications"))
        .iter()
        .enumerate()
        .filter(|(_, m)| {
            m.get("type")
                .and_then(Value::as_str)
                .is_some_and(|t| types.iter().any(|x| x == t))
        })
        .collect()
}

fn period_end(p: Option<&Value>) -> bool {
    is_dt(p.and_then(|p| p.get("endDate"))) || is_int(p.and_then(|p| p.get("durationInDays")))
}

// ---- evaluation ---------------------------------------------------------------------------

impl Check {
    /// Evaluates the check on a unit.
    pub fn eval(&self, unit: &Unit<'_>) -> Found {
        match self {
            Check::String(p) => eval_string(unit, p),
            Check::AnyString(p) => eval_any_string(unit, p),
            Check::Value(p) => eval_value(unit, p),
            Check::DateTime(p) => eval_date_time(unit, p),
            Check::Code { path, codes } => eval_code(unit, path, codes),
            Check::AnyCode { path, codes } => eval_any_code(unit, path, codes),
            Check::Count(p) => eval_count(unit, p),
            Check::NonEmpty(p) => eval_non_empty(unit, p),
            Check::PartyNamed(role) => eval_party_named(unit, role),
            Check::OrgRef(p) => org_ref(unit, p, unit.get(p)),
            Check::AnyOrgRef(p) => eval_any_org_ref(unit, p),
            Check::Contact { role, reference } => contact(unit, role, reference.as_deref()),
            Check::Document { types } => document(unit, types, true),
            Check::OwnDocument { types } => document(unit, types, false),
            Check::Classification {
                schemes,
                exclude_schemes,
            } => eval_classification(unit, schemes, exclude_schemes),
            Check::SubsectorCode(p) => eval_subsector_code(unit, p),
            Check::Location => eval_location(unit),
            Check::Period(p) => eval_period(unit, p),
            Check::BudgetSourceNamed => eval_budget_source_named(unit),
            Check::FinancePartyNamed => eval_finance_party_named(unit),
            Check::Modification { types, needs } => eval_modification(unit, types, needs),
            Check::Rationale(types) => eval_rationale(unit, types),
            Check::DocumentAnywhere { types } => eval_document_anywhere(unit, types),
            Check::Metric { list, ids } => eval_metric(unit, list, ids),
            Check::People { roles, reference } => people(unit, roles, reference.as_deref()),
            Check::BudgetBreakdown => eval_budget_breakdown(unit),
            Check::SupplierIdentifiers => eval_supplier_identifiers(unit),
            Check::ModificationList => eval_modification_list(unit),
            Check::Transactions => eval_transactions(unit),
            Check::All(checks) => eval_all(unit, checks),
            Check::Any(checks) => eval_any(unit, checks),
        }
    }

    /// Every pointer the check names (for the catalogue's own tests).
    pub fn pointers(&self) -> Vec<String> {
        match self {
            Check::String(p)
            | Check::AnyString(p)
            | Check::Value(p)
            | Check::DateTime(p)
            | Check::Count(p)
            | Check::NonEmpty(p)
            | Check::OrgRef(p)
            | Check::AnyOrgRef(p)
            | Check::SubsectorCode(p)
            | Check::Period(p) => vec![p.clone()],
            Check::Code { path, .. } | Check::AnyCode { path, .. } => vec![path.clone()],
            Check::Contact { reference, .. } => reference.iter().cloned().collect(),
            Check::People { reference, .. } => reference.iter().cloned().collect(),
            Check::Metric { list, .. } => vec![list.clone()],
            Check::Any(cs) | Check::All(cs) => cs.iter().flat_map(Check::pointers).collect(),
            _ => Vec::new(),
        }
    }
}

// ---- one function per check kind ----------------------------------------------------------

fn eval_string(unit: &Unit<'_>, p: &str) -> Found {
    if is_str(unit.get(p)) {
        Found::yes(unit.abs(p), "non-blank text")
    } else {
        Found::no(unit.abs(p), "no text")
    }
}

fn eval_any_string(unit: &Unit<'_>, p: &str) -> Found {
    match array(unit.get(p)).iter().position(|v| is_str(Some(v))) {
        Some(i) => Found::yes(unit.abs(&format!("{p}/{i}")), "non-blank text"),
        None => Found::no(unit.abs(p), "no value"),
    }
}

fn eval_value(unit: &Unit<'_>, p: &str) -> Found {
    if is_value(unit.get(p)) {
        Found::yes(unit.abs(p), "amount and currency")
    } else {
        Found::no(unit.abs(p), "no amount with currency")
    }
}

fn eval_date_time(unit: &Unit<'_>, p: &str) -> Found {
    if is_bare_day(unit.get(p)) {
        Found::yes(
            unit.abs(p),
            "date without a time (YYYY-MM-DD; the schema asks for a date-time)",
        )
    } else if is_dt(unit.get(p)) {
        Found::yes(unit.abs(p), "date-time")
    } else {
        Found::no(unit.abs(p), "no RFC 3339 date-time")
    }
}

fn eval_code(unit: &Unit<'_>, path: &str, codes: &[String]) -> Found {
    match unit.get(path).and_then(Value::as_str) {
        Some(c) if codes.iter().any(|x| x == c) => Found::yes(unit.abs(path), format!("code {c}")),
        Some(c) => Found::no(unit.abs(path), format!("`{c}` is not a valid code")),
        None => Found::no(unit.abs(path), "no code"),
    }
}

fn eval_any_code(unit: &Unit<'_>, path: &str, codes: &[String]) -> Found {
    match array(unit.get(path))
        .iter()
        .position(|v| v.as_str().is_some_and(|c| codes.iter().any(|x| x == c)))
    {
        Some(i) => Found::yes(unit.abs(&format!("{path}/{i}")), "valid code"),
        None => Found::no(unit.abs(path), "no valid code"),
    }
}

fn eval_count(unit: &Unit<'_>, p: &str) -> Found {
    let v = unit.get(p);
    let ok = is_int(v) && v.and_then(Value::as_f64).is_some_and(|n| n >= 0.0);
    if ok {
        Found::yes(unit.abs(p), "whole number")
    } else {
        Found::no(unit.abs(p), "no whole number")
    }
}

fn eval_non_empty(unit: &Unit<'_>, p: &str) -> Found {
    if array(unit.get(p)).is_empty() {
        Found::no(unit.abs(p), "empty or absent")
    } else {
        Found::yes(unit.abs(p), "listed")
    }
}

fn eval_party_named(unit: &Unit<'_>, role: &str) -> Found {
    match parties(unit.project, role).find(|(_, p)| is_str(p.get("name"))) {
        Some((i, _)) => Found::yes(format!("/parties/{i}/name"), format!("named {role}")),
        None => Found::no(
            "/parties".into(),
            format!("no named party with role {role}"),
        ),
    }
}

fn eval_any_org_ref(unit: &Unit<'_>, p: &str) -> Found {
    let refs = array(unit.get(p));
    let mut best = Found::no(unit.abs(p), "no reference");
    for (i, r) in refs.iter().enumerate() {
        let f = org_ref(unit, &format!("{p}/{i}"), Some(r));
        if f.rank() < best.rank() {
            best = f;
        }
    }
    best
}

fn eval_classification(unit: &Unit<'_>, schemes: &[String], exclude_schemes: &[String]) -> Found {
    let list = array(unit.project.get("additionalClassifications"));
    let hit = list.iter().position(|c| {
        let scheme = c.get("scheme").and_then(Value::as_str).unwrap_or_default();
        is_str(c.get("id"))
            && is_str(c.get("scheme"))
            && (schemes.is_empty() || schemes.iter().any(|s| s == scheme))
            && !exclude_schemes.iter().any(|s| s == scheme)
    });
    match hit {
        Some(i) => Found::yes(
            format!("/additionalClassifications/{i}"),
            "classification with scheme and id",
        ),
        None => Found::no(
            "/additionalClassifications".into(),
            "no matching classification",
        ),
    }
}

fn eval_subsector_code(unit: &Unit<'_>, p: &str) -> Found {
    match array(unit.get(p))
        .iter()
        .position(|s| s.as_str().is_some_and(|s| s.contains('.')))
    {
        Some(i) => Found::yes(unit.abs(&format!("{p}/{i}")), "sub-sector code"),
        None => Found::no(unit.abs(p), "no sub-sector code"),
    }
}

fn eval_location(unit: &Unit<'_>) -> Found {
    let list = array(unit.project.get("locations"));
    let mut best = Found::no("/locations".into(), "no location");
    for (i, l) in list.iter().enumerate() {
        let f = if geometry(l.get("geometry"))
            || addr(l.get("address"))
            || gazetteer(l.get("gazetteer"))
        {
            Found::yes(format!("/locations/{i}"), "geometry, address or gazetteer")
        } else if is_str(l.get("description")) || is_str(l.get("uri")) {
            Found::partly(format!("/locations/{i}"), "description or URI only")
        } else {
            continue;
        };
        if f.rank() < best.rank() {
            best = f;
        }
    }
    best
}

fn eval_period(unit: &Unit<'_>, p: &str) -> Found {
    let v = unit.get(p);
    let start = is_dt(v.and_then(|v| v.get("startDate")));
    let end = period_end(v);
    match (start, end) {
        (true, true)
            if is_bare_day(v.and_then(|v| v.get("startDate")))
                || is_bare_day(v.and_then(|v| v.get("endDate"))) =>
        {
            Found::yes(
                unit.abs(p),
                "start and end or duration (a date without a time: the schema asks for a date-time)",
            )
        }
        (true, true) => Found::yes(unit.abs(p), "start and end or duration"),
        (true, false) => Found::partly(unit.abs(p), "start only"),
        (false, true) => Found::partly(unit.abs(p), "end or duration only"),
        (false, false) => Found::no(unit.abs(p), "no period"),
    }
}

fn eval_budget_source_named(unit: &Unit<'_>) -> Found {
    for (i, group) in array(unit.project.at("/budget/budgetBreakdowns"))
        .iter()
        .enumerate()
    {
        for (j, bd) in array(group.get("budgetBreakdown")).iter().enumerate() {
            let path = format!("/budget/budgetBreakdowns/{i}/budgetBreakdown/{j}/sourceParty");
            if let Some(r) = bd.get("sourceParty")
                && ref_named(unit.project, r)
            {
                return Found::yes(path, "named source party");
            }
        }
    }
    Found::no("/budget/budgetBreakdowns".into(), "no named source party")
}

fn eval_finance_party_named(unit: &Unit<'_>) -> Found {
    for (i, f) in array(unit.project.at("/budget/finance")).iter().enumerate() {
        if let Some(r) = f.get("financingParty")
            && ref_named(unit.project, r)
        {
            return Found::yes(
                format!("/budget/finance/{i}/financingParty"),
                "named financing party",
            );
        }
    }
    Found::no("/budget/finance".into(), "no named financing party")
}

fn eval_modification(unit: &Unit<'_>, types: &[String], needs: &[String]) -> Found {
    let mods = modifications(unit, types);
    let mut best = Found::no(
        unit.abs("/summary/modifications"),
        format!("no modification of type {}", types.join("/")),
    );
    for (i, m) in mods {
        let have = needs.iter().filter(|n| has_part(m, n)).count();
        let path = unit.abs(&format!("/summary/modifications/{i}"));
        let f = if have == needs.len() {
            Found::yes(path, "modification with every part")
        } else {
            let missing: Vec<&str> = needs
                .iter()
                .filter(|n| !has_part(m, n))
                .map(String::as_str)
                .collect();
            Found::partly(path, format!("modification lacks {}", missing.join(", ")))
        };
        if f.rank() < best.rank() {
            best = f;
        }
    }
    best
}

fn eval_rationale(unit: &Unit<'_>, types: &[String]) -> Found {
    let mods = modifications(unit, types);
    let with = mods
        .iter()
        .filter(|(_, m)| is_str(m.get("rationale")))
        .count();
    let path = unit.abs("/summary/modifications");
    if mods.is_empty() {
        Found::no(path, "no modification")
    } else if with == mods.len() {
        Found::yes(path, "every modification has a rationale")
    } else if with > 0 {
        Found::partly(
            path,
            format!("{with} of {} modifications have a rationale", mods.len()),
        )
    } else {
        Found::no(path, "no modification has a rationale")
    }
}

fn eval_document_anywhere(unit: &Unit<'_>, types: &[String]) -> Found {
    if let Some(i) = doc_match(unit.project.get("documents"), types) {
        return Found::yes(format!("/documents/{i}"), "document of the type").document();
    }
    for (c, cp) in array(unit.project.get("contractingProcesses"))
        .iter()
        .enumerate()
    {
        if let Some(i) = doc_match(cp.at("/summary/documents"), types) {
            return Found::yes(
                format!("/contractingProcesses/{c}/summary/documents/{i}"),
                "document of the type in a contracting process",
            )
            .document();
        }
    }
    Found::no(
        "/documents".into(),
        format!("no document of type {}", types.join("/")),
    )
}

fn eval_metric(unit: &Unit<'_>, list: &str, ids: &[String]) -> Found {
    for (i, m) in array(unit.project.at(list)).iter().enumerate() {
        let known = id_text(m.get("id")).is_some_and(|id| ids.contains(&id));
        let measured = array(m.get("observations"))
            .iter()
            .any(|o| is_num(o.get("measure")) || is_str(o.get("measure")));
        if known && measured {
            return Found::yes(format!("{list}/{i}"), "metric with an observation");
        }
    }
    Found::no(list.to_string(), format!("no {} metric", ids.join("/")))
}

fn eval_budget_breakdown(unit: &Unit<'_>) -> Found {
    let mut best = Found::no("/budget/budgetBreakdowns".into(), "no budget breakdown");
    for (i, group) in array(unit.project.at("/budget/budgetBreakdowns"))
        .iter()
        .enumerate()
    {
        for (j, bd) in array(group.get("budgetBreakdown")).iter().enumerate() {
            if !is_value(bd.get("amount")) {
                continue;
            }
            let path = format!("/budget/budgetBreakdowns/{i}/budgetBreakdown/{j}");
            let period = bd.get("period");
            let dated = is_dt(period.and_then(|p| p.get("startDate")))
                && is_dt(period.and_then(|p| p.get("endDate")));
            let sourced = bd
                .get("sourceParty")
                .is_some_and(|r| ref_named(unit.project, r));
            let f = if dated || sourced {
                Found::yes(path, "amount with its period or source")
            } else {
                Found::partly(path, "amount without period or source")
            };
            if f.rank() < best.rank() {
                best = f;
            }
        }
    }
    best
}

fn eval_supplier_identifiers(unit: &Unit<'_>) -> Found {
    let suppliers = array(unit.get("/summary/suppliers"));
    let path = unit.abs("/summary/suppliers");
    let identified = suppliers
        .iter()
        .filter(|r| {
            resolve(unit.project, r).is_some_and(|(_, p)| {
                is_str(p.at("/identifier/scheme"))
                    && (is_str(p.at("/identifier/id")) || is_num(p.at("/identifier/id")))
            })
        })
        .count();
    if suppliers.is_empty() {
        Found::no(path, "no suppliers")
    } else if identified == suppliers.len() {
        Found::yes(path, "every supplier has a registered identifier")
    } else if identified > 0 {
        Found::partly(
            path,
            format!("{identified} of {} suppliers identified", suppliers.len()),
        )
    } else {
        Found::no(path, "no supplier has a registered identifier")
    }
}

fn eval_modification_list(unit: &Unit<'_>) -> Found {
    let mods = array(unit.get("/summary/modifications"));
    let path = unit.abs("/summary/modifications");
    let complete = mods
        .iter()
        .filter(|m| is_dt(m.get("date")) && is_str(m.get("description")) && is_str(m.get("type")))
        .count();
    if mods.is_empty() {
        Found::no(path, "no modification listed")
    } else if complete == mods.len() {
        Found::yes(path, "every modification has date, description and type")
    } else {
        Found::partly(
            path,
            format!("{complete} of {} modifications complete", mods.len()),
        )
    }
}

fn eval_transactions(unit: &Unit<'_>) -> Found {
    let list = array(unit.get("/summary/transactions"));
    match list
        .iter()
        .position(|t| is_value(t.get("value")) && is_dt(t.get("date")))
    {
        Some(i) => Found::yes(
            unit.abs(&format!("/summary/transactions/{i}")),
            "payment with value and date",
        ),
        None if !list.is_empty() => Found::partly(
            unit.abs("/summary/transactions"),
            "payments without both value and date",
        ),
        None => Found::no(unit.abs("/summary/transactions"), "no payments"),
    }
}

fn eval_all(unit: &Unit<'_>, checks: &[Check]) -> Found {
    let found: Vec<Found> = checks.iter().map(|c| c.eval(unit)).collect();
    let (Some(worst), Some(best)) = (
        found.iter().max_by_key(|f| f.rank()),
        found.iter().min_by_key(|f| f.rank()),
    ) else {
        return Found::no(String::new(), "no check");
    };
    match (worst.outcome, best.outcome) {
        // Every part disclosed: the first part's pointer decides.
        (Outcome::Disclosed, _) => Found {
            uninspected: found.iter().any(|x| x.uninspected),
            ..found[0].clone()
        },
        // Some parts only: partial, pointing at what was found.
        (_, Outcome::Disclosed | Outcome::Partial) => Found {
            outcome: Outcome::Partial,
            reason: format!("{}; but {}", best.reason, worst.reason),
            ..best.clone()
        },
        _ => worst.clone(),
    }
}

fn eval_any(unit: &Unit<'_>, checks: &[Check]) -> Found {
    let mut best: Option<Found> = None;
    for c in checks {
        let f = c.eval(unit);
        if best.as_ref().is_none_or(|b| f.rank() < b.rank()) {
            best = Some(f);
        }
    }
    best.unwrap_or_else(|| Found::no(String::new(), "no check"))
}

fn has_part(m: &Value, part: &str) -> bool {
    match part {
        "date" => is_dt(m.get("date")),
        "description" => is_str(m.get("description")),
        "old_value" => is_value(m.get("oldContractValue")),
        "new_value" => is_value(m.get("newContractValue")),
        "old_end" => period_end(m.get("oldContractPeriod")),
        "new_end" => period_end(m.get("newContractPeriod")),
        _ => false,
    }
}

/// `refNamed(P, o)`.
fn ref_named(project: &Value, r: &Value) -> bool {
    is_str(r.get("name")) || resolve(project, r).is_some_and(|(_, p)| is_str(p.get("name")))
}

fn org_ref(unit: &Unit<'_>, ptr: &str, r: Option<&Value>) -> Found {
    let Some(r) = r.filter(|r| r.is_object()) else {
        return Found::no(unit.abs(ptr), "no reference");
    };
    if is_str(r.get("name")) {
        return Found::yes(unit.abs(&format!("{ptr}/name")), "named reference");
    }
    match resolve(unit.project, r) {
        Some((i, p)) if is_str(p.get("name")) => Found::yes(
            format!("/parties/{i}/name"),
            "reference resolves to a named party",
        ),
        _ => Found::no(unit.abs(ptr), "reference without name"),
    }
}

fn contact(unit: &Unit<'_>, role: &str, reference: Option<&str>) -> Found {
    let referenced = reference
        .and_then(|p| unit.get(p))
        .and_then(|r| resolve(unit.project, r));
    let candidates: Vec<(usize, &Value)> = match referenced {
        Some(hit) => vec![hit],
        None => parties(unit.project, role).collect(),
    };
    let mut best = Found::no(
        "/parties".into(),
        format!("no {role} party with an address"),
    );
    for (i, p) in candidates {
        let a = addr(p.get("address"));
        let e = elec(p.get("contactPoint"));
        let f = match (a, e) {
            (true, true) => Found::yes(format!("/parties/{i}"), "postal and electronic address"),
            (true, false) => Found::partly(format!("/parties/{i}/address"), "postal address only"),
            (false, true) => Found::partly(
                format!("/parties/{i}/contactPoint"),
                "electronic address only",
            ),
            (false, false) => continue,
        };
        if f.rank() < best.rank() {
            best = f;
        }
    }
    best
}

/// People with a name and job title in the referenced organisation, else in the parties
/// with one of the roles.
fn people(unit: &Unit<'_>, roles: &[String], reference: Option<&str>) -> Found {
    let referenced = reference
        .and_then(|p| unit.get(p))
        .and_then(|r| resolve(unit.project, r));
    let candidates: Vec<(usize, &Value)> = match referenced {
        Some(hit) => vec![hit],
        None => roles
            .iter()
            .flat_map(|r| parties(unit.project, r))
            .collect(),
    };
    let mut best = Found::no(
        "/parties".into(),
        format!("no named official in a {} party", roles.join("/")),
    );
    for (i, p) in candidates {
        for (j, q) in array(p.get("people")).iter().enumerate() {
            let path = format!("/parties/{i}/people/{j}");
            let f = match (is_str(q.get("name")), is_str(q.get("jobTitle"))) {
                (true, true) => Found::yes(path, "official with name and job title"),
                (true, false) => Found::partly(path, "official without a job title"),
                _ => continue,
            };
            if f.rank() < best.rank() {
                best = f;
            }
        }
    }
    best
}

/// `doc(L, T)` with the cross-level rule: a document of the type at the other level is partial.
/// `doc(own level, types)`; with `cross_level`, a document at the other level is partial.
fn document(unit: &Unit<'_>, types: &[String], cross_level: bool) -> Found {
    let (own, own_path) = match unit.process {
        Some(_) => (
            unit.get("/summary/documents"),
            unit.abs("/summary/documents"),
        ),
        None => (unit.project.get("documents"), "/documents".to_string()),
    };
    if let Some(i) = doc_match(own, types) {
        return Found::yes(format!("{own_path}/{i}"), "document of the type").document();
    }
    if !cross_level {
        return Found::no(own_path, format!("no document of type {}", types.join("/")));
    }
    match unit.process {
        Some(_) => {
            if let Some(i) = doc_match(unit.project.get("documents"), types) {
                return Found::partly(
                    format!("/documents/{i}"),
                    "document of the type at project level only",
                )
                .document();
            }
        }
        None => {
            for (c, cp) in array(unit.project.get("contractingProcesses"))
                .iter()
                .enumerate()
            {
                if let Some(i) = doc_match(cp.at("/summary/documents"), types) {
                    return Found::partly(
                        format!("/contractingProcesses/{c}/summary/documents/{i}"),
                        "document of the type in a contracting process only",
                    )
                    .document();
                }
            }
        }
    }
    Found::no(own_path, format!("no document of type {}", types.join("/")))
}

// ---- applicability ------------------------------------------------------------------------

const COMPLETION_OR_LATER: [&str; 4] = [
    "completion",
    "maintenance",
    "decommissioning",
    "decommissioned",
];

impl Applies {
    /// Whether the element is due for the unit; when not, whether it may still become due.
    pub fn gate(&self, unit: &Unit<'_>) -> Gate {
        let status = unit.project.get("status").and_then(Value::as_str);
        let not_yet = |why: String| Gate::NotYet(why);
        match self {
            Applies::Always => Gate::Due,
            // A cancelled project may have got this far: due (the conservative reading).
            Applies::Preparation => match status {
                Some("identification") => not_yet("project still in identification".into()),
                _ => Gate::Due,
            },
            Applies::Implementation => match status {
                Some(s @ ("identification" | "preparation")) => {
                    not_yet(format!("project status is {s}"))
                }
                _ => Gate::Due,
            },
            Applies::Completion => match status {
                Some(s) if COMPLETION_OR_LATER.contains(&s) => Gate::Due,
                Some("cancelled") => {
                    Gate::NotApplicable("project cancelled: it will not be completed".into())
                }
                Some(s) => not_yet(format!("project status is {s}")),
                None => {
                    let cps = array(unit.project.get("contractingProcesses"));
                    let all_closed = !cps.is_empty()
                        && cps.iter().all(|c| {
                            c.at("/summary/status").and_then(Value::as_str) == Some("closed")
                        });
                    if all_closed {
                        Gate::Due
                    } else {
                        not_yet("no project status and not every process is closed".into())
                    }
                }
            },
            Applies::PostAward => match unit.get("/summary/status").and_then(Value::as_str) {
                Some("pre-award") => not_yet("process is pre-award".into()),
                _ => Gate::Due,
            },
            Applies::ChangeEvidence => {
                if change_evidence(unit) {
                    Gate::Due
                } else {
                    Gate::NotApplicable("no evidence that the contract changed".into())
                }
            }
            Applies::Modifications(types) => {
                if modifications(unit, types).is_empty() {
                    Gate::NotApplicable(format!("no modification of type {}", types.join("/")))
                } else {
                    Gate::Due
                }
            }
        }
    }
}

/// `change-evidence(C)`: modifications, or a final value that differs from the contract value.
fn change_evidence(unit: &Unit<'_>) -> bool {
    if !array(unit.get("/summary/modifications")).is_empty() {
        return true;
    }
    let fin = unit.get("/summary/finalValue");
    let con = unit.get("/summary/contractValue");
    if is_value(fin) && is_value(con) {
        let cur = |v: Option<&Value>| v.and_then(|v| v.get("currency")).cloned();
        let amt = |v: Option<&Value>| v.and_then(|v| v.get("amount")).and_then(Value::as_f64);
        return cur(fin) == cur(con) && amt(fin) != amt(con);
    }
    false
}
