//! Stored JSON text, deflated.
//!
//! Releases and compiled releases are most of the store, and JSON deflates to a fifth or less
//! of its size. They are written as zlib blobs at a fast level; rows written as plain text
//! by earlier versions are read as they are, so no migration rewrites a store.

use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ValueRef};

/// Deflates JSON text for storing.
pub fn pack(text: &str) -> Vec<u8> {
    pack_bytes(text.as_bytes())
}

fn pack_bytes(text: &[u8]) -> Vec<u8> {
    thread_local! {
        // One compressor per thread, reset between rows: setting one up zeroes a few hundred
        // KB of tables, and freeing it makes malloc consolidate its free lists; per release
        // that was a fifth of the fetch.
        static FAST: std::cell::RefCell<flate2::Compress> =
            std::cell::RefCell::new(flate2::Compress::new(flate2::Compression::fast(), true));
    }
    FAST.with(|cell| deflate(&mut cell.borrow_mut(), text))
}

/// Writes `value` as compact JSON and deflates it, as [`pack`] would its text. Written
/// straight into a buffer kept per thread: going through `to_string` passed every piece
/// through the formatting machinery, a third of serialising.
pub fn pack_value(value: &serde_json::Value) -> Vec<u8> {
    thread_local! {
        static TEXT: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    TEXT.with(|cell| {
        let mut text = cell.borrow_mut();
        text.clear();
        // A Value has only string keys: writing it into memory cannot fail.
        let _ = serde_json::to_writer(&mut *text, value);
        pack_bytes(&text)
    })
}

/// Deflates a small text written once and read many times (a project's tally) at the default
/// level: an eighth smaller than [`pack`]'s, at a cost only paid when the project is made.
pub fn pack_dense(text: &str) -> Vec<u8> {
    thread_local! {
        // For the reason `pack` keeps one: setting up was a third of deflating a tally.
        static DENSE: std::cell::RefCell<flate2::Compress> =
            std::cell::RefCell::new(flate2::Compress::new(flate2::Compression::default(), true));
    }
    DENSE.with(|cell| deflate(&mut cell.borrow_mut(), text.as_bytes()))
}

/// Deflates `input` into a zlib blob with a compressor reset first.
fn deflate(c: &mut flate2::Compress, input: &[u8]) -> Vec<u8> {
    // zlib's compressBound: enough for one call to finish in all but pathological cases.
    let bound = input.len() + (input.len() >> 12) + (input.len() >> 14) + 64;
    let mut out = Vec::with_capacity(bound);
    c.reset();
    loop {
        let read = c.total_in() as usize;
        match c.compress_vec(&input[read..], &mut out, flate2::FlushCompress::Finish) {
            Ok(flate2::Status::StreamEnd) => break,
            // Out of room: grow and go on from where it stopped.
            Ok(_) => out.reserve(out.capacity().max(1024)),
            // Compressing into a Vec has no failure but a bug; an empty blob reads back as an
            // error, never as other data.
            Err(_) => {
                out.clear();
                break;
            }
        }
    }
    out
}

/// Inflates a stored blob back to its text. One decompressor per thread, reset between rows,
/// for the reason [`pack`] keeps one compressor.
fn unpack(blob: &[u8]) -> Result<String, String> {
    thread_local! {
        static DECOMPRESS: std::cell::RefCell<flate2::Decompress> =
            std::cell::RefCell::new(flate2::Decompress::new(true));
    }
    let mut out: Vec<u8> = Vec::with_capacity(blob.len() * 5);
    DECOMPRESS.with(|cell| {
        let mut d = cell.borrow_mut();
        d.reset(true);
        loop {
            let read = d.total_in() as usize;
            let before = d.total_out();
            match d.decompress_vec(&blob[read..], &mut out, flate2::FlushDecompress::Finish) {
                Ok(flate2::Status::StreamEnd) => return Ok(()),
                // Out of room: grow and go on.
                Ok(_) if out.len() == out.capacity() => out.reserve(out.capacity().max(4096)),
                // No progress with room to spare: the blob ends early.
                Ok(_) if d.total_out() == before && d.total_in() as usize == read => {
                    return Err("the stored blob ends early".to_string());
                }
                Ok(_) => {}
                Err(e) => return Err(format!("the stored blob is not zlib: {e}")),
            }
        }
    })?;
    String::from_utf8(out).map_err(|e| format!("the stored text is not UTF-8: {e}"))
}

/// JSON text read back from the store: a zlib blob, or plain text from an older version.
pub struct Stored(pub String);

impl FromSql for Stored {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        // Inflated from SQLite's own buffer: no copy of the blob first, as `Packed` needs.
        match value {
            ValueRef::Text(t) => std::str::from_utf8(t)
                .map(|s| Stored(s.to_string()))
                .map_err(|e| FromSqlError::Other(Box::new(e))),
            ValueRef::Blob(b) => unpack(b)
                .map(Stored)
                .map_err(|e| FromSqlError::Other(e.into())),
            _ => Err(FromSqlError::InvalidType),
        }
    }
}

/// Stored JSON text as read, not yet inflated: the thread holding the connection only copies
/// the bytes, and [`Packed::text`] runs wherever the text is needed (on every core).
#[derive(Debug, Clone)]
pub enum Packed {
    /// Plain text, as earlier versions wrote it.
    Plain(Vec<u8>),
    /// A zlib blob.
    Deflated(Vec<u8>),
}

