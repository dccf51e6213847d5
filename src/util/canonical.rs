//! The canonical form of a JSON value (keys sorted, no spaces, strings and numbers as serde_json
//! writes them) and its hash, which ignores key order: the same release re-serialised by a
//! publisher with keys in another order is recognised as an identical repeat.
//!
//! Two ways in, one result. [`content_hash`] writes a parsed [`Value`]. [`Text::parse`] reads
//! a JSON text into borrowed parts only (no maps, nothing hashed per key, strings without
//! escapes not copied): a line of JSON lines that is one release needs nothing more than its
//! hash and three members before it is stored as it was published, and building a `Value` for
//! it was most of the cost of reading it. Both must give the same bytes for the same JSON
//! (a property test compares them), or a stored release would come back as a conflict.

use std::borrow::Cow;

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

/// SHA-256 (hex) of the canonical form of `value`.
pub fn content_hash(value: &Value) -> String {
    let mut buf = Vec::new();
    write_value(value, &mut buf);
    crate::util::sha256_hex(&buf)
}

fn write_value(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Object(map) => {
            // Entries, not keys looked up again: a lookup hashes the key.
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
            write_object(out, entries, write_value);
        }
        Value::Array(items) => write_array(out, items, write_value),
        other => write_scalar(other, out),
    }
}

/// `{"key":value,…}` from members already in canonical order.
fn write_object<'k, K: AsRef<str> + 'k, V: 'k>(
    out: &mut Vec<u8>,
    members: impl IntoIterator<Item = (&'k K, &'k V)>,
    write: impl Fn(&V, &mut Vec<u8>),
) {
    out.push(b'{');
    for (i, (k, v)) in members.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_scalar(k.as_ref(), out);
        out.push(b':');
        write(v, out);
    }
    out.push(b'}');
}

/// `[item,…]`.
fn write_array<V>(out: &mut Vec<u8>, items: &[V], write: impl Fn(&V, &mut Vec<u8>)) {
    out.push(b'[');
    for (i, v) in items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write(v, out);
    }
    out.push(b']');
}

/// Writes a string or scalar as JSON straight into `out`.
fn write_scalar<T: serde::Serialize + ?Sized>(v: &T, out: &mut Vec<u8>) {
    // Serialising a string or a scalar into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, v);
}

/// A JSON text read into borrowed parts: objects are kept with their keys sorted (for a key
/// given twice, the last value, as a parsed `Value` keeps it).
#[derive(Debug)]
pub struct Text<'a>(Node<'a>);

/// One JSON value of a [`Text`].
#[derive(Debug)]
pub enum Node<'a> {
    /// Members sorted by key, each key once.
    Object(Vec<(Cow<'a, str>, Node<'a>)>),
    /// Items in order.
    Array(Vec<Node<'a>>),
    /// A string, unescaped.
    String(Cow<'a, str>),
    /// A number as serde_json writes it back: every digit as published.
    Number(String),
    /// `true` or `false`.
    Bool(bool),
    /// `null`.
    Null,
}

impl<'a> Text<'a> {
    /// Reads `text`; the error is the one a parse into a `Value` gives for most texts, but a
    /// caller that reports errors should parse again into a `Value` for its message.
    pub fn parse(text: &'a str) -> Result<Text<'a>, serde_json::Error> {
        Text::parse_unless(text, &[])
    }

    /// Reads `text` as [`Text::parse`] does, but stops with an error at the first top-level
    /// key in `unless`: a caller that would throw such a text away does not read the rest.
    pub fn parse_unless(text: &'a str, unless: &[&str]) -> Result<Text<'a>, serde_json::Error> {
        let mut de = serde_json::Deserializer::from_str(text);
        let node = de.deserialize_any(NodeVisitor { unless })?;
        de.end()?;
        Ok(Text(node))
    }

    /// The top-level member `key`, when the text is an object that has it.
    pub fn get(&self, key: &str) -> Option<&Node<'a>> {
        match &self.0 {
            Node::Object(members) => members
                .binary_search_by(|(k, _)| k.as_ref().cmp(key))
                .ok()
                .map(|i| &members[i].1),
            _ => None,
        }
    }

    /// SHA-256 (hex) of the canonical form: [`content_hash`] of the same JSON.
    pub fn hash(&self) -> String {
        let mut buf = Vec::new();
        self.0.write(&mut buf);
        crate::util::sha256_hex(&buf)
    }
}

impl Node<'_> {
    /// The text of a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Node::String(s) => Some(s),
            _ => None,
        }
    }

    fn write(&self, out: &mut Vec<u8>) {
        match self {
            Node::Object(members) => {
                write_object(out, members.iter().map(|(k, v)| (k, v)), Node::write);
            }
            Node::Array(items) => write_array(out, items, Node::write),
            Node::String(s) => write_scalar(s.as_ref(), out),
            Node::Number(n) => out.extend_from_slice(n.as_bytes()),
            Node::Bool(true) => out.extend_from_slice(b"true"),
            Node::Bool(false) => out.extend_from_slice(b"false"),
            Node::Null => out.extend_from_slice(b"null"),
        }
    }
}

/// The key serde_json's arbitrary-precision numbers arrive under, as a one-member map holding
/// the number's text: what its own `Value` looks for.
const NUMBER_TOKEN: &str = "$serde_json::private::Number";

/// Builds a [`Node`]; at the top level, refuses an object with a key in `unless`.
struct NodeVisitor<'u> {
    unless: &'u [&'u str],
}

