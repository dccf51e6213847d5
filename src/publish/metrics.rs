//! `metrics.prom`: the run in the Prometheus text format, for node_exporter's textfile
//! collector, so that an operator's alerting sees a run that failed (the last success time
//! stops moving), a source that went down, or quarantine that grew.

use std::fmt::Write;

use crate::report::{Health, RunReport, Status};

/// A label value as the text format wants it: backslash, quote and newline escaped.
fn label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// The metrics of one finished run.
pub fn text(report: &RunReport) -> String {
    let mut out = String::new();
    let mut metric = |name: &str, help: &str, samples: &[(String, f64)]| {
        let _ = writeln!(out, "# HELP {name} {help}");
        let _ = writeln!(out, "# TYPE {name} gauge");
        for (labels, value) in samples {
            let _ = writeln!(out, "{name}{labels} {value}");
        }
    };
    let one = |v: f64| vec![(String::new(), v)];
    let finished = crate::util::parse_instant(&report.finished_at)
        .map(|ns| ns as f64 / 1e9)
        .unwrap_or(0.0);
    metric(
        "costwatch_last_success_timestamp_seconds",
        "Unix time the last run that published finished.",
        &one(finished),
    );
    metric(
        "costwatch_run_duration_seconds",
        "Seconds the last run took.",
        &one(report.duration_seconds),
    );
    let st = report.stage_seconds;
    metric(
        "costwatch_stage_duration_seconds",
        "Seconds the last run spent in each stage.",
        &[
            ("fetch", st.fetch),
            ("compile", st.compile),
            ("convert", st.convert),
            ("assess", st.assess),
            ("score", st.score),
            ("publish", st.publish),
        ]
        .map(|(s, v)| (format!("{{stage=\"{s}\"}}"), v)),
    );
    metric(
        "costwatch_run_partial",
        "1 when the last run was partial (quarantine, or a source partial or down).",
        &one(f64::from(u8::from(report.status == Status::Partial))),
    );
    let r = &report.releases;
    metric(
        "costwatch_releases",
        "Releases read in the last run: new, identical repeats, conflicting repeats, compiled releases from records.",
        &[
            ("new", r.new),
            ("repeated", r.repeated),
            ("conflicting", r.conflicting),
            ("from_records", r.from_records),
        ]
        .map(|(k, v)| (format!("{{kind=\"{k}\"}}"), v as f64)),
    );
    metric(
        "costwatch_quarantined",
        "Inputs or parts of inputs quarantined in the last run.",
        &one(report.quarantined.len() as f64),
    );
    metric(
        "costwatch_projects",
        "Projects published.",
        &one(report.projects as f64),
    );
    metric(
        "costwatch_reused_projects",
        "Projects taken from the published output because nothing they are made from changed.",
        &one(report.reused_projects as f64),
    );
    metric(
        "costwatch_out_of_scope_projects",
        "Projects left out by [scope]: none of their processes is infrastructure.",
        &one(report.out_of_scope.projects as f64),
    );
    metric(
        "costwatch_entities",
        "Entities scored.",
        &one(report.entities as f64),
    );
    metric(
        "costwatch_stale_entities",
        "Entities whose figures rest on a source that was down.",
        &one(report.stale_entities as f64),
    );
    let mut health = Vec::new();
    for s in &report.sources {
        for status in [Health::Ok, Health::Partial, Health::Down] {
            health.push((
                format!(
                    "{{source=\"{}\",status=\"{}\"}}",
                    label(&s.id),
                    status.code()
                ),
                f64::from(u8::from(s.status == status)),
            ));
        }
    }
    metric(
        "costwatch_source_health",
        "1 for each source's status in the last run (ok, partial or down).",
        &health,
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_format_is_well_formed() {
        let mut r = RunReport::new(1, "c", "2025-06-30T00:00:00Z", "2025-06-30T00:00:00Z");
        r.finished_at = "2025-06-30T00:00:10Z".into();
        r.projects = 3;
        let text = text(&r);
        assert!(
            text.contains("costwatch_last_success_timestamp_seconds 1751241610\n"),
            "{text}"
        );
        assert!(text.contains("costwatch_projects 3\n"));
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let (name, value) = line.rsplit_once(' ').expect("name value");
            assert!(name.starts_with("costwatch_"), "{line}");
            value.parse::<f64>().expect("a number");
        }
        assert_eq!(label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
