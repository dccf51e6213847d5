//! Text → the config loader: any text is a config or an error naming where, never a panic.
#![no_main]

use costwatch::config::Config;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(e) = Config::from_toml(text, "fuzz.toml") {
        assert!(e.to_string().starts_with("fuzz.toml: "));
    }
});
