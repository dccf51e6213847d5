//! Parties: every organisation of the processes once (by identifier, else by content), and
//! each reference rewritten to the party it means.

use std::collections::HashMap;

use serde_json::{Map, Value, json};

use super::values::text;
use crate::ocds::CompiledProcess;
use crate::util::At as _;
use crate::util::{array, id_text};

/// The project's de-duplicated parties, and the map from each process's party ids to them.
#[derive(Default)]
pub(super) struct Parties {
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
    pub(super) fn collect(&mut self, rows: &[CompiledProcess]) {
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
            if let Some(pe) = row.data.at("/tender/procuringEntity") {
                embedded.push((pe, "procuringEntity"));
            }
            for t in array(row.data.at("/tender/tenderers")) {
                embedded.push((t, "tenderer"));
            }
            for a in array(row.data.get("awards")) {
                for s in array(a.get("suppliers")) {
                    embedded.push((s, "supplier"));
                }
            }
            for c in array(row.data.get("contracts")) {
                for t in array(c.at("/implementation/transactions")) {
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

    pub(super) fn add(&mut self, ocid: &str, p: &Map<String, Value>) {
        let original = id_text(p.get("id"));
        let scheme = text(p.get("identifier").and_then(|i| i.get("scheme")));
        let ident = id_text(p.get("identifier").and_then(|i| i.get("id")));
        let identity = match (&scheme, &ident) {
            (Some(s), Some(i)) => format!("id:{s}-{i}"),
            _ => {
                let mut rest = p.clone();
                rest.remove("id");
                rest.remove("roles");
                format!(
                    "fp:{}",
                    crate::util::canonical::content_hash(&Value::Object(rest))
                )
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

    pub(super) fn add_role(&mut self, id: &str, role: &str) {
        if let Some(p) = self.find_mut(id)
            && let Some(Value::Array(roles)) = p.get_mut("roles")
            && !roles.iter().any(|r| r.as_str() == Some(role))
        {
            roles.push(Value::from(role));
        }
    }

    /// The canonical id a reference (by id, else by identifier, else by name) points to.
    pub(super) fn reference_id(&self, ocid: &str, r: &Value) -> Option<String> {
        if let Some(id) = id_text(r.get("id"))
            && let Some(c) = self.ids.get(&(ocid.to_string(), id))
        {
            return Some(c.clone());
        }
        let scheme = text(r.at("/identifier/scheme"));
        let ident = id_text(r.at("/identifier/id"));
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

    pub(super) fn reference(&self, id: &str) -> Value {
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

    pub(super) fn with_role(&self, role: &str) -> Vec<String> {
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
    pub(super) fn in_process_with_role(&self, ocid: &str, role: &str) -> Vec<String> {
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

    pub(super) fn output(&self) -> Vec<Value> {
        self.list.iter().cloned().map(Value::Object).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_rows::{converter, row};
    use serde_json::json;

    #[test]
    fn one_organisation_is_one_party_and_a_name_alone_finds_it() {
        let rows = [
            row(
                "a",
                json!({"parties": [{"id": "1", "name": "MOP", "roles": ["buyer"],
                                         "identifier": {"scheme": "PA-RUC", "id": "8-1"}}]}),
            ),
            row(
                "b",
                json!({"parties": [{"id": "X", "name": "Ministerio de Obras",
                                         "roles": ["procuringEntity"],
                                         "identifier": {"scheme": "PA-RUC", "id": "8-1"}}],
                            "contracts": [{"implementation": {"transactions": [
                                {"payer": {"name": "Tesoro Nacional"}}]}}]}),
            ),
        ];
        let c = converter(&rows);
        let parties = c.parties.output();
        assert_eq!(parties.len(), 2, "{parties:?}");
        assert_eq!(parties[0]["id"], "PA-RUC-8-1");
        assert_eq!(parties[0]["roles"], json!(["buyer", "procuringEntity"]));
        // A payer named only, with no parties array entry, became a party of its own.
        assert_eq!(parties[1]["name"], "Tesoro Nacional");
        assert_eq!(parties[1]["roles"], json!(["payer"]));
        let found = c
            .parties
            .reference_id("b", &json!({"name": "Tesoro Nacional"}));
        assert_eq!(found.as_deref(), parties[1]["id"].as_str());
        assert_eq!(
            c.parties.reference_id("a", &json!({"id": "1"})).as_deref(),
            Some("PA-RUC-8-1")
        );
    }
}
