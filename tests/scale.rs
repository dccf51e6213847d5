//! The paths that make reruns cheap and runs parallel: outputs that do not depend on the number
//! of threads, unchanged files left unread, and a new release that changes its own project's
//! files and nothing else of the other projects.

use std::path::Path;

use assert_cmd::Command;
use costwatch::pipeline::{RunOptions, run};

use crate::util::{fixture_config, output_hashes, root};

fn costwatch_run(store: &Path, out: &Path, extra: &[&str]) {
    let mut c = Command::cargo_bin("costwatch").expect("binary");
    c.current_dir(root())
        .args(["run", "--store"])
        .arg(store)
        .arg("--out")
        .arg(out)
        .args(extra)
        .assert()
        .success();
}

#[test]
fn the_outputs_do_not_depend_on_the_number_of_threads() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    costwatch_run(&d.join("s.sqlite"), &d.join("out0"), &[]);
    // Two copies of one store, so that both runs see the same stored data and fetch times.
    for n in ["1", "2"] {
        std::fs::copy(d.join("s.sqlite"), d.join(format!("s{n}.sqlite"))).expect("copy store");
    }
    costwatch_run(
        &d.join("s1.sqlite"),
        &d.join("out1"),
        &["--full", "--threads", "1"],
    );
    costwatch_run(
        &d.join("s2.sqlite"),
        &d.join("out2"),
        &["--full", "--threads", "2"],
    );
    let (one, two) = (
        output_hashes(&d.join("out1")),
        output_hashes(&d.join("out2")),
    );
    assert!(one.keys().any(|k| k.starts_with("projects/")));
    let differ: Vec<&String> = one
        .keys()
        .chain(two.keys())
        .filter(|k| one.get(*k) != two.get(*k))
        .collect();
    assert!(differ.is_empty(), "differ with 1 and 2 threads: {differ:?}");
}

/// A folder with a copy of the OCDS fixtures (so that a test can add files to it), and the
/// fixture configuration reading that copy.
fn own_fixtures() -> (
    tempfile::TempDir,
    std::path::PathBuf,
    costwatch::config::Config,
) {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("input");
    std::fs::create_dir_all(&input).expect("input");
    for e in std::fs::read_dir(root().join("fixtures/ocds"))
        .expect("fixtures")
        .flatten()
    {
        std::fs::copy(e.path(), input.join(e.file_name())).expect("copy");
    }
    let mut config = fixture_config(dir.path());
    config.sources[0].spec = costwatch::config::SourceSpec::Local {
        paths: vec![input.display().to_string()],
    };
    (dir, input, config)
}

#[test]
fn a_new_release_changes_its_project_and_no_other() {
    let (dir, input, config) = own_fixtures();
    run(&config, &RunOptions::default()).expect("first run");
    let before = output_hashes(&config.output);

    // An amendment of one contract of project MOP-003, in a new file.
    let amendment = serde_json::json!({
        "ocid": "ocds-cw7pa1-MOP-003-1", "id": "ocds-cw7pa1-MOP-003-1-amendment-9",
        "date": "2023-03-01T10:00:00-05:00", "tag": ["contractAmendment"],
        "initiationType": "tender",
        "contracts": [{"id": "ocds-cw7pa1-MOP-003-1-contract-1",
            "value": {"amount": 9_900_000, "currency": "PAB"},
            "amendments": [{"id": "adenda-9", "date": "2023-03-01T10:00:00-05:00",
                "description": "Adenda 9: obras adicionales",
                "rationale": "Obras adicionales de drenaje."}]}]
    });
    std::fs::write(input.join("zz-update.jsonl"), format!("{amendment}\n")).expect("update");
    // The settings read through another spelling of their file's path (cron's `./c.toml`):
    // the same settings, so what the first run kept is still taken.
    let respelled = costwatch::config::Config {
        origin: format!("./{}", config.origin),
        ..config.clone()
    };
    let second = run(&respelled, &RunOptions::default()).expect("second run");
    assert_eq!(
        second.report.compiled, 1,
        "only the amended ocid is compiled"
    );
    assert_eq!(second.report.releases.new, 1);
    // The files already read were left unread.
    let read: Vec<&str> = second
        .report
        .inputs
        .iter()
        .map(|i| i.location.as_str())
        .collect();
    assert!(
        read.len() == 1 && read[0].ends_with("zz-update.jsonl"),
        "{read:?}"
    );

    let after = output_hashes(&config.output);
    assert_eq!(
        before.keys().collect::<Vec<_>>(),
        after.keys().collect::<Vec<_>>()
    );
    let changed: Vec<&str> = after
        .iter()
        .filter(|(k, v)| before.get(*k) != Some(*v))
        .map(|(k, _)| k.as_str())
        .collect();
    let own: Vec<&str> = changed
        .iter()
        .copied()
        .filter(|k| k.starts_with("projects/") || k.starts_with("proyectos/"))
        .collect();
    assert_eq!(own.len(), 2, "the project's file and sheet: {own:?}");
    assert!(own.iter().all(|k| k.contains("MOP-003")), "{own:?}");
    // The package and the tables that list every project change with it.
    assert!(
        changed.contains(&"oc4ids/project-package.json"),
        "{changed:?}"
    );
    // Only that project was made again; the others were taken from the published output...
    assert_eq!(
        second.report.reused_projects,
        second.report.projects - 1,
        "{:?}",
        second.report
    );
    // ...and the output is, byte for byte, what making every project gives.
    let full_dir = dir.path().join("full");
    std::fs::create_dir_all(&full_dir).expect("dir");
    std::fs::copy(&config.store, full_dir.join("store.sqlite")).expect("copy store");
    let mut full = config.clone();
    full.store = full_dir.join("store.sqlite");
    full.output = full_dir.join("out");
    let made = run(
        &full,
        &RunOptions {
            full: true,
            ..RunOptions::default()
        },
    )
    .expect("full run");
    assert_eq!(made.report.reused_projects, 0);
    let all = output_hashes(&full.output);
    let differ: Vec<&String> = all
        .keys()
        .chain(after.keys())
        .filter(|k| all.get(*k) != after.get(*k))
        .collect();
    assert!(differ.is_empty(), "reused differs from made: {differ:?}");
}

