//! A schemaless body read from its bytes straight into the bson document it is merged as:
//! one pass that parses, applies the gate's key and depth rules, converts numbers guided by
//! what is stored, and drops the nulls a merge would drop — instead of parsing into a
//! `serde_json::Value`, walking it for the gate, and converting it.
//!
//! The pass only ever answers "here is the document" or "no": on any problem (syntax, a
//! refused key, depth, an integer bson cannot hold, duplicate keys whose dropped values
//! would not pass) the body takes the `Value` path, whose error is the answer. So both
//! entries give the same result and the same error for every body (a property test holds
//! them equal), and the fast pass needs no error reporting of its own.

use std::fmt;

use bson::{Bson, Document};
use serde::de::{DeserializeSeed, Error as _, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use super::Limits;
use super::body::{check_key, too_deep};

/// A body read by the one pass, not yet built into bson documents: the size of the
/// `$unset`s its deletions surely take is known first, so that a body of deletions whose
/// update cannot fit is refused without building its documents.
pub(super) struct Body {
    entries: Vec<(String, Node)>,
    /// What [`deletions_lower_bound`](super::size::deletions_lower_bound) gives for the
    /// same body (0 unless the options make nulls deletions).
    pub(super) deletions: usize,
}

impl Body {
    /// The top-level keys, sorted, each once.
    pub(super) fn keys(&self) -> impl Iterator<Item = &String> {
        self.entries.iter().map(|(key, _)| key)
    }

    /// The body as [`patch_document`](crate::bson::patch_document) converts it.
    pub(super) fn into_document(self) -> Document {
        build(self.entries, false)
    }
}

/// Read `body` against `stored`, or `None` when the body must take the `Value` path
/// (which then fails, or differs only by duplicate keys).
pub(super) fn read(
    body: &[u8],
    stored: &Document,
    options: &crate::Options,
    limits: &Limits,
) -> Option<Body> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let mut reader = Reader {
        limits,
        paths: 0,
        deletions: super::size::deletions_bound(options),
    };
    let seed = Member {
        reader: &mut reader,
        like: None,
        stored_root: Some(stored),
        strip: options.nulls == crate::NullStrategy::Delete,
        depth: 0,
        path_len: Some(0),
    };
    let root = seed.deserialize(&mut de).ok()?;
    de.end().ok()?;
    match root {
        Node::Object {
            entries, deletions, ..
        } => Some(Body { entries, deletions }),
        Node::Built(_) => None,
    }
}

/// A member of the body: built, or (an object outside arrays) its members, until the
/// deletions of the whole body are counted.
enum Node {
    Built(Bson),
    Object {
        entries: Vec<(String, Node)>,
        /// Drop the null members (nothing stored at this place).
        strip: bool,
        /// The `$unset`s of its null members and of its objects' (the bound's rules).
        deletions: usize,
        /// Every key can be a path segment (else a merge sets the object whole, and its
        /// deletions are not `$unset`s of their own).
        addressable: bool,
    },
}

fn build(entries: Vec<(String, Node)>, strip: bool) -> Document {
    let mut doc = Document::new();
    for (key, node) in entries {
        let value = match node {
            Node::Built(Bson::Null) if strip => continue,
            Node::Built(value) => value,
            Node::Object { entries, strip, .. } => Bson::Document(build(entries, strip)),
        };
        doc.insert(key, value);
    }
    doc
}

/// What the whole pass shares: the limits and the bytes of the paths seen so far.
struct Reader<'l> {
    limits: &'l Limits,
    /// The bytes of the dotted paths the body's members would take in an update (the
    /// gate's bound; duplicate keys are counted each time, which only makes it stricter).
    paths: usize,
    /// Whether nulls are counted as deletions.
    deletions: bool,
}

/// One value of the body and what guides its conversion.
struct Member<'r, 'l, 's> {
    reader: &'r mut Reader<'l>,
    /// The value stored at this place (numbers keep its type, objects and arrays are
    /// guided member by member).
    like: Option<&'s Bson>,
    /// At the root only: the stored document itself.
    stored_root: Option<&'s Document>,
    /// Drop the null members of objects with no stored document at their place.
    strip: bool,
    depth: usize,
    /// The length of this place's dotted path; `None` inside an array.
    path_len: Option<usize>,
}

/// Why the pass stopped: never shown (the `Value` path gives the error).
const REFUSED: &str = "conjungo: the body takes the checked path";

impl<'de> DeserializeSeed<'de> for Member<'_, '_, '_> {
    type Value = Node;

    fn deserialize<D: serde::Deserializer<'de>>(self, de: D) -> Result<Node, D::Error> {
        de.deserialize_any(self)
    }
}

impl Member<'_, '_, '_> {
    fn scalar<E: serde::de::Error>(&self, value: Value) -> Result<Node, E> {
        if self.path_len == Some(0) {
            // The root must be an object.
            return Err(E::custom(REFUSED));
        }
        crate::bson::scalar_like(value, self.like)
            .map(Node::Built)
            .map_err(|_| E::custom(REFUSED))
    }
}

