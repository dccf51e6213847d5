//! Streaming readers for OCDS inputs.
//!
//! In: bytes (plain or gzip) holding a release package, a record package, a bare release, a JSON
//! array of any of those, concatenated values or JSON lines. Out: one [`Item`] per release or
//! compiled release (and [`Item::Link`] for a record's linked releases), handed to a sink as
//! soon as it is parsed, plus [`Issue`]s for what could not be read. A package's `releases`
//! array is never held in memory as a whole: each release is parsed and handed over on its own.
//! JSON lines are parsed a batch at a time on every core (256 lines, at most 16 MiB
//! of text), so that many lines' trees are in memory at once.

use std::fmt;
use std::io::{self, BufRead, BufReader, Cursor, Read};

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

/// The longest first line that is tried as a JSON-lines record before the file is read as one
/// document; a minified package of several GB on one line must not be buffered.
const MAX_PROBE_LINE_BYTES: usize = 16 * 1024 * 1024;

/// The largest line, release or record read by default (64 MiB). Memory for one item is bounded
/// by this: a hostile 1 GB string is set aside, not loaded.
pub const DEFAULT_MAX_ITEM_BYTES: u64 = 64 * 1024 * 1024;

/// How many bytes the item being read may still take, shared by the byte counter and the
/// parser's visitors.
#[derive(Debug)]
struct Budget {
    limit: u64,
    count: std::cell::Cell<u64>,
    /// The byte count at which the current item is too large.
    deadline: std::cell::Cell<Option<u64>>,
    /// Set when an item ran past its deadline.
    exceeded: std::cell::Cell<Option<u64>>,
}

impl Budget {
    fn new(limit: u64) -> std::rc::Rc<Budget> {
        std::rc::Rc::new(Budget {
            limit,
            count: std::cell::Cell::new(0),
            deadline: std::cell::Cell::new(None),
            exceeded: std::cell::Cell::new(None),
        })
    }

    /// Starts an item: from here it may take `limit` bytes.
    fn start(&self) {
        self.deadline
            .set(Some(self.count.get().saturating_add(self.limit)));
    }

    /// Ends an item.
    fn end(&self) {
        self.deadline.set(None);
    }
}

/// One unit of OCDS data found in an input.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    /// An individual release (it has `ocid` and `id`).
    Release(Value),
    /// A line of JSON lines that is one release, read without building its value: stored as
    /// it was published.
    Line(ReleaseLine),
    /// A `compiledRelease` taken from a record.
    Compiled(Value),
    /// A linked release in a record (`url`, `date`, `tag`; no data of its own), with the
    /// record's ocid: kept so that the output can point at the releases a process was built
    /// from.
    Link {
        /// The record's ocid.
        ocid: String,
        /// The linked release as published.
        link: Value,
    },
}

/// The keys that make an object a package or a record rather than a release: what
/// [`classify_object`] takes out first.
const CONTAINER_KEYS: [&str; 3] = ["releases", "records", "compiledRelease"];

/// A release that a line of JSON lines holds alone, with what storing it needs.
#[derive(Debug, Clone, PartialEq)]
pub struct ReleaseLine {
    /// The line's text, without the spaces around it.
    pub text: String,
    /// Its `ocid`.
    pub ocid: String,
    /// Its `id` (a number is kept as written).
    pub id: String,
    /// Its `date`, when it is a string.
    pub date: Option<String>,
    /// [`crate::util::canonical::content_hash`] of its value.
    pub hash: String,
}

impl ReleaseLine {
    /// Reads a line that is one release: one that [`classify_object`] would pass on as it is
    /// (`ocid` and `id`, none of the keys of a package or a record). `None` for anything
    /// else, invalid JSON included: those lines are parsed into a `Value`.
    fn read(text: &str) -> Option<ReleaseLine> {
        use crate::util::canonical::{Node, Text};
        // A package or a record is refused at its first such key, not read to the end first.
        let parsed = Text::parse_unless(text, &CONTAINER_KEYS).ok()?;
        let ocid = parsed.get("ocid")?.as_str()?.to_string();
        let id = match parsed.get("id")? {
            Node::String(s) => s.to_string(),
            Node::Number(n) => n.clone(),
            _ => return None,
        };
        Some(ReleaseLine {
            text: text.trim().to_string(),
            ocid,
            id,
            date: parsed
                .get("date")
                .and_then(Node::as_str)
                .map(str::to_string),
            hash: parsed.hash(),
        })
    }

    /// The release's value.
    pub fn value(&self) -> Result<Value, serde_json::Error> {
        serde_json::from_str(&self.text)
    }
}

/// Why part of an input could not be used; the codes are stable and few.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// Not parseable JSON (syntax error or the data ends early).
    InvalidJson,
    /// Bytes that are not UTF-8 (and were not read as ISO-8859-1).
    InvalidUtf8,
    /// Valid JSON that is not an OCDS release, record or package.
    NotOcds,
    /// A package that holds neither `releases` nor `records`.
    EmptyPackage,
    /// The file holds no JSON value at all.
    Empty,
    /// An encoding the reader does not decode (UTF-16, UTF-32).
    UnsupportedEncoding,
    /// A line, release or record larger than the configured limit.
    TooLarge,
}

impl Reason {
    /// The stable code written to the store and the run report.
    pub fn code(self) -> &'static str {
        match self {
            Reason::InvalidJson => "invalid_json",
            Reason::InvalidUtf8 => "invalid_utf8",
            Reason::NotOcds => "not_ocds",
            Reason::EmptyPackage => "empty_package",
            Reason::Empty => "empty",
            Reason::UnsupportedEncoding => "unsupported_encoding",
            Reason::TooLarge => "too_large",
        }
    }
}

/// A part of an input that was set aside, with where and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Issue {
    /// The reason code.
    pub reason: Reason,
    /// Human-readable detail (the parser's message, the JSON path).
    pub detail: String,
    /// 1-based line where known.
    pub line: Option<u64>,
    /// Byte offset (of the decoded stream) where known.
    pub offset: Option<u64>,
    /// True when the whole input was rejected (nothing from it may be kept).
    pub fatal: bool,
}

/// The layout the reader found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// One JSON document (or several concatenated).
    Document,
    /// One JSON value per line.
    JsonLines,
}

/// The text encoding the input was read with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Encoding {
    /// UTF-8 (with or without a byte-order mark).
    Utf8,
    /// ISO-8859-1, each byte one code point.
    Latin1,
}

/// What one read produced, besides the items.
#[derive(Debug, Clone)]
pub struct Summary {
    /// Whether the input was gzip-compressed.
    pub gzip: bool,
    /// Document or JSON lines.
    pub layout: Layout,
    /// Encoding used to decode it.
    pub encoding: Encoding,
    /// Releases and compiled releases handed to the sink.
    pub items: u64,
    /// Linked releases (in records): handed to the sink as [`Item::Link`], not counted in
    /// `items` (they carry no data).
    pub linked_releases: u64,
    /// The `uri` of the first package read, which (with `#` and a release id) addresses each
    /// of its releases.
    pub package_uri: Option<String>,
    /// Parts set aside.
    pub issues: Vec<Issue>,
}

impl Summary {
    /// True when the input as a whole was rejected.
    pub fn is_fatal(&self) -> bool {
        self.issues.iter().any(|i| i.fatal)
    }
}

/// Errors that stop reading: I/O, or the sink refusing an item.
#[derive(Debug, thiserror::Error)]
pub enum ReadError<E: std::error::Error + 'static> {
    /// Reading the bytes failed.
    #[error("read error: {0}")]
    Io(#[from] io::Error),
    /// The sink failed (a store error, say).
    #[error(transparent)]
    Sink(E),
    /// The input is not UTF-8; the caller may retry it as ISO-8859-1.
    #[error("invalid UTF-8 at byte {0}")]
    NotUtf8(u64),
}

/// Reads one input, sending every item to `sink`.
///
/// With `encoding = None` the input is read as UTF-8 and [`ReadError::NotUtf8`] is returned at the
/// first invalid byte so that the caller can discard what it stored and retry with
/// `Some(Encoding::Latin1)`; with `Some(Encoding::Utf8)` invalid bytes are an [`Issue`] instead.
pub fn read<'a, R, E, F>(
    input: R,
    encoding: Option<Encoding>,
    sink: &mut F,
) -> Result<Summary, ReadError<E>>
where
    R: Read + 'a,
    E: std::error::Error + 'static,
    F: FnMut(Item) -> Result<(), E>,
{
    read_limited(input, encoding, DEFAULT_MAX_ITEM_BYTES, sink)
}

