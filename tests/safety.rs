//! Running unattended: the binary never replaces what is not its own, and a run killed with
//! SIGKILL at any stage leaves outputs that the next run makes equal to an uninterrupted one.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use assert_cmd::cargo::CommandCargoExt;
use serde_json::{Value, json};

use crate::util::root;

fn costwatch() -> Command {
    let mut c = Command::cargo_bin("costwatch").expect("binary");
    c.current_dir(root());
    c
}

/// Runs to the end; returns the exit code and stderr.
fn run(out: &Path, store: &Path, config: Option<&Path>) -> (i32, String) {
    run_in(&root(), out, store, config)
}

/// Runs to the end from the folder `cwd`.
fn run_in(cwd: &Path, out: &Path, store: &Path, config: Option<&Path>) -> (i32, String) {
    let mut c = costwatch();
    c.current_dir(cwd);
    c.arg("run").arg("--out").arg(out).arg("--store").arg(store);
    if let Some(cfg) = config {
        c.arg("--config").arg(cfg);
    }
    let o = c.output().expect("run");
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stderr).to_string(),
    )
}

#[test]
fn an_output_that_holds_the_store_is_refused_before_any_work() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("work");
    std::fs::create_dir_all(&out).expect("mkdir");
    std::fs::write(out.join("notas.txt"), "mine").expect("write");
    let store = out.join("cw.sqlite");
    let (code, err) = run(&out, &store, None);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("holds the store"), "{err}");
    // Nothing was done: no store created, the folder as it was.
    assert!(!store.exists());
    assert_eq!(
        std::fs::read_to_string(out.join("notas.txt")).expect("kept"),
        "mine"
    );
}

#[test]
fn an_output_that_is_a_file_or_a_foreign_folder_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = dir.path().join("cw.sqlite");
    let file = dir.path().join("out.txt");
    std::fs::write(&file, "keep me").expect("write");
    let (code, err) = run(&file, &store, None);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("is a file"), "{err}");
    assert_eq!(std::fs::read_to_string(&file).expect("kept"), "keep me");
    // No stray sibling folder is left either.
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .expect("list")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .collect();
    assert_eq!(names, ["out.txt"], "{names:?}");

    let foreign = dir.path().join("docs");
    std::fs::create_dir_all(&foreign).expect("mkdir");
    std::fs::write(foreign.join("informe.docx"), "x").expect("write");
    let (code, err) = run(&foreign, &store, None);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains(".costwatch-output"), "{err}");
    assert!(foreign.join("informe.docx").is_file());

    // An output costwatch wrote carries its marker and is replaced by the next run.
    let out = dir.path().join("out");
    let (code, err) = run(&out, &store, None);
    assert!(code == 0 || code == 3, "{err}");
    assert!(out.join(".costwatch-output").is_file());
    let (code, err) = run(&out, &store, None);
    assert!(code == 0 || code == 3, "{err}");
}

#[test]
fn a_store_named_like_a_lock_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (code, err) = run(&dir.path().join("out"), &dir.path().join("x.lock"), None);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("may not end in `.lock`"), "{err}");
}

// ── crash safety ───────────────────────────────────────────────────────────────────────────

/// A release of a road project: `n` tells processes apart, `version` releases of one process.
fn release(n: usize, version: usize) -> Value {
    let ocid = format!("ocds-kill01-{n:05}");
    let amount = 100_000 + 1_000 * version as u64 + n as u64;
    json!({
        "ocid": ocid,
        "id": format!("{ocid}-r{version}"),
        "date": format!("2024-{:02}-10T00:00:00Z", 1 + version),
        "tag": if version == 0 { json!(["tender"]) } else { json!(["contract", "contractAmendment"]) },
        "initiationType": "tender",
        "parties": [{"id": "PA-1", "name": "Ministerio de Obras", "roles": ["buyer", "procuringEntity"],
                      "identifier": {"scheme": "PA-RUC", "id": "1"}},
                    {"id": "PA-2", "name": "Constructora Istmo", "roles": ["supplier", "tenderer"]}],
        "buyer": {"id": "PA-1", "name": "Ministerio de Obras"},
        "planning": {"project": {"id": format!("P-{}", n / 3), "title": format!("Camino {}", n / 3)}},
        "tender": {"id": format!("T-{n}"), "title": format!("Tramo {n}"), "procurementMethod": "open",
                   "numberOfTenderers": 1 + n % 4,
                   "tenderPeriod": {"startDate": "2024-01-01T00:00:00Z", "endDate": "2024-01-20T00:00:00Z"},
                   "value": {"amount": 100_000, "currency": "PAB"}},
        "contracts": if version == 0 { json!([]) } else { json!([{
            "id": format!("C-{n}"), "awardID": format!("A-{n}"), "status": "active",
            "dateSigned": "2024-02-01T00:00:00Z",
            "value": {"amount": amount, "currency": "PAB"},
            "period": {"startDate": "2024-02-15T00:00:00Z", "endDate": "2024-12-31T00:00:00Z"}}]) },
    })
}

