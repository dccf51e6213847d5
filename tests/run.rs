//! End to end on the committed fixtures: the output tree, a schema-valid package,
//! idempotent reruns, and an interrupted run that leaves the previous output in place.

use costwatch::ExitCode;
use costwatch::pipeline::{RunOptions, run};
use serde_json::Value;

use crate::util::{fixture_config, json, output_hashes, package_errors, root, shared, sheet_items};

#[test]
fn fixtures_run_publishes_the_tree_and_reruns_identically() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = fixture_config(dir.path());
    let first = run(&config, &RunOptions::default()).expect("first run");
    // The fixtures hold malformed files on purpose: the run ends partial.
    assert_eq!(first.exit_code(), ExitCode::Partial);
    let r = &first.report;
    assert!(r.projects >= 55, "projects: {}", r.projects);
    assert_eq!(r.entities, 10);
    assert!(r.releases.new > 300);
    assert!(r.releases.repeated >= 3, "exact repeats are counted");
    assert_eq!(
        r.releases.conflicting, 2,
        "conflicting repeats are kept and reported"
    );
    assert_eq!(r.conflicts.len(), 2);
    let reasons: Vec<&str> = r.quarantined.iter().map(|q| q.reason.as_str()).collect();
    assert!(
        reasons.contains(&"invalid_json") && reasons.contains(&"not_ocds"),
        "{reasons:?}"
    );
    assert!(
        r.quarantined
            .iter()
            .any(|q| q.location.ends_with("truncado.json") && q.line.is_some())
    );

    let out = config.output.clone();
    for f in [
        "oc4ids/project-package.json",
        "entities.json",
        "entities.csv",
        "elements.csv",
        "run-report.json",
        "quarantine.csv",
    ] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    let package = json(&out.join("oc4ids/project-package.json"));
    let projects = package["projects"].as_array().expect("projects");
    assert_eq!(projects.len() as u64, r.projects);
    let files = std::fs::read_dir(out.join("projects"))
        .expect("projects dir")
        .count();
    assert_eq!(files as u64, r.projects);

    // Each project sheet carries verdicts with the deciding path, and its score agrees with
    // the entity table's inputs (the same rule computed twice).
    let sheet = json(
        &std::fs::read_dir(out.join("projects"))
            .expect("dir")
            .flatten()
            .next()
            .expect("one")
            .path(),
    );
    let v = &sheet["verdicts"][0];
    assert!(v["path"].as_str().is_some_and(|p| p.starts_with('/')));
    assert!(sheet["score"]["score"].is_number());
    let entities = json(&out.join("entities.json"));
    for e in entities.as_array().expect("entities") {
        let s = e["score"].as_f64().expect("score");
        assert!((0.0..=100.0).contains(&s));
    }

    // A second run over the same inputs adds nothing and publishes identical files.
    let before = output_hashes(&out);
    let second = run(&config, &RunOptions::default()).expect("second run");
    assert_eq!(second.report.releases.new, 0);
    assert_eq!(second.report.releases.conflicting, 0);
    assert_eq!(
        second.report.compiled, 0,
        "nothing changed, nothing recompiled"
    );
    assert_eq!(output_hashes(&out), before);
    // --full recompiles everything and still publishes the same.
    run(
        &config,
        &RunOptions {
            full: true,
            ..Default::default()
        },
    )
    .expect("full run");
    assert_eq!(output_hashes(&out), before);
}

#[test]
fn package_is_valid_against_the_oc4ids_schema() {
    let Some(shared) = shared() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let config = fixture_config(dir.path());
    run(&config, &RunOptions::default()).expect("run");
    let package = json(&config.output.join("oc4ids/project-package.json"));
    let errors = package_errors(&shared, &package);
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    // Ids are strings everywhere the schema asks for them, and no empty values are emitted.
    fn no_empties(v: &Value, path: &str) {
        match v {
            Value::String(s) => assert!(!s.trim().is_empty(), "empty string at {path}"),
            Value::Array(a) => {
                assert!(!a.is_empty(), "empty array at {path}");
                for (i, x) in a.iter().enumerate() {
                    no_empties(x, &format!("{path}/{i}"));
                }
            }
            Value::Object(o) => {
                assert!(!o.is_empty(), "empty object at {path}");
                for (k, x) in o {
                    no_empties(x, &format!("{path}/{k}"));
                }
            }
            Value::Null => panic!("null at {path}"),
            _ => {}
        }
    }
    no_empties(&package, "");
}

