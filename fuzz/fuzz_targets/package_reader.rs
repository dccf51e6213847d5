//! Bytes → the package reader: every input ends as items, issues or an I/O error (a corrupt
//! gzip stream, which the caller quarantines as unreadable), never a panic, and never an item
//! that is not a JSON object.
#![no_main]

use costwatch::ocds::package::{self, Encoding, Item, ReadError};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for encoding in [None, Some(Encoding::Utf8), Some(Encoding::Latin1)] {
        let mut items = Vec::new();
        let result = package::read_limited(
            std::io::Cursor::new(data),
            encoding,
            64 * 1024,
            &mut |item: Item| -> Result<(), std::io::Error> {
                items.push(item);
                Ok(())
            },
        );
        match result {
            Ok(summary) => {
                assert_eq!(summary.items, items.len() as u64);
                for item in &items {
                    match item {
                        Item::Release(v) | Item::Compiled(v) | Item::Link { link: v, .. } => {
                            assert!(v.is_object())
                        }
                        // A line read without a tree must parse into the release it stands for.
                        Item::Line(line) => assert!(line.value().is_ok_and(|v| v.is_object())),
                    }
                }
            }
            // Only the strict first try may ask for a retry as ISO-8859-1.
            Err(ReadError::NotUtf8(_)) => assert!(encoding.is_none()),
            // Bytes the decompressor refuses; the ingest quarantines the input as unreadable.
            Err(ReadError::Io(_)) => {}
            Err(ReadError::Sink(e)) => panic!("the sink never fails here: {e}"),
        }
    }
});
