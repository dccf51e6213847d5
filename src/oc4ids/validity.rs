//! What a project must satisfy before it joins the package: repairs where the repair keeps what
//! the publisher said, and the schema errors that cannot be repaired. An invalid project must
//! not make the whole package invalid; it is published with its sheet, its errors listed there
//! and in `quarantine.csv`, and left out of the package. Projects from `oc4ids` sources go
//! through it, and so do converted ones (whose only usual repair is a bare date).
//!
//! The checks are the OC4IDS 0.9.5 project schema's rules that real files break: ids that are
//! numbers or missing, references to parties that do not exist, closed codelists, amounts that
//! are not numbers, dates, URIs and e-mails that do not parse. Nulls, blanks, empty containers
//! and repeated array items are removed by [`super::clean`] before.

use serde_json::{Map, Value};

use super::Note;
use crate::config::Lang;
use crate::util::{id_text, is_date_time};

/// What the checks did to a project and what they found.
#[derive(Debug, Default)]
pub struct Validity {
    /// Repairs made (ids written as text, bare dates written as midnight UTC, location ids
    /// added, dangling references removed).
    pub repairs: Vec<Note>,
    /// Schema errors left: the project cannot join the package.
    pub errors: Vec<SchemaError>,
}

/// A value the schema refuses and costwatch cannot repair with certainty.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SchemaError {
    /// JSON pointer within the project.
    pub path: String,
    /// What is wrong.
    pub problem: Problem,
    /// The value as published (JSON text), when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

/// The kinds of schema error, as stable codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Problem {
    /// The project is not a JSON object.
    NotAnObject,
    /// An object the schema requires an `id` of has none.
    NoId,
    /// A list is something else.
    NotAnArray,
    /// A value outside a closed codelist.
    NotACode,
    /// Not an RFC 3339 date-time.
    NotADateTime,
    /// Not an absolute URI.
    NotAUri,
    /// Not an e-mail address.
    NotAnEmail,
    /// An amount that is not a number.
    NotANumber,
    /// Not a three-letter currency code.
    NotACurrency,
}

impl Problem {
    /// What is wrong, in a few words for the sheet's reader.
    pub fn words(self, lang: Lang) -> &'static str {
        let [es, en] = match self {
            Problem::NotAnObject => ["no es un objeto JSON", "is not a JSON object"],
            Problem::NoId => ["no tiene identificador (id)", "has no id"],
            Problem::NotAnArray => ["no es una lista", "is not a list"],
            Problem::NotACode => [
                "no es un código de la lista cerrada del estándar",
                "is not a code of the standard's closed codelist",
            ],
            Problem::NotADateTime => [
                "no es una fecha con hora (RFC 3339)",
                "is not an RFC 3339 date-time",
            ],
            Problem::NotAUri => ["no es una dirección web completa", "is not a full URI"],
            Problem::NotAnEmail => ["no es un correo electrónico", "is not an e-mail address"],
            Problem::NotANumber => ["no es un número", "is not a number"],
            Problem::NotACurrency => [
                "no es un código de moneda (ISO 4217)",
                "is not an ISO 4217 currency code",
            ],
        };
        match lang {
            Lang::Es => es,
            Lang::En => en,
        }
    }
}

impl SchemaError {
    fn at(path: &str, problem: Problem, value: Option<&Value>) -> SchemaError {
        SchemaError {
            path: path.to_string(),
            problem,
            value: value.map(Value::to_string),
        }
    }

    /// `path: value words`, in one language.
    pub fn describe(&self, lang: Lang) -> String {
        match &self.value {
            Some(v) => format!("{}: {v} {}", self.path, self.problem.words(lang)),
            None => format!("{}: {}", self.path, self.problem.words(lang)),
        }
    }
}

/// Keys whose values the schema gives `format: date-time`.
const DATE_KEYS: &[&str] = &[
    "approvalDate",
    "date",
    "dateMet",
    "dateModified",
    "datePublished",
    "dueDate",
    "endDate",
    "maxExtentDate",
    "requestDate",
    "startDate",
    "updated",
];