#[test]
fn failed_run_leaves_previous_output_in_place() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = fixture_config(dir.path());
    run(&config, &RunOptions::default()).expect("run");
    let before = std::fs::read(config.output.join("entities.csv")).expect("entities");
    // A store that cannot be opened (a folder in its place) fails the run before publishing.
    let mut broken = config.clone();
    broken.store = dir.path().join("not-a-db");
    std::fs::create_dir_all(&broken.store).expect("dir");
    assert!(run(&broken, &RunOptions::default()).is_err());
    assert_eq!(
        std::fs::read(config.output.join("entities.csv")).expect("entities"),
        before
    );
}

/// Sample mode: the seed and the drawn projects are in the report, every entity gets a sample
/// score, the draw is the same on a second run, and the full scores are unchanged by it.
#[test]
fn sample_mode_records_its_seed_and_draws_the_same_projects() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = fixture_config(dir.path());
    config.scoring.sample_seed = Some(42);
    let first = run(&config, &RunOptions::default()).expect("run");
    let sample = first.report.sample.clone().expect("sample in report");
    assert_eq!(sample.seed, 42);
    assert_eq!(sample.projects.len(), 10, "one entry per entity");
    assert!(sample.projects.values().all(|p| (1..=2).contains(&p.len())));
    let entities = json(&dir.path().join("out/entities.json"));
    let rows = entities.as_array().expect("entities");
    assert!(rows.iter().all(|e| e["sample_score"].is_number()));
    assert!(rows.iter().all(|e| e["reactive_score"].is_number()));
    assert!(rows.iter().all(|e| e["ocp_presence"].is_number()));
    let second = run(&config, &RunOptions::default()).expect("second run");
    assert_eq!(second.report.sample, Some(sample));

    let plain_dir = tempfile::tempdir().expect("tempdir");
    run(&fixture_config(plain_dir.path()), &RunOptions::default()).expect("plain run");
    let plain = json(&plain_dir.path().join("out/entities.json"));
    let scores = |v: &Value| -> Vec<(String, f64)> {
        v.as_array()
            .expect("rows")
            .iter()
            .map(|e| {
                (
                    e["entity"].as_str().unwrap_or_default().to_string(),
                    e["score"].as_f64().unwrap_or(-1.0),
                )
            })
            .collect()
    };
    assert_eq!(scores(&entities), scores(&plain));
}