/// A built value of an array's item.
fn built<E: serde::de::Error>(node: Node) -> Result<Bson, E> {
    match node {
        Node::Built(value) => Ok(value),
        // Inside arrays every object is built at once (see `visit_map`).
        Node::Object { .. } => Err(E::custom(REFUSED)),
    }
}

impl<'de> Visitor<'de> for Member<'_, '_, '_> {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<Node, E> {
        self.scalar(Value::Bool(v))
    }

    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Node, E> {
        self.scalar(Value::Number(v.into()))
    }

    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Node, E> {
        self.scalar(Value::Number(v.into()))
    }

    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Node, E> {
        // As `serde_json::Value` reads it.
        self.scalar(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Node, E> {
        self.scalar(Value::String(v.to_owned()))
    }

    fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Node, E> {
        self.scalar(Value::String(v))
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Node, E> {
        self.scalar(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        if self.path_len == Some(0) || too_deep(self.depth, self.reader.limits).is_err() {
            return Err(A::Error::custom(REFUSED));
        }
        let stored: &[Bson] = match self.like {
            Some(Bson::Array(items)) => items,
            _ => &[],
        };
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        loop {
            let item = Member {
                reader: &mut *self.reader,
                like: stored.get(items.len()),
                stored_root: None,
                // Arrays are taken verbatim by a merge: nothing inside is dropped.
                strip: false,
                depth: self.depth + 1,
                path_len: None,
            };
            match seq.next_element_seed(item)? {
                Some(item) => items.push(built(item)?),
                None => break,
            }
        }
        Ok(Node::Built(Bson::Array(items)))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        if too_deep(self.depth, self.reader.limits).is_err() {
            return Err(A::Error::custom(REFUSED));
        }
        let stored = match (self.stored_root, self.like) {
            (Some(root), _) => Some(root),
            (None, Some(Bson::Document(doc))) => Some(doc),
            _ => None,
        };
        let count = self.reader.deletions && self.path_len.is_some();
        let mut entries: Vec<(String, Node)> = Vec::new();
        let mut deletions = 0;
        let mut addressable = true;
        while let Some(key) = map.next_key::<String>()? {
            if check_key(&key, self.depth).is_err() {
                return Err(A::Error::custom(REFUSED));
            }
            let child_len = self
                .path_len
                .map(|len| len + usize::from(len > 0) + key.len());
            if let Some(len) = child_len {
                let reader = &mut *self.reader;
                reader.paths = reader.paths.saturating_add(len);
                if reader.paths > reader.limits.max_update_bytes {
                    return Err(A::Error::custom(REFUSED));
                }
            }
            let like = stored.and_then(|doc| doc.get(&key));
            let value = map.next_value_seed(Member {
                reader: &mut *self.reader,
                like,
                stored_root: None,
                strip: self.strip,
                depth: self.depth + 1,
                path_len: child_len,
            })?;
            if count {
                addressable &= super::typed::addressable(&key);
                deletions += deletions_of(like, &value, child_len.unwrap_or(0));
            }
            entries.push((key, value));
        }
        // As the `Value` path has them: sorted by key, the last of equal keys kept.
        if !entries.is_sorted_by(|a, b| a.0 < b.0) {
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            let before = entries.len();
            let mut unique: Vec<(String, Node)> = Vec::with_capacity(entries.len());
            for entry in entries {
                match unique.last_mut() {
                    Some(last) if last.0 == entry.0 => *last = entry,
                    _ => unique.push(entry),
                }
            }
            entries = unique;
            if count && entries.len() < before {
                // Counted again over the members kept.
                let path_len = self.path_len.unwrap_or(0);
                deletions = 0;
                for (key, node) in &entries {
                    let here = path_len + usize::from(path_len > 0) + key.len();
                    deletions += deletions_of(stored.and_then(|doc| doc.get(key)), node, here);
                }
            }
        }
        let strip = self.strip && stored.is_none();
        if self.path_len.is_none() {
            // Inside an array: built at once, nothing counted.
            return Ok(Node::Built(Bson::Document(build(entries, strip))));
        }
        Ok(Node::Object {
            entries,
            strip,
            deletions,
            addressable,
        })
    }
}

/// The `$unset`s a member surely takes, `like` stored at its place whose dotted path takes
/// `here` bytes: a null deletes a stored member; an object over a stored document
/// deletes what its own nulls delete, if all its keys can be path segments.
fn deletions_of(like: Option<&Bson>, node: &Node, here: usize) -> usize {
    match (like, node) {
        (Some(_), Node::Built(Bson::Null)) => super::size::deletion(here),
        (
            Some(Bson::Document(_)),
            Node::Object {
                deletions,
                addressable: true,
                ..
            },
        ) => *deletions,
        _ => 0,
    }
}
