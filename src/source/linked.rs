//! `fetch_linked`: the releases that records only link (`url`, `date`, `tag`), fetched once the
//! source itself is read, so that an ocid compiles from its releases (history, changes, the cost
//! estimate) instead of the record's compiled release alone.
//!
//! What is fetched is each linked document (the link without its `#fragment`, so a package
//! that holds many releases is downloaded once), exactly at that URL, and only once: a document
//! read into the store is not asked for again. The requests keep the source's pace, timeouts
//! and retries but carry none of its credentials, headers or query (a link names any host the
//! publisher wrote). A document that fails is quarantined like a page and tried again on the
//! next run.

use std::sync::Arc;

use reqwest::Url;

use super::http::{Client, Request, download};
use super::walk::{Flow, drive, give_up};
use super::{Ctx, Error, ocds_bulk};

/// Fetches and stores every linked document of this source not read yet; `client` is built
/// from [`crate::config::Http::for_links`].
pub async fn fetch(ctx: &mut Ctx<'_>, client: &Arc<Client>) -> Result<(), Error> {
    let documents = ctx.target.store.links_to_fetch(&ctx.target.source.id)?;
    if documents.is_empty() {
        return Ok(());
    }
    tracing::info!(source = %ctx.target.source.id, documents = documents.len(), "fetching linked releases");
    let mut plan = Vec::with_capacity(documents.len());
    for document in documents {
        // Stored normalised (http::document_of): the request's URL, and so the input's
        // location, is the same text.
        match Url::parse(&document) {
            Ok(url) => plan.push((document, Request { url, body: None })),
            Err(e) => ctx.failed(&document, None, "bad_url", e.to_string())?,
        }
    }
    let concurrency = ctx.target.source.http.concurrency;
    let c = client.clone();
    drive(
        ctx,
        concurrency,
        plan.into_iter(),
        move |req: Request| download(c.clone(), req),
        |ctx, _document: String, result| {
            match result {
                Ok(fetched) => ocds_bulk::take_download(ctx, fetched)?,
                Err(f) => give_up(ctx, &f)?,
            }
            Ok(Flow::Continue)
        },
    )
    .await
}
