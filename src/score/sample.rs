//! The index-style sample: per entity, its largest project by value plus one other project
//! drawn at random with a fixed seed, so that a published sample can be drawn again.

use std::collections::BTreeMap;

use serde::Serialize;

/// The drawn sample: the seed and, per entity, the chosen project ids.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Sample {
    /// The configured seed.
    pub seed: u64,
    /// Entity → sampled projects (largest first).
    pub projects: BTreeMap<String, Vec<String>>,
}

impl Sample {
    /// Whether a project of an entity is in the sample.
    pub fn contains(&self, entity: &str, project: &str) -> bool {
        self.projects
            .get(entity)
            .is_some_and(|p| p.iter().any(|x| x == project))
    }
}

/// Draws the sample from (entity, project, value) rows. The value is the project's budget or
/// contract total in any currency; projects without one count as 0. Ties on value go to the
/// lower project id. The random pick hashes the seed with the entity key (FNV-1a, then
/// SplitMix64) and takes that index among the entity's other projects sorted by id, so the
/// draw does not depend on run order, platform or other entities.
pub fn draw(seed: u64, rows: &[(String, String, f64)]) -> Sample {
    let mut by_entity: BTreeMap<&str, Vec<(&str, f64)>> = BTreeMap::new();
    for (entity, project, value) in rows {
        by_entity.entry(entity).or_default().push((project, *value));
    }
    let mut projects = BTreeMap::new();
    for (entity, mut list) in by_entity {
        list.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(b.0)));
        // Every list got its first row when the entity was entered, so index 0 exists.
        let largest = list[0].0;
        let mut rest: Vec<&str> = list[1..].iter().map(|(p, _)| *p).collect();
        rest.sort_unstable();
        let mut chosen = vec![largest.to_string()];
        if !rest.is_empty() {
            let i = (splitmix64(seed ^ fnv1a(entity)) % rest.len() as u64) as usize;
            chosen.push(rest[i].to_string());
        }
        projects.insert(entity.to_string(), chosen);
    }
    Sample { seed, projects }
}

fn fnv1a(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows() -> Vec<(String, String, f64)> {
        let mut r = Vec::new();
        for (e, n) in [("a", 6), ("b", 1)] {
            for i in 0..n {
                r.push((e.to_string(), format!("{e}{i}"), f64::from(i * 10)));
            }
        }
        r
    }

    #[test]
    fn largest_plus_one_drawn_the_same_way_each_time() {
        let s = draw(7, &rows());
        let a = &s.projects["a"];
        assert_eq!(a.len(), 2);
        assert_eq!(a[0], "a5", "largest by value first");
        assert_ne!(a[1], "a5");
        assert_eq!(s.projects["b"], vec!["b0".to_string()]);
        // Same seed, same draw, whatever the row order.
        let mut reversed = rows();
        reversed.reverse();
        assert_eq!(draw(7, &reversed), s);
        // Some other seed draws another project for `a`.
        assert!((0..20).any(|seed| draw(seed, &rows()).projects["a"][1] != a[1]));
    }
}