/// [`read`] with a limit on the size of one line, release or record: a larger one is set aside
/// with its size (a JSON line alone; in a document, the document, since the parser cannot
/// skip part of a value), and memory stays bounded by the limit.
pub fn read_limited<'a, R, E, F>(
    input: R,
    encoding: Option<Encoding>,
    max_item_bytes: u64,
    sink: &mut F,
) -> Result<Summary, ReadError<E>>
where
    R: Read + 'a,
    E: std::error::Error + 'static,
    F: FnMut(Item) -> Result<(), E>,
{
    read_at(input, encoding, max_item_bytes, None, sink)
}

/// [`read_limited`] of a file (`package_pointer` `None`: a document, concatenated documents or
/// JSON lines, told apart by their first lines) or of an API page (`Some`: one document, with
/// the package at that JSON pointer, `""` for the page itself; everything around it is
/// skipped without being built, and a page without a value there is rejected whole).
pub fn read_at<'a, R, E, F>(
    input: R,
    encoding: Option<Encoding>,
    max_item_bytes: u64,
    package_pointer: Option<&str>,
    sink: &mut F,
) -> Result<Summary, ReadError<E>>
where
    R: Read + 'a,
    E: std::error::Error + 'static,
    F: FnMut(Item) -> Result<(), E>,
{
    let chosen = encoding.unwrap_or(Encoding::Utf8);
    let opened = open(input, chosen)?;
    let mut state = State {
        summary: Summary {
            gzip: opened.gzip,
            layout: Layout::Document,
            encoding: chosen,
            items: 0,
            linked_releases: 0,
            package_uri: None,
            issues: Vec::new(),
        },
        sink_error: None,
        uris: Uris::default(),
        budget: Budget::new(max_item_bytes.max(1)),
        pointer: package_pointer.unwrap_or_default().to_string(),
        segments: segments(package_pointer.unwrap_or_default()),
    };
    let Some(text) = opened.text else {
        state.summary.issues.push(Issue {
            reason: Reason::UnsupportedEncoding,
            detail: "UTF-16/UTF-32 byte-order mark: re-encode the file as UTF-8".into(),
            line: Some(1),
            offset: Some(0),
            fatal: true,
        });
        return Ok(state.summary);
    };
    if package_pointer.is_none() {
        read_text(text, encoding.is_none(), &mut state, sink)?;
    } else {
        // A page is one document, whatever its first lines look like; a page that holds no
        // OCDS at all (an error message in JSON, a package of something else) is rejected for
        // its first problem. A file keeps what it holds (a record's links, say).
        read_document(text, 0, encoding.is_none(), &mut state, sink)?;
        let summary = &mut state.summary;
        if summary.items == 0
            && summary.linked_releases == 0
            && let Some(first) = summary.issues.first_mut()
        {
            first.fatal = true;
        }
    }
    Ok(state.summary)
}

/// An input with its compression and byte-order mark taken off, decoded to UTF-8.
struct Opened<'a> {
    gzip: bool,
    /// `None` for UTF-16 or UTF-32, which are not read.
    text: Option<Box<dyn BufRead + 'a>>,
}

/// Undoes gzip (told by its magic bytes, whatever the name says), drops a UTF-8 byte-order mark
/// and decodes ISO-8859-1 when asked: the one front door of every reader here.
fn open<'a, R: Read + 'a>(input: R, encoding: Encoding) -> io::Result<Opened<'a>> {
    let mut raw = BufReader::with_capacity(64 * 1024, input);
    let gzip = raw.fill_buf()?.starts_with(&[0x1f, 0x8b]);
    let decoded: Box<dyn Read + 'a> = if gzip {
        Box::new(flate2::read::MultiGzDecoder::new(raw))
    } else {
        Box::new(raw)
    };
    let mut reader = BufReader::with_capacity(64 * 1024, decoded);
    let head = reader.fill_buf()?;
    if head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]) {
        return Ok(Opened { gzip, text: None });
    }
    if head.starts_with(&[0xEF, 0xBB, 0xBF]) {
        reader.consume(3);
    }
    let text: Box<dyn BufRead + 'a> = match encoding {
        Encoding::Utf8 => Box::new(reader),
        Encoding::Latin1 => Box::new(BufReader::new(Latin1ToUtf8::new(reader))),
    };
    Ok(Opened {
        gzip,
        text: Some(text),
    })
}

/// The reference tokens of a JSON pointer (`/a~1b/0` → `a/b`, `0`).
fn segments(pointer: &str) -> Vec<String> {
    pointer
        .split('/')
        .skip(1)
        .map(|t| t.replace("~1", "/").replace("~0", "~"))
        .collect()
}

/// Reads the values at `pointers` in one JSON document without building anything else (an API
/// page's next link and page count, or whether its package holds an item), and checks that the
/// document is whole: a page cut short is an error here, before anything of it is stored.
/// A pointer to a scalar gets the scalar; a pointer to an object or an array gets an empty one
/// of its kind (it is there, and which it is) without it being built, so memory stays bounded
/// whatever the page holds; an empty pointer (the whole document) gets nothing.
pub fn probe<R: Read>(
    input: R,
    encoding: Encoding,
    pointers: &[String],
) -> Result<Vec<Option<Value>>, ProbeError> {
    let opened = open(input, encoding).map_err(|e| ProbeError::Unreadable(e.to_string()))?;
    let Some(text) = opened.text else {
        return Err(ProbeError::Unsupported(
            "UTF-16/UTF-32 byte-order mark: the page is not in an encoding costwatch reads".into(),
        ));
    };
    let mut found = vec![None; pointers.len()];
    // The parser does not look inside the strings it skips: bytes that are not UTF-8 are
    // watched for here, so that a page the reader would refuse is refused (and retried) now.
    let mut watched = BufReader::new(Utf8Watch::new(Counting::new(text, None)));
    let mut de = serde_json::Deserializer::from_reader(&mut watched);
    let parsed = Probe {
        at: String::new(),
        wanted: pointers,
        found: &mut found,
        here: None,
    }
    .deserialize(&mut de)
    .and_then(|()| de.end());
    // Bad bytes first: they may be what broke the parse.
    if encoding == Encoding::Utf8
        && let Some(at) = watched.get_ref().bad_at
    {
        return Err(ProbeError::NotUtf8(at));
    }
    parsed.map_err(|e| ProbeError::Unreadable(e.to_string()))?;
    Ok(found)
}

/// Why a page could not be probed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ProbeError {
    /// Bytes that are not UTF-8, at this offset of the decompressed text.
    #[error("bytes that are not UTF-8 at byte {0} of the decompressed page")]
    NotUtf8(u64),
    /// Not whole JSON (cut short, trailing data), or not readable at all.
    #[error("{0}")]
    Unreadable(String),
    /// An encoding the reader does not decode (UTF-16, UTF-32).
    #[error("{0}")]
    Unsupported(String),
}

impl ProbeError {
    /// The reason a file's reader gives for the same fault, so that a page and a file say
    /// alike why they were set aside.
    pub fn reason(&self) -> Reason {
        match self {
            ProbeError::NotUtf8(_) => Reason::InvalidUtf8,
            ProbeError::Unreadable(_) => Reason::InvalidJson,
            ProbeError::Unsupported(_) => Reason::UnsupportedEncoding,
        }
    }
}

/// One node of a probed document: noted when a pointer names it, walked when a pointer runs
/// through it, skipped otherwise.
struct Probe<'a> {
    at: String,
    wanted: &'a [String],
    found: &'a mut [Option<Value>],
    /// The wanted pointer that names this node.
    here: Option<usize>,
}

impl Probe<'_> {
    fn child(&mut self, at: String) -> Probe<'_> {
        Probe {
            at,
            wanted: self.wanted,
            found: &mut *self.found,
            here: None,
        }
    }

    /// Keeps `v` when a pointer names this node.
    fn note<Er>(self, v: impl Into<Value>) -> Result<(), Er> {
        if let Some(i) = self.here {
            self.found[i] = Some(v.into());
        }
        Ok(())
    }
}

