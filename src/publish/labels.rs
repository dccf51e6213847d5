//! Display titles of codelist codes for the pages and spreadsheets people read (Spanish and English). Codes themselves are never translated; only their titles are shown beside them.
//!
//! Titles are the short "Title" of each code in the OCDS 1.1.5 and OC4IDS 0.9.5 codelists
//! (English) and their official Spanish translations, written out here as data: the standards
//! folder is not part of the build. A few official Spanish titles are corrected where they are
//! plainly wrong; each correction is marked "Corrected:" beside its row and listed in the tests.

use std::borrow::Cow;

pub use crate::config::Lang;

/// Which codelist a code belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum List {
    /// `documentType` (OC4IDS, with OCDS's extra codes).
    DocumentType,
    /// OC4IDS `projectSector`, including dotted subsectors such as `transport.road`.
    Sector,
    /// OC4IDS `projectStatus`.
    ProjectStatus,
    /// OC4IDS `projectType`.
    ProjectType,
    /// OC4IDS `contractingProcessStatus`.
    ProcessStatus,
    /// OC4IDS `modificationType`.
    ModificationType,
    /// OC4IDS `contractNature`.
    ContractNature,
    /// OCDS `method` (procurement method).
    Method,
    /// OCDS `procurementCategory`.
    Category,
    /// `partyRole` (OC4IDS, which contains all of OCDS's).
    PartyRole,
    /// OCDS `tenderStatus`.
    TenderStatus,
    /// OCDS `contractStatus`.
    ContractStatus,
    /// OCDS `awardStatus`.
    AwardStatus,
    /// OC4IDS `milestoneType` (contains all of OCDS's).
    MilestoneType,
}

/// Every list, so tests and callers can walk them all.
pub const ALL_LISTS: [List; 14] = [
    List::DocumentType,
    List::Sector,
    List::ProjectStatus,
    List::ProjectType,
    List::ProcessStatus,
    List::ModificationType,
    List::ContractNature,
    List::Method,
    List::Category,
    List::PartyRole,
    List::TenderStatus,
    List::ContractStatus,
    List::AwardStatus,
    List::MilestoneType,
];

/// The title of `code` in `list`, in `lang`; `None` when the code is not in the codelist.
///
/// Matching is exact and case-sensitive, as codes are. A subsector missing from `Sector` is
/// `None` rather than its parent's title: showing "Transporte" for an unknown `transport.x`
/// would claim a classification the data does not make.
pub fn title(list: List, code: &str, lang: Lang) -> Option<&'static str> {
    let rows = rows(list);
    let index = rows.binary_search_by(|row| row.0.cmp(code)).ok()?;
    let &(_, es, en) = rows.get(index)?;
    // An untranslated code still gets a readable title rather than a blank cell.
    match lang {
        Lang::Es if !es.is_empty() => Some(es),
        Lang::Es | Lang::En => Some(en),
    }
}

/// The title when known, else the code itself (open codelists allow other codes).
pub fn title_or_code<'a>(list: List, code: &'a str, lang: Lang) -> Cow<'a, str> {
    Cow::Borrowed(title(list, code, lang).unwrap_or(code))
}

/// The rows of `list`, sorted by code so lookups can binary-search.
fn rows(list: List) -> &'static [Row] {
    match list {
        List::DocumentType => DOCUMENT_TYPE,
        List::Sector => SECTOR,
        List::ProjectStatus => PROJECT_STATUS,
        List::ProjectType => PROJECT_TYPE,
        List::ProcessStatus => PROCESS_STATUS,
        List::ModificationType => MODIFICATION_TYPE,
        List::ContractNature => CONTRACT_NATURE,
        List::Method => METHOD,
        List::Category => CATEGORY,
        List::PartyRole => PARTY_ROLE,
        List::TenderStatus => TENDER_STATUS,
        List::ContractStatus => CONTRACT_STATUS,
        List::AwardStatus => AWARD_STATUS,
        List::MilestoneType => MILESTONE_TYPE,
    }
}

