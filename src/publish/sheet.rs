//! The project sheet ("ficha") a committee member prints: what is built, where, by whom, for
//! how much, by when, what changed and whether a reason was given, what is missing, and whom
//! to ask. Built from what the pipeline already knows about one project; `pages` renders it.
//!
//! Never a judgement of its own: stages, alerts and verdicts come from the converted project,
//! `flags` and `ids`; this module only puts them in the order and words a reader needs.

use serde::Serialize;
use serde_json::Value;

use super::labels::{Lang, List, title_or_code};
use super::words::{self, count, date, pick, value};
use super::{ProjectSheet, safe_file_name};
use crate::config::FlagSettings;
use crate::flags::{Flag, FlagState};
use crate::ids::{Level, Outcome, Stage, catalogue};
use crate::ocds::CompiledProcess;
use crate::util::At as _;
use crate::util::array;

/// The dates that mark a project's way through its stages (ISO text, as published).
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Milestones {
    /// Budget approval.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub budget_approval: Option<String>,
    /// Call for tenders (tender period start).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub call: Option<String>,
    /// Tender close.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tender_close: Option<String>,
    /// First award.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub award: Option<String>,
    /// First contract signature.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
    /// Start of works (contract period start).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start: Option<String>,
    /// Planned end (latest contract period end).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub planned_end: Option<String>,
    /// Actual end (completion).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actual_end: Option<String>,
}

/// Where a project stands, and the dates that show it.
#[derive(Debug, Clone, Serialize)]
pub struct Progress {
    /// The current stage.
    pub stage: Stage,
    /// The dates known.
    pub milestones: Milestones,
}

/// Reads a project's stage and dates from the converted project and its compiled releases.
///
/// The stage is the furthest one the data proves: completion when the project says it is
/// complete; implementation once a contract is signed or active; procurement once a process
/// exists (all processes before award stay here); preparation with a budget; identification
/// otherwise.
pub fn progress(project: &Value, rows: &[CompiledProcess]) -> Progress {
    let s = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_string);
    let min = |a: Option<String>, b: Option<String>| match (a, b) {
        (Some(a), Some(b)) => Some(if b < a { b } else { a }),
        (a, b) => a.or(b),
    };
    let max = |a: Option<String>, b: Option<String>| match (a, b) {
        (Some(a), Some(b)) => Some(if b > a { b } else { a }),
        (a, b) => a.or(b),
    };
    let mut m = Milestones {
        budget_approval: s(project.at("/budget/approvalDate")),
        actual_end: s(project.at("/completion/endDate")),
        ..Milestones::default()
    };
    for row in rows {
        let cr = &row.data;
        m.call = min(m.call.take(), s(cr.at("/tender/tenderPeriod/startDate")));
        m.tender_close = min(
            m.tender_close.take(),
            s(cr.at("/tender/tenderPeriod/endDate")),
        );
        for a in array(cr.get("awards")) {
            m.award = min(m.award.take(), s(a.get("date")));
        }
        for c in array(cr.get("contracts")) {
            m.signature = min(m.signature.take(), s(c.get("dateSigned")));
        }
    }
    let mut contracted = false;
    for (i, cp) in array(project.get("contractingProcesses"))
        .iter()
        .enumerate()
    {
        let summary = cp.get("summary");
        let period = summary.and_then(|s| s.get("contractPeriod"));
        // The planned end after any published extension.
        let now_period = summary.and_then(|s| current(s, "newContractPeriod", "contractPeriod"));
        m.start = min(m.start.take(), s(period.and_then(|p| p.get("startDate"))));
        m.planned_end = max(
            m.planned_end.take(),
            s(now_period.and_then(|p| p.get("endDate"))),
        );
        if m.call.is_none() {
            m.call = s(summary.and_then(|s| s.at("/tender/tenderPeriod/startDate")));
        }
        // One rule with the red flags: an award alone is not a contract.
        let ocid = crate::util::process_id(i, cp);
        let row = rows.iter().find(|r| r.ocid == ocid);
        contracted |= crate::flags::has_contract(summary.unwrap_or(&Value::Null), row);
    }
    let status = project.get("status").and_then(Value::as_str);
    let processes = !array(project.get("contractingProcesses")).is_empty();
    let stage = if status == Some("completion") || m.actual_end.is_some() {
        Stage::Completion
    } else if contracted {
        Stage::Implementation
    } else if processes {
        Stage::Procurement
    } else if project.get("budget").is_some() || status == Some("preparation") {
        Stage::Preparation
    } else {
        Stage::Identification
    };
    Progress {
        stage,
        milestones: m,
    }
}

/// One rung of the stage ladder.
#[derive(Debug, Serialize)]
pub struct Rung {
    /// Stage code (a CSS class).
    pub code: &'static str,
    /// Stage name.
    pub name: &'static str,
    /// "hecha", "actual" or "".
    pub state: &'static str,
    /// The dates known for it, as "what: when".
    pub dates: Vec<String>,
}

/// A line of the money-and-time table.
#[derive(Debug, Serialize)]
pub struct Figure {
    /// What.
    pub label: String,
    /// The figure, or "no publicado".
    pub value: String,
    /// False when the figure is not published.
    pub known: bool,
}

/// One change to a contract.
#[derive(Debug, Serialize)]
pub struct Change {
    /// When.
    pub date: String,
    /// What changed (value, duration, scope).
    pub what: String,
    /// Before → after.
    pub before_after: String,
    /// The justification, or "justificación no publicada".
    pub why: String,
    /// False when no justification is published.
    pub justified: bool,
}

/// One contract (contracting process).
#[derive(Debug, Serialize)]
pub struct Contract {
    /// Title.
    pub title: String,
    /// ocid.
    pub ocid: String,
    /// Type (works, goods, services, design, supervision).
    pub kind: String,
    /// Procurement method.
    pub method: String,
    /// Number of tenders, in words.
    pub bidders: String,
    /// Contractor names.
    pub contractor: String,
    /// Current value.
    pub amount: String,
}

/// One alert as the sheet shows it.
#[derive(Debug, Serialize)]
pub struct Alert {
    /// Flag code.
    pub code: &'static str,
    /// Short title.
    pub title: String,
    /// What the data shows (the flag's own sentence).
    pub finding: String,
    /// The threshold, stated.
    pub threshold: String,
    /// What it means.
    pub meaning: String,
    /// A question a committee can ask.
    pub question: String,
    /// The process, when the flag is about one.
    pub process: Option<String>,
}