#[test]
fn a_scope_keeps_purchases_that_are_not_infrastructure_out() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("in");
    std::fs::create_dir_all(&input).expect("mkdir");
    for entry in std::fs::read_dir(root().join("fixtures/ocds")).expect("fixtures") {
        let path = entry.expect("entry").path();
        std::fs::copy(&path, input.join(path.file_name().expect("name"))).expect("copy");
    }
    // A hospital's medicines and a consultancy on its own: purchases, not public works.
    let purchase = |ocid: &str, category: &str, code: &str| {
        serde_json::json!({"ocid": ocid, "id": format!("{ocid}-1"), "date": "2024-03-01T00:00:00Z",
            "tag": ["tender"], "initiationType": "tender",
            "buyer": {"id": "H", "name": "Hospital Santo Tomás"},
            "parties": [{"id": "H", "name": "Hospital Santo Tomás", "roles": ["buyer"]}],
            "tender": {"id": "T", "status": "active", "mainProcurementCategory": category,
                "items": [{"id": "1", "classification": {"scheme": "UNSPSC", "id": code}}]}})
    };
    let package = serde_json::json!({"uri": "https://example.org/compras.json", "version": "1.1",
        "publishedDate": "2024-03-02T00:00:00Z",
        "releases": [purchase("ocds-cw7pa1-HST-901", "goods", "51101500"),
                     purchase("ocds-cw7pa1-HST-902", "services", "80101500")]});
    std::fs::write(input.join("compras.json"), package.to_string()).expect("write");

    let mut config = fixture_config(dir.path());
    config.sources[0].spec = costwatch::config::SourceSpec::Local {
        paths: vec![input.display().to_string()],
    };
    let all = run(&config, &RunOptions::default()).expect("run without scope");
    assert_eq!(all.report.out_of_scope.projects, 0);
    let all_package = json(&config.output.join("oc4ids/project-package.json"));

    // Works, and whatever names the project it serves: a project in design has no works
    // contract yet but is infrastructure all the same.
    config.scope = Some(costwatch::config::ScopeSettings {
        categories: vec!["works".into()],
        planning_project: true,
        ..Default::default()
    });
    let kept = run(&config, &RunOptions::default()).expect("run with scope");
    let out = &kept.report.out_of_scope;
    // The medicines are the only goods; the consultancy joins the fixtures' design and
    // supervision contracts that name no project (each its own project, so nothing ties them
    // to works).
    assert_eq!(out.processes.get("goods"), Some(&1), "{out:?}");
    assert!(
        out.processes.get("services").is_some_and(|n| *n >= 1),
        "{out:?}"
    );
    assert_eq!(kept.report.projects, all.report.projects - out.projects);
    let package = json(&config.output.join("oc4ids/project-package.json"));
    let text = package.to_string();
    assert!(!text.contains("HST-901") && !text.contains("HST-902"));
    // A works project and its design and supervision contracts stay whole.
    let mop = json(&config.output.join("projects/oc4ids-cwdemo-MOP-003.json"));
    assert_eq!(
        mop["project"]["contractingProcesses"]
            .as_array()
            .map(Vec::len),
        all_processes_of(&all_package, "oc4ids-cwdemo-MOP-003")
    );
    let report = json(&config.output.join("run-report.json"));
    assert_eq!(report["out_of_scope"]["projects"], out.projects);
    if let Some(shared) = shared() {
        let errors = package_errors(&shared, &package);
        assert!(errors.is_empty(), "{}", errors.join("\n"));
    }
}

/// How many contracting processes a project has in a package.
fn all_processes_of(package: &Value, id: &str) -> Option<usize> {
    package["projects"]
        .as_array()?
        .iter()
        .find(|p| p["id"] == id)?["contractingProcesses"]
        .as_array()
        .map(Vec::len)
}

