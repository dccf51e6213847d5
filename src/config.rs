//! Configuration: the TOML file as written ([`RawConfig`]) and as the stages use it ([`Config`]).
//!
//! Precedence: the embedded default (`config/default.toml`) when no file is given, otherwise the
//! given file (keys it leaves out take the documented defaults), then command-line flags.
//! Relative paths are resolved against the current directory, as a cron line would expect.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::store::Grouping;

mod analysis;
mod scope;
mod source;

pub use analysis::{
    COFOG_SECTORS, FlagSettings, PROJECT_SECTORS, ScoringSettings, SectorRule, default_sector,
};
pub use scope::{ClassificationRule, ScopeSettings};

pub use source::{
    Api, Bulk, EncodingName, Http, Numbered, Paginate, RawSource, Source, SourceKind, SourceSpec,
    Template, Windows,
};

/// The embedded default configuration: the committed fixtures in, `./out` out.
pub const DEFAULT_TOML: &str = include_str!("../config/default.toml");

/// The name shown for the embedded default in messages.
pub const DEFAULT_NAME: &str = "config/default.toml (embedded)";

/// A configuration problem, naming the file, the key and why.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {key}: {reason}")]
pub struct ConfigError {
    /// The config file (or the embedded default).
    pub file: String,
    /// The key, dotted (`source[0].paths`), or `-` when the file as a whole is wrong.
    pub key: String,
    /// Why.
    pub reason: String,
}

/// The TOML file, as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    /// Where things are kept.
    #[serde(default)]
    pub run: RawRun,
    /// Who publishes the OC4IDS package.
    #[serde(default)]
    pub publisher: RawPublisher,
    /// How projects are formed and attributed.
    #[serde(default)]
    pub projects: RawProjects,
    /// The inputs.
    #[serde(default)]
    pub source: Vec<RawSource>,
    /// Element weights by IDS code (default 1).
    #[serde(default)]
    pub weights: BTreeMap<String, f64>,
    /// The classification map to OC4IDS project sectors.
    #[serde(default)]
    pub sector: Vec<SectorRule>,
    /// Which processes are infrastructure; left out, all are.
    #[serde(default)]
    pub scope: Option<ScopeSettings>,
    /// Red-flag thresholds.
    #[serde(default)]
    pub flags: FlagSettings,
    /// Scoring options.
    #[serde(default)]
    pub scoring: ScoringSettings,
    /// The pages and spreadsheets people read.
    #[serde(default)]
    pub report: ReportSettings,
    /// Entities expected to publish (id and name), so that those that published nothing
    /// still appear in the league table, as "sin datos".
    #[serde(default)]
    pub entity: Vec<ExpectedEntity>,
    /// When `costwatch schedule` runs.
    #[serde(default)]
    pub schedule: RawSchedule,
}

/// `[schedule]`
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSchedule {
    /// Five-field cron expression, in the machine's local time (`TZ`).
    pub cron: Option<String>,
}

/// `[report]`
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportSettings {
    /// Language of the pages and spreadsheet labels: `es` (default) or `en`.
    #[serde(default)]
    pub lang: Lang,
}

/// The language of human-facing output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// Spanish.
    #[default]
    Es,
    /// English.
    En,
}

/// `[[entity]]`: an entity the league table must list, published or not.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ExpectedEntity {
    /// The entity key as costwatch forms it: `scheme-identifier` (e.g. `PA-RUC-8-NT-1-12345`),
    /// or the normalised name when the publisher gives no identifier.
    pub id: String,
    /// The name to show.
    pub name: String,
}

/// `[run]`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRun {
    /// SQLite store file.
    #[serde(default = "default_store")]
    pub store: PathBuf,
    /// Output folder (replaced whole at the end of each run).
    #[serde(default = "default_output")]
    pub output: PathBuf,
    /// The date the statuses are computed for (RFC 3339); default: now. Fix it for
    /// reproducible outputs.
    pub as_of: Option<String>,
    /// Where else to write `metrics.prom` after a run publishes (node_exporter's textfile
    /// collector folder, say); written whole or not at all.
    pub metrics_file: Option<PathBuf>,
    /// The largest line, release or record read, in MiB (default 64); larger ones are
    /// quarantined with their size.
    #[serde(default = "default_max_item_mib")]
    pub max_item_mib: u64,
}

