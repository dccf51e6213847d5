//! Documents: which go to the project, in the codelist's spelling, each id once.

use serde_json::{Map, Value};

use super::Converter;
use super::values::unique_ids;
use crate::ocds::CompiledProcess;
use crate::util::At as _;
use crate::util::array;

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

impl Converter {
    pub(super) fn documents(&mut self, project: &mut Map<String, Value>, rows: &[CompiledProcess]) {
        let mut docs = Vec::new();
        let typed = |d: &Value, types: &[&str]| {
            d.get("documentType")
                .and_then(Value::as_str)
                .is_some_and(|t| types.contains(&t))
        };
        for row in rows {
            for d in array(row.data.at("/planning/documents")) {
                if typed(d, PROJECT_DOCUMENT_TYPES) {
                    docs.push((row.ocid.as_str(), codelist_spelling(d)));
                }
            }
            for contract in array(row.data.get("contracts")) {
                for d in array(contract.at("/implementation/documents")) {
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
}

/// The document with its type in the codelist's spelling.
pub(super) fn codelist_spelling(d: &Value) -> Value {
    let mut d = d.clone();
    if let Some(t) = d.get("documentType").and_then(Value::as_str)
        && let Some((_, code)) = DOCUMENT_TYPE_SPELLINGS.iter().find(|(from, _)| *from == t)
    {
        d["documentType"] = Value::from(*code);
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn mapping_spellings_become_codelist_codes() {
        let d = json!({"id": "1", "documentType": "escalationApprovals"});
        assert_eq!(codelist_spelling(&d)["documentType"], "escalationApproval");
        let kept = json!({"id": "2", "documentType": "finalAudit"});
        assert_eq!(codelist_spelling(&kept), kept);
    }
}
