//! The parse floor of the scale benchmark: reads JSON lines files and parses every line into a
//! `serde_json::Value` (with the same serde_json features as costwatch), keeping nothing.
//!
//!     cargo run --release --example parse_floor -- FILE...
//!
//! Prints the number of values parsed. `benches/scale.sh` times it beside each run.

use std::io::BufRead;

fn main() -> std::process::ExitCode {
    let mut values = 0u64;
    for path in std::env::args_os().skip(1) {
        let file = match std::fs::File::open(&path) {
            Ok(f) => f,
            Err(e) => {
                eprintln!("{}: {e}", path.to_string_lossy());
                return std::process::ExitCode::FAILURE;
            }
        };
        let reader = std::io::BufReader::with_capacity(1 << 20, file);
        for (n, line) in reader.lines().enumerate() {
            let parsed = line.map_err(|e| e.to_string()).and_then(|l| {
                serde_json::from_str::<serde_json::Value>(&l).map_err(|e| e.to_string())
            });
            match parsed {
                Ok(v) => {
                    std::hint::black_box(&v);
                    values += 1;
                }
                Err(e) => {
                    eprintln!("{}:{}: {e}", path.to_string_lossy(), n + 1);
                    return std::process::ExitCode::FAILURE;
                }
            }
        }
    }
    println!("{values}");
    std::process::ExitCode::SUCCESS
}
