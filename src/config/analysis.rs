//! The analysis settings: how sectors are mapped, how red flags are thresholded, and the
//! optional index-style sample. Each table is optional; left out, it takes the defaults the
//! README documents.

use serde::{Deserialize, Serialize};

/// The OC4IDS `projectSector` codelist (closed for this mapping: a configured target must be
/// one of these).
pub const PROJECT_SECTORS: &[&str] = &[
    "education",
    "health",
    "energy",
    "energy.solar",
    "energy.wind",
    "energy.hydropower",
    "energy.biomass",
    "energy.geothermal",
    "communications",
    "waterAndWaste",
    "governance",
    "economy",
    "cultureSportsAndRecreation",
    "transport",
    "transport.air",
    "transport.water",
    "transport.rail",
    "transport.road",
    "transport.urban",
    "transport.lowCarbon",
    "socialHousing",
    "naturalResources",
    "naturalResources.floodProtection",
];

/// The sector map that ships with costwatch: COFOG (the UN Classification of the Functions of
/// Government, which budget systems use) to OC4IDS project sectors. Codes are compared without
/// their dots (`04.5.1` and `0451` are the same); the longest prefix that matches wins, and a
/// configured `[[sector]]` rule always comes first.
pub const COFOG_SECTORS: &[(&str, &str)] = &[
    ("0451", "transport.road"),
    ("0452", "transport.water"),
    ("0453", "transport.rail"),
    ("0454", "transport.air"),
    ("045", "transport"),
    ("0435", "energy"),
    ("043", "energy"),
    ("046", "communications"),
    ("04", "economy"),
    ("051", "waterAndWaste"),
    ("052", "waterAndWaste"),
    ("05", "naturalResources"),
    ("061", "socialHousing"),
    ("063", "waterAndWaste"),
    ("064", "energy"),
    ("07", "health"),
    ("08", "cultureSportsAndRecreation"),
    ("09", "education"),
    ("106", "socialHousing"),
    ("01", "governance"),
    ("02", "governance"),
    ("03", "governance"),
];

/// The OC4IDS sector the shipped COFOG map gives a classification, if any.
pub fn default_sector(scheme: &str, id: &str) -> Option<&'static str> {
    if !scheme.trim().eq_ignore_ascii_case("COFOG") {
        return None;
    }
    let compact: String = id.chars().filter(|c| c.is_ascii_digit()).collect();
    COFOG_SECTORS
        .iter()
        .filter(|(code, _)| compact.starts_with(code))
        .max_by_key(|(code, _)| code.len())
        .map(|(_, sector)| *sector)
}

/// `[[sector]]`: one rule of the classification map.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SectorRule {
    /// Classification scheme as the publisher writes it (`UNSPSC`, `CPV`, a local scheme).
    pub scheme: String,
    /// The classification id; a trailing `*` matches every id that starts with the rest.
    pub code: String,
    /// The OC4IDS `projectSector` code it maps to.
    pub sector: String,
}

impl SectorRule {
    /// Whether the rule covers a classification.
    pub fn matches(&self, scheme: &str, id: &str) -> bool {
        if !self.scheme.eq_ignore_ascii_case(scheme.trim()) {
            return false;
        }
        match self.code.strip_suffix('*') {
            Some(prefix) => id.trim().starts_with(prefix),
            None => id.trim() == self.code,
        }
    }
}

/// `[flags]`: red-flag thresholds.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct FlagSettings {
    /// Cost overrun: raised when the final (or current) value exceeds the original contract
    /// value by more than this percentage.
    pub cost_overrun_percent: f64,
    /// Time overrun: raised when the contract period grew by more than this percentage of its
    /// original length.
    pub time_overrun_percent: f64,
    /// Award above estimate: raised when the contract value exceeds the cost estimate by more
    /// than this percentage.
    pub award_above_estimate_percent: f64,
    /// Single tenderer: raised when a competitive process received at most this many tenders.
    pub single_tenderer_max: u32,
}

impl Default for FlagSettings {
    fn default() -> Self {
        FlagSettings {
            cost_overrun_percent: 10.0,
            time_overrun_percent: 20.0,
            award_above_estimate_percent: 0.0,
            single_tenderer_max: 1,
        }
    }
}

/// `[scoring]`: options beyond weights.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ScoringSettings {
    /// When set, each entity is also scored on an index-style sample (its largest project by
    /// value plus one project drawn with this seed).
    pub sample_seed: Option<u64>,
    /// Leaves the conditional elements (asked for only when something happened: an
    /// administrative entity other than the procuring entity, a budget amendment, an
    /// escalation, a contract amendment) out of every score, as the IDS allows; by default they
    /// count like the others.
    #[serde(default)]
    pub exclude_conditional: bool,
}

/// Checks the analysis tables; `Err((key, reason))` names the offending key.
pub fn validate(sectors: &[SectorRule], flags: &FlagSettings) -> Result<(), (String, String)> {
    for (i, rule) in sectors.iter().enumerate() {
        if !PROJECT_SECTORS.contains(&rule.sector.as_str()) {
            return Err((
                format!("sector[{i}].sector"),
                format!(
                    "`{}` is not an OC4IDS projectSector code (e.g. transport.road)",
                    rule.sector
                ),
            ));
        }
        if rule.scheme.trim().is_empty() || rule.code.trim_end_matches('*').trim().is_empty() {
            return Err((
                format!("sector[{i}]"),
                "scheme and code must not be empty".into(),
            ));
        }
    }
    for (key, v) in [
        ("cost_overrun_percent", flags.cost_overrun_percent),
        ("time_overrun_percent", flags.time_overrun_percent),
        (
            "award_above_estimate_percent",
            flags.award_above_estimate_percent,
        ),
    ] {
        if !v.is_finite() || v < 0.0 {
            return Err((format!("flags.{key}"), format!("{v} must be a number ≥ 0")));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_shipped_cofog_map_takes_the_longest_prefix_and_only_valid_sectors() {
        assert_eq!(
            super::default_sector("COFOG", "04.5.1"),
            Some("transport.road")
        );
        assert_eq!(
            super::default_sector("cofog", "0451"),
            Some("transport.road")
        );
        assert_eq!(super::default_sector("COFOG", "04.5.5"), Some("transport"));
        assert_eq!(super::default_sector("COFOG", "04.1"), Some("economy"));
        assert_eq!(super::default_sector("COFOG", "07.3.1"), Some("health"));
        assert_eq!(super::default_sector("COFOG", "10.1"), None);
        assert_eq!(super::default_sector("UNSPSC", "0451"), None);
        for (_, sector) in super::COFOG_SECTORS {
            assert!(super::PROJECT_SECTORS.contains(sector), "{sector}");
        }
    }

    use super::*;

    #[test]
    fn sector_rules_match_exact_codes_and_prefixes() {
        let exact = SectorRule {
            scheme: "UNSPSC".into(),
            code: "72141100".into(),
            sector: "transport.road".into(),
        };
        let prefix = SectorRule {
            code: "7214*".into(),
            ..exact.clone()
        };
        assert!(exact.matches("unspsc", "72141100"));
        assert!(!exact.matches("UNSPSC", "72141101"));
        assert!(prefix.matches("UNSPSC", "72141101"));
        assert!(!prefix.matches("CPV", "72141101"));
    }

    #[test]
    fn unknown_sector_codes_are_refused() {
        let bad = SectorRule {
            scheme: "x".into(),
            code: "1".into(),
            sector: "roads".into(),
        };
        let e = validate(&[bad], &FlagSettings::default()).unwrap_err();
        assert_eq!(e.0, "sector[0].sector");
    }
}