fn default_max_item_mib() -> u64 {
    crate::ocds::package::DEFAULT_MAX_ITEM_BYTES / (1024 * 1024)
}

impl Default for RawRun {
    fn default() -> Self {
        RawRun {
            store: default_store(),
            output: default_output(),
            as_of: None,
            metrics_file: None,
            max_item_mib: default_max_item_mib(),
        }
    }
}

fn default_store() -> PathBuf {
    PathBuf::from("data/costwatch.sqlite")
}

fn default_output() -> PathBuf {
    PathBuf::from("out")
}

/// `[publisher]`: OC4IDS package metadata.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPublisher {
    /// Publisher name (required by the package schema).
    #[serde(default = "default_publisher_name")]
    pub name: String,
    /// The package `uri`.
    #[serde(default = "default_package_uri")]
    pub uri: String,
    /// Licence URL of the published data.
    pub license: Option<String>,
    /// Publication policy URL.
    pub publication_policy: Option<String>,
}

impl Default for RawPublisher {
    fn default() -> Self {
        RawPublisher {
            name: default_publisher_name(),
            uri: default_package_uri(),
            license: None,
            publication_policy: None,
        }
    }
}

fn default_publisher_name() -> String {
    "costwatch".into()
}

fn default_package_uri() -> String {
    "https://example.invalid/costwatch/project-package.json".into()
}

/// `[projects]`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawProjects {
    /// OC4IDS project identifier prefix, as registered with the OC4IDS helpdesk.
    #[serde(default = "default_prefix")]
    pub id_prefix: String,
    /// How compiled releases form projects.
    #[serde(default)]
    pub grouping: Grouping,
    /// Which organisation a project is attributed to.
    #[serde(default)]
    pub entity: EntityRole,
}

impl Default for RawProjects {
    fn default() -> Self {
        RawProjects {
            id_prefix: default_prefix(),
            grouping: Grouping::default(),
            entity: EntityRole::default(),
        }
    }
}

fn default_prefix() -> String {
    // Not a registered prefix: it marks output that nobody configured.
    "oc4ids-xxxxxx".into()
}

/// `projects.entity`: whose score a project counts towards.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EntityRole {
    /// The project owner (`publicAuthority`, mapped from the buyer).
    #[default]
    PublicAuthority,
    /// The procuring entity of the project's processes.
    ProcuringEntity,
    /// The buyer of the project's processes.
    Buyer,
}

/// The resolved configuration the stages consume.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where it came from (for messages).
    pub origin: String,
    /// SQLite store.
    pub store: PathBuf,
    /// Output folder.
    pub output: PathBuf,
    /// Status date, nanoseconds since the epoch; `None` = the run's start.
    pub as_of: Option<String>,
    /// Extra copy of `metrics.prom`.
    pub metrics_file: Option<PathBuf>,
    /// Package metadata.
    pub publisher: Publisher,
    /// OC4IDS project id prefix.
    pub id_prefix: String,
    /// Project grouping.
    pub grouping: Grouping,
    /// Entity attribution.
    pub entity: EntityRole,
    /// Inputs.
    pub sources: Vec<Source>,
    /// Weights by element code (missing = 1).
    pub weights: BTreeMap<String, f64>,
    /// The classification map to OC4IDS project sectors, in order (first match wins).
    pub sectors: Vec<SectorRule>,
    /// Which contracting processes are infrastructure (`None`: every one).
    pub scope: Option<ScopeSettings>,
    /// Red-flag thresholds.
    pub flags: FlagSettings,
    /// Scoring options.
    pub scoring: ScoringSettings,
    /// Pages and spreadsheets.
    pub report: ReportSettings,
    /// Entities expected to publish.
    pub expected_entities: Vec<ExpectedEntity>,
    /// The cron expression `costwatch schedule` follows.
    pub schedule: Option<String>,
}