/// One element of the disclosure checklist.
#[derive(Debug, Serialize)]
pub struct Check {
    /// IDS code (never translated).
    pub code: &'static str,
    /// Element name.
    pub name: String,
    /// "publicado", "parcial", "no-publicado", "no-corresponde" (a CSS class).
    pub class: &'static str,
    /// The mark: ✓, ◐, ✗ or —.
    pub symbol: &'static str,
    /// The outcome in words.
    pub mark: String,
    /// For process-level elements: in how many processes.
    pub detail: String,
    /// Where the deciding data came from: a web address to link, or a file to name.
    pub evidence: Option<String>,
    /// True when `evidence` is a web address.
    pub evidence_is_url: bool,
    /// True for elements given on request (reactive).
    pub reactive: bool,
}

impl Check {
    /// The element's line in the checklist, as HTML, escaped as the templates escape. Written
    /// here rather than looped over in the template: a sheet lists about seventy elements,
    /// and the template engine spent most of a sheet's time on them (10 s of CPU in a run of
    /// a million releases).
    fn write_html(
        &self,
        out: &mut String,
        ui: &std::collections::BTreeMap<&'static str, &'static str>,
    ) {
        use minijinja::HtmlEscape as E;
        use std::fmt::Write as _;
        let word = |key: &str| ui.get(key).copied().unwrap_or_default();
        // Writing into a String cannot fail.
        let _ = write!(
            out,
            "<li><span class=\"estado {}\">{}<span class=\"palabra\"> {}</span></span> <small>{}</small> {}",
            E(self.class),
            E(self.symbol),
            E(&self.mark),
            E(self.code),
            E(&self.name)
        );
        if self.reactive {
            let _ = write!(
                out,
                " <small class=\"muted\">({})</small>",
                E(word("a_pedido"))
            );
        }
        if !self.detail.is_empty() {
            let _ = write!(out, " <small class=\"muted\">· {}</small>", E(&self.detail));
        }
        if self.evidence_is_url {
            let _ = write!(
                out,
                " <a class=\"solo-pantalla\" href=\"{}\">{}</a>",
                E(self.evidence.as_deref().unwrap_or_default()),
                E(word("evidencia"))
            );
        }
        // The template's line break and indent after each element.
        out.push_str("</li>\n    ");
    }
}

/// The checklist of one stage.
#[derive(Debug, Serialize)]
pub struct CheckGroup {
    /// Stage name.
    pub stage: &'static str,
    /// Its elements' lines, as HTML already escaped (see [`Check::write_html`]).
    pub items: String,
}

/// One document.
#[derive(Debug, Serialize)]
pub struct Document {
    /// Title (or the type when untitled).
    pub title: String,
    /// Document type, in words.
    pub kind: String,
    /// The full URL, printed for paper.
    pub url: String,
}

/// The sheet, ready to render.
#[derive(Debug, Serialize)]
pub struct Ficha {
    /// Project id.
    pub id: String,
    /// The project's JSON file under `projects/` (it holds the evidence of every verdict).
    pub json_file: String,
    /// Title, or "sin título publicado".
    pub title: String,
    /// Set when the project has no title of its own: the process title shown instead.
    pub subtitle: Option<String>,
    /// Entity name and its page.
    pub entity: String,
    /// File of the entity page (relative to `entidades/`).
    pub entity_file: String,
    /// Province, district, corregimiento or address.
    pub location: Vec<(String, String)>,
    /// Sectors in words.
    pub sector: String,
    /// Process references (ocids).
    pub processes: Vec<String>,
    /// Date of the data.
    pub as_of: String,
    /// Sources.
    pub sources: String,
    /// Description, when published.
    pub description: Option<String>,
    /// The ladder.
    pub ladder: Vec<Rung>,
    /// The current stage's name.
    pub stage: &'static str,
    /// Money and time.
    pub figures: Vec<Figure>,
    /// Changes.
    pub changes: Vec<Change>,
    /// Contracts.
    pub contracts: Vec<Contract>,
    /// Raised alerts.
    pub raised: Vec<Alert>,
    /// Alerts that could not be computed.
    pub unknown: Vec<Alert>,
    /// Checklist by stage.
    pub checklist: Vec<CheckGroup>,
    /// Score and counts, in words.
    pub score_line: String,
    /// Documents.
    pub documents: Vec<Document>,
    /// Contact lines (name, email, phone, URL).
    pub contact: Vec<(String, String)>,
    /// The stale warning, when the data rests on a source that was down.
    pub stale: Option<String>,
    /// Why the project is not in the OC4IDS package, when it is not: a sentence, then each
    /// schema error as `path: message`.
    pub invalid: Option<(String, Vec<String>)>,
    /// Why completion items are asked for although the project seems not finished.
    pub status_note: Option<String>,
}

/// Everything the sheet needs besides the project sheet itself.
pub struct Context<'a> {
    /// Language.
    pub lang: Lang,
    /// Red-flag thresholds.
    pub thresholds: &'a FlagSettings,
    /// Date the data describes.
    pub as_of: &'a str,
    /// File name of the entity page.
    pub entity_file: String,
}