impl<'de> DeserializeSeed<'de> for Probe<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        // An empty pointer names the whole document, which is never kept: it stands for a
        // value the caller does not want.
        let here = self
            .wanted
            .iter()
            .position(|w| !w.is_empty() && *w == self.at);
        let inside = self.wanted.iter().any(|w| {
            !w.is_empty()
                && w.strip_prefix(self.at.as_str())
                    .is_some_and(|rest| rest.starts_with('/'))
        });
        if here.is_some() || inside {
            d.deserialize_any(Probe { here, ..self })
        } else {
            de::IgnoredAny::deserialize(d).map(|_| ())
        }
    }
}

impl<'de> Visitor<'de> for Probe<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            let token = key.replace('~', "~0").replace('/', "~1");
            let at = format!("{}/{token}", self.at);
            map.next_value_seed(self.child(at))?;
        }
        self.note(Value::Object(serde_json::Map::new()))
    }

    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<(), A::Error> {
        let mut i = 0usize;
        loop {
            let at = format!("{}/{i}", self.at);
            if seq.next_element_seed(self.child(at))?.is_none() {
                break;
            }
            i += 1;
        }
        self.note(Value::Array(Vec::new()))
    }

    fn visit_bool<Er: de::Error>(self, v: bool) -> Result<(), Er> {
        self.note(v)
    }
    fn visit_i64<Er: de::Error>(self, v: i64) -> Result<(), Er> {
        self.note(v)
    }
    fn visit_u64<Er: de::Error>(self, v: u64) -> Result<(), Er> {
        self.note(v)
    }
    fn visit_f64<Er: de::Error>(self, v: f64) -> Result<(), Er> {
        self.note(v)
    }
    fn visit_str<Er: de::Error>(self, v: &str) -> Result<(), Er> {
        self.note(v)
    }
    fn visit_unit<Er: de::Error>(self) -> Result<(), Er> {
        self.note(())
    }
}

struct State<E> {
    summary: Summary,
    sink_error: Option<E>,
    budget: std::rc::Rc<Budget>,
    /// The release packages' uris seen so far.
    uris: Uris,
    /// Where the package sits in a wrapping document (`package_pointer`), and its tokens.
    pointer: String,
    segments: Vec<String>,
}

/// Whether one input's releases share one package uri.
#[derive(Default)]
enum Uris {
    #[default]
    Unseen,
    One(String),
    /// Several, or a package without one: no release gets an address rather than a wrong one.
    Mixed,
}

impl<E> State<E> {
    /// Notes a package's `uri`, which with `#` and a release id addresses each release the
    /// package holds (a record package's embedded releases too; its linked releases carry their
    /// own `url`).
    fn note_package_uri(&mut self, package: &Map<String, Value>) {
        let uri = package
            .get("uri")
            .and_then(Value::as_str)
            .filter(|u| !u.trim().is_empty());
        self.uris = match (std::mem::take(&mut self.uris), uri) {
            (Uris::Unseen, Some(u)) => Uris::One(u.to_string()),
            (Uris::One(seen), Some(u)) if seen == u => Uris::One(seen),
            _ => Uris::Mixed,
        };
        self.summary.package_uri = match &self.uris {
            Uris::One(u) => Some(u.clone()),
            _ => None,
        };
    }

    /// The wrapping document has nothing at `package_pointer`: the input is rejected whole.
    fn no_package(&mut self) {
        self.summary.issues.push(Issue {
            reason: Reason::NotOcds,
            detail: format!("no package at `{}` (package_pointer)", self.pointer),
            line: None,
            offset: None,
            fatal: true,
        });
    }

    fn issue(&mut self, reason: Reason, detail: String, line: Option<u64>, offset: Option<u64>) {
        self.summary.issues.push(Issue {
            reason,
            detail,
            line,
            offset,
            fatal: false,
        });
    }
}

fn read_text<'a, E, F>(
    mut text: Box<dyn BufRead + 'a>,
    strict_utf8: bool,
    state: &mut State<E>,
    sink: &mut F,
) -> Result<(), ReadError<E>>
where
    E: std::error::Error + 'static,
    F: FnMut(Item) -> Result<(), E>,
{
    // Probe the first non-blank line: when it is a whole JSON value and more data follows,
    // the input is JSON lines, and each line stands or falls on its own.
    let mut skipped_lines = 0u64;
    let mut first = Vec::new();
    loop {
        first.clear();
        let n = (&mut text)
            .take(MAX_PROBE_LINE_BYTES as u64)
            .read_until(b'\n', &mut first)?;
        if n == 0 || !first.iter().all(u8::is_ascii_whitespace) {
            break;
        }
        skipped_lines += 1;
    }
    if first.is_empty() {
        state.summary.issues.push(Issue {
            reason: Reason::Empty,
            detail: "no JSON value in the input".into(),
            line: None,
            offset: Some(0),
            fatal: true,
        });
        return Ok(());
    }
    let line_complete = first.ends_with(b"\n");
    let first_parses = line_complete && serde_json::from_slice::<de::IgnoredAny>(&first).is_ok();
    if first_parses {
        let rest_has_data = loop {
            let buf = text.fill_buf()?;
            if buf.is_empty() {
                break false;
            }
            if let Some(pos) = buf.iter().position(|b| !b.is_ascii_whitespace()) {
                text.consume(pos);
                break true;
            }
            let len = buf.len();
            text.consume(len);
        };
        if rest_has_data {
            state.summary.layout = Layout::JsonLines;
            return read_lines(
                Cursor::new(first).chain(text),
                skipped_lines,
                strict_utf8,
                state,
                sink,
            );
        }
        // One value on the first line and nothing after it: a document.
        return read_document(Cursor::new(first), skipped_lines, strict_utf8, state, sink);
    }
    // A first line that does not parse may still open JSON lines whose first record is bad:
    // then the next non-blank line is a whole object on its own, which no line of a
    // pretty-printed document is after anything but a lone `[` or `{`.
    let mut second = Vec::new();
    if line_complete {
        loop {
            let at = second.len();
            let n = (&mut text)
                .take(MAX_PROBE_LINE_BYTES as u64)
                .read_until(b'\n', &mut second)?;
            if n == 0 || !second[at..].iter().all(u8::is_ascii_whitespace) {
                let line = &second[at..];
                let opener = matches!(
                    std::str::from_utf8(&first).map(str::trim),
                    Ok("[" | "{" | "[{")
                );
                let object =
                    serde_json::from_slice::<Map<String, Value>>(line).is_ok() && !line.is_empty();
                if object && !opener {
                    state.summary.layout = Layout::JsonLines;
                    return read_lines(
                        Cursor::new(first).chain(Cursor::new(second)).chain(text),
                        skipped_lines,
                        strict_utf8,
                        state,
                        sink,
                    );
                }
                break;
            }
        }
    }
    read_document(
        Cursor::new(first).chain(Cursor::new(second)).chain(text),
        skipped_lines,
        strict_utf8,
        state,
        sink,
    )
}

/// One JSON line waiting in a batch.
struct Line {
    no: u64,
    start: u64,
    bytes: Vec<u8>,
}

/// Lines parsed together: enough to keep every core busy, little enough to stay small.
const LINE_BATCH: usize = 256;
const LINE_BATCH_BYTES: usize = 16 * 1024 * 1024;

fn read_lines<R, E, F>(
    mut input: R,
    first_line: u64,
    strict_utf8: bool,
    state: &mut State<E>,
    sink: &mut F,
) -> Result<(), ReadError<E>>
where
    R: BufRead,
    E: std::error::Error + 'static,
    F: FnMut(Item) -> Result<(), E>,
{
    let mut line_no = first_line;
    let mut offset = 0u64;
    let mut batch: Vec<Line> = Vec::with_capacity(LINE_BATCH);
    let mut batch_bytes = 0usize;
    let limit = state.budget.limit;
    loop {
        let mut buf = Vec::new();
        let n = (&mut input).take(limit).read_until(b'\n', &mut buf)?;
        if n == 0 {
            return parse_lines(&mut batch, strict_utf8, state, sink);
        }
        if n as u64 == limit && !buf.ends_with(b"\n") {
            // Longer than the limit: skip to the end of the line without keeping it.
            let mut size = n as u64;
            loop {
                let chunk = input.fill_buf()?;
                if chunk.is_empty() {
                    break;
                }
                match chunk.iter().position(|b| *b == b'\n') {
                    Some(pos) => {
                        input.consume(pos + 1);
                        size += pos as u64 + 1;
                        break;
                    }
                    None => {
                        let len = chunk.len();
                        input.consume(len);
                        size += len as u64;
                    }
                }
            }
            line_no += 1;
            // The lines before it first, so that issues keep the order of the file.
            parse_lines(&mut batch, strict_utf8, state, sink)?;
            batch_bytes = 0;
            state.issue(
                Reason::TooLarge,
                format!("line {line_no}: {size} bytes, more than the limit of {limit} bytes"),
                Some(line_no),
                Some(offset),
            );
            offset += size;
            continue;
        }
        line_no += 1;
        let start = offset;
        offset += n as u64;
        if buf.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        batch_bytes += buf.len();
        batch.push(Line {
            no: line_no,
            start,
            bytes: buf,
        });
        if batch.len() >= LINE_BATCH || batch_bytes >= LINE_BATCH_BYTES {
            parse_lines(&mut batch, strict_utf8, state, sink)?;
            batch_bytes = 0;
        }
    }
}