/// Closed codelists, by the pointer (from the project, `[]` for every item) of the field.
const CLOSED: &[(&str, &[&str])] = &[
    (
        "/status",
        &[
            "identification",
            "preparation",
            "implementation",
            "completion",
            "maintenance",
            "decommissioning",
            "decommissioned",
            "cancelled",
        ],
    ),
    (
        "/type",
        &[
            "construction",
            "rehabilitation",
            "replacement",
            "expansion",
            "decommissioning",
        ],
    ),
    (
        "/contractingProcesses[]/summary/status",
        &["pre-award", "active", "closed"],
    ),
    (
        "/contractingProcesses[]/summary/nature[]",
        &["design", "construction", "supervision"],
    ),
];

/// Arrays whose items the schema requires to have an `id`.
const NEED_ID: &[&str] = &[
    "/contractingProcesses",
    "/parties",
    "/documents",
    "/budget/budgetBreakdowns",
    "/budget/budgetBreakdowns[]/budgetBreakdown",
    "/budget/finance",
    "/contractingProcesses[]/summary/documents",
    "/contractingProcesses[]/summary/transactions",
    "/contractingProcesses[]/summary/modifications",
    "/contractingProcesses[]/summary/milestones",
    "/metrics",
    "/metrics[]/observations",
    "/forecasts",
    "/forecasts[]/observations",
    "/milestones",
    "/relatedProjects",
    "/parties[]/people",
];

/// Organisation references, by pointer; each must name an existing party when it has an id.
const REFERENCES: &[&str] = &[
    "/publicAuthority",
    "/contractingProcesses[]/summary/tender/procuringEntity",
    "/contractingProcesses[]/summary/tender/administrativeEntity",
    "/contractingProcesses[]/summary/tender/tenderers[]",
    "/contractingProcesses[]/summary/suppliers[]",
    "/contractingProcesses[]/summary/transactions[]/payer",
    "/contractingProcesses[]/summary/transactions[]/payee",
    "/budget/budgetBreakdowns[]/budgetBreakdown[]/sourceParty",
    "/budget/finance[]/financingParty",
];

/// Repairs what is certain and lists what is not.
pub fn check(project: &mut Value) -> Validity {
    let mut v = Validity::default();
    if !project.is_object() {
        v.errors
            .push(SchemaError::at("", Problem::NotAnObject, None));
        return v;
    }
    if !matches!(project.get("id"), Some(Value::String(_))) {
        if let Some(Value::Number(n)) = project.get("id") {
            let id = n.to_string();
            v.repairs
                .push(note("/id", format!("the id {id} is written as text")));
            project["id"] = Value::from(id);
        } else {
            v.errors
                .push(SchemaError::at("/id", Problem::NoId, project.get("id")));
        }
    }
    ids_as_text(project, &At::Root, &mut v.repairs);
    bare_days(project, &At::Root, &mut v.repairs);
    location_ids(project, &mut v.repairs);
    dangling_references(project, &mut v.repairs);
    for list in NEED_ID {
        for (path, items) in at(project, list) {
            match items {
                Value::Array(items) => {
                    for (i, item) in items.iter().enumerate() {
                        if !matches!(item.get("id"), Some(Value::String(s)) if !s.is_empty()) {
                            let at = format!("{path}/{i}");
                            v.errors.push(SchemaError::at(&at, Problem::NoId, None));
                        }
                    }
                }
                other => v
                    .errors
                    .push(SchemaError::at(&path, Problem::NotAnArray, Some(other))),
            }
        }
    }
    for (pattern, codes) in CLOSED {
        for (path, value) in at(project, pattern) {
            match value.as_str() {
                Some(code) if codes.contains(&code) => {}
                _ => v
                    .errors
                    .push(SchemaError::at(&path, Problem::NotACode, Some(value))),
            }
        }
    }
    formats(project, &At::Root, &mut v.errors);
    v
}

fn note(path: &str, message: String) -> Note {
    Note {
        path: path.to_string(),
        message,
    }
}

/// Every value at a pattern (`[]` = every item of an array), with its pointer.
fn at<'a>(root: &'a Value, pattern: &str) -> Vec<(String, &'a Value)> {
    let mut found = vec![(String::new(), root)];
    for part in pattern.split('/').skip(1) {
        let (key, every) = match part.strip_suffix("[]") {
            Some(k) => (k, true),
            None => (part, false),
        };
        let mut next = Vec::new();
        for (path, v) in found {
            let Some(child) = v.get(key) else { continue };
            let path = format!("{path}/{key}");
            if every {
                if let Value::Array(items) = child {
                    next.extend(
                        items
                            .iter()
                            .enumerate()
                            .map(|(i, x)| (format!("{path}/{i}"), x)),
                    );
                }
            } else {
                next.push((path, child));
            }
        }
        found = next;
    }
    found
}