#[test]
fn a_kept_project_whose_files_changed_is_made_again() {
    let (_dir, input, config) = own_fixtures();
    let first = run(&config, &RunOptions::default()).expect("first run");
    let out = config.output.clone();
    let made = output_hashes(&out);

    // Someone edits one published sheet, another's JSON is replaced by the same bytes (a new
    // file), and a third is deleted: none of the three can be taken as it is.
    let sheets: Vec<String> = made
        .keys()
        .filter(|k| k.starts_with("proyectos/"))
        .cloned()
        .collect();
    let jsons: Vec<String> = made
        .keys()
        .filter(|k| k.starts_with("projects/") && !k.contains("MOP-003"))
        .cloned()
        .collect();
    let edited = out.join(&sheets[0]);
    std::fs::write(&edited, "<p>editado</p>").expect("edit");
    let rewritten = out.join(&jsons[1]);
    let bytes = std::fs::read(&rewritten).expect("read");
    std::fs::remove_file(&rewritten).expect("rm");
    std::fs::write(&rewritten, bytes).expect("rewrite");
    std::fs::remove_file(out.join(&sheets[2])).expect("delete");

    // Something new, so that the run computes (with nothing new it keeps the output whole).
    let amendment = serde_json::json!({
        "ocid": "ocds-cw7pa1-MOP-003-1", "id": "ocds-cw7pa1-MOP-003-1-amendment-9",
        "date": "2023-03-01T10:00:00-05:00", "tag": ["contractAmendment"],
        "initiationType": "tender",
        "contracts": [{"id": "ocds-cw7pa1-MOP-003-1-contract-1",
            "amendments": [{"id": "adenda-9", "date": "2023-03-01T10:00:00-05:00",
                "rationale": "Obras adicionales."}]}]
    });
    std::fs::write(input.join("zz-update.jsonl"), format!("{amendment}\n")).expect("update");
    // The settings read through another spelling of their file's path (cron's `./c.toml`):
    // the same settings, so what the first run kept is still taken.
    let respelled = costwatch::config::Config {
        origin: format!("./{}", config.origin),
        ..config.clone()
    };
    let second = run(&respelled, &RunOptions::default()).expect("second run");
    assert!(
        second.report.reused_projects == first.report.projects - 4,
        "the three touched projects and MOP-003 are made again: {}",
        second.report.reused_projects
    );
    let after = output_hashes(&out);
    for name in [&sheets[0], &jsons[1], &sheets[2]] {
        assert_eq!(after.get(name), made.get(name), "{name} is whole again");
    }
    // The package still holds every project once.
    let package = crate::util::json(&out.join("oc4ids/project-package.json"));
    assert_eq!(
        package["projects"].as_array().map(Vec::len),
        Some(second.report.projects as usize)
    );
}

#[test]
fn a_rerun_with_nothing_new_keeps_the_output_and_a_change_of_settings_does_not() {
    use std::os::unix::fs::MetadataExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = fixture_config(dir.path());
    let first = run(&config, &RunOptions::default()).expect("first run");
    assert!(!first.report.output_kept);
    assert_eq!(first.report.fingerprint.len(), 64);
    let sheet = std::fs::read_dir(config.output.join("projects"))
        .expect("projects")
        .flatten()
        .next()
        .expect("a project file")
        .path();
    let inode = std::fs::metadata(&sheet).expect("sheet").ino();

    let second = run(&config, &RunOptions::default()).expect("second run");
    assert!(second.report.output_kept, "nothing new: the output is kept");
    assert_eq!(second.report.fingerprint, first.report.fingerprint);
    assert_eq!(
        (
            second.report.projects,
            second.report.entities,
            second.report.processes
        ),
        (
            first.report.projects,
            first.report.entities,
            first.report.processes
        )
    );
    assert_eq!(std::fs::metadata(&sheet).expect("sheet").ino(), inode);
    let written: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(config.output.join("run-report.json")).expect("report"),
    )
    .expect("json");
    assert_eq!(written["run_id"], second.report.run_id);
    assert_eq!(written["output_kept"], true);
    assert_eq!(
        written["flags"],
        serde_json::to_value(&first.report.flags).expect("flags")
    );

    // Another status date changes what the outputs say: the run computes them again.
    config.as_of = Some("2025-07-31T00:00:00Z".into());
    let third = run(&config, &RunOptions::default()).expect("third run");
    assert!(!third.report.output_kept);
    assert_ne!(third.report.fingerprint, first.report.fingerprint);
    // --full always computes.
    let fourth = run(
        &config,
        &RunOptions {
            full: true,
            ..RunOptions::default()
        },
    )
    .expect("fourth run");
    assert!(!fourth.report.output_kept);
}