/// Package metadata, resolved.
#[derive(Debug, Clone)]
pub struct Publisher {
    /// Name.
    pub name: String,
    /// Package uri.
    pub uri: String,
    /// Licence.
    pub license: Option<String>,
    /// Publication policy.
    pub publication_policy: Option<String>,
}

impl Config {
    /// The local files and folders the sources read (the part of each pattern before its
    /// first glob character), so that the output folder is never one of them.
    pub fn local_inputs(&self) -> Vec<PathBuf> {
        self.sources
            .iter()
            .flat_map(|s| match &s.spec {
                SourceSpec::Local { paths } | SourceSpec::Oc4ids { paths, .. } => paths.as_slice(),
                SourceSpec::Api(_) | SourceSpec::Bulk(_) => &[],
            })
            .map(|p| crate::util::pattern_root(p))
            .collect()
    }

    /// Things that are allowed but probably not meant.
    pub fn warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.id_prefix == "oc4ids-xxxxxx" {
            out.push(
                "projects.id_prefix is the placeholder `oc4ids-xxxxxx`: register a prefix with the OC4IDS helpdesk before publishing".into(),
            );
        }
        out
    }

    /// Loads the embedded default.
    pub fn embedded() -> Result<Config, ConfigError> {
        Config::from_toml(DEFAULT_TOML, DEFAULT_NAME)
    }

    /// Loads a config file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            file: path.display().to_string(),
            key: "-".into(),
            reason: format!("cannot read: {e}"),
        })?;
        Config::from_toml(&text, &path.display().to_string())
    }

    /// Parses and validates TOML text; `origin` names it in errors.
    pub fn from_toml(text: &str, origin: &str) -> Result<Config, ConfigError> {
        let err = |key: String, reason: String| ConfigError {
            file: origin.to_string(),
            key,
            reason,
        };
        let de = toml::de::Deserializer::parse(text).map_err(|e| {
            err(
                "-".into(),
                format!("{}{}", e.message(), line_of(text, e.span())),
            )
        })?;
        let raw: RawConfig = serde_path_to_error::deserialize(de).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner();
            let key = if path.is_empty() || path == "." {
                "-".to_string()
            } else {
                path
            };
            err(
                key,
                format!("{}{}", inner.message(), line_of(text, inner.span())),
            )
        })?;
        Config::resolve(raw, origin)
    }

    fn resolve(raw: RawConfig, origin: &str) -> Result<Config, ConfigError> {
        let err = |key: &str, reason: String| ConfigError {
            file: origin.to_string(),
            key: key.to_string(),
            reason,
        };
        if let Some(as_of) = &raw.run.as_of
            && !crate::util::is_date_time(as_of)
        {
            return Err(err(
                "run.as_of",
                format!("`{as_of}` is not an RFC 3339 date-time (e.g. 2025-06-30T00:00:00Z)"),
            ));
        }
        if raw.run.max_item_mib == 0 {
            return Err(err("run.max_item_mib", "must be at least 1".into()));
        }
        if raw.publisher.name.trim().is_empty() {
            return Err(err("publisher.name", "must not be empty".into()));
        }
        if !raw.publisher.uri.contains("://") {
            return Err(err(
                "publisher.uri",
                format!("`{}` is not an absolute URI", raw.publisher.uri),
            ));
        }
        let prefix = raw.projects.id_prefix.trim();
        if prefix.is_empty() || prefix.chars().any(char::is_whitespace) {
            return Err(err(
                "projects.id_prefix",
                format!("`{prefix}` must be a non-empty prefix without spaces"),
            ));
        }
        if raw.source.is_empty() {
            return Err(err("source", "at least one [[source]] is needed".into()));
        }
        let mut sources = Vec::new();
        for (i, s) in raw.source.into_iter().enumerate() {
            let key = format!("source[{i}]");
            if s.id.trim().is_empty() {
                return Err(err(&format!("{key}.id"), "must not be empty".into()));
            }
            if sources.iter().any(|o: &Source| o.id == s.id) {
                return Err(err(
                    &format!("{key}.id"),
                    format!("`{}` is used by another source", s.id),
                ));
            }
            let mut resolved = s
                .resolve()
                .map_err(|(k, reason)| err(&format!("{key}.{k}"), reason))?;
            resolved.max_item_bytes = raw.run.max_item_mib.saturating_mul(1024 * 1024);
            sources.push(resolved);
        }
        for (code, w) in &raw.weights {
            if crate::ids::catalogue().iter().all(|e| e.code != *code) {
                return Err(err(
                    &format!("weights.{code}"),
                    "not an IDS element code (e.g. PJ-ID-1, RPC-IM-4)".into(),
                ));
            }
            if !w.is_finite() || *w < 0.0 {
                return Err(err(
                    &format!("weights.{code}"),
                    format!("{w} must be a number ≥ 0"),
                ));
            }
        }
        analysis::validate(&raw.sector, &raw.flags).map_err(|(key, reason)| err(&key, reason))?;
        if let Some(scope) = &raw.scope {
            scope
                .validate()
                .map_err(|(key, reason)| err(&key, reason))?;
        }
        if let Some(expr) = &raw.schedule.cron {
            crate::cron::Cron::parse(expr).map_err(|e| err("schedule.cron", e.reason))?;
        }
        for (i, e) in raw.entity.iter().enumerate() {
            if e.id.trim().is_empty() || e.name.trim().is_empty() {
                return Err(err(
                    &format!("entity[{i}]"),
                    "needs a non-empty `id` and `name`".into(),
                ));
            }
            if raw.entity[..i].iter().any(|o| o.id == e.id) {
                return Err(err(
                    &format!("entity[{i}].id"),
                    format!("`{}` is listed twice", e.id),
                ));
            }
        }
        Ok(Config {
            origin: origin.to_string(),
            store: raw.run.store,
            output: raw.run.output,
            as_of: raw.run.as_of,
            metrics_file: raw.run.metrics_file,
            publisher: Publisher {
                name: raw.publisher.name,
                uri: raw.publisher.uri,
                license: raw.publisher.license,
                publication_policy: raw.publisher.publication_policy,
            },
            id_prefix: prefix.to_string(),
            grouping: raw.projects.grouping,
            entity: raw.projects.entity,
            sources,
            weights: effective_weights(raw.weights, raw.scoring.exclude_conditional),
            sectors: raw.sector,
            scope: raw.scope,
            flags: raw.flags,
            scoring: raw.scoring,
            report: raw.report,
            expected_entities: raw.entity,
            schedule: raw.schedule.cron,
        })
    }
}