/// The pointers of every value at a pattern, for changing them one at a time.
fn pointers(root: &Value, pattern: &str) -> Vec<String> {
    at(root, pattern).into_iter().map(|(p, _)| p).collect()
}

/// Where a walk is: the keys and indices from the project down, made into a JSON pointer only
/// when something is found there (building one per node was most of the checks' cost).
#[derive(Clone, Copy)]
enum At<'a> {
    Root,
    Key(&'a At<'a>, &'a str),
    Index(&'a At<'a>, usize),
}

impl At<'_> {
    fn pointer(&self) -> String {
        match self {
            At::Root => String::new(),
            At::Key(parent, key) => format!("{}/{key}", parent.pointer()),
            At::Index(parent, i) => format!("{}/{i}", parent.pointer()),
        }
    }

    fn last_key(&self) -> Option<&str> {
        match self {
            At::Key(_, key) => Some(key),
            _ => None,
        }
    }
}

/// Every `id` that is a number becomes text (the schema's ids are strings).
fn ids_as_text(value: &mut Value, at: &At<'_>, repairs: &mut Vec<Note>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::Number(n)) = map.get("id") {
                let id = n.to_string();
                if !matches!(at, At::Root) {
                    repairs.push(note(
                        &format!("{}/id", at.pointer()),
                        format!("the id {id} is written as text"),
                    ));
                }
                map.insert("id".into(), Value::from(id));
            }
            for (k, v) in map.iter_mut() {
                if k != "geometry" {
                    ids_as_text(v, &At::Key(at, k), repairs);
                }
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter_mut().enumerate() {
                ids_as_text(v, &At::Index(at, i), repairs);
            }
        }
        _ => {}
    }
}

/// A date published without a time (`2024-05-20`) is written as midnight UTC of that day: the
/// schema asks for a date-time, the day is what the publisher said, and the note on the sheet
/// says the time is not theirs.
fn bare_days(value: &mut Value, at: &At<'_>, repairs: &mut Vec<Note>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                let here = At::Key(at, k);
                if DATE_KEYS.contains(&k.as_str())
                    && let Value::String(text) = v
                    && !is_date_time(text)
                    && crate::util::is_day(text)
                {
                    let day = text.trim().to_string();
                    *v = Value::from(format!("{day}T00:00:00Z"));
                    repairs.push(note(
                        &here.pointer(),
                        format!(
                            "the date {day} has no time; written as midnight UTC, as the schema asks for a date-time"
                        ),
                    ));
                } else {
                    bare_days(v, &here, repairs);
                }
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter_mut().enumerate() {
                bare_days(v, &At::Index(at, i), repairs);
            }
        }
        _ => {}
    }
}

/// Locations without an id get one (see [`number_locations`]), noted as a repair.
fn location_ids(project: &mut Value, repairs: &mut Vec<Note>) {
    let Some(Value::Array(locations)) = project.get_mut("locations") else {
        return;
    };
    for (i, id) in number_locations(locations) {
        repairs.push(note(
            &format!("/locations/{i}/id"),
            format!("a location without id gets id {id}"),
        ));
    }
}

/// Gives every location object without an `id` the lowest number not already taken ("1",
/// "2", …), as its first member; returns the position and id of each one numbered. The schema
/// requires `Location.id`, and the conversion numbers its own locations the same way.
pub(super) fn number_locations(locations: &mut [Value]) -> Vec<(usize, String)> {
    let taken: Vec<String> = locations
        .iter()
        .filter_map(|l| id_text(l.get("id")))
        .collect();
    let mut next = 1;
    let mut numbered = Vec::new();
    for (i, l) in locations.iter_mut().enumerate() {
        let Value::Object(map) = l else { continue };
        if map.contains_key("id") {
            continue;
        }
        while taken.contains(&next.to_string()) {
            next += 1;
        }
        map.shift_insert(0, "id".into(), Value::from(next.to_string()));
        numbered.push((i, next.to_string()));
        next += 1;
    }
    numbered
}