#[test]
fn an_invalid_oc4ids_project_is_repaired_or_kept_out_and_the_package_stays_valid() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("oc4ids");
    std::fs::create_dir_all(&input).expect("mkdir");
    let package = serde_json::json!({
        "uri": "https://example.org/cost/projects.json", "version": "0.9",
        "publishedDate": "2024-01-01T00:00:00Z", "publisher": {"name": "CoST Panamá"},
        "projects": [
            // Repairable: a numeric party id, a location without id, a reference to a party
            // that is not there, a null currency.
            {"id": "oc4ids-cost-1", "title": "Puente sobre el río Chagres", "status": "implementation",
             "parties": [{"id": 1, "name": "Ministerio de Obras Públicas", "roles": ["publicAuthority"]}],
             "publicAuthority": {"id": "1", "name": "Ministerio de Obras Públicas"},
             "locations": [{"description": "Chagres, Colón"}],
             "budget": {"amount": {"amount": 1500000, "currency": null}},
             "contractingProcesses": [{"id": "ocds-cost-1", "summary": {"ocid": "ocds-cost-1",
                "tender": {"procuringEntity": {"id": "9", "name": "Ministerio de Obras Públicas"}}}}]},
            // Not repairable: a status outside the codelist, a date in a local format, a
            // process without id.
            {"id": "oc4ids-cost-2", "title": "Escuela de Soná", "status": "en ejecución",
             "documents": [{"id": "1", "documentType": "feasibilityStudy",
                            "url": "https://example.org/soná.pdf", "datePublished": "20/05/2024"}],
             "contractingProcesses": [{"summary": {"ocid": "ocds-cost-2"}}]}
        ]
    });
    std::fs::write(input.join("projects.json"), package.to_string()).expect("write");
    let text = format!(
        "[run]\nstore = \"{store}\"\noutput = \"{out}\"\nas_of = \"2025-06-30T00:00:00Z\"\n\
         [projects]\nid_prefix = \"oc4ids-cwtest\"\n\
         [[source]]\nid = \"cost\"\nkind = \"oc4ids\"\npaths = [\"{input}\"]\n",
        store = dir.path().join("store.sqlite").display(),
        out = dir.path().join("out").display(),
        input = input.display(),
    );
    let config = costwatch::config::Config::from_toml(&text, "t.toml").expect("config");
    let outcome = run(&config, &RunOptions::default()).expect("run");
    assert_eq!(
        outcome.exit_code(),
        ExitCode::Partial,
        "a project was quarantined"
    );
    assert_eq!(outcome.report.projects, 2, "both get a sheet");
    // Nothing new: the output is kept, and the run still says a project is left out of it.
    let again = run(&config, &RunOptions::default()).expect("rerun");
    assert!(again.report.output_kept);
    assert_eq!(
        again.exit_code(),
        ExitCode::Partial,
        "the same output, the same exit code"
    );

    let package = json(&config.output.join("oc4ids/project-package.json"));
    let ids: Vec<&str> = package["projects"]
        .as_array()
        .expect("projects")
        .iter()
        .filter_map(|p| p["id"].as_str())
        .collect();
    assert_eq!(ids, ["oc4ids-cost-1"], "the invalid project stays out");
    let repaired = &package["projects"][0];
    assert_eq!(repaired["parties"][0]["id"], "1");
    assert_eq!(repaired["locations"][0]["id"], "1");
    assert_eq!(
        repaired["contractingProcesses"][0]["summary"]["tender"]["procuringEntity"],
        serde_json::json!({"name": "Ministerio de Obras Públicas"})
    );
    if let Some(shared) = shared() {
        let errors = package_errors(&shared, &package);
        assert!(errors.is_empty(), "{}", errors.join("\n"));
    }

    // The invalid project's sheet says why, in its JSON and on its page.
    let sheet = json(&config.output.join("projects/oc4ids-cost-2.json"));
    let mut errors: Vec<&str> = sheet["schema_errors"]
        .as_array()
        .expect("schema_errors")
        .iter()
        .filter_map(|e| e["path"].as_str())
        .collect();
    errors.sort_unstable();
    assert_eq!(
        errors,
        [
            "/contractingProcesses/0",
            "/documents/0/datePublished",
            "/status"
        ]
    );
    let page = std::fs::read_to_string(config.output.join(format!(
        "proyectos/{}",
        costwatch::publish::sheet::file_name("oc4ids-cost-2")
    )))
    .expect("page");
    assert!(
        page.contains("no está en el paquete OC4IDS"),
        "the page says so"
    );
    // In the reader's language: the value as published, then what is wrong with it.
    assert!(
        page.contains("no es un código de la lista cerrada del estándar")
            && page.contains("no es una fecha con hora")
            && !page.contains("is not"),
        "the errors are worded in Spanish"
    );
    let problems: Vec<&str> = sheet["schema_errors"]
        .as_array()
        .expect("schema_errors")
        .iter()
        .filter_map(|e| e["problem"].as_str())
        .collect();
    assert!(
        problems.contains(&"not_a_code") && problems.contains(&"no_id"),
        "{problems:?}"
    );
    let quarantine = std::fs::read_to_string(config.output.join("quarantine.csv")).expect("csv");
    assert!(
        quarantine.contains("invalid_project") && quarantine.contains("oc4ids-cost-2"),
        "{quarantine}"
    );
}

