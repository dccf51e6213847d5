//! The `costwatch` binary: parse the command line, run, map the result to an exit code.

use clap::Parser;

/// jemalloc as the allocator on Linux: a quarter less CPU than glibc's malloc on a full run.
/// Its settings are built in (`.cargo/config.toml`); `_RJEM_MALLOC_CONF` overrides them.
#[cfg(target_os = "linux")]
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> std::process::ExitCode {
    let cli = match costwatch::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // --help and --version are not errors; everything else is a usage error (2).
            let _ = e.print();
            return if e.use_stderr() {
                costwatch::ExitCode::UsageOrConfig.into()
            } else {
                costwatch::ExitCode::Ok.into()
            };
        }
    };
    costwatch::cli::run(cli).into()
}