/// The weights scoring uses: the configured ones, with every conditional element at 0 when
/// `[scoring] exclude_conditional` asks to leave them out (decided once here, not per verdict).
fn effective_weights(
    mut weights: BTreeMap<String, f64>,
    exclude_conditional: bool,
) -> BTreeMap<String, f64> {
    if exclude_conditional {
        for e in crate::ids::catalogue().iter().filter(|e| e.conditional) {
            weights.insert(e.code.to_string(), 0.0);
        }
    }
    weights
}

fn line_of(text: &str, span: Option<std::ops::Range<usize>>) -> String {
    match span {
        Some(r) => {
            let line = text[..r.start.min(text.len())].matches('\n').count() + 1;
            format!(" (line {line})")
        }
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: &str = "[[source]]\nid = \"a\"\nkind = \"local\"\npaths = [\"x/*.json\"]\n";

    #[test]
    fn a_scope_is_read_and_must_name_a_rule() {
        let text = format!(
            "{MIN}[scope]\ncategories = [\"works\"]\nplanning_project = true\nbuyers = [\"PA-RUC-8-NT-1-10001\"]\n\
             [[scope.classification]]\nscheme = \"UNSPSC\"\nprefixes = [\"72\", \"8110\"]\n"
        );
        let c = Config::from_toml(&text, "t.toml").expect("config");
        let scope = c.scope.expect("scope");
        assert_eq!(scope.categories, ["works"]);
        assert_eq!(scope.classification[0].prefixes, ["72", "8110"]);
        assert!(
            Config::from_toml(MIN, "t.toml")
                .expect("config")
                .scope
                .is_none()
        );
        let e = Config::from_toml(&format!("{MIN}[scope]\n"), "t.toml").unwrap_err();
        assert_eq!(e.key, "scope");
        let bad = format!("{MIN}[scope]\ncategories = [\"obras\"]\n");
        let e = Config::from_toml(&bad, "t.toml").unwrap_err();
        assert_eq!(e.key, "scope.categories[0]");
        let bad = format!("{MIN}[scope]\ncategory = [\"works\"]\n");
        assert!(
            Config::from_toml(&bad, "t.toml").is_err(),
            "unknown keys are refused"
        );
    }

    #[test]
    fn fetch_linked_is_read_and_refused_where_there_are_no_records() {
        let ok = "[[source]]\nid = \"a\"\nkind = \"ocds-bulk\"\nurls = [\"https://x.example/r.json\"]\nfetch_linked = true\n";
        let c = Config::from_toml(ok, "t.toml").expect("config");
        assert!(c.sources[0].fetch_linked);
        let bad =
            "[[source]]\nid = \"a\"\nkind = \"oc4ids\"\npaths = [\"p\"]\nfetch_linked = true\n";
        let e = Config::from_toml(bad, "t.toml").unwrap_err();
        assert!(e.key.ends_with("fetch_linked"), "{}", e.key);
    }

    #[test]
    fn analysis_tables_are_read_and_checked() {
        let text = format!(
            "{MIN}[[sector]]\nscheme = \"UNSPSC\"\ncode = \"7214*\"\nsector = \"transport.road\"\n\
             [flags]\ncost_overrun_percent = 25.0\n[scoring]\nsample_seed = 7\n"
        );
        let c = Config::from_toml(&text, "t.toml").expect("config");
        assert_eq!(c.sectors.len(), 1);
        assert_eq!(c.flags.cost_overrun_percent, 25.0);
        assert_eq!(c.flags.time_overrun_percent, 20.0, "defaults fill the rest");
        assert_eq!(c.scoring.sample_seed, Some(7));
        let bad = format!("{MIN}[flags]\ntime_overrun_percent = -1.0\n");
        let e = Config::from_toml(&bad, "t.toml").unwrap_err();
        assert_eq!(e.key, "flags.time_overrun_percent");
        let bad = format!("{MIN}[[sector]]\nscheme = \"X\"\ncode = \"1\"\nsector = \"roads\"\n");
        let e = Config::from_toml(&bad, "t.toml").unwrap_err();
        assert_eq!(e.key, "sector[0].sector");
    }

    #[test]
    fn embedded_default_loads() {
        let c = Config::embedded().expect("default config");
        assert!(!c.sources.is_empty());
        assert_eq!(c.output, PathBuf::from("out"));
    }

    #[test]
    fn unknown_key_names_file_and_key() {
        let text = format!("{MIN}colour = \"red\"\n");
        let e = Config::from_toml(&text, "c.toml").expect_err("unknown key");
        assert_eq!(e.file, "c.toml");
        assert_eq!(e.key, "source[0].colour");
        assert!(e.reason.contains("unknown field `colour`"), "{e}");
    }

    #[test]
    fn bad_value_names_key() {
        let text = format!("{MIN}[projects]\nentity = \"mayor\"\n");
        let e = Config::from_toml(&text, "c.toml").expect_err("bad value");
        assert_eq!(e.key, "projects.entity");
        assert!(e.reason.contains("unknown variant `mayor`"), "{e}");
    }

    #[test]
    fn a_url_that_cannot_be_requested_is_a_config_error() {
        let text = "[[source]]\nid = \"a\"\nkind = \"ocds-bulk\"\n\
                    url_template = \"https://exa mple.org/{year}.json\"\nstart = \"2020\"\n";
        let e = Config::from_toml(text, "c.toml").expect_err("bad url");
        assert_eq!(e.key, "source[0].url_template");
        assert!(e.reason.contains("not a valid URL"), "{e}");
    }

    #[test]
    fn weights_must_name_elements() {
        let text = format!("{MIN}[weights]\n\"PJ-XX-9\" = 2.0\n");
        let e = Config::from_toml(&text, "c.toml").expect_err("bad code");
        assert_eq!(e.key, "weights.PJ-XX-9");
    }
}