/// Builds the sheet of one project.
pub fn build(sheet: &ProjectSheet<'_>, cx: &Context<'_>) -> Ficha {
    let p = sheet.project;
    let lang = cx.lang;
    let str_at = |ptr: &str| p.at(ptr).and_then(Value::as_str).map(str::to_string);
    let processes = array(p.get("contractingProcesses"));
    let first_process_title = processes
        .iter()
        .find_map(|cp| cp.at("/summary/title").and_then(Value::as_str))
        .map(str::to_string);
    let (title, subtitle) = match str_at("/title").filter(|t| !t.trim().is_empty()) {
        Some(t) => (t, None),
        None => (
            pick(lang, "Sin título publicado", "No title published"),
            first_process_title.map(|t| pick(lang, "Contrato: ", "Contract: ") + &t),
        ),
    };
    let ocids: Vec<String> = processes
        .iter()
        .filter_map(|cp| {
            cp.at("/summary/ocid")
                .or_else(|| cp.get("id"))
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .collect();
    let mut sources: Vec<String> = Vec::new();
    for v in sheet.verdicts {
        for o in &v.evidence {
            if !sources.contains(&o.source) {
                sources.push(o.source.clone());
            }
        }
    }
    if let Some(prov) = sheet.provenance
        && !sources.contains(&prov.source)
    {
        sources.push(prov.source.clone());
    }
    let progress = &sheet.progress;
    let titles: Vec<(String, String)> = processes
        .iter()
        .enumerate()
        .filter_map(|(i, cp)| {
            let title = cp.at("/summary/title").and_then(Value::as_str)?;
            Some((crate::util::process_id(i, cp), title.to_string()))
        })
        .collect();
    let id = p.get("id").and_then(Value::as_str).unwrap_or("-");
    Ficha {
        id: id.to_string(),
        // The same fallback as the file Staging writes.
        json_file: format!(
            "{}.json",
            safe_file_name(p.get("id").and_then(Value::as_str).unwrap_or("project"))
        ),
        title,
        subtitle,
        entity: sheet.entity.name.clone(),
        entity_file: cx.entity_file.clone(),
        location: location(p, lang),
        sector: array(p.get("sector"))
            .iter()
            .filter_map(Value::as_str)
            .map(|c| title_or_code(List::Sector, c, lang).into_owned())
            .collect::<Vec<_>>()
            .join(", "),
        processes: ocids,
        as_of: date(cx.as_of, lang),
        sources: sources.join(", "),
        description: str_at("/description"),
        ladder: ladder(progress, lang),
        stage: stage_name(progress.stage, lang),
        figures: figures(p, progress.stage, lang),
        changes: changes(processes, lang),
        contracts: processes.iter().map(|cp| contract(cp, p, lang)).collect(),
        raised: sheet
            .flags
            .iter()
            .filter(|f| f.state == FlagState::Raised)
            .map(|f| alert(f, cx, &titles))
            .collect(),
        unknown: sheet
            .flags
            .iter()
            .filter(|f| f.state == FlagState::Unknown)
            .map(|f| alert(f, cx, &titles))
            .collect(),
        checklist: checklist(sheet, lang),
        score_line: score_line(sheet, lang),
        documents: documents(p, lang),
        contact: contact(p, lang),
        status_note: status_note(sheet, progress.stage, lang),
        invalid: (!sheet.errors.is_empty()).then(|| {
            let head = match lang {
                Lang::Es => format!(
                    "Este proyecto no está en el paquete OC4IDS (el archivo de datos abiertos que costwatch publica): tal como lo publicó la fuente, {} no {} el formato del estándar y costwatch no puede corregirlo con certeza. Sus elementos se evalúan igual.",
                    match sheet.errors.len() {
                        1 => "un dato".to_string(),
                        n => format!("{n} datos"),
                    },
                    if sheet.errors.len() == 1 { "cumple" } else { "cumplen" }
                ),
                Lang::En => format!(
                    "This project is not in the OC4IDS package (the open-data file costwatch publishes): as its source published it, {} {} the standard's format and costwatch cannot repair it with certainty. Its elements are judged all the same.",
                    match sheet.errors.len() {
                        1 => "one value".to_string(),
                        n => format!("{n} values"),
                    },
                    if sheet.errors.len() == 1 { "does not meet" } else { "do not meet" }
                ),
            };
            let lines = sheet
                .errors
                .iter()
                .map(|e| e.describe(lang))
                .collect();
            (head, lines)
        }),
        stale: sheet.stale.map(|s| match lang {
            Lang::Es => format!(
                "La fuente «{}» no respondió en esta corrida: estos datos son de {}.",
                s.source,
                s.last_good_fetch
                    .as_deref()
                    .map(|d| date(d, lang))
                    .unwrap_or_else(|| "una lectura anterior".into())
            ),
            Lang::En => format!(
                "The source “{}” did not answer in this run: this data is from {}.",
                s.source,
                s.last_good_fetch
                    .as_deref()
                    .map(|d| date(d, lang))
                    .unwrap_or_else(|| "an earlier read".into())
            ),
        }),
    }
}

/// When the project publishes no status, the standard asks for every stage's items (it cannot
/// tell the project is not finished); a reader must know why "no publicado" shows there.
fn status_note(sheet: &ProjectSheet<'_>, stage: Stage, lang: Lang) -> Option<String> {
    let unpublished = sheet
        .project
        .get("status")
        .and_then(Value::as_str)
        .is_none_or(|s| s.trim().is_empty());
    let completion_due = sheet.verdicts.iter().any(|v| {
        v.outcome == Outcome::Missing
            && catalogue()
                .iter()
                .any(|e| e.code == v.code && e.stage == Stage::Completion)
    });
    (unpublished && completion_due && stage < Stage::Completion).then(|| {
        pick(
            lang,
            "La entidad no publica el estado del proyecto: sin él, el estándar no puede saber que la obra no ha terminado y ya exige también los datos de finalización.",
            "The entity publishes no project status: without it the standard cannot tell the work is unfinished, so completion items are asked for too.",
        )
    })
}

/// A stage's name in the page's language.
pub fn stage_name(stage: Stage, lang: Lang) -> &'static str {
    match lang {
        Lang::Es => stage.es(),
        Lang::En => stage.en(),
    }
}

fn location(p: &Value, lang: Lang) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for l in array(p.get("locations")) {
        let a = l.get("address");
        let field = |k: &str| {
            a.and_then(|a| a.get(k))
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
        };
        let mut push = |key: &str, v: Option<&str>| {
            if let Some(v) = v {
                let label = words::ui(lang).get(key).copied().unwrap_or(key).to_string();
                let pair = (label, v.to_string());
                if !out.contains(&pair) {
                    out.push(pair);
                }
            }
        };
        push("provincia", field("region"));
        push("distrito", field("locality"));
        push("corregimiento", field("streetAddress"));
        if a.is_none() {
            push("ubicacion", l.get("description").and_then(Value::as_str));
        }
    }
    out
}