/// Writes a release package with the releases of processes `ocids` up to `versions`.
fn write_package(path: &Path, ocids: std::ops::Range<usize>, versions: usize) {
    let releases: Vec<Value> = ocids
        .flat_map(|n| (0..versions).map(move |v| release(n, v)))
        .collect();
    let package = json!({
        "uri": "https://example.org/kill.json", "version": "1.1",
        "publishedDate": "2024-06-01T00:00:00Z", "publisher": {"name": "prueba"},
        "releases": releases,
    });
    std::fs::write(path, serde_json::to_vec(&package).expect("json")).expect("write");
}

/// A working folder with `in/` and a config that reads it, every path relative, so that two
/// folders publish the same bytes.
fn workdir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join("in")).expect("mkdir");
    write_config(dir.path(), "s.sqlite", "");
    dir
}

/// Writes `c.toml` reading `in/` into `out/`, with the store and more `[run]` keys given.
fn write_config(dir: &Path, store: &str, run_extra: &str) {
    std::fs::write(
        dir.join("c.toml"),
        format!(
            "[run]\nas_of = \"2025-06-30T00:00:00Z\"\nstore = \"{store}\"\noutput = \"out\"\n{run_extra}\
             [projects]\nid_prefix = \"oc4ids-kill01\"\n\
             [[source]]\nid = \"k\"\nkind = \"local\"\npaths = [\"in\"]\n"
        ),
    )
    .expect("config");
}

/// Starts a run in `cwd` and kills it with SIGKILL as soon as the log says `stage` started.
fn run_killed_at(cwd: &Path, stage: &str) {
    let mut child = costwatch()
        .current_dir(cwd)
        .args(["--log-format", "json", "run", "--config", "c.toml"])
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("spawn");
    let stderr = child.stderr.take().expect("stderr");
    let marker = format!("\"stage\":\"{stage}\"");
    for line in BufReader::new(stderr).lines() {
        let Ok(line) = line else { break };
        if line.contains(&marker) {
            break;
        }
    }
    // SIGKILL: nothing runs after it, as when a machine is stopped hard.
    let _ = child.kill();
    let _ = child.wait();
}

/// Every output file with its bytes, except those that record the run itself (times, run
/// ids) and the workbook (it stores its own creation time).
fn snapshot(out: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    let mut stack = vec![out.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("list").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            let rel = p.strip_prefix(out).expect("inside").display().to_string();
            if matches!(
                rel.as_str(),
                "run-report.json" | "metrics.prom" | "tendencias.csv" | "costwatch.xlsx"
            ) || rel.starts_with("entidades/")
            {
                continue;
            }
            let mut bytes = std::fs::read(&p).expect("read");
            // Evidence says when each input was read: the same data read at another moment.
            if rel.ends_with(".json") {
                let mut v: Value = serde_json::from_slice(&bytes).expect("json");
                forget_read_times(&mut v);
                bytes = serde_json::to_vec(&v).expect("json");
            }
            files.push((rel, bytes));
        }
    }
    files.sort();
    files
}

