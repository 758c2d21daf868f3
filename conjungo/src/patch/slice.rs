//! A schemaless body read from its bytes straight into the bson document it is merged as:
//! one pass that parses, applies the gate's key and depth rules, converts numbers guided by
//! what is stored, drops the nulls a merge would drop, and bounds the update's size by the
//! rules of [`size::Walk`] beside the stored values it looks up anyway — instead of parsing
//! into a `serde_json::Value`, walking it for the gate, converting it, and walking it again
//! against the stored document for the bounds.
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
use super::size::{self, Bounds, Part};

/// A body read by the one pass, not yet built into bson documents: the bounds of its
/// update are known first (read beside the stored values the reader looks up anyway), so
/// that a body whose update cannot fit is refused without building its documents.
pub(super) struct Body {
    entries: Vec<Entry>,
    /// What [`size::bounds`] gives for the same body as converted.
    pub(super) bounds: Bounds,
}

/// A member of an object: its key, its value, and the part of the update its merge
/// takes (see [`size::Walk`]; not counted inside arrays).
pub(super) type Entry = (String, Node, Part);

impl Body {
    /// The top-level keys, sorted, each once.
    pub(super) fn keys(&self) -> impl Iterator<Item = &String> {
        self.entries.iter().map(|(key, ..)| key)
    }

    /// The body as [`patch_document`](crate::bson::patch_document) converts it.
    pub(super) fn into_document(self) -> Document {
        build(self.entries, false)
    }

    /// The top-level members, sorted, each once, not built yet (see [`rfc`](super::rfc)).
    pub(super) fn into_members(self) -> Members {
        self.entries.into_iter().map(member)
    }
}

/// The members of an object of the body, as the RFC 7396 walk takes them.
pub(super) type Members = std::iter::Map<std::vec::IntoIter<Entry>, fn(Entry) -> (String, Node)>;

fn member((key, node, _): Entry) -> (String, Node) {
    (key, node)
}

impl super::rfc::Source for Node {
    type Members = Members;

    fn is_null(&self) -> bool {
        matches!(self, Node::Built(Bson::Null))
    }

    /// An object member of an object is never built at once (only objects inside arrays
    /// are, and arrays are taken whole).
    fn is_object(&self) -> bool {
        matches!(self, Node::Object { .. })
    }

    fn into_members(self) -> Option<Members> {
        match self {
            Node::Object { entries, .. } => Some(entries.into_iter().map(member)),
            Node::Built(_) => None,
        }
    }

    fn into_bson(self) -> Bson {
        match self {
            Node::Built(value) => value,
            Node::Object { entries, strip, .. } => Bson::Document(build(entries, strip)),
        }
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
    // Checked as UTF-8 once: serde_json then reads strings out of a `str` without checking
    // each one again.
    let mut de = serde_json::Deserializer::from_str(std::str::from_utf8(body).ok()?);
    let mut reader = Reader {
        limits,
        paths: 0,
        walk: size::Walk { options },
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
        Node::Object { entries, read, .. } => Some(Body {
            entries,
            bounds: Bounds::of_members(read.part),
        }),
        Node::Built(_) => None,
    }
}

/// A member of the body: built, or (an object outside arrays) its members, until the
/// bounds of the whole body are known.
pub(super) enum Node {
    Built(Bson),
    Object {
        entries: Vec<Entry>,
        /// Drop the null members (nothing stored at this place).
        strip: bool,
        /// What [`size::Walk`] asks of an object, found while reading it.
        read: Read,
    },
}

/// What the bounds ask of an object (see [`size::Object`]), found while reading it.
#[derive(Clone, Copy)]
pub(super) struct Read {
    /// The part of the update its members' merges take, against the document stored at
    /// its place.
    part: Part,
    addressable: bool,
    /// Its encoded size once built.
    size: usize,
}

impl size::Object for Read {
    fn members(&self, _: &size::Walk<'_>, _: &Document, _: usize) -> Part {
        self.part
    }

    fn addressable(&self) -> bool {
        self.addressable
    }

    fn size(&self) -> usize {
        self.size
    }
}

impl Node {
    /// The part of the update of merging this member at a place whose dotted path takes
    /// `path` bytes, where `like` is stored.
    fn part(&self, walk: &size::Walk<'_>, like: Option<&Bson>, path: usize) -> Part {
        match self {
            Node::Built(value) => walk.member(like, value, path),
            Node::Object { read, .. } => walk.object(like, read, path),
        }
    }

    /// Its encoded size as a value (once built).
    fn size(&self) -> usize {
        match self {
            Node::Built(value) => size::value_size(value),
            Node::Object { read, .. } => read.size,
        }
    }
}

fn build(entries: Vec<Entry>, strip: bool) -> Document {
    let mut doc = Document::new();
    for (key, node, _) in entries {
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
    /// The rules of the update's bounds.
    walk: size::Walk<'l>,
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
        let mut entries: Vec<Entry> = Vec::new();
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
            let part = match child_len {
                Some(len) => value.part(&self.reader.walk, like, len),
                None => Part::NONE,
            };
            entries.push((key, value, part));
        }
        // As the `Value` path has them: sorted by key, the last of equal keys kept.
        if !entries.is_sorted_by(|a, b| a.0 < b.0) {
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            let mut unique: Vec<Entry> = Vec::with_capacity(entries.len());
            for entry in entries {
                match unique.last_mut() {
                    Some(last) if last.0 == entry.0 => *last = entry,
                    _ => unique.push(entry),
                }
            }
            entries = unique;
        }
        let strip = self.strip && stored.is_none();
        if self.path_len.is_none() {
            // Inside an array: built at once, nothing counted.
            return Ok(Node::Built(Bson::Document(build(entries, strip))));
        }
        // What the bounds ask of this object, over the members kept.
        let mut part = Part::NONE;
        let mut addressable = true;
        let mut size = 4 + 1;
        for (key, node, member) in &entries {
            part.add(*member);
            addressable &= super::typed::addressable(key);
            if !(strip && matches!(node, Node::Built(Bson::Null))) {
                size += size::element(key.len(), node.size());
            }
        }
        Ok(Node::Object {
            entries,
            strip,
            read: Read {
                part,
                addressable,
                size,
            },
        })
    }
}