/// One code: (code, Spanish title, English title).
type Row = (&'static str, &'static str, &'static str);

/// OC4IDS 0.9.5 `documentType`, plus the OCDS 1.1.5 codes OC4IDS lacks (`contractSchedule`,
/// `finalAudit`). Where both standards have a code, the OC4IDS Spanish wins (e.g. "Anuncio de
/// licitación", not OCDS's "Aviso de licitación"): its translation is newer, and one vocabulary
/// keeps a project page consistent.
static DOCUMENT_TYPE: &[Row] = &[
    (
        "abatementCostMethodology",
        "Metodología de los costos de reducción",
        "Abatement cost methodology",
    ),
    (
        "antiCorruptionCertification",
        "Certificación anticorrupción",
        "Anti-corruption certification",
    ),
    // Corrected: the official "activos y responsabilidades" renders accounting "liabilities" as
    // "responsibilities"; the accounting pair is "activos y pasivos".
    (
        "assetAndLiabilityAssessment",
        "Evaluación de los activos y pasivos del gobierno",
        "Assessment of government's assets and liabilities",
    ),
    ("awardNotice", "Anuncio de adjudicación", "Award notice"),
    (
        "bidders",
        "Información del Licitante",
        "Information on bidders",
    ),
    (
        "biddingDocuments",
        "Documentos de ofertas",
        "Bidding documents",
    ),
    // Corrected: the official "Factura de cantidad" means "invoice of quantity"; a bill of
    // quantities is the priced list of works items, "Lista de cantidades" in Spanish bidding documents.
    ("billOfQuantity", "Lista de cantidades", "Bill of quantity"),
    (
        "budgetAmendmentApproval",
        "Aprobación de enmienda presupuestaria",
        "Budget amendment approval",
    ),
    (
        "budgetApproval",
        "Aprobación del presupuesto",
        "Budget approval",
    ),
    (
        "buildingInspectionReport",
        "Informe de inspección del edificio",
        "Building inspection report",
    ),
    (
        "cancellationDetails",
        "Detalles de cancelación",
        "Cancellation details",
    ),
    (
        "clarifications",
        "Aclaraciones a las preguntas de los licitantes",
        "Clarifications to bidders questions",
    ),
    (
        "climateAndDisasterRiskAssessment",
        "Evaluación del riesgo climático y de desastres",
        "Climate and disaster risk assessment",
    ),
    ("climateMeasures", "Medidas climáticas", "Climate measures"),
    (
        "climateTransformation",
        "Transformación climática",
        "Climate transformation",
    ),
    (
        "complaints",
        "Reclamos y decisiones",
        "Complaints and decisions",
    ),
    (
        "completionCertificate",
        "Certificado de terminación",
        "Completion certificate",
    ),
    (
        "conflictOfInterest",
        "Conflicto de intereses",
        "Conflict of interest",
    ),
    (
        "conservationMeasures",
        "Medidas de conservación",
        "Conservation measures",
    ),
    (
        "consultationMeetingInvitation",
        "Invitación a reunión de consulta",
        "Consultation meeting invitation",
    ),
    (
        "contractAmendment",
        "Enmiendas al contrato",
        "Contract amendment",
    ),
    (
        "contractAnnexe",
        "Anexos al contrato",
        "Annexes to the contract",
    ),
    (
        "contractArrangements",
        "Arreglos para finalizar un contrato",
        "Arrangements for ending contract",
    ),
    ("contractDraft", "Borrador de contrato", "Contract draft"),
    ("contractGuarantees", "Garantías", "Guarantees"),
    ("contractNotice", "Anuncio de contrato", "Contract notice"),
    (
        "contractSchedule",
        "Calendario del contrato",
        "Contract schedules",
    ),
    ("contractSigned", "Contrato firmado", "Signed contract"),
    // Corrected: the official "Resúmen" carries a stray accent; the word is "Resumen".
    (
        "contractSummary",
        "Resumen del contrato",
        "Contract summary",
    ),
    (
        "costBenefitAnalysis",
        "Análisis costo-beneficio",
        "Cost-benefit analysis",
    ),
    ("debarments", "Inhabilitaciones", "Debarments"),
    (
        "decommissioningPlans",
        "Planes de desmantelamiento",
        "Decommissioning plans",
    ),
    ("defaultEvents", "Incumplimientos", "Defaults"),
    (
        "designReport",
        "Reporte de diseño de proyecto",
        "Project design report",
    ),
    (
        "eligibilityCriteria",
        "Criterios de elegibilidad",
        "Eligibility criteria",
    ),
    (
        "environmentalExemption",
        "Excepción medioambiental",
        "Environmental exemption",
    ),
    (
        "environmentalImpact",
        "Impacto ambiental",
        "Environmental impact",
    ),
    (
        "environmentalMeasures",
        "Medidas ambientales",
        "Environmental measures",
    ),
    (
        "escalationApproval",
        "Aprobación de escalamiento",
        "Escalation approval",
    ),
    ("estimatedDemand", "Demanda estimada", "Estimated demand"),
    (
        "evaluationCommittee",
        "Detalles del comité de evaluación",
        "Evaluation committee details",
    ),
    (
        "evaluationCriteria",
        "Criterios de evaluación",
        "Evaluation criteria",
    ),
    (
        "evaluationReports",
        "Reporte de evaluación",
        "Evaluation report",
    ),
    (
        "feasibilityStudy",
        "Estudio de factibilidad",
        "Feasibility study",
    ),
    ("finalAudit", "Auditoría final", "Final audit"),
    (
        "financialAgreement",
        "Acuerdo financiero",
        "Financial agreement",
    ),
    (
        "financialAuditReport",
        "Informe de auditoría financiera",
        "Financial audit report",
    ),
    (
        "financialProgressReport",
        "Reportes de progreso financiero",
        "Financial progress reports",
    ),
    (
        "ghgEmissions",
        "Emisiones de gases de efecto invernadero",
        "Greenhouse gas emissions",
    ),
    (
        "ghgEmissionsForecast",
        "Proyección de emisiones de gases de efecto invernadero",
        "Greenhouse gas emissions forecast",
    ),
    (
        "ghgEmissionsReduction",
        "Previsión de reducción de emisiones de gases de efecto invernadero",
        "Greenhouse gas emissions reduction forecast",
    ),
    (
        "hearingNotice",
        "Anuncio de audiencia pública",
        "Public hearing notice",
    ),
    ("illustration", "Ilustraciones", "Illustrations"),
    (
        "impactMethodology",
        "Metodología de impacto",
        "Impact methodology",
    ),
    ("inclusiveDesign", "Diseño inclusivo", "Inclusive design"),
    (
        "inclusiveImplementation",
        "Implementación inclusiva",
        "Inclusive implementation",
    ),
    (
        "incorporationCertificate",
        "Certificado de incorporación",
        "Certificate of incorporation",
    ),
    (
        "informationRequest",
        "Solicitud de libertad de información",
        "Freedom of information request",
    ),
    (
        "informationRequestResponse",
        "Respuesta a solicitud de libertad de información",
        "Freedom of information request response",
    ),
    (
        "landAndSettlementImpact",
        "Evaluación de impacto en tierras y asentamientos",
        "Land and settlement impact assessment",
    ),
    (
        "lifeCycleCostMethodology",
        "Metodología del costo del ciclo de vida",
        "Life cycle cost methodology",
    ),
    (
        "maintenancePlan",
        "Plan de mantenimiento",
        "Maintenance plan",
    ),
    ("marketStudies", "Estudios de mercado", "Market studies"),
    (
        "materialTestResults",
        "Resultados de pruebas de materiales",
        "Material test results",
    ),
    ("minutes", "Minutas", "Minutes"),
    (
        "minutes.consultationMeeting",
        "Actas de la reunión de consulta",
        "Consultation meeting minutes",
    ),
    (
        "minutes.lobbyingMeeting",
        "Actas de las reuniones de cabildeo",
        "Lobbying meeting minutes",
    ),
    (
        "needsAssessment",
        "Evaluación de necesidades",
        "Needs assessment",
    ),
    (
        "negotiationParameters",
        "Parámetros de negociación",
        "Negotiation parameters",
    ),
    (
        "oversightReport",
        "Informe de supervisión",
        "Oversight report",
    ),
    (
        "paymentCertificate",
        "Certificado de pago",
        "Payment certificate",
    ),
    (
        "performanceReport",
        "Reporte de desempeño",
        "Performance report",
    ),
    (
        "physicalProgressReport",
        "Reportes de progreso físico",
        "Physical progress reports",
    ),
    (
        "plannedProcurementNotice",
        "Aviso de compra planeada",
        "Notice of planned procurement",
    ),
    (
        "policyAlignment",
        "Alineación de políticas",
        "Policy alignment",
    ),
    (
        "procurementPlan",
        "Plan de adquisiciones",
        "Procurement plan",
    ),
    (
        "procurementStrategyRiskAssessment",
        "Evaluación de riesgo de la política de adquisiciones y contrataciones",
        "Procurement strategy risk assessment",
    ),
    (
        "projectEvaluation",
        "Evaluación del proyecto",
        "Project evaluation",
    ),
    ("projectPlan", "Plan del proyecto", "Project plan"),
    ("projectScope", "Alcance del proyecto", "Project scope"),
    (
        "qualityAssuranceReport",
        "Informe de garantía de calidad",
        "Quality assurance report",
    ),
    (
        "requestForQualification",
        "Solicitud de calificación",
        "Request for qualification",
    ),
    (
        "resettlementPlan",
        "Plan de reasentamiento y compensación",
        "Resettlement and compensation plan",
    ),
    (
        "riskProvisions",
        "Cláusulas para el manejo de riesgos y responsabilidades",
        "Provisions for management of risks and liabilities",
    ),
    (
        "serviceDescription",
        "Descripciones del servicio",
        "Service descriptions",
    ),
    (
        "shortlistedFirms",
        "Empresas preseleccionadas",
        "Shortlisted firms",
    ),
    (
        "socialImpact",
        "Evaluación de impacto social",
        "Social impact assessment",
    ),
    ("subContract", "Subcontratos", "Subcontracts"),
    (
        "submissionDocuments",
        "Documentos de presentación de oferta",
        "Bid submission documents",
    ),
    (
        "supplierEnvironmentalCertification",
        "Certificación ambiental de proveedores",
        "Supplier environmental certification",
    ),
    (
        "supplierHealthAndSafetyCertification",
        "Certificación de salud y seguridad de proveedores",
        "Supplier health and safety certification",
    ),
    (
        "technicalAuditReport",
        "Informe de auditoría técnica",
        "Technical audit report",
    ),
    (
        "technicalSpecifications",
        "Especificaciones técnicas",
        "Technical specifications",
    ),
    ("tenderNotice", "Anuncio de licitación", "Tender notice"),
    ("termination", "Terminación", "Termination"),
    (
        "valueForMoneyAnalysis",
        "Análisis de valor por dinero",
        "Value for money analysis",
    ),
    ("winningBid", "Oferta ganadora", "Winning bid"),
];

/// OC4IDS 0.9.5 `projectSector`, subsectors included as their own dotted codes.
static SECTOR: &[Row] = &[
    ("communications", "Comunicaciones", "Communications"),
    (
        "cultureSportsAndRecreation",
        "Cultura, deportes y recreación",
        "Culture, sports and recreation",
    ),
    ("economy", "Economía", "Economy"),
    ("education", "Educación", "Education"),
    ("energy", "Energía", "Energy"),
    ("energy.biomass", "Energía de biomasa", "Biomass energy"),
    (
        "energy.geothermal",
        "Energía geotérmica",
        "Geothermal energy",
    ),
    (
        "energy.hydropower",
        "Energía hidroeléctrica",
        "Hydropower energy",
    ),
    ("energy.solar", "Energía solar", "Solar energy"),
    ("energy.wind", "Energía eólica", "Wind energy"),
    ("governance", "Gobernanza", "Governance"),
    ("health", "Salud", "Health"),
    (
        "naturalResources",
        "Recursos naturales",
        "Natural resources",
    ),
    (
        "naturalResources.floodProtection",
        "Protección contra inundaciones",
        "Flood protection",
    ),
    ("socialHousing", "Viviendas sociales", "Social housing"),
    ("transport", "Transporte", "Transport"),
    ("transport.air", "Transporte aéreo", "Air transport"),
    (
        "transport.lowCarbon",
        "Transporte bajo en carbono",
        "Low-carbon transport",
    ),
    ("transport.rail", "Transporte ferroviario", "Rail transport"),
    ("transport.road", "Transporte terrestre", "Road transport"),
    ("transport.urban", "Transporte urbano", "Urban transport"),
    ("transport.water", "Transporte fluvial", "Water transport"),
    ("waterAndWaste", "Agua y residuos", "Water and waste"),
];

/// OC4IDS 0.9.5 `projectStatus`.
static PROJECT_STATUS: &[Row] = &[
    ("cancelled", "Cancelado", "Cancelled"),
    ("completion", "Finalización", "Completion"),
    ("decommissioned", "Desmantelado", "Decommissioned"),
    ("decommissioning", "Desmantelamiento", "Decommissioning"),
    ("identification", "Identificación", "Identification"),
    // Corrected: the official title is the English word, untranslated and lower-case (in English
    // too). "Ejecución" is the term the official Spanish description of this code uses.
    ("implementation", "Ejecución", "Implementation"),
    ("maintenance", "Mantenimiento", "Maintenance"),
    ("preparation", "Preparación", "Preparation"),
];

/// OC4IDS 0.9.5 `projectType`.
static PROJECT_TYPE: &[Row] = &[
    ("construction", "Construcción", "Construction"),
    ("decommissioning", "Desmantelamiento", "Decommissioning"),
    ("expansion", "Expansión", "Expansion"),
    ("rehabilitation", "Rehabilitación", "Rehabilitation"),
    ("replacement", "Reemplazo", "Replacement"),
];

/// OC4IDS 0.9.5 `contractingProcessStatus`.
static PROCESS_STATUS: &[Row] = &[
    ("active", "Activo", "Active"),
    ("closed", "Cerrado", "Closed"),
    ("pre-award", "Pre-adjudicación", "Pre-award"),
];

/// OC4IDS 0.9.5 `modificationType`.
static MODIFICATION_TYPE: &[Row] = &[
    ("duration", "Duración", "Duration"),
    ("scope", "Alcance", "Scope"),
    ("value", "Valor", "Value"),
];

/// OC4IDS 0.9.5 `contractNature`.
static CONTRACT_NATURE: &[Row] = &[
    ("construction", "Construcción", "Construction"),
    ("design", "Diseño", "Design"),
    ("supervision", "Supervisión", "Supervision"),
];

/// OCDS 1.1.5 `method` (identical in OC4IDS 0.9.5).
static METHOD: &[Row] = &[
    ("direct", "Directa", "Direct"),
    ("limited", "Limitada", "Limited"),
    ("open", "Abierta", "Open"),
    ("selective", "Selectiva", "Selective"),
];

/// OCDS 1.1.5 `procurementCategory`.
static CATEGORY: &[Row] = &[
    ("goods", "Bienes y provisiones", "Goods and supplies"),
    ("services", "Servicios", "Services"),
    ("works", "Obras", "Works"),
];

/// OC4IDS 0.9.5 `partyRole`, a superset of OCDS 1.1.5's with the same titles for shared codes.
static PARTY_ROLE: &[Row] = &[
    (
        "administrativeEntity",
        "Entidad Administrativa",
        "Administrative Entity",
    ),
    ("buyer", "Comprador", "Buyer"),
    (
        "climateFinanceFocalPoint",
        "Punto focal de financiamiento climático",
        "Climate finance focal point",
    ),
    ("enquirer", "Persona que solicita información", "Enquirer"),
    ("funder", "Financiador", "Funder"),
    (
        "independentMonitor",
        "Monitor independiente",
        "Independent monitor",
    ),
    ("interestedParty", "Parte interesada", "Interested party"),
    ("payee", "Beneficiario", "Payee"),
    ("payer", "Pagador", "Payer"),
    ("procuringEntity", "Entidad contratante", "Procuring entity"),
    ("publicAuthority", "Autoridad Pública", "Public Authority"),
    ("reviewBody", "Órgano de revisión", "Review body"),
    ("supplier", "Proveedor", "Supplier"),
    ("tenderer", "Licitante", "Tenderer"),
];

/// OCDS 1.1.5 `tenderStatus`.
static TENDER_STATUS: &[Row] = &[
    ("active", "Activo", "Active"),
    ("cancelled", "Cancelado", "Cancelled"),
    ("complete", "Completo", "Complete"),
    ("planned", "Planeado", "Planned"),
    ("planning", "Planeación", "Planning"),
    ("unsuccessful", "Sin Éxito", "Unsuccessful"),
    ("withdrawn", "Retirado", "Withdrawn"),
];

/// OCDS 1.1.5 `contractStatus`.
static CONTRACT_STATUS: &[Row] = &[
    ("active", "Activo", "Active"),
    ("cancelled", "Cancelado", "Cancelled"),
    ("pending", "Pendiente", "Pending"),
    ("terminated", "Terminado", "Terminated"),
];

/// OCDS 1.1.5 `awardStatus`.
static AWARD_STATUS: &[Row] = &[
    ("active", "Activo", "Active"),
    ("cancelled", "Cancelado", "Cancelled"),
    ("pending", "Pendiente", "Pending"),
    ("unsuccessful", "Sin Éxito", "Unsuccessful"),
];

/// OC4IDS 0.9.5 `milestoneType`, a superset of OCDS 1.1.5's.
static MILESTONE_TYPE: &[Row] = &[
    ("approval", "Hitos de aprobación", "Approval milestones"),
    (
        "assessment",
        "Hitos de la evaluación",
        "Assessment milestones",
    ),
    ("contractClose", "Cierre de contrato", "Contract close"),
    ("delivery", "Hitos de entrega", "Delivery milestones"),
    // Corrected: the official OC4IDS "compromiso" means "commitment"; these are stakeholder
    // engagement milestones (e.g. a public hearing). OCDS's official title is used instead.
    (
        "engagement",
        "Hitos de participación",
        "Engagement milestones",
    ),
    // Corrected: typo in the official OC4IDS title; OCDS spells it "financiamiento".
    (
        "financing",
        "Hitos de financiamiento",
        "Financing milestones",
    ),
    ("payment", "Hitos de pago", "Payment milestones"),
    (
        "preProcurement",
        "Hitos previos a la contratación",
        "Pre-procurement milestones",
    ),
    (
        "procurement",
        "Adquisiciones y Contrataciones",
        "Procurement",
    ),
    ("reporting", "Hitos de informes", "Reporting milestones"),
];

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::Path;

    use super::*;

    /// Where each list's codes come from: (standard folder, codelist file stem), in priority
    /// order; a code takes its titles from the first source that has it.
    fn sources(list: List) -> &'static [(&'static str, &'static str)] {
        const OC4IDS: &str = "oc4ids-0.9.5";
        const OCDS: &str = "ocds-1.1.5";
        match list {
            List::DocumentType => &[(OC4IDS, "documentType"), (OCDS, "documentType")],
            List::Sector => &[(OC4IDS, "projectSector")],
            List::ProjectStatus => &[(OC4IDS, "projectStatus")],
            List::ProjectType => &[(OC4IDS, "projectType")],
            List::ProcessStatus => &[(OC4IDS, "contractingProcessStatus")],
            List::ModificationType => &[(OC4IDS, "modificationType")],
            List::ContractNature => &[(OC4IDS, "contractNature")],
            List::Method => &[(OCDS, "method"), (OC4IDS, "method")],
            List::Category => &[(OCDS, "procurementCategory")],
            List::PartyRole => &[(OC4IDS, "partyRole"), (OCDS, "partyRole")],
            List::TenderStatus => &[(OCDS, "tenderStatus")],
            List::ContractStatus => &[(OCDS, "contractStatus")],
            List::AwardStatus => &[(OCDS, "awardStatus")],
            List::MilestoneType => &[(OC4IDS, "milestoneType"), (OCDS, "milestoneType")],
        }
    }

    /// Rows whose titles deliberately differ from the first source (see "Corrected:" comments).
    const CORRECTED: &[(List, &str)] = &[
        (List::DocumentType, "assetAndLiabilityAssessment"),
        (List::DocumentType, "billOfQuantity"),
        (List::DocumentType, "contractSummary"),
        (List::ProjectStatus, "implementation"),
        (List::MilestoneType, "engagement"),
        (List::MilestoneType, "financing"),
    ];

    const STANDARDS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/standards");

    /// Reads `column` by `Code` from a codelist CSV, by header name so column order is free.
    fn read_column(path: &Path, column: &str) -> BTreeMap<String, String> {
        let mut reader =
            csv::Reader::from_path(path).unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
        let headers = reader.headers().expect("CSV header row").clone();
        let position = |name: &str| {
            headers
                .iter()
                .position(|h| h == name)
                .unwrap_or_else(|| panic!("{} has no {name} column", path.display()))
        };
        let (code_at, value_at) = (position("Code"), position(column));
        reader
            .records()
            .map(|record| {
                let record = record.expect("well-formed CSV record");
                let cell = |i: usize| record.get(i).expect("cell present").trim().to_owned();
                (cell(code_at), cell(value_at))
            })
            .collect()
    }

    #[test]
    fn codes_sorted_unique_and_titles_non_empty() {
        for list in ALL_LISTS {
            let rows = rows(list);
            assert!(!rows.is_empty(), "{list:?} is empty");
            for pair in rows.windows(2) {
                assert!(
                    pair[0].0 < pair[1].0,
                    "{list:?}: {} !< {}",
                    pair[0].0,
                    pair[1].0
                );
            }
            for &(code, es, en) in rows {
                assert!(!code.is_empty(), "{list:?}: empty code");
                assert!(
                    !es.trim().is_empty(),
                    "{list:?} {code}: empty Spanish title"
                );
                assert!(
                    !en.trim().is_empty(),
                    "{list:?} {code}: empty English title"
                );
                assert_eq!(title(list, code, Lang::Es), Some(es), "{list:?} {code}");
                assert_eq!(title(list, code, Lang::En), Some(en), "{list:?} {code}");
            }
        }
    }

    #[test]
    fn spot_checks() {
        assert_eq!(title(List::Method, "open", Lang::Es), Some("Abierta"));
        assert_eq!(title(List::Method, "open", Lang::En), Some("Open"));
        assert_eq!(
            title(List::Sector, "transport.road", Lang::Es),
            Some("Transporte terrestre")
        );
        assert_eq!(
            title(List::Sector, "transport.road", Lang::En),
            Some("Road transport")
        );
        assert_eq!(
            title(List::Category, "goods", Lang::Es),
            Some("Bienes y provisiones")
        );
        assert_eq!(
            title(List::PartyRole, "procuringEntity", Lang::Es),
            Some("Entidad contratante")
        );
        assert_eq!(
            title(List::ProcessStatus, "pre-award", Lang::Es),
            Some("Pre-adjudicación")
        );
        assert_eq!(
            title(List::DocumentType, "finalAudit", Lang::Es),
            Some("Auditoría final")
        );
        assert_eq!(
            title(List::ProjectStatus, "implementation", Lang::Es),
            Some("Ejecución")
        );
        // Same code, different lists: the list decides the title.
        assert_eq!(
            title(List::TenderStatus, "active", Lang::En),
            Some("Active")
        );
        assert_eq!(
            title(List::ProjectType, "decommissioning", Lang::Es),
            Some("Desmantelamiento")
        );
    }

    #[test]
    fn unknown_codes() {
        assert_eq!(title(List::Method, "auction", Lang::Es), None);
        assert_eq!(
            title(List::Method, "Open", Lang::Es),
            None,
            "codes are case-sensitive"
        );
        assert_eq!(
            title(List::Sector, "transport.space", Lang::Es),
            None,
            "no parent fallback"
        );
        assert_eq!(title(List::Sector, "", Lang::En), None);
        assert_eq!(title_or_code(List::Method, "auction", Lang::Es), "auction");
        assert_eq!(title_or_code(List::Method, "direct", Lang::Es), "Directa");
        assert_eq!(title_or_code(List::Method, "direct", Lang::En), "Direct");
    }

    #[test]
    fn lang_serde_and_default() {
        assert_eq!(Lang::default(), Lang::Es);
        assert_eq!(
            serde_json::to_string(&Lang::En).expect("serialize"),
            "\"en\""
        );
        let es: Lang = serde_json::from_str("\"es\"").expect("deserialize");
        assert_eq!(es, Lang::Es);
    }

    /// Each table against the official CSVs: same codes, same titles, bar listed corrections.
    #[test]
    fn tables_match_source_csvs() {
        if !Path::new(STANDARDS).is_dir() {
            eprintln!("skipping: {STANDARDS} is absent, tables not checked against the CSVs");
            return;
        }
        for list in ALL_LISTS {
            // code -> (es, en) from the first source that has the code.
            let mut expected: BTreeMap<String, (String, String)> = BTreeMap::new();
            for &(standard, stem) in sources(list) {
                let dir = Path::new(STANDARDS).join(standard);
                let es = read_column(&dir.join(format!("codelists-es/{stem}.csv")), "Title_es");
                let en = read_column(&dir.join(format!("codelists/{stem}.csv")), "Title");
                assert_eq!(
                    es.keys().collect::<Vec<_>>(),
                    en.keys().collect::<Vec<_>>(),
                    "{standard} {stem}: Spanish and English codes differ"
                );
                for (code, en_title) in en {
                    let es_title = es.get(&code).filter(|t| !t.is_empty()).unwrap_or(&en_title);
                    let es_title = es_title.clone();
                    expected.entry(code).or_insert((es_title, en_title));
                }
            }
            let table: Vec<&str> = rows(list).iter().map(|row| row.0).collect();
            let wanted: Vec<&str> = expected.keys().map(String::as_str).collect();
            assert_eq!(table, wanted, "{list:?}: codes differ from the CSVs");
            for (code, (es, en)) in &expected {
                let ours = (title(list, code, Lang::Es), title(list, code, Lang::En));
                let theirs = (Some(es.as_str()), Some(en.as_str()));
                if CORRECTED.contains(&(list, code.as_str())) {
                    // A correction the source has since adopted should be dropped from the list.
                    assert_ne!(
                        ours, theirs,
                        "{list:?} {code}: correction now matches the source"
                    );
                } else {
                    assert_eq!(ours, theirs, "{list:?} {code}");
                }
            }
        }
    }
}