/// Parses a batch of lines on every core, then classifies them in file order.
fn parse_lines<E, F>(
    batch: &mut Vec<Line>,
    strict_utf8: bool,
    state: &mut State<E>,
    sink: &mut F,
) -> Result<(), ReadError<E>>
where
    E: std::error::Error + 'static,
    F: FnMut(Item) -> Result<(), E>,
{
    use rayon::prelude::*;
    enum Parsed {
        /// One release alone: what `dispatch` would make of it, without building its value.
        Release(ReleaseLine),
        Json(Value),
        NotUtf8(usize),
        Invalid(serde_json::Error),
    }
    let parsed: Vec<Parsed> = batch
        .par_iter()
        .map(|line| match std::str::from_utf8(&line.bytes) {
            Err(e) => Parsed::NotUtf8(e.valid_up_to()),
            Ok(text) => match ReleaseLine::read(text) {
                Some(release) => Parsed::Release(release),
                None => match serde_json::from_str::<Value>(text) {
                    Ok(v) => Parsed::Json(v),
                    Err(e) => Parsed::Invalid(e),
                },
            },
        })
        .collect();
    for (line, parsed) in batch.drain(..).zip(parsed) {
        let line_no = line.no;
        match parsed {
            Parsed::Release(release) => {
                emit(Item::Line(release), state, sink).map_err(ReadError::Sink)?;
            }
            Parsed::Json(value) => {
                let where_ = format!("line {line_no}");
                dispatch(value, &where_, Some(line_no), state, sink)?;
            }
            Parsed::NotUtf8(valid) => {
                let at = line.start + valid as u64;
                if strict_utf8 {
                    return Err(ReadError::NotUtf8(at));
                }
                state.issue(
                    Reason::InvalidUtf8,
                    format!("line {line_no}: bytes that are not UTF-8"),
                    Some(line_no),
                    Some(at),
                );
            }
            Parsed::Invalid(e) => state.issue(
                Reason::InvalidJson,
                format!("line {line_no}: {e}"),
                Some(line_no),
                Some(line.start),
            ),
        }
    }
    Ok(())
}

fn read_document<R, E, F>(
    input: R,
    skipped_lines: u64,
    strict_utf8: bool,
    state: &mut State<E>,
    sink: &mut F,
) -> Result<(), ReadError<E>>
where
    R: Read,
    E: std::error::Error + 'static,
    F: FnMut(Item) -> Result<(), E>,
{
    let budget = std::rc::Rc::clone(&state.budget);
    let mut watched = BufReader::new(Utf8Watch::new(Counting::new(input, Some(budget))));
    let mut values = 0u64;
    loop {
        // Skip whitespace between concatenated values; stop at the end.
        let more = loop {
            let buf = watched.fill_buf()?;
            if buf.is_empty() {
                break false;
            }
            match buf.iter().position(|b| !b.is_ascii_whitespace()) {
                Some(pos) => {
                    watched.consume(pos);
                    break true;
                }
                None => {
                    let len = buf.len();
                    watched.consume(len);
                }
            }
        };
        if !more {
            if values == 0 {
                state.summary.issues.push(Issue {
                    reason: Reason::Empty,
                    detail: "no JSON value in the input".into(),
                    line: None,
                    offset: Some(0),
                    fatal: true,
                });
            }
            return Ok(());
        }
        values += 1;
        let mut de = serde_json::Deserializer::from_reader(&mut watched);
        let descend = state.segments.clone();
        let seed = TopSeed {
            state: &mut *state,
            sink: &mut *sink,
            path: if values == 1 {
                String::new()
            } else {
                format!("value {values}")
            },
            descend,
        };
        let result = seed.deserialize(&mut de);
        if let Err(e) = result {
            if let Some(err) = state.sink_error.take() {
                return Err(ReadError::Sink(err));
            }
            if let Some(at) = state.budget.exceeded.get() {
                let limit = state.budget.limit;
                state.summary.issues.push(Issue {
                    reason: Reason::TooLarge,
                    detail: format!(
                        "a value starting near byte {at} is larger than the limit of {limit} bytes; the input is set aside unread past it"
                    ),
                    line: None,
                    offset: Some(at),
                    fatal: true,
                });
                return Ok(());
            }
            let bad = watched.get_ref().bad_at;
            let offset = watched.get_ref().inner.count;
            if let Some(at) = bad
                && strict_utf8
            {
                return Err(ReadError::NotUtf8(at));
            }
            let (reason, detail) = match bad {
                Some(at) => (
                    Reason::InvalidUtf8,
                    format!("bytes that are not UTF-8 at byte {at}"),
                ),
                None => (Reason::InvalidJson, e.to_string()),
            };
            let line = e.line() as u64;
            let line = (line > 0).then_some(line + skipped_lines);
            state.summary.issues.push(Issue {
                reason,
                detail,
                line,
                offset: Some(offset),
                fatal: true,
            });
            return Ok(());
        }
    }
}

/// Classifies a value that was read whole (a JSON line) and sends its items on.
fn dispatch<E, F>(
    value: Value,
    where_: &str,
    line: Option<u64>,
    state: &mut State<E>,
    sink: &mut F,
) -> Result<(), ReadError<E>>
where
    E: std::error::Error + 'static,
    F: FnMut(Item) -> Result<(), E>,
{
    match value {
        Value::Object(map) => {
            let mut items = Vec::new();
            classify_object(map, where_, line, state, &mut items);
            for item in items {
                emit(item, state, sink).map_err(ReadError::Sink)?;
            }
        }
        Value::Array(values) => {
            for (i, v) in values.into_iter().enumerate() {
                dispatch(v, &format!("{where_}/{i}"), line, state, sink)?;
            }
        }
        other => state.issue(
            Reason::NotOcds,
            format!(
                "{where_}: a {} is not an OCDS release, record or package",
                kind(&other)
            ),
            line,
            None,
        ),
    }
    Ok(())
}

fn emit<E, F>(item: Item, state: &mut State<E>, sink: &mut F) -> Result<(), E>
where
    F: FnMut(Item) -> Result<(), E>,
{
    match item {
        Item::Link { .. } => state.summary.linked_releases += 1,
        Item::Release(_) | Item::Line(_) | Item::Compiled(_) => state.summary.items += 1,
    }
    sink(item)
}

/// Turns a whole object into items: a package (releases or records), a record or a release.
/// JSON lines skip it for a line [`ReleaseLine::read`] accepts: change both together.
fn classify_object<E>(
    mut map: Map<String, Value>,
    where_: &str,
    line: Option<u64>,
    state: &mut State<E>,
    out: &mut Vec<Item>,
) {
    let [releases, records, compiled] = CONTAINER_KEYS.map(|k| map.remove(k));
    let is_record = map.contains_key("ocid") && (releases.is_some() || compiled.is_some());
    if is_record {
        let ocid = map.get("ocid").cloned();
        record_items(ocid, releases, compiled, where_, line, state, out);
        return;
    }
    if releases.is_some() || records.is_some() {
        state.note_package_uri(&map);
        if let Some(r) = releases {
            release_list(r, &format!("{where_}/releases"), None, line, state, out);
        }
        if let Some(r) = records {
            match r {
                Value::Array(records) => {
                    for (i, rec) in records.into_iter().enumerate() {
                        record_value(rec, &format!("{where_}/records/{i}"), line, state, out);
                    }
                }
                other => state.issue(
                    Reason::NotOcds,
                    format!(
                        "{where_}/records: expected an array, found a {}",
                        kind(&other)
                    ),
                    line,
                    None,
                ),
            }
        }
        return;
    }
    if is_release(&map) {
        out.push(Item::Release(Value::Object(map)));
        return;
    }
    let (reason, detail) = if is_package_metadata(&map) {
        (
            Reason::EmptyPackage,
            format!("{where_}: a package with neither `releases` nor `records`"),
        )
    } else {
        (
            Reason::NotOcds,
            format!(
                "{where_}: an object without `ocid` and `id` is not an OCDS release, record or package"
            ),
        )
    };
    state.issue(
        reason,
        detail.trim_start_matches(": ").to_string(),
        line,
        None,
    );
}