impl<'de> Visitor<'de> for NodeVisitor<'_> {
    type Value = Node<'de>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Node<'de>, E> {
        Ok(Node::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Node<'de>, E> {
        Ok(Node::Number(v.to_string()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Node<'de>, E> {
        Ok(Node::Number(v.to_string()))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Node<'de>, E> {
        // With arbitrary precision serde_json hands fractions over as text; a float here
        // would have lost digits, so refuse rather than hash something else.
        Err(E::custom("a number without its text"))
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Node<'de>, E> {
        Ok(Node::String(Cow::Borrowed(v)))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Node<'de>, E> {
        Ok(Node::String(Cow::Owned(v.to_string())))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Node<'de>, E> {
        Ok(Node::String(Cow::Owned(v)))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Node<'de>, E> {
        Ok(Node::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node<'de>, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) = seq.next_element_seed(NodeSeed)? {
            items.push(item);
        }
        Ok(Node::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node<'de>, A::Error> {
        let mut members: Vec<(Cow<'de, str>, Node<'de>)> = Vec::new();
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            if members.is_empty() && key == NUMBER_TOKEN {
                let Key(text) = map.next_value::<Key<'de>>()?;
                // What a `Value` makes of it (a literal object with this key included).
                let number: serde_json::Number = text.parse().map_err(de::Error::custom)?;
                return Ok(Node::Number(number.to_string()));
            }
            if self.unless.contains(&key.as_ref()) {
                return Err(de::Error::custom(format_args!("a `{key}` member")));
            }
            let value = map.next_value_seed(NodeSeed)?;
            members.push((key, value));
        }
        // Stable: of a key given twice the later value stays last, and is the one kept.
        members.sort_by(|a, b| a.0.cmp(&b.0));
        let mut kept: Vec<(Cow<'de, str>, Node<'de>)> = Vec::with_capacity(members.len());
        for member in members {
            match kept.last_mut() {
                Some(last) if last.0 == member.0 => *last = member,
                _ => kept.push(member),
            }
        }
        Ok(Node::Object(kept))
    }
}

struct NodeSeed;

impl<'de> de::DeserializeSeed<'de> for NodeSeed {
    type Value = Node<'de>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Node<'de>, D::Error> {
        d.deserialize_any(NodeVisitor { unless: &[] })
    }
}

/// An object key (or a number's text), borrowed from the input when it has no escapes.
struct Key<'a>(Cow<'a, str>);

impl<'de> de::Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Key<'de>, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string")
            }

            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_string())))
            }

            fn visit_string<E: de::Error>(self, v: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        d.deserialize_str(KeyVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn both(text: &str) -> (String, String) {
        let value: Value = serde_json::from_str(text).expect("json");
        let parsed = Text::parse(text).expect("text");
        (content_hash(&value), parsed.hash())
    }

    #[test]
    fn hash_ignores_key_order() {
        let a: Value = serde_json::from_str(r#"{"a":1,"b":{"c":2,"d":[1,2]}}"#).expect("json");
        let b: Value = serde_json::from_str(r#"{"b":{"d":[1,2],"c":2},"a":1}"#).expect("json");
        assert_eq!(content_hash(&a), content_hash(&b));
    }

    #[test]
    fn a_text_hashes_as_its_value_does() {
        for text in [
            r#"{"b":1,"a":[true,false,null],"c":{"z":"x","y":-0}}"#,
            // Numbers keep every digit; escapes are read and written back as serde_json does.
            r#"{"n":[1.50,-0.0,1e400,12345678901234567890123,-9223372036854775809,0,1E+2]}"#,
            r#"{"s":"Cami\u00f3n \"x\" \/ \t \ud83d\ude00 \u0001","é":"ñ"}"#,
            // A key given twice: the last value counts, as in a `Value`.
            r#"{"id":"1","ocid":"a","id":"2","x":{"k":1,"k":{"j":2}}}"#,
            r#"  [ {"a" : 1} , "s" , 2 ]  "#,
            r#""alone""#,
            "{}",
            "[]",
        ] {
            let (value, text_hash) = both(text);
            assert_eq!(value, text_hash, "{text}");
        }
        let twice = Text::parse(r#"{"id":"1","id":"2"}"#).expect("text");
        assert_eq!(twice.get("id").and_then(Node::as_str), Some("2"));
    }

    #[test]
    fn the_canonical_form_is_pinned() {
        // Stores keep these hashes: the form may never change.
        let text = r#"{ "b": [1, "x\u00e9", 1.50], "a": {"d": null, "c": true} }"#;
        let canonical = r#"{"a":{"c":true,"d":null},"b":[1,"xé",1.50]}"#;
        let value: Value = serde_json::from_str(text).expect("json");
        let expected = crate::util::sha256_hex(canonical.as_bytes());
        assert_eq!(content_hash(&value), expected);
        assert_eq!(Text::parse(text).expect("text").hash(), expected);
    }

    #[test]
    fn a_top_level_key_can_stop_the_reading() {
        let unless = ["releases"];
        assert!(Text::parse_unless(r#"{"uri":"x","releases":[{"id":"1"}]}"#, &unless).is_err());
        // Only at the top level.
        let nested = Text::parse_unless(r#"{"ocid":"a","x":{"releases":1}}"#, &unless);
        assert_eq!(
            nested.expect("read").get("ocid").and_then(Node::as_str),
            Some("a")
        );
    }

    #[test]
    fn a_text_that_is_not_json_is_refused() {
        for bad in ["{", r#"{"a":1} x"#, r#"{"a":01}"#, "[1,]", r#""\ud800""#] {
            assert!(Text::parse(bad).is_err(), "{bad}");
            assert!(serde_json::from_str::<Value>(bad).is_err(), "{bad}");
        }
    }
}
