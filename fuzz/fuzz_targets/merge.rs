//! Arbitrary release lists → the merge: compiling never panics, and compiling the same
//! releases twice gives the same compiled release.
#![no_main]

use costwatch::ocds::{Merger, history};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Ok(Value::Array(mut releases)) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    releases.retain(Value::is_object);
    Merger::sort(&mut releases);
    let merger = Merger::default();
    let (first, _, _) = history::compile(&merger, &releases);
    let (again, _, _) = history::compile(&merger, &releases);
    assert_eq!(first, again);
});