impl Packed {
    /// The text, inflated when it is a blob; why not, when it cannot be read.
    pub fn text(self) -> Result<String, String> {
        match self {
            Packed::Plain(bytes) => {
                String::from_utf8(bytes).map_err(|e| format!("the stored text is not UTF-8: {e}"))
            }
            Packed::Deflated(blob) => unpack(&blob),
        }
    }
}

impl FromSql for Packed {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        match value {
            ValueRef::Text(t) => Ok(Packed::Plain(t.to_vec())),
            ValueRef::Blob(b) => Ok(Packed::Deflated(b.to_vec())),
            _ => Err(FromSqlError::InvalidType),
        }
    }
}

/// A project's tally deflated for the store (see [`pack_dense`]): made wherever the tally is,
/// so that the thread writing the store only writes.
#[derive(Debug, Clone)]
pub struct PackedTally(pub(crate) Vec<u8>);

impl PackedTally {
    /// Deflates a tally's text.
    pub fn of(text: &str) -> PackedTally {
        PackedTally(pack_dense(text))
    }
}

/// A release or compiled release made ready for the store: its keys, its canonical hash and its
/// deflated text. Preparing is the costly part of storing and needs no connection, so it runs
/// on every core while one thread writes.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The `ocid`, empty when missing.
    pub ocid: String,
    /// The release `id` (text; a number is written as JSON); `None` for a compiled release.
    pub release_id: Option<String>,
    /// [`crate::util::canonical::content_hash`] of the value.
    pub hash: String,
    /// The `date` when it is a string.
    pub date: Option<String>,
    /// The JSON text, deflated.
    pub data: Vec<u8>,
}

impl Prepared {
    /// Prepares an individual release.
    pub fn release(release: &serde_json::Value) -> Prepared {
        let release_id = match release.get("id") {
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
            None => String::new(),
        };
        // As a compiled release is prepared (keys, hash, text), with its release id besides.
        Prepared {
            release_id: Some(release_id),
            ..Prepared::compiled(release)
        }
    }

    /// Prepares a release whose keys and hash were read from its text without a `Value`
    /// (a line of JSON lines holding it alone), storing the text as published.
    pub fn as_published(
        text: &str,
        ocid: String,
        id: String,
        date: Option<String>,
        hash: String,
    ) -> Prepared {
        Prepared {
            data: pack(text),
            ocid,
            release_id: Some(id),
            hash,
            date,
        }
    }

    /// Prepares a compiled release taken from a record.
    pub fn compiled(compiled: &serde_json::Value) -> Prepared {
        Prepared {
            ocid: compiled
                .get("ocid")
                .and_then(serde_json::Value::as_str)
                .unwrap_or_default()
                .to_string(),
            release_id: None,
            hash: crate::util::canonical::content_hash(compiled),
            date: compiled
                .get("date")
                .and_then(serde_json::Value::as_str)
                .map(str::to_string),
            data: pack_value(compiled),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn text_comes_back_from_a_blob_and_from_old_plain_rows() {
        let conn = rusqlite::Connection::open_in_memory().expect("db");
        conn.execute_batch("CREATE TABLE t (data)").expect("table");
        let text = r#"{"ocid":"ocds-1","title":"Ampliación del puente — fase 2"}"#;
        conn.execute("INSERT INTO t VALUES (?1)", [pack(text)])
            .expect("blob");
        conn.execute("INSERT INTO t VALUES (?1)", [text])
            .expect("text");
        let mut stmt = conn.prepare("SELECT data FROM t").expect("select");
        let rows: Vec<String> = stmt
            .query_map([], |r| r.get::<_, Stored>(0).map(|s| s.0))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows");
        assert_eq!(rows, [text, text]);
        assert!(pack(&text.repeat(50)).len() < text.len() * 5);
        // A blob that is not zlib is an error, never a panic.
        conn.execute("INSERT INTO t VALUES (x'00ff')", [])
            .expect("junk");
        let last = conn.query_row("SELECT data FROM t WHERE rowid = 3", [], |r| {
            r.get::<_, Stored>(0).map(|s| s.0)
        });
        assert!(last.is_err());
    }

    #[test]
    fn one_compressor_serves_many_rows() {
        // Texts of every size, one after another on one thread: each must come back alone.
        let mut seed = 7u64;
        let sizes = [0usize, 1, 10, 1_000, 100_000, 3, 70_000];
        for (n, packer) in sizes.into_iter().flat_map(|n| {
            [
                (n, pack as fn(&str) -> Vec<u8>),
                (n, pack_dense as fn(&str) -> Vec<u8>),
            ]
        }) {
            let text: String = (0..n)
                .map(|_| {
                    seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
                    char::from(b' ' + ((seed >> 33) % 94) as u8)
                })
                .collect();
            let packed = packer(&text);
            let mut back = String::new();
            flate2::read::ZlibDecoder::new(packed.as_slice())
                .read_to_string(&mut back)
                .expect("inflate");
            assert_eq!(back, text, "{n} bytes");
            assert_eq!(unpack(&packed).as_deref(), Ok(text.as_str()), "{n} bytes");
            // A blob cut short is an error, never a hang or other text.
            if packed.len() > 8 {
                assert!(
                    unpack(&packed[..packed.len() / 2]).is_err(),
                    "{n} bytes, cut"
                );
            }
        }
        assert!(unpack(b"not zlib at all").is_err());
    }
}
