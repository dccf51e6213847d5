//! The `oc4ids` source: OC4IDS project packages, from URLs or paths. Each project is stored
//! with its provenance (source, URL or path, fetch time); the pipeline passes it through to
//! the outputs and enriches it with the OCDS contracting processes it names.

use serde_json::Value;

use super::http::{Failure, Fetched, download};
use super::walk::{Flow, drive, fixed_urls, give_up};
use super::{Ctx, Error, Shared, Taken};
use crate::store::{InputRecord, Inserted};

pub(super) async fn fetch(
    ctx: &mut Ctx<'_>,
    urls: &[String],
    paths: &[String],
    client: &Shared,
) -> Result<(), Error> {
    let concurrency = ctx.target.source.http.concurrency;
    let plan = fixed_urls(ctx, urls)?;
    let c = client.clone();
    drive(
        ctx,
        concurrency,
        plan.into_iter(),
        move |req| download(c.clone(), req),
        |ctx, _url, result: Result<Fetched, Failure>| {
            match result {
                Err(f) => give_up(ctx, &f)?,
                Ok(fetched) => {
                    let record = fetched.record(&ctx.target.source.id);
                    let ms = fetched.elapsed.as_millis();
                    let parsed = std::fs::File::open(fetched.body.path())
                        .map_err(|e| e.to_string())
                        .and_then(|f| {
                            let reader = std::io::BufReader::new(f);
                            serde_json::from_reader(reader).map_err(|e| e.to_string())
                        });
                    let taken = take_package(ctx, &record, parsed)?;
                    ctx.stored(&fetched.url, Some(fetched.status), fetched.size, &taken, ms);
                }
            }
            Ok(Flow::Continue)
        },
    )
    .await?;
    for path in super::local::files(ctx, paths)? {
        let location = path.display().to_string();
        let started = std::time::Instant::now();
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) => {
                ctx.failed(&location, None, "unreadable", e.to_string())?;
                continue;
            }
        };
        let sha = crate::util::sha256_hex(&bytes);
        let read_at = super::http::now_rfc3339();
        let record = InputRecord {
            source_id: &ctx.target.source.id,
            location: &location,
            size: bytes.len() as u64,
            sha256: &sha,
            modified_at: None,
            read_at: &read_at,
            http_status: None,
        };
        // Read once: the same bytes give the hash and the package.
        let parsed = serde_json::from_slice(&bytes).map_err(|e| e.to_string());
        let taken = take_package(ctx, &record, parsed)?;
        ctx.stored(
            &location,
            None,
            bytes.len() as u64,
            &taken,
            started.elapsed().as_millis(),
        );
    }
    Ok(())
}

/// Stores every project of one package (parsed whole: project packages are far smaller than
/// release archives) inside a savepoint; a file that is not an OC4IDS project package is
/// rejected whole, a project without an `id` is quarantined alone.
fn take_package(
    ctx: &mut Ctx<'_>,
    record: &InputRecord<'_>,
    parsed: Result<Value, String>,
) -> Result<Taken, Error> {
    let mut package = match parsed {
        Ok(v) => v,
        Err(e) => return ctx.target.reject(record, "invalid_json", None, None, e),
    };
    let Some(projects) = package.get_mut("projects").and_then(Value::as_array_mut) else {
        return ctx.target.reject(
            record,
            "not_oc4ids",
            None,
            None,
            "no `projects` array: not an OC4IDS project package".into(),
        );
    };
    let projects = std::mem::take(projects);
    let store = ctx.target.store;
    store.begin_input()?;
    let input_id = store.record_input(ctx.target.run_id, record)?;
    let mut taken = Taken {
        stored: true,
        ..Taken::default()
    };
    let mut orphans = Vec::new();
    for (i, project) in projects.iter().enumerate() {
        let has_id = match project.get("id") {
            Some(Value::String(s)) => !s.trim().is_empty(),
            _ => false,
        };
        if !has_id {
            orphans.push(i);
            continue;
        }
        taken.items += 1;
        match store.insert_project(&ctx.target.source.id, project, input_id, ctx.target.run_id) {
            Ok(Inserted::New | Inserted::Conflict) => taken.new += 1,
            Ok(Inserted::Repeat) => taken.repeated += 1,
            Err(e) => {
                store.rollback_input()?;
                return Err(e.into());
            }
        }
    }
    let status = if orphans.is_empty() { "ok" } else { "partial" };
    store.finish_input(input_id, status, "oc4ids", taken.items)?;
    store.commit_input()?;
    for i in orphans {
        let mut row = ctx.target.row(
            record.location,
            "not_oc4ids",
            format!("/projects/{i}: a project without a string `id`"),
        );
        row.line = None;
        ctx.target.quarantine(row)?;
    }
    Ok(taken)
}