/// A reference whose `id` names no party loses the id (it keeps its name); without a name it
/// is removed, as nothing of it can be resolved.
fn dangling_references(project: &mut Value, repairs: &mut Vec<Note>) {
    let parties: Vec<String> = project
        .get("parties")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|p| p.get("id").and_then(Value::as_str).map(str::to_string))
        .collect();
    for pattern in REFERENCES {
        // Deepest first, so that removing an array item does not shift the ones still to see.
        for path in pointers(project, pattern).into_iter().rev() {
            let Some(reference) = project.pointer_mut(&path) else {
                continue;
            };
            let Some(id) = reference.get("id").and_then(Value::as_str) else {
                continue;
            };
            if parties.iter().any(|p| p == id) {
                continue;
            }
            let id = id.to_string();
            let named = reference
                .get("name")
                .and_then(Value::as_str)
                .is_some_and(|n| !n.trim().is_empty());
            if named && let Value::Object(map) = reference {
                map.remove("id");
                repairs.push(note(
                    &path,
                    format!("no party has id `{id}`; the reference keeps its name only"),
                ));
            } else {
                remove(project, &path);
                repairs.push(note(
                    &path,
                    format!("no party has id `{id}` and the reference has no name; removed"),
                ));
            }
        }
    }
    super::clean(project);
}

/// Removes the value at a pointer (an array item or an object member).
fn remove(root: &mut Value, pointer: &str) {
    let Some((parent, last)) = pointer.rsplit_once('/') else {
        return;
    };
    match root.pointer_mut(parent) {
        Some(Value::Array(items)) => {
            if let Ok(i) = last.parse::<usize>()
                && i < items.len()
            {
                items.remove(i);
            }
        }
        Some(Value::Object(map)) => {
            map.shift_remove(last);
        }
        _ => {}
    }
}

/// Dates, URIs, e-mails, amounts and currencies in the shapes the schema asks for.
fn formats(value: &Value, at: &At<'_>, errors: &mut Vec<SchemaError>) {
    match value {
        Value::Object(map) => {
            check_members(map, at, errors);
            for (k, v) in map {
                formats(v, &At::Key(at, k), errors);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                formats(v, &At::Index(at, i), errors);
            }
        }
        _ => {}
    }
}

fn check_members(map: &Map<String, Value>, at: &At<'_>, errors: &mut Vec<SchemaError>) {
    for (k, v) in map {
        let text = v.as_str();
        let here = || At::Key(at, k).pointer();
        if DATE_KEYS.contains(&k.as_str()) && !text.is_some_and(is_date_time) {
            errors.push(SchemaError::at(&here(), Problem::NotADateTime, Some(v)));
        }
        if matches!(k.as_str(), "url" | "uri") && !text.is_some_and(is_uri) {
            errors.push(SchemaError::at(&here(), Problem::NotAUri, Some(v)));
        }
        if k == "email"
            && !text.is_some_and(|t| t.contains('@') && !t.contains(char::is_whitespace))
        {
            errors.push(SchemaError::at(&here(), Problem::NotAnEmail, Some(v)));
        }
    }
    // A Value object: a numeric amount and a currency code.
    let key = at.last_key().unwrap_or_default();
    if key.ends_with("value")
        || key.ends_with("amount") && map.contains_key("currency")
        || map.contains_key("currency") && map.contains_key("amount")
    {
        if let Some(a) = map.get("amount")
            && !a.is_number()
        {
            let path = format!("{}/amount", at.pointer());
            errors.push(SchemaError::at(&path, Problem::NotANumber, Some(a)));
        }
        if let Some(c) = map.get("currency")
            && !c
                .as_str()
                .is_some_and(|c| c.len() == 3 && c.chars().all(|x| x.is_ascii_uppercase()))
        {
            let path = format!("{}/currency", at.pointer());
            errors.push(SchemaError::at(&path, Problem::NotACurrency, Some(c)));
        }
    }
}

