//! The pages and spreadsheets people read, on the fixtures and on hostile data: every page is
//! written, text from the data is escaped, spreadsheet cells cannot run, the history gives a
//! change since the previous run, and the language can be switched.

use std::collections::BTreeMap;
use std::path::Path;

use costwatch::config::{ExpectedEntity, SourceSpec};
use costwatch::pipeline::{self, RunOptions};
use serde_json::json;

use crate::util::fixture_config;

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Rows of a CSV written by costwatch (after its byte-order mark), as maps by header.
fn csv_rows(path: &Path) -> Vec<BTreeMap<String, String>> {
    let bytes = std::fs::read(path).expect("csv");
    assert!(
        bytes.starts_with(b"\xEF\xBB\xBF"),
        "{} has no byte-order mark",
        path.display()
    );
    let mut r = csv::Reader::from_reader(&bytes[3..]);
    let header: Vec<String> = r
        .headers()
        .expect("header")
        .iter()
        .map(str::to_string)
        .collect();
    r.records()
        .map(|rec| {
            let rec = rec.expect("record");
            header
                .iter()
                .cloned()
                .zip(rec.iter().map(str::to_string))
                .collect()
        })
        .collect()
}

#[test]
fn every_page_and_table_is_written_and_a_second_run_shows_the_change() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = fixture_config(dir.path());
    config.expected_entities = vec![ExpectedEntity {
        id: "PA-RUC-9-NADA-1".into(),
        name: "Autoridad de Ejemplo Sin Publicaciones".into(),
    }];
    let first = pipeline::run(&config, &RunOptions::default()).expect("first run");
    let out = &config.output;
    let projects = first.report.projects as usize;

    // One sheet per project, one page per entity (and one for the expected entity).
    let sheets = std::fs::read_dir(out.join("proyectos"))
        .expect("proyectos")
        .count();
    assert_eq!(sheets, projects);
    let entity_pages = std::fs::read_dir(out.join("entidades"))
        .expect("entidades")
        .count();
    assert_eq!(entity_pages as u64, first.report.entities + 1);
    for f in [
        "index.html",
        "metodologia.html",
        "estilo.css",
        "liga.js",
        "costwatch.xlsx",
    ] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    let index = read(&out.join("index.html"));
    assert!(index.contains("Autoridad de Ejemplo Sin Publicaciones"));
    assert!(index.contains("sin datos"));
    assert!(index.contains("nuevo"), "a first run has no previous score");
    assert!(!index.contains("http://") || !index.contains("src=\"http"));

    // A sheet in Spanish, in the order a committee reads it, with no raw codes for people.
    let mop = read(&out.join("proyectos/oc4ids-cwdemo-MOP-005.html"));
    let order = [
        "id=\"etapas\"",
        "id=\"dinero\"",
        "id=\"contratos\"",
        "id=\"alertas\"",
        "id=\"divulgacion\"",
        "id=\"documentos\"",
        "id=\"contacto\"",
    ];
    let at: Vec<usize> = order
        .iter()
        .map(|s| mop.find(s).unwrap_or_else(|| panic!("{s} missing")))
        .collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "sections out of order");
    assert!(mop.contains("<html lang=\"es\">"));
    assert!(
        mop.contains("Una alerta es un motivo para preguntar, no una prueba de irregularidad.")
    );
    assert_eq!(mop.matches("class=\"e-").count(), 5, "five rungs");
    assert_eq!(mop.matches(" actual\"").count(), 1, "one current stage");
    for raw in ["implementation\"", ">raised<", ">open<", "undefined", "NaN"] {
        assert!(!mop.contains(raw), "{raw} shown to people");
    }

    // Spreadsheets: BOM, names beside codes, long-form elements that reconcile.
    let proyectos = csv_rows(&out.join("proyectos.csv"));
    assert_eq!(proyectos.len(), projects);
    let elements = csv_rows(&out.join("elements.csv"));
    let mut due_by_entity: BTreeMap<String, u64> = BTreeMap::new();
    for e in &elements {
        assert!(!e["nombre/name"].is_empty() && !e["elemento"].is_empty());
        let share: f64 = e["porcentaje/share"].parse().expect("share");
        assert!((0.0..=100.0).contains(&share));
        *due_by_entity
            .entry(e["entidad/entity"].clone())
            .or_default() += e["exigibles/due"].parse::<u64>().expect("due");
    }
    let mut due_projects: BTreeMap<String, u64> = BTreeMap::new();
    for p in &proyectos {
        *due_projects.entry(p["entidad/entity"].clone()).or_default() +=
            p["exigibles/due"].parse::<u64>().expect("due");
    }
    assert_eq!(
        due_by_entity, due_projects,
        "elements.csv and proyectos.csv disagree"
    );
    let glosario = csv_rows(&out.join("glosario.csv"));
    assert!(glosario.iter().any(|g| g["codigo/code"] == "PJ-ID-1"));

    // The second run: the league table shows a change (here none) against the first. With
    // nothing new a run keeps the output as it is; --full computes it again.
    let second = pipeline::run(
        &config,
        &RunOptions {
            full: true,
            ..RunOptions::default()
        },
    )
    .expect("second run");
    assert_eq!(second.report.projects, first.report.projects);
    let index = read(&out.join("index.html"));
    assert!(
        index.contains("class=\"num cambio \">=</td>"),
        "no change marker"
    );
    let trends = csv_rows(&out.join("tendencias.csv"));
    let runs: std::collections::BTreeSet<&str> =
        trends.iter().map(|t| t["corrida/run"].as_str()).collect();
    assert_eq!(runs.len(), 2);
}