fn record_value<E>(
    rec: Value,
    where_: &str,
    line: Option<u64>,
    state: &mut State<E>,
    out: &mut Vec<Item>,
) {
    match rec {
        Value::Object(mut map) => {
            let releases = map.remove("releases");
            let compiled = map.remove("compiledRelease");
            record_items(
                map.remove("ocid"),
                releases,
                compiled,
                where_,
                line,
                state,
                out,
            );
        }
        other => state.issue(
            Reason::NotOcds,
            format!(
                "{where_}: a record must be an object, found a {}",
                kind(&other)
            ),
            line,
            None,
        ),
    }
}

fn record_items<E>(
    ocid: Option<Value>,
    releases: Option<Value>,
    compiled: Option<Value>,
    where_: &str,
    line: Option<u64>,
    state: &mut State<E>,
    out: &mut Vec<Item>,
) {
    if let Some(r) = releases {
        let record_ocid = ocid.as_ref().and_then(Value::as_str);
        release_list(
            r,
            &format!("{where_}/releases"),
            record_ocid,
            line,
            state,
            out,
        );
    }
    match compiled {
        Some(Value::Object(mut c)) => {
            if !c.contains_key("ocid")
                && let Some(o) = ocid
            {
                c.insert("ocid".into(), o);
            }
            if c.get("ocid").and_then(Value::as_str).is_some() {
                out.push(Item::Compiled(Value::Object(c)));
            } else {
                state.issue(
                    Reason::NotOcds,
                    format!("{where_}/compiledRelease: no `ocid`"),
                    line,
                    None,
                );
            }
        }
        Some(other) => state.issue(
            Reason::NotOcds,
            format!(
                "{where_}/compiledRelease: expected an object, found a {}",
                kind(&other)
            ),
            line,
            None,
        ),
        None => {}
    }
}

fn release_list<E>(
    value: Value,
    where_: &str,
    record_ocid: Option<&str>,
    line: Option<u64>,
    state: &mut State<E>,
    out: &mut Vec<Item>,
) {
    match value {
        Value::Array(items) => {
            for (i, v) in items.into_iter().enumerate() {
                release_value(v, &format!("{where_}/{i}"), record_ocid, line, state, out);
            }
        }
        other => state.issue(
            Reason::NotOcds,
            format!("{where_}: expected an array, found a {}", kind(&other)),
            line,
            None,
        ),
    }
}

fn release_value<E>(
    v: Value,
    where_: &str,
    record_ocid: Option<&str>,
    line: Option<u64>,
    state: &mut State<E>,
    out: &mut Vec<Item>,
) {
    match v {
        Value::Object(map) if is_release(&map) => {
            out.push(Item::Release(Value::Object(map)));
        }
        // `Some("")`: a record whose ocid is not known yet; the caller fills it in.
        Value::Object(map) if is_linked_release(&map) => match record_ocid {
            Some(ocid) => out.push(Item::Link {
                ocid: ocid.to_string(),
                link: Value::Object(map),
            }),
            None => state.issue(
                Reason::NotOcds,
                format!(
                    "{where_}: a linked release outside a record: {}",
                    preview(&Value::Object(map))
                ),
                line,
                None,
            ),
        },
        other => state.issue(
            Reason::NotOcds,
            format!(
                "{where_}: not a release (needs string `ocid` and `id`): {}",
                preview(&other)
            ),
            line,
            None,
        ),
    }
}

fn is_release(map: &Map<String, Value>) -> bool {
    map.get("ocid").and_then(Value::as_str).is_some()
        && matches!(map.get("id"), Some(Value::String(_) | Value::Number(_)))
}

fn is_linked_release(map: &Map<String, Value>) -> bool {
    matches!(map.get("url"), Some(Value::String(_))) && !map.contains_key("ocid")
}

fn is_package_metadata(map: &Map<String, Value>) -> bool {
    map.contains_key("publisher") || map.contains_key("publishedDate") || map.contains_key("uri")
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn preview(v: &Value) -> String {
    let mut s = v.to_string();
    if s.len() > 80 {
        let cut = (0..=80).rev().find(|i| s.is_char_boundary(*i)).unwrap_or(0);
        s.truncate(cut);
        s.push('…');
    }
    s
}

// ---- streaming deserialisation of one top-level value -------------------------------------

struct TopSeed<'a, E, F> {
    state: &'a mut State<E>,
    sink: &'a mut F,
    path: String,
    /// The `package_pointer` tokens still to follow before the package starts.
    descend: Vec<String>,
}

impl<'de, E, F> DeserializeSeed<'de> for TopSeed<'_, E, F>
where
    E: std::error::Error + 'static,
    F: FnMut(Item) -> Result<(), E>,
{
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, E, F> Visitor<'de> for TopSeed<'_, E, F>
where
    E: std::error::Error + 'static,
    F: FnMut(Item) -> Result<(), E>,
{
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an OCDS package, record, release or an array of them")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        if let Some((head, tail)) = self.descend.split_first() {
            let mut found = false;
            while let Some(key) = map.next_key::<String>()? {
                if !found && key == *head {
                    found = true;
                    map.next_value_seed(TopSeed {
                        state: &mut *self.state,
                        sink: &mut *self.sink,
                        path: join(&self.path, &key),
                        descend: tail.to_vec(),
                    })?;
                } else {
                    map.next_value::<de::IgnoredAny>()?;
                }
            }
            if !found {
                self.state.no_package();
            }
            return Ok(());
        }
        // Keys other than `releases`/`records` are kept; the two big arrays are streamed.
        let mut rest = Map::new();
        let mut streamed = false;
        let mut links = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            if key == "releases" || key == "records" {
                let where_ = join(&self.path, &key);
                map.next_value_seed(ListSeed {
                    state: &mut *self.state,
                    sink: &mut *self.sink,
                    path: where_,
                    records: key == "records",
                    links: &mut links,
                })?;
                streamed = true;
            } else {
                self.state.budget.start();
                let v = map.next_value::<Value>();
                self.state.budget.end();
                rest.insert(key, v?);
            }
        }
        let is_record = streamed && rest.contains_key("ocid");
        if streamed && !is_record {
            self.state.note_package_uri(&rest);
        }
        let ocid = rest.get("ocid").and_then(Value::as_str).map(str::to_string);
        let mut items = Vec::new();
        for (at, link) in links {
            match (&ocid, is_record) {
                (Some(ocid), true) => items.push(Item::Link {
                    ocid: ocid.clone(),
                    link,
                }),
                _ => self.state.issue(
                    Reason::NotOcds,
                    format!(
                        "{at}: a linked release outside a record: {}",
                        preview(&link)
                    ),
                    None,
                    None,
                ),
            }
        }
        if streamed && !is_record {
            // A package: its items were streamed; links here had no record (reported above).
            return Ok(());
        }
        // A record holding `releases` was streamed too; what is left is its compiled release.
        if is_record {
            let compiled = rest.remove("compiledRelease");
            let ocid = rest.get("ocid").cloned();
            record_items(
                ocid, None, compiled, &self.path, None, self.state, &mut items,
            );
        } else {
            classify_object(rest, &self.path, None, self.state, &mut items);
        }
        for item in items {
            if let Err(e) = emit(item, self.state, self.sink) {
                self.state.sink_error = Some(e);
                return Err(de::Error::custom("sink error"));
            }
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        if let Some((head, tail)) = self.descend.split_first() {
            // An array index as JSON Pointer writes one: digits, no leading zero, no sign.
            let wanted = (head == "0" || !head.starts_with('0'))
                .then(|| {
                    head.bytes()
                        .all(|b| b.is_ascii_digit())
                        .then(|| head.parse::<usize>().ok())
                })
                .flatten()
                .flatten();
            let mut i = 0usize;
            while i != wanted.unwrap_or(usize::MAX) {
                if seq.next_element::<de::IgnoredAny>()?.is_none() {
                    self.state.no_package();
                    return Ok(());
                }
                i += 1;
            }
            let seed = TopSeed {
                state: &mut *self.state,
                sink: &mut *self.sink,
                path: join(&self.path, head),
                descend: tail.to_vec(),
            };
            if seq.next_element_seed(seed)?.is_none() {
                self.state.no_package();
            }
            while seq.next_element::<de::IgnoredAny>()?.is_some() {}
            return Ok(());
        }
        let mut i = 0usize;
        loop {
            let seed = TopSeed {
                state: &mut *self.state,
                sink: &mut *self.sink,
                path: join(&self.path, &i.to_string()),
                descend: Vec::new(),
            };
            if seq.next_element_seed(seed)?.is_none() {
                return Ok(());
            }
            i += 1;
        }
    }

    fn visit_bool<Er: de::Error>(self, _: bool) -> Result<(), Er> {
        self.scalar("boolean");
        Ok(())
    }
    fn visit_i64<Er: de::Error>(self, _: i64) -> Result<(), Er> {
        self.scalar("number");
        Ok(())
    }
    fn visit_u64<Er: de::Error>(self, _: u64) -> Result<(), Er> {
        self.scalar("number");
        Ok(())
    }
    fn visit_f64<Er: de::Error>(self, _: f64) -> Result<(), Er> {
        self.scalar("number");
        Ok(())
    }
    fn visit_str<Er: de::Error>(self, _: &str) -> Result<(), Er> {
        self.scalar("string");
        Ok(())
    }
    fn visit_unit<Er: de::Error>(self) -> Result<(), Er> {
        self.scalar("null");
        Ok(())
    }
}