fn forget_read_times(v: &mut Value) {
    match v {
        Value::Object(m) => {
            for (k, x) in m.iter_mut() {
                if k == "fetched_at" {
                    *x = Value::Null;
                } else {
                    forget_read_times(x);
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(forget_read_times),
        _ => {}
    }
}

/// Fails naming the files that differ.
fn assert_same(got: &[(String, Vec<u8>)], want: &[(String, Vec<u8>)], what: &str) {
    let names = |v: &[(String, Vec<u8>)]| v.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    assert_eq!(names(got), names(want), "{what}: different files");
    let differ: Vec<&String> = got
        .iter()
        .zip(want)
        .filter(|(a, b)| a.1 != b.1)
        .map(|(a, _)| &a.0)
        .collect();
    assert!(differ.is_empty(), "{what}: these differ: {differ:?}");
}

/// Runs the config of a working folder to the end.
fn run_work(dir: &Path) -> (i32, String) {
    run_in(
        dir,
        Path::new("out"),
        Path::new("s.sqlite"),
        Some(Path::new("c.toml")),
    )
}

/// Outputs of an uninterrupted history: `steps` runs, each after `prepare(step)`.
fn uninterrupted(steps: usize, prepare: &dyn Fn(&Path, usize)) -> Vec<(String, Vec<u8>)> {
    let dir = workdir();
    for step in 0..steps {
        prepare(&dir.path().join("in"), step);
        let (code, err) = run_work(dir.path());
        assert_eq!(code, 0, "{err}");
    }
    snapshot(&dir.path().join("out"))
}

#[test]
fn a_run_killed_at_any_stage_is_repaired_by_the_next() {
    // First run: 300 processes with their tender; second run: their contracts and 60 new ones.
    let prepare = |inputs: &Path, step: usize| match step {
        0 => write_package(&inputs.join("a.json"), 0..300, 1),
        _ => write_package(&inputs.join("b.json"), 0..360, 2),
    };
    let fresh = uninterrupted(1, &prepare);
    let incremental = uninterrupted(2, &prepare);
    for stage in ["fetch", "compile", "convert", "publish"] {
        // On a fresh store.
        let dir = workdir();
        let (inputs, out) = (dir.path().join("in"), dir.path().join("out"));
        prepare(&inputs, 0);
        run_killed_at(dir.path(), stage);
        let (code, err) = run_work(dir.path());
        assert_eq!(code, 0, "fresh, killed at {stage}: {err}");
        assert_same(
            &snapshot(&out),
            &fresh,
            &format!("fresh store killed at {stage}"),
        );
        // On a store with a run behind it.
        prepare(&inputs, 1);
        run_killed_at(dir.path(), stage);
        let (code, err) = run_work(dir.path());
        assert_eq!(code, 0, "incremental, killed at {stage}: {err}");
        assert_same(
            &snapshot(&out),
            &incremental,
            &format!("incremental store killed at {stage}"),
        );
        // Nothing of the killed run is left beside the output.
        let left: Vec<String> = std::fs::read_dir(dir.path())
            .expect("list")
            .flatten()
            .map(|e| e.file_name().to_string_lossy().to_string())
            .filter(|n| n.starts_with(".out."))
            .collect();
        assert!(left.is_empty(), "leftovers after {stage}: {left:?}");
    }
}

#[test]
fn an_output_left_aside_by_a_kill_mid_swap_is_restored() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (out, store) = (dir.path().join("out"), dir.path().join("s.sqlite"));
    let (code, err) = run(&out, &store, None);
    assert!(code == 0 || code == 3, "{err}");
    // What a kill between the two renames of a swap leaves: the output moved aside, a
    // half-written staging folder, both named after a process that no longer runs.
    let aside = dir.path().join(".out.previous-4194305");
    std::fs::rename(&out, &aside).expect("move aside");
    let staging = dir.path().join(".out.staging-4194305");
    std::fs::create_dir_all(staging.join("projects")).expect("staging");
    let (code, err) = run(&out, &store, None);
    assert!(code == 0 || code == 3, "{err}");
    assert!(err.contains("restored the previous output"), "{err}");
    assert!(out.join("index.html").is_file());
    assert!(!aside.exists() && !staging.exists());
}

// ── operator signals ───────────────────────────────────────────────────────────────────────

#[test]
fn check_config_fails_on_paths_that_match_nothing_and_warns_on_the_placeholder_prefix() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = dir.path().join("c.toml");
    std::fs::write(
        &cfg,
        "[[source]]\nid = \"a\"\nkind = \"local\"\npaths = [\"datos/no-existe/*.json\"]\n",
    )
    .expect("write");
    let o = costwatch()
        .current_dir(dir.path())
        .args(["check-config", "c.toml"])
        .output()
        .expect("run");
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("source[0].paths") && err.contains("matches no file"),
        "{err}"
    );
    std::fs::create_dir_all(dir.path().join("datos")).expect("mkdir");
    std::fs::write(dir.path().join("datos/x.json"), "{}").expect("write");
    std::fs::write(
        &cfg,
        "[[source]]\nid = \"a\"\nkind = \"local\"\npaths = [\"datos\"]\n",
    )
    .expect("write");
    let o = costwatch()
        .current_dir(dir.path())
        .args(["check-config", "c.toml"])
        .output()
        .expect("run");
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(
        err.contains("warning:") && err.contains("oc4ids-xxxxxx"),
        "{err}"
    );
}