fn ladder(progress: &Progress, lang: Lang) -> Vec<Rung> {
    let m = &progress.milestones;
    let d = |what_es: &str, what_en: &str, v: &Option<String>| {
        v.as_deref()
            .map(|v| format!("{}: {}", pick(lang, what_es, what_en), date(v, lang)))
    };
    let dates = |stage: Stage| -> Vec<String> {
        match stage {
            Stage::Identification => vec![],
            Stage::Preparation => vec![d(
                "presupuesto aprobado",
                "budget approved",
                &m.budget_approval,
            )],
            Stage::Procurement => vec![
                d("convocatoria", "call for tenders", &m.call),
                d("cierre de ofertas", "tender close", &m.tender_close),
                d("adjudicación", "award", &m.award),
            ],
            Stage::Implementation => vec![
                d("firma", "signature", &m.signature),
                d("inicio", "start", &m.start),
                d("fin previsto", "planned end", &m.planned_end),
            ],
            Stage::Completion => vec![d("fin real", "actual end", &m.actual_end)],
        }
        .into_iter()
        .flatten()
        .collect()
    };
    Stage::ALL
        .iter()
        .map(|&s| Rung {
            code: s.code(),
            name: stage_name(s, lang),
            state: if s == progress.stage {
                "actual"
            } else if s < progress.stage {
                "hecha"
            } else {
                ""
            },
            dates: dates(s),
        })
        .collect()
}

/// The total of Value objects in one currency, as people read it; none when the converter's
/// rule refuses a total (mixed currencies, an amount without currency, beyond a float).
fn sum_values<'a>(values: impl Iterator<Item = &'a Value>) -> Option<String> {
    let total = crate::oc4ids::sum_values(values).ok()?;
    value(Some(&total))
}

fn duration(period: Option<&Value>, lang: Lang) -> Option<String> {
    let days = crate::util::period_days(period?)?.round().max(0.0) as u64;
    Some(match lang {
        Lang::Es => count(days, "día", "días"),
        Lang::En => count(days, "day", "days"),
    })
}

/// The latest value a process's changes give for `new_key` (by date, then order), else the
/// summary's own `current_key`: the converted summary keeps the original contract value and
/// period, the modifications carry what they became.
fn current<'a>(summary: &'a Value, new_key: &str, current_key: &str) -> Option<&'a Value> {
    let mut latest: Option<(&str, &Value)> = None;
    for m in array(summary.get("modifications")) {
        if let Some(v) = m.get(new_key) {
            let d = m.get("date").and_then(Value::as_str).unwrap_or("");
            if latest.is_none_or(|(ld, _)| d >= ld) {
                latest = Some((d, v));
            }
        }
    }
    latest.map(|(_, v)| v).or_else(|| summary.get(current_key))
}

/// The original value of `current_key`: the first change's `old_key`, else the summary's own.
fn original<'a>(summary: &'a Value, old_key: &str, current_key: &str) -> Option<&'a Value> {
    let mut first: Option<(&str, &Value)> = None;
    for m in array(summary.get("modifications")) {
        if let Some(v) = m.get(old_key) {
            let d = m.get("date").and_then(Value::as_str).unwrap_or("");
            if first.is_none_or(|(fd, _)| d < fd) {
                first = Some((d, v));
            }
        }
    }
    first.map(|(_, v)| v).or_else(|| summary.get(current_key))
}

fn figures(p: &Value, stage: Stage, lang: Lang) -> Vec<Figure> {
    let processes = array(p.get("contractingProcesses"));
    let summaries = || processes.iter().filter_map(|cp| cp.get("summary"));
    let paid: Vec<&Value> = summaries()
        .flat_map(|s| array(s.get("transactions")))
        .filter_map(|t| t.get("value"))
        .collect();
    let first_summary = summaries().find(|s| s.get("contractPeriod").is_some());
    let signed = stage >= Stage::Implementation;
    // Awarded: some process is past pre-award; its award and contract period are due then.
    let awarded = signed
        || summaries().any(|s| {
            matches!(
                s.get("status").and_then(Value::as_str),
                Some("active" | "closed")
            )
        });
    let rows: Vec<(&str, Option<String>, bool)> = vec![
        ("presupuesto", value(p.at("/budget/amount")), true),
        (
            "estimado",
            sum_values(summaries().filter_map(|s| s.at("/tender/costEstimate"))),
            !processes.is_empty(),
        ),
        (
            "adjudicado",
            sum_values(
                summaries()
                    .filter_map(|s| original(s, "oldContractValue", "contractValue"))
                    .collect::<Vec<_>>()
                    .into_iter(),
            ),
            awarded,
        ),
        (
            "monto_actual",
            sum_values(
                summaries()
                    .filter_map(|s| current(s, "newContractValue", "contractValue"))
                    .collect::<Vec<_>>()
                    .into_iter(),
            ),
            signed,
        ),
        ("pagado", sum_values(paid.into_iter()), signed),
        (
            "plazo_original",
            duration(
                first_summary.and_then(|s| original(s, "oldContractPeriod", "contractPeriod")),
                lang,
            ),
            awarded,
        ),
        (
            "plazo_actual",
            duration(
                first_summary.and_then(|s| current(s, "newContractPeriod", "contractPeriod")),
                lang,
            ),
            awarded,
        ),
    ];
    let ui = words::ui(lang);
    let several = processes.len() > 1;
    rows.into_iter()
        .map(|(key, v, due)| {
            let missing = if due {
                ui.get("no_publicado").copied().unwrap_or("-").to_string()
            } else {
                // Not a gap: the project has not reached the stage where this is known.
                pick(lang, "aún no corresponde", "not yet due")
            };
            let label = ui.get(key).copied().unwrap_or(key).to_string();
            // Several contracts: amounts are their sum, durations the first contract's.
            let label = match key {
                // "Monto actual del contrato" cannot be a sum: the amount rows name the sum.
                "monto_actual" if several => pick(
                    lang,
                    "Monto actual de los contratos (suma)",
                    "Current value of the contracts (sum)",
                ),
                "adjudicado" | "pagado" if several => {
                    format!(
                        "{label} {}",
                        pick(lang, "(suma de los contratos)", "(sum of the contracts)")
                    )
                }
                "plazo_original" | "plazo_actual" if several => {
                    format!(
                        "{label} {}",
                        pick(lang, "(primer contrato)", "(first contract)")
                    )
                }
                _ => label,
            };
            Figure {
                label,
                known: v.is_some(),
                value: v.unwrap_or(missing),
            }
        })
        .collect()
}