#[test]
fn text_from_the_data_is_escaped_and_cells_cannot_run() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("in");
    std::fs::create_dir_all(&input).expect("mkdir");
    let release = json!({
        "ocid": "ocds-xss001-1", "id": "r1", "date": "2024-01-01T00:00:00Z", "tag": ["tender"],
        "initiationType": "tender",
        "parties": [{"id": "B", "name": "=HYPERLINK(\"http://x.invalid\",\"clic\")", "roles": ["buyer"]}],
        "buyer": {"id": "B", "name": "=HYPERLINK(\"http://x.invalid\",\"clic\")"},
        "planning": {"project": {"id": "P1", "title": "<script>alert(1)</script>"}},
        "tender": {"id": "T1", "title": "@SUM(1+1)", "procurementMethod": "open"},
    });
    std::fs::write(
        input.join("x.json"),
        serde_json::to_vec(
            &json!({"uri": "u", "version": "1.1", "publishedDate": "2024-01-01T00:00:00Z",
            "publisher": {"name": "p"}, "releases": [release]}),
        )
        .expect("json"),
    )
    .expect("write");
    let mut config = fixture_config(dir.path());
    config.sources[0].spec = SourceSpec::Local {
        paths: vec![input.display().to_string()],
    };
    pipeline::run(&config, &RunOptions::default()).expect("run");
    let out = &config.output;
    let sheet_files: Vec<_> = std::fs::read_dir(out.join("proyectos"))
        .expect("sheets")
        .flatten()
        .collect();
    assert_eq!(sheet_files.len(), 1);
    let html = read(&sheet_files[0].path());
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;")
            || html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "title not escaped"
    );
    assert!(!html.contains("<script>alert(1)"));
    let index = read(&out.join("index.html"));
    assert!(!index.contains("<script>alert(1)"));
    for f in ["entities.csv", "elements.csv", "proyectos.csv"] {
        let text = read(&out.join(f));
        for line in text.lines() {
            for cell in line.split(',') {
                let c = cell.trim_start_matches('"');
                assert!(
                    !(c.starts_with('=') || c.starts_with('@')),
                    "{f}: live formula {cell}"
                );
            }
        }
    }
    assert!(read(&out.join("entities.csv")).contains("'=HYPERLINK"));
}

#[test]
fn pages_can_be_english() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = fixture_config(dir.path());
    config.report.lang = costwatch::publish::labels::Lang::En;
    pipeline::run(&config, &RunOptions::default()).expect("run");
    let sheet = read(&config.output.join("proyectos/oc4ids-cwdemo-MOP-005.html"));
    assert!(sheet.contains("<html lang=\"en\">"));
    assert!(sheet.contains("Project sheet"));
    assert!(sheet.contains("An alert is a reason to ask, not proof of wrongdoing."));
    // Element codes are never translated.
    assert!(sheet.contains("PJ-ID-1"));
}

/// Weights of 0 for every element but those `keep` picks (which keep their default, 1).
fn weigh_nothing_but(
    keep: impl Fn(&costwatch::ids::Element) -> bool,
) -> std::collections::BTreeMap<String, f64> {
    costwatch::ids::catalogue()
        .iter()
        .filter(|e| !keep(e))
        .map(|e| (e.code.clone(), 0.0))
        .collect()
}

