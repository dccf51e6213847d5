//! The project's budget: the processes' budgets summed, else the project's stated total;
//! the approval date; the breakdowns with their funders.

use serde_json::{Map, Value, json};

use super::Converter;
use super::values::{sum_values, text};
use crate::ocds::CompiledProcess;
use crate::util::At as _;
use crate::util::{array, id_text};

impl Converter {
    pub(super) fn budget(&mut self, project: &mut Map<String, Value>, rows: &[CompiledProcess]) {
        let mut budget = Map::new();
        let amounts: Vec<Option<&Value>> = rows
            .iter()
            .map(|r| r.data.at("/planning/budget/amount"))
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
            .flat_map(|r| array(r.data.at("/planning/milestones")))
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
            let items: Vec<Value> = array(row.data.at("/planning/budget/budgetBreakdown"))
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
    fn project_total_value(&mut self, budget: &mut Map<String, Value>, rows: &[CompiledProcess]) {
        let mut totals: Vec<&Value> = Vec::new();
        for row in rows {
            if let Some(v) = row.data.at("/planning/project/totalValue")
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
}

#[cfg(test)]
mod tests {
    use super::super::test_rows::{converter, row};
    use super::*;

    #[test]
    fn the_project_total_is_used_only_when_every_process_states_the_same() {
        let total = |amount: u64| json!({"planning": {"project": {"totalValue": {"amount": amount, "currency": "PAB"}}}});
        let same = [row("a", total(10)), row("b", total(10))];
        let mut c = converter(&same);
        let mut project = Map::new();
        c.budget(&mut project, &same);
        assert_eq!(
            project["budget"]["amount"],
            json!({"amount": 10, "currency": "PAB"})
        );
        let different = [row("a", total(10)), row("b", total(12))];
        let mut c = converter(&different);
        let mut project = Map::new();
        c.budget(&mut project, &different);
        assert!(project.get("budget").is_none());
        assert!(c.notes.iter().any(|n| n.message.contains("2 different")));
    }
}