fn changes(processes: &[Value], lang: Lang) -> Vec<Change> {
    let mut out = Vec::new();
    for cp in processes {
        for m in array(cp.at("/summary/modifications")) {
            let kind = m.get("type").and_then(Value::as_str).unwrap_or("");
            let before_after = match kind {
                "value" => format!(
                    "{} → {}",
                    value(m.get("oldContractValue")).unwrap_or_else(|| "?".into()),
                    value(m.get("newContractValue")).unwrap_or_else(|| "?".into())
                ),
                "duration" => format!(
                    "{} → {}",
                    duration(m.get("oldContractPeriod"), lang).unwrap_or_else(|| "?".into()),
                    duration(m.get("newContractPeriod"), lang).unwrap_or_else(|| "?".into())
                ),
                _ => m
                    .get("description")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
            };
            let rationale = m
                .get("rationale")
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|r| !r.is_empty());
            out.push(Change {
                date: m
                    .get("date")
                    .and_then(Value::as_str)
                    .map(|d| date(d, lang))
                    .unwrap_or_else(|| "-".into()),
                what: match kind {
                    "value" => pick(lang, "Monto", "Amount"),
                    "duration" => pick(lang, "Plazo", "Duration"),
                    "scope" => pick(lang, "Alcance", "Scope"),
                    "" => pick(lang, "Cambio", "Change"),
                    other => title_or_code(List::ModificationType, other, lang).into_owned(),
                },
                before_after,
                justified: rationale.is_some(),
                why: rationale.map(str::to_string).unwrap_or_else(|| {
                    pick(
                        lang,
                        "justificación no publicada",
                        "no justification published",
                    )
                }),
            });
        }
    }
    out
}

fn party_name(p: &Value, reference: &Value) -> Option<String> {
    if let Some(n) = reference.get("name").and_then(Value::as_str) {
        return Some(n.to_string());
    }
    let id = reference.get("id")?;
    array(p.get("parties"))
        .iter()
        .find(|q| q.get("id") == Some(id))
        .and_then(|q| q.get("name"))
        .and_then(Value::as_str)
        .map(str::to_string)
}

fn contract(cp: &Value, p: &Value, lang: Lang) -> Contract {
    let s = cp.get("summary").unwrap_or(&Value::Null);
    let text = |ptr: &str| s.at(ptr).and_then(Value::as_str);
    let kind = array(s.get("nature"))
        .iter()
        .filter_map(Value::as_str)
        .map(|c| title_or_code(List::ContractNature, c, lang).into_owned())
        .collect::<Vec<_>>()
        .join(", ");
    let tenders = s
        .at("/tender/numberOfTenderers")
        .and_then(Value::as_u64)
        .or_else(|| {
            s.at("/tender/tenderers")
                .and_then(Value::as_array)
                .map(|a| a.len() as u64)
        });
    let none = || pick(lang, "no publicado", "not published");
    // Before the award, bidders, contractor and amount are not missing: they do not exist yet.
    let pre_award = s.get("status").and_then(Value::as_str) == Some("pre-award");
    let later = || {
        if pre_award {
            pick(lang, "aún no adjudicado", "not awarded yet")
        } else {
            none()
        }
    };
    Contract {
        title: text("/title")
            .map(str::to_string)
            .unwrap_or_else(|| pick(lang, "sin título publicado", "no title published")),
        ocid: text("/ocid")
            .or_else(|| cp.get("id").and_then(Value::as_str))
            .unwrap_or("-")
            .to_string(),
        kind: if kind.is_empty() { none() } else { kind },
        method: text("/tender/procurementMethod")
            .map(|m| title_or_code(List::Method, m, lang).into_owned())
            .unwrap_or_else(none),
        bidders: tenders
            .map(|n| match lang {
                Lang::Es => count(n, "oferta", "ofertas"),
                Lang::En => count(n, "tender", "tenders"),
            })
            .unwrap_or_else(later),
        contractor: {
            let names: Vec<String> = array(s.get("suppliers"))
                .iter()
                .filter_map(|r| party_name(p, r))
                .collect();
            if names.is_empty() {
                later()
            } else {
                names.join(", ")
            }
        },
        amount: value(s.get("contractValue")).unwrap_or_else(later),
    }
}