#[test]
fn records_that_only_link_their_releases_keep_the_links_and_count_as_records() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("in");
    std::fs::create_dir_all(&input).expect("mkdir");
    // As Paraguay publishes: each record links its releases and carries the compiled release.
    let link = |id: &str, tag: &str, date: &str| {
        serde_json::json!({"url": format!("https://contrataciones.example.py/releases/{id}.json"),
                           "date": date, "tag": [tag]})
    };
    let package = serde_json::json!({
        "uri": "https://contrataciones.example.py/records/ocds-py-1.json", "version": "1.1",
        "publishedDate": "2024-06-01T00:00:00-04:00", "publisher": {"name": "DNCP"},
        "records": [{
            "ocid": "ocds-py-1",
            "releases": [link("ocds-py-1-tender", "tender", "2024-01-10T09:00:00-04:00"),
                         link("ocds-py-1-contract", "contract", "2024-03-01T09:00:00-04:00")],
            "compiledRelease": {
                "ocid": "ocds-py-1", "id": "ocds-py-1-compiled", "date": "2024-03-01T09:00:00-04:00",
                "tag": ["compiled"], "initiationType": "tender",
                "buyer": {"name": "Ministerio de Obras Públicas y Comunicaciones"},
                "tender": {"id": "T", "title": "Pavimentación del tramo Villeta–Alberdi",
                           "status": "complete", "mainProcurementCategory": "works"},
                "contracts": [{"id": "C", "status": "active",
                               "value": {"amount": 1250000000, "currency": "PYG"},
                               "period": {"startDate": "2024-03-10T00:00:00-04:00",
                                          "endDate": "2025-03-09T00:00:00-04:00"}}]}}]
    });
    std::fs::write(input.join("records.json"), package.to_string()).expect("write");
    let mut config = fixture_config(dir.path());
    config.sources[0].spec = costwatch::config::SourceSpec::Local {
        paths: vec![input.display().to_string()],
    };
    let outcome = run(&config, &RunOptions::default()).expect("run");
    let counts = outcome.report.releases;
    assert_eq!((counts.new, counts.from_records), (0, 1), "{counts:?}");

    let package = json(&config.output.join("oc4ids/project-package.json"));
    let process = &package["projects"][0]["contractingProcesses"][0];
    assert_eq!(
        process["releases"],
        serde_json::json!([
            {"id": "ocds-py-1-tender", "tag": ["tender"], "date": "2024-01-10T09:00:00-04:00",
             "url": "https://contrataciones.example.py/releases/ocds-py-1-tender.json"},
            {"id": "ocds-py-1-contract", "tag": ["contract"], "date": "2024-03-01T09:00:00-04:00",
             "url": "https://contrataciones.example.py/releases/ocds-py-1-contract.json"}
        ])
    );
    assert_eq!(
        process["summary"]["contractValue"],
        serde_json::json!({"amount": 1250000000, "currency": "PYG"})
    );
    if let Some(shared) = shared() {
        let errors = package_errors(&shared, &package);
        assert!(errors.is_empty(), "{}", errors.join("\n"));
    }
}

#[test]
fn conditional_elements_can_be_left_out_of_the_scores() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = fixture_config(dir.path());
    let scores = |config: &costwatch::config::Config| {
        run(
            config,
            &RunOptions {
                full: true,
                ..RunOptions::default()
            },
        )
        .expect("run");
        let entities = json(&config.output.join("entities.json"));
        entities
            .as_array()
            .expect("entities")
            .iter()
            .map(|e| {
                (
                    e["entity"].to_string(),
                    e["score"].as_f64().unwrap_or(f64::NAN),
                )
            })
            .collect::<std::collections::BTreeMap<_, _>>()
    };
    let counted = scores(&config);
    // The option as an operator writes it: read with the file, folded into the weights.
    let mut with_option = costwatch::config::Config::from_toml(
        &format!(
            "{}\n[scoring]\nexclude_conditional = true\n",
            costwatch::config::DEFAULT_TOML
        ),
        "t.toml",
    )
    .expect("config");
    with_option.store = config.store.clone();
    with_option.output = config.output.clone();
    with_option.sources = config.sources.clone();
    config = with_option;
    let excluded = scores(&config);
    assert_eq!(counted.len(), excluded.len());
    // No fixture publishes an administrative entity (PC-PR-3, conditional): leaving the
    // conditional elements out can only raise a score, and raises some.
    for (entity, before) in &counted {
        assert!(
            excluded[entity] >= *before,
            "{entity}: {before} → {}",
            excluded[entity]
        );
    }
    assert!(counted.iter().any(|(e, b)| excluded[e] > *b));
    // The verdicts are still published, marked conditional.
    let sheet = json(&config.output.join("projects/oc4ids-cwdemo-MOP-003.json"));
    let pcpr3 = sheet_items(&sheet, "verdicts")
        .into_iter()
        .find(|v| v["code"] == "PC-PR-3")
        .expect("PC-PR-3 judged");
    assert_eq!(pcpr3["conditional"], true);
}

