//! `fetch_linked`: the releases that records only link (`url`, `date`, `tag`), fetched through
//! the source's HTTP settings once the source itself is read, so that an ocid compiles from its
//! releases (history, changes, the cost estimate) instead of the record's compiled release
//! alone. Each link is fetched once: a url read into the store is not asked for again. A link
//! that fails is quarantined like a page and tried again on the next run.

use std::sync::Arc;

use super::http::{Client, Request, download};
use super::walk::{Flow, drive, give_up};
use super::{Ctx, Error, ocds_bulk};

/// Fetches and stores every link of this source not read yet.
pub async fn fetch(ctx: &mut Ctx<'_>, client: &Arc<Client>) -> Result<(), Error> {
    let urls = ctx.target.store.links_to_fetch(&ctx.target.source.id)?;
    if urls.is_empty() {
        return Ok(());
    }
    tracing::info!(source = %ctx.target.source.id, links = urls.len(), "fetching linked releases");
    let plan = super::walk::fixed_urls(ctx, &urls)?;
    let concurrency = ctx.target.source.http.concurrency;
    let c = client.clone();
    drive(
        ctx,
        concurrency,
        plan.into_iter(),
        move |req: Request| download(c.clone(), req),
        |ctx, _url: String, result| {
            match result {
                Ok(fetched) => ocds_bulk::take_download(ctx, fetched)?,
                Err(f) => give_up(ctx, &f)?,
            }
            Ok(Flow::Continue)
        },
    )
    .await
}