/// The fixed words of each alert: title, meaning, question (Spanish, English).
struct AlertText {
    title: [&'static str; 2],
    meaning: [&'static str; 2],
    question: [&'static str; 2],
}

fn alert_text(code: &str) -> AlertText {
    let t = |title, meaning, question| AlertText {
        title,
        meaning,
        question,
    };
    match code {
        "cost_overrun" => t(
            ["El monto del contrato creció", "The contract value grew"],
            [
                "El contrato cuesta ahora más de lo firmado. Puede haber razones válidas (obras adicionales, reajustes), pero deben estar explicadas y aprobadas.",
                "The contract now costs more than signed. There may be good reasons (extra works, price adjustments), but they must be explained and approved.",
            ],
            [
                "¿Qué obras o costos explican el aumento y quién lo aprobó?",
                "What works or costs explain the increase, and who approved it?",
            ],
        ),
        "time_overrun" => t(
            [
                "El plazo del contrato se alargó",
                "The contract period grew",
            ],
            [
                "La obra toma más tiempo del acordado. Un retraso largo afecta a quienes esperan la obra y puede encarecerla.",
                "The work takes longer than agreed. A long delay affects those waiting for it and may raise its cost.",
            ],
            [
                "¿Por qué se amplió el plazo, quién lo aprobó y qué costó el retraso?",
                "Why was the period extended, who approved it, and what did the delay cost?",
            ],
        ),
        "change_without_reason" => t(
            [
                "Cambios sin justificación publicada",
                "Changes without a published reason",
            ],
            [
                "El contrato cambió y no se publicó por qué. Cada cambio de monto, plazo o alcance debe tener una razón pública.",
                "The contract changed and no reason was published. Every change of value, period or scope should have a public reason.",
            ],
            [
                "¿Cuál es la justificación de cada cambio y dónde se puede consultar?",
                "What is the justification for each change, and where can it be read?",
            ],
        ),
        "single_tenderer" => t(
            ["Poca competencia", "Little competition"],
            [
                "Un proceso competitivo (abierto o por invitación) recibió muy pocas ofertas. Con poca competencia el precio puede ser más alto.",
                "A process open to all received very few tenders. With little competition the price may be higher.",
            ],
            [
                "¿Cómo se difundió la convocatoria y por qué no se presentaron más empresas?",
                "How was the call published, and why did more companies not bid?",
            ],
        ),
        "award_above_estimate" => t(
            [
                "Adjudicado por encima del estimado",
                "Awarded above the estimate",
            ],
            [
                "El contrato se adjudicó por más de lo que la entidad estimó que costaría.",
                "The contract was awarded for more than the entity estimated it would cost.",
            ],
            [
                "¿Por qué se aceptó un precio mayor que el estimado?",
                "Why was a price above the estimate accepted?",
            ],
        ),
        "signed_before_tender_end" => t(
            [
                "Contrato firmado antes del cierre",
                "Contract signed before the tender closed",
            ],
            [
                "Se firmó un contrato antes de que terminara el plazo para presentar ofertas, lo que podría dejar fuera a otros participantes.",
                "A contract was signed before the deadline for tenders, which could have shut out other bidders.",
            ],
            [
                "¿Cómo pudo firmarse el contrato antes del cierre de la convocatoria?",
                "How could the contract be signed before the call closed?",
            ],
        ),
        "completed_without_payments" => t(
            [
                "Obra terminada sin pagos publicados",
                "Completed without published payments",
            ],
            [
                "El proyecto figura como terminado pero no se publica ningún pago, así que no se sabe cuánto costó realmente.",
                "The project is complete but no payment is published, so its real cost is unknown.",
            ],
            [
                "¿Cuánto se pagó en total y dónde están publicados los pagos?",
                "How much was paid in total, and where are the payments published?",
            ],
        ),
        _ => t(
            ["Alerta", "Alert"],
            ["", ""],
            ["¿Qué explica este dato?", "What explains this?"],
        ),
    }
}

fn threshold(code: &str, t: &FlagSettings, lang: Lang) -> String {
    let pct = |x: f64| words::percent(x);
    match (code, lang) {
        ("cost_overrun", Lang::Es) => format!(
            "se activa si el monto crece más de {}",
            pct(t.cost_overrun_percent)
        ),
        ("cost_overrun", Lang::En) => format!(
            "raised when the value grows by more than {}",
            pct(t.cost_overrun_percent)
        ),
        ("time_overrun", Lang::Es) => format!(
            "se activa si el plazo crece más de {}",
            pct(t.time_overrun_percent)
        ),
        ("time_overrun", Lang::En) => format!(
            "raised when the period grows by more than {}",
            pct(t.time_overrun_percent)
        ),
        ("award_above_estimate", Lang::Es) if t.award_above_estimate_percent == 0.0 => {
            "se activa si el monto adjudicado supera el costo estimado, por poco que sea".into()
        }
        ("award_above_estimate", Lang::En) if t.award_above_estimate_percent == 0.0 => {
            "raised when the award exceeds the cost estimate at all".into()
        }
        ("award_above_estimate", Lang::Es) => format!(
            "se activa si el monto adjudicado supera el costo estimado en más de {}",
            pct(t.award_above_estimate_percent)
        ),
        ("award_above_estimate", Lang::En) => format!(
            "raised when the award exceeds the estimate by more than {}",
            pct(t.award_above_estimate_percent)
        ),
        ("single_tenderer", Lang::Es) => format!(
            "se activa si un proceso abierto o selectivo recibe {} o menos",
            count(u64::from(t.single_tenderer_max), "oferta", "ofertas")
        ),
        ("single_tenderer", Lang::En) => format!(
            "raised when a competitive process receives {} or fewer",
            count(u64::from(t.single_tenderer_max), "tender", "tenders")
        ),
        ("change_without_reason", Lang::Es) => {
            "se activa si algún cambio no tiene justificación publicada".into()
        }
        ("change_without_reason", Lang::En) => {
            "raised when any change has no published justification".into()
        }
        ("signed_before_tender_end", Lang::Es) => {
            "se activa si la firma es anterior al cierre de ofertas".into()
        }
        ("signed_before_tender_end", Lang::En) => {
            "raised when the signature precedes the tender close".into()
        }
        ("completed_without_payments", Lang::Es) => {
            "se activa si el proyecto terminó y no hay pagos publicados".into()
        }
        ("completed_without_payments", Lang::En) => {
            "raised when the project is complete and no payment is published".into()
        }
        _ => String::new(),
    }
}

fn alert(f: &Flag, cx: &Context<'_>, titles: &[(String, String)]) -> Alert {
    let text = alert_text(f.code);
    let i = usize::from(cx.lang == Lang::En);
    // A process is named by its contract's title beside its number.
    let process = f
        .process
        .as_ref()
        .map(|ocid| match titles.iter().find(|(o, _)| o == ocid) {
            Some((_, title)) => format!("{title}, {ocid}"),
            None => ocid.clone(),
        });
    Alert {
        code: f.code,
        title: text.title[i].to_string(),
        finding: match cx.lang {
            Lang::Es => f.explicacion.clone(),
            Lang::En => f.explanation.clone(),
        },
        threshold: threshold(f.code, cx.thresholds, cx.lang),
        meaning: text.meaning[i].to_string(),
        question: text.question[i].to_string(),
        process,
    }
}

/// Every alert with its threshold, in words, for the method page.
pub fn thresholds(t: &FlagSettings, lang: Lang) -> Vec<String> {
    crate::flags::CODES
        .iter()
        .map(|code| format!("{}: {}.", alert_title(code, lang), threshold(code, t, lang)))
        .collect()
}

/// The Spanish (or English) title of a flag code.
pub fn alert_title(code: &str, lang: Lang) -> &'static str {
    alert_text(code).title[usize::from(lang == Lang::En)]
}

fn checklist(sheet: &ProjectSheet<'_>, lang: Lang) -> Vec<CheckGroup> {
    // Each element's verdicts, in the order given, found once: a scan of every verdict for
    // each of seventy elements was a tenth of a sheet's time.
    let mut of_element: std::collections::HashMap<&str, Vec<&crate::ids::Verdict>> =
        std::collections::HashMap::new();
    for v in sheet.verdicts {
        of_element.entry(v.code).or_default().push(v);
    }
    let mut groups: Vec<CheckGroup> = Vec::new();
    for stage in Stage::ALL {
        let mut checks = Vec::new();
        for element in catalogue().iter().filter(|e| e.stage == stage) {
            let Some(mine) = of_element.get(element.code.as_str()) else {
                continue;
            };
            let due: Vec<_> = mine.iter().filter(|v| v.outcome.is_due()).collect();
            let disclosed = due
                .iter()
                .filter(|v| v.outcome == Outcome::Disclosed)
                .count();
            let partial = due.iter().filter(|v| v.outcome == Outcome::Partial).count();
            let (class, symbol, mark) = if due.is_empty() {
                (
                    "no-corresponde",
                    "—",
                    pick(lang, "aún no corresponde", "not yet due"),
                )
            } else if disclosed == due.len() {
                ("publicado", "✓", pick(lang, "publicado", "published"))
            } else if disclosed + partial > 0 {
                ("parcial", "◐", pick(lang, "parcial", "partial"))
            } else {
                (
                    "no-publicado",
                    "✗",
                    pick(lang, "no publicado", "not published"),
                )
            };
            let detail = if element.level == Level::Process && !due.is_empty() {
                match lang {
                    Lang::Es => format!(
                        "{} de {}",
                        disclosed,
                        count(due.len() as u64, "proceso", "procesos")
                    ),
                    Lang::En => format!(
                        "{} of {}",
                        disclosed,
                        count(due.len() as u64, "process", "processes")
                    ),
                }
            } else {
                String::new()
            };
            let evidence = mine
                .iter()
                .filter(|v| v.outcome == Outcome::Disclosed || v.outcome == Outcome::Partial)
                .flat_map(|v| v.evidence.iter())
                .map(|o| o.location.clone())
                .next();
            checks.push(Check {
                code: element.code.as_str(),
                name: match lang {
                    Lang::Es => element.es.clone(),
                    Lang::En => element.en.clone(),
                },
                class,
                symbol,
                mark,
                detail,
                reactive: element.disclosure == crate::ids::Disclosure::Reactive,
                evidence_is_url: evidence
                    .as_deref()
                    .is_some_and(|e| e.starts_with("https://") || e.starts_with("http://")),
                evidence,
            });
        }
        if !checks.is_empty() {
            let ui = super::words::ui(lang);
            let mut items = String::new();
            for c in &checks {
                c.write_html(&mut items, ui);
            }
            groups.push(CheckGroup {
                stage: stage_name(stage, lang),
                items,
            });
        }
    }
    groups
}

fn score_line(sheet: &ProjectSheet<'_>, lang: Lang) -> String {
    // The score counts proactive elements only; the counts beside it must too.
    let proactive = || {
        sheet
            .verdicts
            .iter()
            .filter(|v| v.disclosure == crate::ids::Disclosure::Proactive)
    };
    let n = |o: Outcome| proactive().filter(|v| v.outcome == o).count() as u64;
    let (disclosed, partial, missing) = (
        n(Outcome::Disclosed),
        n(Outcome::Partial),
        n(Outcome::Missing),
    );
    let not_yet = n(Outcome::NotYetApplicable);
    let due = disclosed + partial + missing;
    // Parts whose count is zero are left out; the list is joined as Spanish joins lists.
    let join = |parts: Vec<String>, and: &str| match parts.len() {
        0 => String::new(),
        1 => parts[0].clone(),
        n => format!("{} {and} {}", parts[..n - 1].join(", "), parts[n - 1]),
    };
    let several = array(sheet.project.get("contractingProcesses")).len() > 1;
    let es = lang == Lang::Es;
    // Spanish agrees in number where English does not.
    let agree = |n: u64, one: &'static str, many: &'static str, en: &'static str| {
        if !es {
            en
        } else if n == 1 {
            one
        } else {
            many
        }
    };
    let parts: Vec<String> = [
        (
            disclosed,
            agree(disclosed, "publicado", "publicados", "published"),
        ),
        (partial, agree(partial, "parcial", "parciales", "partial")),
        (
            missing,
            agree(missing, "sin publicar", "sin publicar", "missing"),
        ),
    ]
    .into_iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, word)| format!("{n} {word}"))
    .collect();
    let mut line = match (sheet.score.score, es) {
        (Some(score), true) => format!(
            "Puntaje de divulgación: {} de 100. Este proyecto y sus contratos debían publicar hoy, por iniciativa propia, {}: {}.",
            words::score(score),
            count(due, "dato", "datos"),
            join(parts, "y")
        ),
        (Some(score), false) => format!(
            "Disclosure score: {} out of 100. This project and its contracts were due to publish {} proactively today: {}.",
            words::score(score),
            count(due, "item", "items"),
            join(parts, "and")
        ),
        (None, _) => pick(
            lang,
            "Sin puntaje de divulgación: hoy no cuenta en el puntaje ningún dato que este proyecto deba publicar por iniciativa propia.",
            "No disclosure score: today no item this project was due to publish proactively counts in the score.",
        ),
    };
    if not_yet > 0 {
        line.push_str(&if es {
            format!(
                " {} aún no {}.",
                count(not_yet, "dato", "datos"),
                agree(not_yet, "corresponde", "corresponden", "")
            )
        } else {
            format!(" {} not yet due.", count(not_yet, "item", "items"))
        });
    }
    if several && sheet.score.score.is_some() {
        line.push_str(&pick(
            lang,
            " En el puntaje, un dato de contrato cuenta según la parte de los contratos que lo publican.",
            " In the score, a contract item counts by the share of contracts that publish it.",
        ));
    }
    line
}

