//! The one integration-test binary (one link of polars, not one per file).

// End to end on config/default.toml: the output tree, schema validity, idempotence.
mod run;
// Through the binary: --help, exit codes, first line of each error.
mod cli;
// A red flag judged without the releases a project came from (the other issue #4 cases are
// data files: see cases).
mod fidelity;
// The fixtures against hand-derived expected outputs, field by field.
mod differential;
// HTTP sources against wiremock on 127.0.0.1: pagination, retries, resume, health, auth.
mod http;
// Against ../shared: merge fixtures, the worked example's verdicts, upstream inputs.
mod shared;
// Laws kept for any input (proptest).
mod props;
// Running unattended: the output folder guard, the lock, SIGKILL at every stage.
mod safety;
// The pages and spreadsheets people read.
mod reports;
// Parallel and incremental runs: thread-count independence, what a new release changes.
mod scale;
// Cases as data files (tests/cases/{convert,assess,flags}): one runner, every mismatch listed.
mod cases;
// The module graph: dependencies point one way (no cycles), down to store and util.
mod architecture;
// Helpers.
mod util;
