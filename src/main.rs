//! The `costwatch` binary: parse the command line, run, map the result to an exit code.

use clap::Parser;

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