fn documents(p: &Value, lang: Lang) -> Vec<Document> {
    let mut out: Vec<Document> = Vec::new();
    let mut push = |d: &Value| {
        let Some(url) = d.get("url").and_then(Value::as_str).map(str::trim) else {
            return;
        };
        // The same document is often linked from the project and from each process.
        if url.is_empty() || out.iter().any(|o| o.url == url) {
            return;
        }
        let kind = d
            .get("documentType")
            .and_then(Value::as_str)
            .map(|k| title_or_code(List::DocumentType, k, lang).into_owned())
            .unwrap_or_else(|| pick(lang, "documento", "document"));
        out.push(Document {
            title: d
                .get("title")
                .and_then(Value::as_str)
                .map(str::to_string)
                .unwrap_or_else(|| kind.clone()),
            kind,
            url: url.to_string(),
        });
    };
    for d in array(p.get("documents")) {
        push(d);
    }
    for cp in array(p.get("contractingProcesses")) {
        for d in array(cp.at("/summary/documents")) {
            push(d);
        }
    }
    out
}

fn contact(p: &Value, lang: Lang) -> Vec<(String, String)> {
    let parties = array(p.get("parties"));
    let by_id = |id: &Value| parties.iter().find(|q| q.get("id") == Some(id));
    // The owner first, then the procuring entities: whoever publishes a contact point.
    let mut candidates: Vec<&Value> = Vec::new();
    if let Some(q) = p.at("/publicAuthority/id").and_then(by_id) {
        candidates.push(q);
    }
    for cp in array(p.get("contractingProcesses")) {
        if let Some(q) = cp.at("/summary/tender/procuringEntity/id").and_then(by_id) {
            candidates.push(q);
        }
    }
    let Some(party) = candidates
        .into_iter()
        .find(|q| q.get("contactPoint").is_some())
    else {
        return Vec::new();
    };
    let cpnt = &party["contactPoint"];
    let mut out = vec![(
        pick(lang, "Entidad", "Entity"),
        party
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("-")
            .to_string(),
    )];
    for (key, es, en) in [
        ("name", "Oficina o persona", "Office or person"),
        ("email", "Correo", "Email"),
        ("telephone", "Teléfono", "Telephone"),
        ("url", "Sitio web", "Website"),
    ] {
        if let Some(v) = cpnt.get(key).and_then(Value::as_str) {
            out.push((pick(lang, es, en), v.to_string()));
        }
    }
    if let Some(a) = party.at("/address/streetAddress").and_then(Value::as_str) {
        out.push((pick(lang, "Dirección", "Address"), a.to_string()));
    }
    out
}

