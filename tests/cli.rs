//! Through the binary: help, exit codes and the first line of each error.

use assert_cmd::Command;

use crate::util::root;

fn costwatch() -> Command {
    let mut c = Command::cargo_bin("costwatch").expect("binary");
    c.current_dir(root());
    c
}

#[test]
fn help_describes_commands_and_options() {
    let out = costwatch().args(["run", "--help"]).assert().success();
    let text = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    for word in ["--config", "--out", "--store", "--full", "--log-format"] {
        assert!(text.contains(word), "{word} missing from help");
    }
}

#[test]
fn usage_error_exits_2() {
    costwatch().args(["run", "--bogus"]).assert().code(2);
}

#[test]
fn config_errors_exit_2_naming_file_and_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("bad.toml");
    std::fs::write(&file, "[projects]\nentity = \"mayor\"\n[[source]]\nid = \"a\"\nkind = \"local\"\npaths = [\"x\"]\n")
        .expect("write");
    let out = costwatch()
        .args(["run", "--config"])
        .arg(&file)
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    let first = err
        .lines()
        .find(|l| l.starts_with("error:"))
        .unwrap_or_default();
    assert!(
        first.starts_with(&format!(
            "error: {}: projects.entity: unknown variant `mayor`",
            file.display()
        )),
        "{first}"
    );
}

#[test]
fn the_embedded_default_exits_0_and_help_lists_exit_codes() {
    let dir = tempfile::tempdir().expect("tempdir");
    costwatch()
        .args(["run", "--out"])
        .arg(dir.path().join("out"))
        .arg("--store")
        .arg(dir.path().join("s.sqlite"))
        .assert()
        .code(0);
    let out = costwatch().arg("--help").assert().success();
    let text = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    assert!(text.contains("Exit codes:"), "{text}");
    for code in ["0  ok", "1  failure", "2  usage", "3  partial"] {
        assert!(text.contains(code), "{code} missing from --help");
    }
}

#[test]
fn run_on_malformed_fixtures_exits_3_and_json_logs_are_json() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = costwatch()
        .args([
            "--log-format",
            "json",
            "run",
            "--config",
            "config/quarantine-demo.toml",
            "--out",
        ])
        .arg(dir.path().join("out"))
        .arg("--store")
        .arg(dir.path().join("s.sqlite"))
        .assert()
        .code(3);
    let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    let json_lines = err.lines().filter(|l| l.starts_with('{')).count();
    assert!(json_lines > 3, "{err}");
    for l in err.lines().filter(|l| l.starts_with('{')) {
        serde_json::from_str::<serde_json::Value>(l).expect("log line is JSON");
    }
}

#[test]
fn store_failure_exits_1() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = dir.path().join("dir-not-db");
    std::fs::create_dir_all(&store).expect("dir");
    costwatch()
        .args(["run", "--out"])
        .arg(dir.path().join("out"))
        .arg("--store")
        .arg(&store)
        .assert()
        .code(1);
}

#[test]
fn generated_fixtures_match_the_committed_ones() {
    let dir = tempfile::tempdir().expect("tempdir");
    costwatch()
        .args(["generate-fixtures", "--out"])
        .arg(dir.path())
        .assert()
        .success();
    for sub in ["ocds", "malformed"] {
        for e in std::fs::read_dir(root().join("fixtures").join(sub))
            .expect("fixtures")
            .flatten()
        {
            let committed = std::fs::read(e.path()).expect("read");
            let fresh = std::fs::read(dir.path().join(sub).join(e.file_name())).expect("generated");
            assert!(
                committed == fresh,
                "{} differs from the generator's output",
                e.path().display()
            );
        }
    }
}

#[test]
fn dockerfile_copies_existing_paths_and_runs_the_binary() {
    let text = std::fs::read_to_string(root().join("Dockerfile")).expect("Dockerfile");
    for line in text
        .lines()
        .filter(|l| l.starts_with("COPY ") && !l.contains("--from"))
    {
        let parts: Vec<&str> = line.split_whitespace().collect();
        for src in &parts[1..parts.len() - 1] {
            assert!(root().join(src).exists(), "Dockerfile copies missing {src}");
        }
    }
    assert!(text.contains("ENTRYPOINT [\"costwatch\"]"));
}

#[test]
fn readme_states_the_two_commands_and_every_exit_code() {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README");
    let first_screen: String = readme.lines().take(12).collect::<Vec<_>>().join("\n");
    assert!(first_screen.contains("cargo run --release -- run"));
    assert!(first_screen.contains("cargo test"));
    for (code, word) in [(0, "ok"), (3, "partial"), (2, "usage"), (1, "failure")] {
        assert!(
            readme.contains(&format!("| {code} | {word}")),
            "exit code {code} undocumented"
        );
    }
}

#[test]
fn example_configs_load() {
    for entry in std::fs::read_dir(root().join("config"))
        .expect("config")
        .flatten()
    {
        costwatch::config::Config::load(&entry.path())
            .unwrap_or_else(|e| panic!("{}: {e}", entry.path().display()));
    }
}