impl<E, F> TopSeed<'_, E, F> {
    fn scalar(self, what: &str) {
        if !self.descend.is_empty() {
            self.state.no_package();
            return;
        }
        let at = if self.path.is_empty() {
            "the input".to_string()
        } else {
            format!("/{}", self.path)
        };
        self.state.issue(
            Reason::NotOcds,
            format!("{at}: a {what} is not an OCDS release, record or package"),
            None,
            None,
        );
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}/{key}")
    }
}

/// Streams the elements of a package's `releases` or `records` array.
struct ListSeed<'a, E, F> {
    state: &'a mut State<E>,
    sink: &'a mut F,
    path: String,
    records: bool,
    /// Linked releases of a `releases` array, held until the object around it shows whether
    /// it is a record (and which ocid) or a package (where they do not belong).
    links: &'a mut Vec<(String, Value)>,
}

impl<'de, E, F> DeserializeSeed<'de> for ListSeed<'_, E, F>
where
    E: std::error::Error + 'static,
    F: FnMut(Item) -> Result<(), E>,
{
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, E, F> Visitor<'de> for ListSeed<'_, E, F>
where
    E: std::error::Error + 'static,
    F: FnMut(Item) -> Result<(), E>,
{
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut i = 0usize;
        loop {
            self.state.budget.start();
            let next = seq.next_element::<Value>();
            self.state.budget.end();
            let Some(v) = next? else { break };
            let where_ = format!("/{}/{i}", self.path);
            let mut items = Vec::new();
            if self.records {
                record_value(v, &where_, None, self.state, &mut items);
            } else {
                // `Some("")`: perhaps a record whose ocid comes later.
                release_value(v, &where_, Some(""), None, self.state, &mut items);
            }
            for item in items {
                let item = match item {
                    Item::Link { ocid, link } if ocid.is_empty() => {
                        self.links.push((where_.clone(), link));
                        continue;
                    }
                    other => other,
                };
                if let Err(e) = emit(item, self.state, self.sink) {
                    self.state.sink_error = Some(e);
                    return Err(de::Error::custom("sink error"));
                }
            }
            i += 1;
        }
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while map
            .next_entry::<de::IgnoredAny, de::IgnoredAny>()?
            .is_some()
        {}
        self.not_array("object");
        Ok(())
    }
    fn visit_str<Er: de::Error>(self, _: &str) -> Result<(), Er> {
        self.not_array("string");
        Ok(())
    }
    fn visit_i64<Er: de::Error>(self, _: i64) -> Result<(), Er> {
        self.not_array("number");
        Ok(())
    }
    fn visit_u64<Er: de::Error>(self, _: u64) -> Result<(), Er> {
        self.not_array("number");
        Ok(())
    }
    fn visit_f64<Er: de::Error>(self, _: f64) -> Result<(), Er> {
        self.not_array("number");
        Ok(())
    }
    fn visit_bool<Er: de::Error>(self, _: bool) -> Result<(), Er> {
        self.not_array("boolean");
        Ok(())
    }
    fn visit_unit<Er: de::Error>(self) -> Result<(), Er> {
        self.not_array("null");
        Ok(())
    }
}

impl<E, F> ListSeed<'_, E, F> {
    fn not_array(self, what: &str) {
        self.state.issue(
            Reason::NotOcds,
            format!("/{}: expected an array, found a {what}", self.path),
            None,
            None,
        );
    }
}

// ---- byte-level helpers ----------------------------------------------------------------

/// Counts the bytes read through it, for error offsets, and stops an item that runs past its
/// budget (the parser then fails at once instead of growing a value without end).
struct Counting<R> {
    inner: R,
    count: u64,
    budget: Option<std::rc::Rc<Budget>>,
}

impl<R> Counting<R> {
    fn new(inner: R, budget: Option<std::rc::Rc<Budget>>) -> Self {
        Counting {
            inner,
            count: 0,
            budget,
        }
    }
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(b) = &self.budget
            && let Some(deadline) = b.deadline.get()
            && self.count > deadline
        {
            b.exceeded.set(Some(deadline.saturating_sub(b.limit)));
            return Err(io::Error::other("item larger than the limit"));
        }
        let n = self.inner.read(buf)?;
        self.count += n as u64;
        if let Some(b) = &self.budget {
            b.count.set(self.count);
        }
        Ok(n)
    }
}

/// Passes bytes through and remembers the offset of the first byte that is not UTF-8, so a
/// parser error can be told apart from an encoding problem.
struct Utf8Watch<R> {
    inner: Counting<R>,
    pending: Vec<u8>,
    bad_at: Option<u64>,
}

impl<R> Utf8Watch<R> {
    fn new(inner: Counting<R>) -> Self {
        Utf8Watch {
            inner,
            pending: Vec::new(),
            bad_at: None,
        }
    }
}

impl<R: Read> Read for Utf8Watch<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let start = self.inner.count;
        let n = self.inner.read(buf)?;
        if self.bad_at.is_some() {
            return Ok(n);
        }
        if n == 0 {
            if !self.pending.is_empty() {
                self.bad_at = Some(start - self.pending.len() as u64);
            }
            return Ok(0);
        }
        let base = start - self.pending.len() as u64;
        let mut data = std::mem::take(&mut self.pending);
        data.extend_from_slice(&buf[..n]);
        if let Err(e) = std::str::from_utf8(&data) {
            match e.error_len() {
                Some(_) => self.bad_at = Some(base + e.valid_up_to() as u64),
                // An incomplete sequence at the end of the chunk: finish it on the next read.
                None => self.pending = data[e.valid_up_to()..].to_vec(),
            }
        }
        Ok(n)
    }
}

/// Decodes ISO-8859-1 into UTF-8: every byte is the code point of the same value.
struct Latin1ToUtf8<R> {
    inner: R,
    carry: Option<u8>,
}

impl<R> Latin1ToUtf8<R> {
    fn new(inner: R) -> Self {
        Latin1ToUtf8 { inner, carry: None }
    }
}

