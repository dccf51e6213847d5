//! Evidence: which data decided a verdict or a flag, down to the release, the source and the
//! fetch time, so that an auditor can go back to what the publisher said.
//!
//! A path inside `/contractingProcesses/<i>` is traced to that process: to the release that
//! brought a modification when the path points at one, else to the process's latest release.
//! A project-level path is traced to every process the project was built from (the project's
//! fields are merged from them), or to the OC4IDS package that published the project.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::Value;

use crate::store::Error;
use crate::store::{Provenance, Store};
use crate::util::At as _;
use crate::util::{array, process_id};

/// Where the data behind a verdict came from: the release (or record, or OC4IDS project), the
/// source, the URL or path, and when it was fetched.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Origin {
    /// The contracting process, when the data is OCDS.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ocid: Option<String>,
    /// The release id (absent for records and OC4IDS projects).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub release: Option<String>,
    /// Source id.
    pub source: String,
    /// URL or path (a zip member as `URL#member`).
    pub location: String,
    /// When it was fetched or read.
    pub fetched_at: String,
}

impl Origin {
    /// The origin of data from `provenance`, in process `ocid` and release `release`.
    fn at(ocid: Option<String>, release: Option<String>, provenance: Provenance) -> Origin {
        let Provenance {
            source,
            location,
            fetched_at,
        } = provenance;
        Origin {
            ocid,
            release,
            source,
            location,
            fetched_at,
        }
    }
}

/// The origins of one project's data.
#[derive(Debug, Default)]
pub struct Origins {
    /// ocid → where its latest release came from.
    latest: HashMap<String, Arc<Origin>>,
    /// (ocid, release id) → where that release came from.
    releases: HashMap<(String, String), Arc<Origin>>,
    /// The OC4IDS package, for projects published as OC4IDS.
    package: Option<Arc<Origin>>,
    /// The processes in project order.
    order: Vec<String>,
}

impl Origins {
    /// The origins of a project (maybe published as OC4IDS), given where each of its processes'
    /// latest release came from (`Store::origins_of`, which the pipeline asks while the
    /// project is being converted); a modification's own release is looked up here.
    pub fn with_latest(
        store: &Store,
        project: &Value,
        latest: Vec<(String, Option<String>, Provenance)>,
        provenance: Option<&Provenance>,
    ) -> Result<Origins, Error> {
        let mut o = Origins {
            package: provenance.map(|p| Arc::new(Origin::at(None, None, p.clone()))),
            ..Origins::default()
        };
        for (ocid, release, provenance) in latest {
            let origin = Origin::at(Some(ocid.clone()), release, provenance);
            o.latest.insert(ocid, Arc::new(origin));
        }
        for (i, cp) in array(project.get("contractingProcesses"))
            .iter()
            .enumerate()
        {
            let ocid = process_id(i, cp);
            for m in array(cp.at("/summary/modifications")) {
                // One release often brings several changes: look it up once.
                if let Some(r) = m.get("releaseID").and_then(Value::as_str)
                    && !o.releases.contains_key(&(ocid.clone(), r.to_string()))
                    && let Some(provenance) = store.release_origin(&ocid, r)?
                {
                    let origin = Origin::at(Some(ocid.clone()), Some(r.to_string()), provenance);
                    o.releases
                        .insert((ocid.clone(), r.to_string()), Arc::new(origin));
                }
            }
            o.order.push(ocid);
        }
        Ok(o)
    }

    /// The origins behind a JSON pointer into the project. Shared, not copied: a project's
    /// hundred-odd verdicts point at the same few origins.
    pub fn of(&self, project: &Value, path: &str) -> Vec<Arc<Origin>> {
        let mut parts = path.trim_start_matches('/').split('/');
        if parts.next() == Some("contractingProcesses")
            && let Some(i) = parts.next().and_then(|i| i.parse::<usize>().ok())
            && let Some(ocid) = self.order.get(i)
        {
            // A modification's own release, when the path points at one.
            if parts.next() == Some("summary")
                && parts.next() == Some("modifications")
                && let Some(j) = parts.next().and_then(|j| j.parse::<usize>().ok())
                && let Some(r) = project
                    .at(&format!(
                        "/contractingProcesses/{i}/summary/modifications/{j}/releaseID"
                    ))
                    .and_then(Value::as_str)
                && let Some(origin) = self.releases.get(&(ocid.clone(), r.to_string()))
            {
                return vec![origin.clone()];
            }
            return match self.latest.get(ocid) {
                Some(o) => vec![o.clone()],
                None => self.package.iter().cloned().collect(),
            };
        }
        let mut out: Vec<Arc<Origin>> = self.package.iter().cloned().collect();
        out.extend(
            self.order
                .iter()
                .filter_map(|o| self.latest.get(o))
                .cloned(),
        );
        out
    }
}