#[test]
fn each_local_file_is_recorded_with_the_size_and_hash_of_its_bytes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let extra = dir.path().join("extra");
    std::fs::create_dir(&extra).expect("mkdir");
    let release = |n: u32, name: &str| {
        format!(
            r#"{{"ocid":"ocds-cwtest-{n}","id":"{n}-1","date":"2024-0{n}-01T00:00:00Z","tag":["tender"],"initiationType":"tender","buyer":{{"name":"{name}"}}}}"#
        )
    };
    // ISO-8859-1 bytes: read once as UTF-8, refused, and read again from the start.
    let text = release(1, "Ministerio de Educaci\u{f3}n");
    // Every character of the text is below U+0100: one byte each in ISO-8859-1.
    let latin1: Vec<u8> = text.chars().map(|c| c as u32 as u8).collect();
    std::fs::write(extra.join("latin1.jsonl"), &latin1).expect("write");
    // A package the parser stops reading at its closing brace, with bytes after it.
    let document = format!(
        "{{\"uri\":\"https://example.org/p.json\",\"publishedDate\":\"2024-01-01T00:00:00Z\",\"releases\":[{}]}}\n\n   \n",
        release(2, "Alcaldía")
    );
    std::fs::write(extra.join("document.json"), document).expect("write");

    let mut config = fixture_config(dir.path());
    if let costwatch::config::SourceSpec::Local { paths } = &mut config.sources[0].spec {
        paths.push(extra.display().to_string());
    }
    let report = run(&config, &RunOptions::default()).expect("run").report;
    let conn = rusqlite::Connection::open(&config.store).expect("store");
    let mut rows = conn
        .prepare("SELECT location, size, sha256 FROM inputs")
        .expect("prepare");
    let rows: Vec<(String, i64, String)> = rows
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    // Every input read has its row, the two written here included.
    assert!(rows.len() >= 17, "{rows:?}");
    assert_eq!(rows.len(), report.inputs.len(), "{rows:?}");
    for name in ["latin1.jsonl", "document.json"] {
        assert!(rows.iter().any(|r| r.0.ends_with(name)), "{name}: {rows:?}");
    }
    for (location, size, sha256) in &rows {
        let bytes = std::fs::read(location).expect("read");
        assert_eq!(*size, bytes.len() as i64, "{location}");
        assert_eq!(*sha256, costwatch::util::sha256_hex(&bytes), "{location}");
        let reported = report
            .inputs
            .iter()
            .find(|i| &i.location == location)
            .expect("reported");
        assert_eq!(&reported.sha256, sha256, "{location}");
        assert_eq!(reported.size, bytes.len() as u64, "{location}");
    }
    let encoding_of = |name: &str| {
        report
            .inputs
            .iter()
            .find(|i| i.location.ends_with(name))
            .map(|i| (i.encoding.clone(), i.items))
    };
    assert_eq!(encoding_of("latin1.jsonl"), Some(("iso-8859-1".into(), 1)));
    assert_eq!(encoding_of("document.json"), Some(("utf-8".into(), 1)));
}