impl<R: Read> Read for Latin1ToUtf8<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        let mut written = 0;
        if let Some(b) = self.carry.take() {
            out[0] = b;
            written = 1;
        }
        // Read at most half of the room left: each byte may become two.
        let room = (out.len() - written) / 2;
        if room == 0 {
            return Ok(written);
        }
        let mut tmp = vec![0u8; room];
        let n = self.inner.read(&mut tmp)?;
        for &b in &tmp[..n] {
            if b < 0x80 {
                out[written] = b;
                written += 1;
            } else {
                out[written] = 0xC0 | (b >> 6);
                out[written + 1] = 0x80 | (b & 0x3F);
                written += 2;
            }
        }
        Ok(written)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(bytes: &[u8], enc: Option<Encoding>) -> (Vec<Item>, Summary) {
        let mut items = Vec::new();
        let mut sink = |i: Item| -> Result<(), std::io::Error> {
            items.push(i);
            Ok(())
        };
        let summary = match read(bytes, enc, &mut sink) {
            Ok(s) => s,
            Err(ReadError::NotUtf8(_)) => {
                items.clear();
                let mut sink = |i: Item| -> Result<(), std::io::Error> {
                    items.push(i);
                    Ok(())
                };
                read(bytes, Some(Encoding::Latin1), &mut sink).expect("latin1 read")
            }
            Err(e) => panic!("{e}"),
        };
        (items, summary)
    }

    const R1: &str = r#"{"ocid":"ocds-1","id":"1","date":"2020-01-01T00:00:00Z"}"#;

    #[test]
    fn release_package_streams_each_release() {
        let pkg = format!(r#"{{"uri":"x","releases":[{R1},{R1}],"publisher":{{"name":"p"}}}}"#);
        let (items, s) = read_all(pkg.as_bytes(), None);
        assert_eq!(items.len(), 2);
        assert!(s.issues.is_empty());
        assert_eq!(s.layout, Layout::Document);
    }

    #[test]
    fn record_package_yields_releases_and_compiled() {
        let pkg = format!(
            r#"{{"records":[{{"ocid":"ocds-1","releases":[{R1},{{"url":"u#1","date":"d","tag":["tender"]}}],"compiledRelease":{{"ocid":"ocds-1","id":"c"}}}}]}}"#
        );
        let (items, s) = read_all(pkg.as_bytes(), None);
        assert_eq!(items.len(), 3);
        assert!(matches!(items[0], Item::Release(..)));
        match &items[1] {
            Item::Link { ocid, link } => {
                assert_eq!(ocid, "ocds-1");
                assert_eq!(link["url"], "u#1");
            }
            other => panic!("expected a link, got {other:?}"),
        }
        assert!(matches!(items[2], Item::Compiled(_)));
        assert_eq!(s.items, 2, "a link is no release");
        assert_eq!(s.linked_releases, 1);
        assert!(s.issues.is_empty());
    }

    #[test]
    fn a_bare_record_keeps_its_links_whatever_the_key_order_and_a_package_gives_its_uri() {
        // The ocid after the streamed releases: the links wait for it.
        let record = r#"{"releases":[{"url":"https://x/p.json#r1","date":"2024-01-01T00:00:00Z","tag":["tender"]}],"ocid":"ocds-9","compiledRelease":{"ocid":"ocds-9","id":"c"}}"#;
        let (items, s) = read_all(record.as_bytes(), None);
        assert!(s.issues.is_empty(), "{:?}", s.issues);
        assert!(
            matches!(&items[0], Item::Link { ocid, .. } if ocid == "ocds-9"),
            "{items:?}"
        );
        // A linked release in a release package has no record to belong to.
        let bad = r#"{"uri":"https://x/p.json","releases":[{"url":"https://x/q.json#1"}]}"#;
        let (items, s) = read_all(bad.as_bytes(), None);
        assert!(items.is_empty());
        assert_eq!(s.issues.len(), 1);
        assert_eq!(s.package_uri.as_deref(), Some("https://x/p.json"));
        // The uri of a package read as one JSON line.
        let line = format!("{{\"uri\":\"https://x/l.json\",\"releases\":[{R1}]}}\n");
        let (_, s) = read_all(line.as_bytes(), None);
        assert_eq!(s.package_uri.as_deref(), Some("https://x/l.json"));
        // Two lines of one package: one uri. Packages with different uris (or none): no uri,
        // rather than a wrong address for half the releases.
        let lines = format!("{line}{line}");
        let (_, s) = read_all(lines.as_bytes(), None);
        assert_eq!(s.package_uri.as_deref(), Some("https://x/l.json"));
        let other = format!("{{\"uri\":\"https://x/m.json\",\"releases\":[{R1}]}}\n");
        let (_, s) = read_all(format!("{line}{other}").as_bytes(), None);
        assert_eq!(s.package_uri, None);
        // A record package's uri addresses the releases embedded in its records.
        let records = r#"{"uri":"https://x/r.json","records":[{"ocid":"ocds-1","compiledRelease":{"ocid":"ocds-1","id":"c"}}]}"#;
        let (_, s) = read_all(records.as_bytes(), None);
        assert_eq!(s.package_uri.as_deref(), Some("https://x/r.json"));
        // A link needs a text url to be one.
        let bad = r#"{"records":[{"ocid":"ocds-1","releases":[{"url":7}]}]}"#;
        let (items, s) = read_all(bad.as_bytes(), None);
        assert!(
            items.is_empty() && s.issues.len() == 1,
            "{items:?} {:?}",
            s.issues
        );
    }

    #[test]
    fn json_lines_keep_good_lines() {
        let text = format!("{R1}\n{{\"broken\n{R1}\n42\n");
        let (items, s) = read_all(text.as_bytes(), None);
        assert_eq!(items.len(), 2);
        assert_eq!(s.layout, Layout::JsonLines);
        let codes: Vec<_> = s.issues.iter().map(|i| (i.reason, i.line)).collect();
        assert_eq!(
            codes,
            vec![(Reason::InvalidJson, Some(2)), (Reason::NotOcds, Some(4))]
        );
    }

    #[test]
    fn a_line_that_is_one_release_keeps_its_text() {
        // Spaces and an escape the parser would not write back: the text is the line's own.
        let alone = r#"  {"ocid": "ocds-1", "id": "1", "title": "Cami\u00f3n"}  "#;
        let package = r#"{"releases": [{"ocid": "ocds-2", "id": "1"}]}"#;
        let text = format!("{alone}\n{package}\n");
        let (items, _) = read_all(text.as_bytes(), None);
        assert_eq!(items.len(), 2);
        let Item::Line(line) = &items[0] else {
            panic!("a release with its text: {:?}", items[0])
        };
        assert_eq!(line.text, alone.trim());
        assert_eq!((line.ocid.as_str(), line.id.as_str()), ("ocds-1", "1"));
        assert_eq!(line.date, None);
        let v = line.value().expect("parses");
        assert_eq!(v["title"], "Camión");
        assert_eq!(line.hash, crate::util::canonical::content_hash(&v));
        // A release inside a package is written out again from its value.
        assert!(matches!(&items[1], Item::Release(_)));
    }

    #[test]
    fn items_larger_than_the_limit_are_set_aside_with_their_size() {
        let small = "{\"ocid\":\"a\",\"id\":\"1\",\"date\":\"2024-01-01T00:00:00Z\"}";
        let huge = format!(
            "{{\"ocid\":\"b\",\"id\":\"1\",\"title\":\"{}\"}}",
            "x".repeat(100_000)
        );
        // JSON lines: the long line alone goes, the others stay.
        let lines = format!("{small}\n{huge}\n{small}\n");
        let mut items = Vec::new();
        let s = read_limited(
            Cursor::new(lines.into_bytes()),
            Some(Encoding::Utf8),
            10_000,
            &mut |i| -> Result<(), std::io::Error> {
                items.push(i);
                Ok(())
            },
        )
        .expect("read");
        assert_eq!(items.len(), 2);
        assert_eq!(s.issues.len(), 1);
        assert_eq!(s.issues[0].reason, Reason::TooLarge);
        assert!(
            s.issues[0].detail.contains("100033 bytes"),
            "{}",
            s.issues[0].detail
        );
        assert_eq!(s.issues[0].line, Some(2));
        // A package: the document is set aside, without reading the value whole.
        let package = format!("{{\"releases\": [{small}, {huge}]}}");
        let s = read_limited(
            Cursor::new(package.into_bytes()),
            Some(Encoding::Utf8),
            10_000,
            &mut |_| -> Result<(), std::io::Error> { Ok(()) },
        )
        .expect("read");
        assert!(s.is_fatal());
        assert_eq!(s.issues[0].reason, Reason::TooLarge, "{:?}", s.issues);
    }

    /// Found by the package_reader fuzz target: a corrupt deflate stream inside a gzip file.
    #[test]
    fn a_corrupt_gzip_stream_is_an_io_error_not_a_panic() {
        use std::io::Write;
        let package = b"{\"releases\": [{\"ocid\": \"a\", \"id\": \"1\", \"date\": \"2024-01-01T00:00:00Z\", \"tender\": {\"title\": \"obra obra obra obra obra obra obra obra\"}}]}";
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(package).expect("gzip");
        let mut bytes = gz.finish().expect("gzip");
        // Damage the compressed body, past the 10-byte header.
        for b in bytes.iter_mut().skip(12).take(8) {
            *b ^= 0xA5;
        }
        let result = read(Cursor::new(bytes), None, &mut |_| -> Result<
            (),
            std::io::Error,
        > { Ok(()) });
        match result {
            Err(ReadError::Io(_)) => {}
            Ok(s) => assert!(s.is_fatal() || !s.issues.is_empty(), "{s:?}"),
            Err(e) => panic!("unexpected: {e}"),
        }
    }

    #[test]
    fn a_bad_first_line_costs_that_line_only() {
        let text = b"{\"ocid\": \"a\", \"id\": tr\n{\"ocid\":\"b\",\"id\":\"1\",\"date\":\"2024-01-01T00:00:00Z\"}\n\n{\"ocid\":\"c\",\"id\":\"1\",\"date\":\"2024-01-01T00:00:00Z\"}\n";
        let (items, s) = read_all(text, None);
        assert_eq!(items.len(), 2);
        assert_eq!(s.layout, Layout::JsonLines);
        assert_eq!(s.issues.len(), 1);
        assert_eq!(s.issues[0].line, Some(1));
        assert!(!s.issues[0].fatal);
        // A pretty-printed document still reads as one.
        let doc = b"[\n{\"ocid\":\"b\",\"id\":\"1\",\"date\":\"2024-01-01T00:00:00Z\"}\n]\n";
        let (items, s) = read_all(doc, None);
        assert_eq!(items.len(), 1);
        assert!(s.issues.is_empty(), "{:?}", s.issues);
    }

    #[test]
    fn truncated_document_is_fatal() {
        let pkg = format!(r#"{{"releases":[{R1},{{"ocid":"#);
        let (_, s) = read_all(pkg.as_bytes(), None);
        assert!(s.is_fatal());
        assert_eq!(s.issues[0].reason, Reason::InvalidJson);
    }

    #[test]
    fn gzip_is_detected_from_content() {
        use std::io::Write;
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(format!("[{R1}]").as_bytes()).expect("write");
        let bytes = enc.finish().expect("finish");
        let (items, s) = read_all(&bytes, None);
        assert!(s.gzip);
        assert_eq!(items.len(), 1);
    }

    #[test]
    fn latin1_is_retried() {
        let mut bytes = br#"{"ocid":"ocds-1","id":"1","title":"Cami"#.to_vec();
        bytes.push(0xF3); // ó in ISO-8859-1
        bytes.extend_from_slice(b"n\"}");
        let (items, s) = read_all(&bytes, None);
        assert_eq!(s.encoding, Encoding::Latin1);
        let v = match &items[0] {
            Item::Release(v) => v.clone(),
            Item::Line(line) => line.value().expect("parses"),
            other => panic!("not a release: {other:?}"),
        };
        assert_eq!(v["title"], "Camión");
    }

    #[test]
    fn empty_input_and_scalars_are_issues() {
        let (_, s) = read_all(b"  \n ", None);
        assert_eq!(s.issues[0].reason, Reason::Empty);
        let (_, s) = read_all(b"[1, \"x\"]", None);
        assert_eq!(s.issues.len(), 2);
        assert!(s.issues.iter().all(|i| i.reason == Reason::NotOcds));
    }

    fn read_wrapped(bytes: &[u8], pointer: &str) -> (Vec<Item>, Summary) {
        let mut items = Vec::new();
        let mut sink = |i: Item| -> Result<(), std::io::Error> {
            items.push(i);
            Ok(())
        };
        let s = read_at(
            bytes,
            None,
            DEFAULT_MAX_ITEM_BYTES,
            Some(pointer),
            &mut sink,
        )
        .expect("read");
        (items, s)
    }

    #[test]
    fn a_wrapped_package_is_streamed_and_its_wrapper_skipped() {
        let page = format!(
            r#"{{"meta":{{"releases":[{R1}]}},"data/x":[{{"skip":1}},{{"uri":"u","releases":[{R1},{R1}]}}],"links":{{"next":"p2"}}}}"#
        );
        let (items, s) = read_wrapped(page.as_bytes(), "/data~1x/1");
        assert_eq!(items.len(), 2, "only the package at the pointer: {s:?}");
        assert!(s.issues.is_empty(), "{:?}", s.issues);
        assert_eq!(s.package_uri.as_deref(), Some("u"));

        for missing in [
            "/data",
            "/data~1x/2",
            "/data~1x/one",
            "/data~1x/01",
            "/data~1x/+1",
            "/links/next/deeper",
        ] {
            let (items, s) = read_wrapped(page.as_bytes(), missing);
            assert!(items.is_empty());
            assert!(s.is_fatal(), "{missing}");
            assert!(
                s.issues[0]
                    .detail
                    .contains(&format!("no package at `{missing}`")),
                "{:?}",
                s.issues
            );
        }
    }

    #[test]
    fn a_wrapped_package_keeps_the_item_limit() {
        let big = "x".repeat(300_000);
        let page = format!(
            r#"{{"package":{{"releases":[{{"ocid":"ocds-1","id":"1","title":"{big}"}}]}}}}"#
        );
        let mut sink = |_: Item| -> Result<(), std::io::Error> { Ok(()) };
        let s = read_at(page.as_bytes(), None, 1024, Some("/package"), &mut sink).expect("read");
        assert!(s.is_fatal());
        assert_eq!(s.issues[0].reason, Reason::TooLarge);
    }

    #[test]
    fn probe_finds_small_values_and_refuses_a_cut_page() {
        let page = format!(
            r#"{{"pages":"7","links":{{"next":"p2"}},"package":{{"releases":[{R1}]}},"a/b":{{"~":1}}}}"#
        );
        let wanted: Vec<String> = [
            "/links/next",
            "/pages",
            "/package/releases/0/id",
            "/nope",
            "/a~1b/~0",
            "/links",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let found = probe(page.as_bytes(), Encoding::Utf8, &wanted).expect("probe");
        assert_eq!(found[0], Some(Value::from("p2")));
        assert_eq!(found[1], Some(Value::from("7")));
        assert_eq!(found[2], Some(Value::from("1")));
        assert_eq!(found[3], None);
        assert_eq!(found[4], Some(Value::from(1)));
        // A container is noted as there, by its kind, not built.
        assert_eq!(found[5], Some(Value::Object(serde_json::Map::new())));

        // An empty pointer never takes the page whole.
        let none = probe(page.as_bytes(), Encoding::Utf8, &[String::new()]).expect("probe");
        assert_eq!(none, vec![None]);

        let cut = &page.as_bytes()[..page.len() - 3];
        assert!(probe(cut, Encoding::Utf8, &wanted).is_err());
        let trailing = format!("{page} {{}}");
        assert!(probe(trailing.as_bytes(), Encoding::Utf8, &wanted).is_err());
    }

    #[test]
    fn probe_reads_gzip_and_latin1() {
        use std::io::Write;
        let mut body = br#"{"links":{"next":"p"#.to_vec();
        body.push(0xE1); // á in ISO-8859-1
        body.extend_from_slice(br#""}}"#);
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(&body).expect("write");
        let gz = enc.finish().expect("finish");
        let wanted = vec!["/links/next".to_string()];
        assert!(probe(&gz[..], Encoding::Utf8, &wanted).is_err());
        // Also where the bad byte sits in a value the probe skips.
        let skipped = b"{\"releases\": [{\"title\": \"Cami\xf3n\"}], \"links\": {}}";
        let e = probe(&skipped[..], Encoding::Utf8, &wanted).expect_err("not UTF-8");
        assert!(matches!(e, ProbeError::NotUtf8(_)), "{e}");
        assert!(probe(&skipped[..], Encoding::Latin1, &wanted).is_ok());
        let found = probe(&gz[..], Encoding::Latin1, &wanted).expect("latin1");
        assert_eq!(found[0], Some(Value::from("pá")));
    }
}