/// The file name of a project's sheet, under `proyectos/`.
pub fn file_name(project_id: &str) -> String {
    format!("{}.html", safe_file_name(project_id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_checklist_line_is_what_the_template_wrote() {
        // The template loop the checklist lines replaced, rendered by the engine itself.
        let template = r#"{% for c in checks %}<li><span class="estado {{ c.class }}">{{ c.symbol }}<span class="palabra"> {{ c.mark }}</span></span> <small>{{ c.code }}</small> {{ c.name }}{% if c.reactive %} <small class="muted">({{ t.a_pedido }})</small>{% endif %}{% if c.detail %} <small class="muted">· {{ c.detail }}</small>{% endif %}{% if c.evidence_is_url %} <a class="solo-pantalla" href="{{ c.evidence }}">{{ t.evidencia }}</a>{% endif %}</li>
    {% endfor %}"#;
        let check = |reactive: bool, detail: &str, evidence: Option<&str>| Check {
            code: "PC-PR-1",
            name: "Nombre <con> \"comillas\" & 'apóstrofo' / barra".into(),
            class: "no-publicado",
            symbol: "✗",
            mark: "No publicado".into(),
            detail: detail.into(),
            evidence_is_url: evidence.is_some_and(|e| e.starts_with("https://")),
            evidence: evidence.map(str::to_string),
            reactive,
        };
        let checks = vec![
            check(false, "", None),
            check(true, "1 de 3 procesos", None),
            check(false, "", Some("https://datos.example.pa/a?b=1&c=\"2\"")),
            check(true, "0 de 1 proceso", Some("/srv/datos/releases.jsonl")),
        ];
        for lang in [Lang::Es, Lang::En] {
            let ui = super::super::words::ui(lang);
            let mut env = minijinja::Environment::new();
            env.add_template("c.html", template).expect("template");
            let expected = env
                .get_template("c.html")
                .expect("template")
                .render(minijinja::context! { checks => &checks, t => ui })
                .expect("render");
            let mut written = String::new();
            for c in &checks {
                c.write_html(&mut written, ui);
            }
            assert_eq!(written, expected);
        }
    }

    fn row(data: Value) -> CompiledProcess {
        CompiledProcess {
            ocid: data["ocid"].as_str().unwrap_or("x").to_string(),
            data,
            history: Value::Null,
            releases: 1,
            compiled_in: 0,
        }
    }

    #[test]
    fn processes_before_award_are_in_procurement_not_implementation() {
        let project = json!({"budget": {"amount": {"amount": 1, "currency": "PAB"}},
            "contractingProcesses": [{"id": "a", "summary": {"ocid": "a", "status": "active"}}]});
        let rows = [row(json!({"ocid": "a", "tender": {"tenderPeriod": {
            "startDate": "2024-01-10T00:00:00Z", "endDate": "2024-02-01T00:00:00Z"}}}))];
        let p = progress(&project, &rows);
        assert_eq!(p.stage, Stage::Procurement);
        assert_eq!(p.milestones.call.as_deref(), Some("2024-01-10T00:00:00Z"));
        // A signed contract moves it to implementation; a completion date to completion.
        let rows = [row(
            json!({"ocid": "a", "contracts": [{"id": "c", "dateSigned": "2024-03-01"}]}),
        )];
        assert_eq!(progress(&project, &rows).stage, Stage::Implementation);
        let mut done = project.clone();
        done["completion"] = json!({"endDate": "2025-01-01"});
        assert_eq!(progress(&done, &rows).stage, Stage::Completion);
        assert_eq!(progress(&json!({}), &[]).stage, Stage::Identification);
    }

    #[test]
    fn durations_and_changes_read_in_words() {
        let period = json!({"startDate": "2024-01-01", "endDate": "2024-01-02"});
        assert_eq!(duration(Some(&period), Lang::Es).as_deref(), Some("1 día"));
        let cps = [json!({"summary": {"modifications": [
            {"type": "value", "date": "2024-05-02",
             "oldContractValue": {"amount": 100, "currency": "PAB"},
             "newContractValue": {"amount": 150, "currency": "PAB"}}]}})];
        let c = changes(&cps, Lang::Es);
        assert_eq!(c[0].before_after, "PAB 100.00 → PAB 150.00");
        assert_eq!(c[0].why, "justificación no publicada");
        assert_eq!(c[0].date, "2 de mayo de 2024");
        assert!(!c[0].justified);
    }

    #[test]
    fn documents_are_listed_once() {
        let d =
            json!({"id": "1", "documentType": "tenderNotice", "url": "https://x.example/a.pdf"});
        let p =
            json!({"documents": [d], "contractingProcesses": [{"summary": {"documents": [d, d]}}]});
        let docs = documents(&p, Lang::Es);
        assert_eq!(docs.len(), 1);
        assert_ne!(docs[0].kind, "tenderNotice", "the type is shown in words");
    }
}