#[test]
fn a_project_whose_elements_all_weigh_nothing_has_no_score_rather_than_zero() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = fixture_config(dir.path());
    config.weights = weigh_nothing_but(|_| false);
    pipeline::run(&config, &RunOptions::default()).expect("run");
    let sheet = read(&config.output.join("proyectos/oc4ids-cwdemo-MOP-005.html"));
    assert!(
        sheet.contains("Sin puntaje de divulgación"),
        "the sheet says there is no score"
    );
    assert!(!sheet.contains("Puntaje de divulgación: 0"));
    // How a contract item counts in the score is not told where there is no score.
    assert!(!sheet.contains("En el puntaje, un dato de contrato"));
    let rows = csv_rows(&config.output.join("proyectos.csv"));
    assert!(!rows.is_empty());
    for row in &rows {
        assert_eq!(row["puntaje/score"], "", "{row:?}");
        assert_eq!(row["puntaje_flexible/lenient_score"], "", "{row:?}");
    }
    // The project file says so to programs: no score, not 0.
    let file = crate::util::json(&config.output.join("projects/oc4ids-cwdemo-MOP-005.json"));
    assert!(file["score"]["score"].is_null(), "{}", file["score"]);
    assert!(file["score"]["lenient_score"].is_null());
    assert!(file["score"]["disclosed"].is_number());
}

#[test]
fn an_entity_page_lists_a_project_without_a_score_as_such() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = fixture_config(dir.path());
    // Only the implementation stage's elements weigh: a work not yet under contract has no
    // score yet, one under way has.
    config.weights = weigh_nothing_but(|e| e.stage == costwatch::ids::Stage::Implementation);
    pipeline::run(&config, &RunOptions::default()).expect("run");
    let rows = csv_rows(&config.output.join("proyectos.csv"));
    let (unscored, scored): (Vec<_>, Vec<_>) =
        rows.iter().partition(|r| r["puntaje/score"].is_empty());
    assert!(
        !unscored.is_empty() && !scored.is_empty(),
        "{} without a score, {} with one",
        unscored.len(),
        scored.len()
    );
    let pages: Vec<String> = std::fs::read_dir(config.output.join("entidades"))
        .expect("entity pages")
        .flatten()
        .map(|e| read(&e.path()))
        .collect();
    // A project's row on its entity's page: from its id to the end of the row.
    let row_of = |id: &str| -> Option<String> {
        let tag = format!("<small>{id}</small>");
        pages.iter().find_map(|page| {
            let at = page.find(&tag)?;
            let rest = &page[at..];
            Some(rest[..rest.find("</tr>")?].to_string())
        })
    };
    let mut listed = 0;
    for r in &unscored {
        let Some(row) = row_of(&r["proyecto/project"]) else {
            continue;
        };
        listed += 1;
        assert!(row.contains(">sin puntaje<"), "{row}");
    }
    assert!(
        listed > 0,
        "an unscored project is listed on its entity's page"
    );
    for r in &scored {
        let row = row_of(&r["proyecto/project"]).expect("a scored project is listed");
        assert!(!row.contains("sin puntaje"), "{row}");
    }
    // An entity whose projects all lack a score has a page too (its sheets link to it) and a
    // row in the league, without a rank.
    let league = read(&config.output.join("index.html"));
    let entities: std::collections::BTreeSet<&str> =
        rows.iter().map(|r| r["entidad/entity"].as_str()).collect();
    let unscored_entities: Vec<&&str> = entities
        .iter()
        .filter(|e| {
            rows.iter()
                .filter(|r| r["entidad/entity"] == **e)
                .all(|r| r["puntaje/score"].is_empty())
        })
        .collect();
    assert!(
        !unscored_entities.is_empty(),
        "the weights leave an entity with no scored project"
    );
    for e in &entities {
        assert!(
            league.contains(&format!("data-entity=\"{e}\"")),
            "{e} in the league"
        );
    }
    for sheet in std::fs::read_dir(config.output.join("proyectos")).expect("sheets") {
        let html = read(&sheet.expect("sheet").path());
        for link in html.split("href=\"../entidades/").skip(1) {
            let file = &link[..link.find('"').expect("end of link")];
            assert!(
                config.output.join("entidades").join(file).is_file(),
                "a sheet links to entidades/{file}"
            );
        }
    }
    let page_of = |e: &str| {
        pages
            .iter()
            .find(|p| p.contains(&format!("{e}</p>")))
            .cloned()
    };
    for e in &unscored_entities {
        let page = page_of(e).expect("a page for an entity without a scored project");
        assert!(page.contains("Sin puntaje · 0 de "), "{e}");
    }

    // The history keeps no score for them, not 0.
    let store = rusqlite::Connection::open(&config.store).expect("store");
    let nulls: i64 = store
        .query_row(
            "SELECT count(*) FROM project_scores WHERE score IS NULL",
            [],
            |r| r.get(0),
        )
        .expect("history");
    assert_eq!(nulls as usize, unscored.len());
}