#[test]
fn a_run_with_no_project_does_not_wipe_a_published_output() {
    let dir = workdir();
    write_package(&dir.path().join("in/a.json"), 0..30, 2);
    let (code, err) = run_work(dir.path());
    assert_eq!(code, 0, "{err}");
    let before = snapshot(&dir.path().join("out"));
    assert!(dir.path().join("out/metrics.prom").is_file());
    // The source's files vanish (a failed mount, a wrong path): nothing to publish.
    std::fs::remove_file(dir.path().join("in/a.json")).expect("remove");
    write_config(dir.path(), "s2.sqlite", "");
    let o = costwatch()
        .current_dir(dir.path())
        .args(["run", "--config", "c.toml"])
        .output()
        .expect("run");
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("--allow-empty"), "{err}");
    assert_same(
        &snapshot(&dir.path().join("out")),
        &before,
        "refused empty run",
    );
    // Asked for, it publishes the empty tables.
    let o = costwatch()
        .current_dir(dir.path())
        .args(["run", "--config", "c.toml", "--allow-empty"])
        .output()
        .expect("run");
    assert_eq!(
        o.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(dir.path().join("out/index.html").is_file());
}

#[test]
fn metrics_are_written_for_the_textfile_collector() {
    let dir = workdir();
    write_package(&dir.path().join("in/a.json"), 0..10, 1);
    std::fs::create_dir_all(dir.path().join("textfile")).expect("mkdir");
    write_config(
        dir.path(),
        "s.sqlite",
        "metrics_file = \"textfile/costwatch.prom\"\n",
    );
    let (code, err) = run_work(dir.path());
    assert_eq!(code, 0, "{err}");
    let text = std::fs::read_to_string(dir.path().join("textfile/costwatch.prom")).expect("prom");
    assert!(text.contains("costwatch_projects 4\n"), "{text}");
    assert!(
        text.contains("costwatch_source_health{source=\"k\",status=\"ok\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("costwatch_releases{kind=\"new\"} 10"),
        "{text}"
    );
    assert_eq!(
        text,
        std::fs::read_to_string(dir.path().join("out/metrics.prom")).expect("prom")
    );
}

#[test]
fn schedule_runs_and_stops_on_sigterm() {
    let dir = workdir();
    write_package(&dir.path().join("in/a.json"), 0..6, 1);
    let mut child = costwatch()
        .current_dir(dir.path())
        .args(["--log-format", "json", "schedule", "--config", "c.toml"])
        .args(["--cron", "0 3 1 1 *", "--run-now"])
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("spawn");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    let mut seen = Vec::new();
    for line in lines.by_ref() {
        let Ok(line) = line else { break };
        let waiting = line.contains("\"next run\"");
        seen.push(line);
        if waiting {
            break;
        }
    }
    assert!(
        seen.iter().any(|l| l.contains("scheduled run finished")),
        "{seen:?}"
    );
    assert!(dir.path().join("out/index.html").is_file());
    // SIGTERM while waiting for the next time: the loop ends at once, exit 0.
    let pid = child.id().to_string();
    let status = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    assert!(status.success());
    let code = child.wait().expect("wait").code();
    assert_eq!(code, Some(0));
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    assert!(rest.iter().any(|l| l.contains("stopping")), "{rest:?}");
}