/// An absolute URI: a scheme, a colon, and no spaces.
fn is_uri(text: &str) -> bool {
    let Some((scheme, rest)) = text.split_once(':') else {
        return false;
    };
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        && !rest.is_empty()
        && !text.contains(char::is_whitespace)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn paths(notes: &[Note]) -> Vec<&str> {
        notes.iter().map(|n| n.path.as_str()).collect()
    }

    #[test]
    fn certain_repairs_are_made_and_noted() {
        let mut p = json!({
            "id": "oc4ids-x-1",
            "parties": [{"id": 7, "name": "MOP"}],
            "publicAuthority": {"id": "7", "name": "MOP"},
            "locations": [{"description": "Colón"}, {"id": "1", "description": "Sabanitas"}],
            "contractingProcesses": [{"id": "ocds-1", "summary": {
                "tender": {"procuringEntity": {"id": "X9", "name": "Ministerio"},
                           "tenderers": [{"id": "ghost"}, {"id": "7"}]},
                "suppliers": [{"id": "ghost2"}]}}]
        });
        let v = check(&mut p);
        assert!(v.errors.is_empty(), "{:?}", v.errors);
        assert_eq!(p["parties"][0]["id"], "7");
        assert_eq!(p["locations"][0]["id"], "2");
        let s = &p["contractingProcesses"][0]["summary"];
        assert_eq!(
            s["tender"]["procuringEntity"],
            json!({"name": "Ministerio"})
        );
        assert_eq!(s["tender"]["tenderers"], json!([{"id": "7"}]));
        assert!(
            s.get("suppliers").is_none(),
            "an empty list is removed: {s}"
        );
        let repaired = paths(&v.repairs);
        assert!(repaired.contains(&"/parties/0/id"), "{repaired:?}");
        assert!(repaired.contains(&"/locations/0/id"));
        assert!(repaired.contains(&"/contractingProcesses/0/summary/tender/tenderers/0"));
    }

    #[test]
    fn what_cannot_be_repaired_is_listed_with_its_path() {
        let mut p = json!({
            "id": "oc4ids-x-2",
            "status": "ongoing",
            "budget": {"amount": {"amount": "1.000,50", "currency": "balboas"}},
            "documents": [{"url": "www.mop.gob.pa/x.pdf", "datePublished": "20/05/2024"}],
            "contractingProcesses": [{"summary": {"status": "closed", "nature": ["works"]}}],
            "parties": [{"id": "1", "contactPoint": {"email": "mop at gob.pa"}}]
        });
        let v = check(&mut p);
        let errors: Vec<&str> = v.errors.iter().map(|e| e.path.as_str()).collect();
        for expected in [
            "/status",
            "/budget/amount/amount",
            "/budget/amount/currency",
            "/documents/0",
            "/documents/0/url",
            "/documents/0/datePublished",
            "/contractingProcesses/0",
            "/contractingProcesses/0/summary/nature/0",
            "/parties/0/contactPoint/email",
        ] {
            assert!(errors.contains(&expected), "{expected} not in {errors:?}");
        }
        assert!(!errors.contains(&"/contractingProcesses/0/summary/status"));
    }

    #[test]
    fn a_bare_date_becomes_midnight_utc_with_a_note() {
        let mut p = json!({"id": "oc4ids-x-4", "budget": {"approvalDate": "2023-11-20"}});
        let v = check(&mut p);
        assert!(v.errors.is_empty(), "{:?}", v.errors);
        assert_eq!(p["budget"]["approvalDate"], "2023-11-20T00:00:00Z");
        assert_eq!(paths(&v.repairs), ["/budget/approvalDate"]);
    }

    #[test]
    fn a_valid_project_is_left_as_it_is() {
        let mut p = json!({
            "id": "oc4ids-x-3", "status": "completion",
            "parties": [{"id": "A", "name": "MOP", "contactPoint": {"email": "obras@mop.gob.pa"}}],
            "publicAuthority": {"id": "A", "name": "MOP"},
            "budget": {"amount": {"amount": 10.5, "currency": "PAB"}, "approvalDate": "2024-01-01T00:00:00Z"},
            "contractingProcesses": [{"id": "ocds-1", "summary": {"status": "active",
                "documents": [{"id": "1", "url": "https://mop.gob.pa/a.pdf"}]}}]
        });
        let before = p.clone();
        let v = check(&mut p);
        assert!(v.errors.is_empty() && v.repairs.is_empty(), "{v:?}");
        assert_eq!(p, before);
    }
}
