//! How many bytes a MongoDB update takes, and bounds on the update a schemaless patch can
//! produce, known before anything is applied.
//!
//! MongoDB refuses an update document over 16 MiB. [`bounds`] walks the body against the
//! stored document (along the body only) and gives a lower and an upper bound of the
//! update's size: a body whose update is surely too large is refused at once, one whose
//! update surely fits is applied in place, and only in between is the merge done on a copy
//! whose update is measured exactly before the copy replaces the stored document.

use bson::{Bson, Document};

use super::typed::addressable;
use crate::{NullStrategy, Options, SeqStrategy};

/// The encoded size of a document: length, elements, terminator.
pub(crate) fn document_size(doc: &Document) -> usize {
    4 + doc
        .iter()
        .map(|(key, value)| element(key.len(), value_size(value)))
        .sum::<usize>()
        + 1
}

/// The encoded size of an array (a document keyed `"0"`, `"1"`, …).
fn array_size(items: &[Bson]) -> usize {
    4 + items
        .iter()
        .enumerate()
        .map(|(i, value)| element(decimal_len(i), value_size(value)))
        .sum::<usize>()
        + 1
}

fn decimal_len(mut i: usize) -> usize {
    let mut len = 1;
    while i >= 10 {
        i /= 10;
        len += 1;
    }
    len
}

/// One element: type byte, key and its NUL, value.
pub(crate) fn element(key_len: usize, value_len: usize) -> usize {
    1 + key_len + 1 + value_len
}

/// A BSON string: length, bytes, NUL.
fn string_size(s: &str) -> usize {
    4 + s.len() + 1
}

/// The encoded size of a value (without its type byte and key).
pub(crate) fn value_size(value: &Bson) -> usize {
    match value {
        Bson::Double(_) | Bson::Int64(_) | Bson::DateTime(_) | Bson::Timestamp(_) => 8,
        Bson::Int32(_) => 4,
        Bson::Boolean(_) => 1,
        Bson::Null | Bson::Undefined | Bson::MaxKey | Bson::MinKey => 0,
        Bson::String(s) | Bson::JavaScriptCode(s) | Bson::Symbol(s) => string_size(s),
        Bson::Document(doc) => document_size(doc),
        Bson::Array(items) => array_size(items),
        Bson::ObjectId(_) => 12,
        Bson::Decimal128(_) => 16,
        Bson::Binary(binary) => {
            // The old binary subtype repeats the length inside the payload.
            let old = usize::from(binary.subtype == bson::spec::BinarySubtype::BinaryOld) * 4;
            4 + 1 + old + binary.bytes.len()
        }
        Bson::RegularExpression(regex) => {
            regex.pattern.as_str().len() + 1 + regex.options.as_str().len() + 1
        }
        Bson::JavaScriptCodeWithScope(code) => {
            4 + string_size(&code.code) + document_size(&code.scope)
        }
        Bson::DbPointer(_) => {
            // A namespace string and an ObjectId; the namespace is not public: bound it
            // by serializing this rare value.
            bson::doc! {"p": value.clone()}
                .to_vec()
                .map_or(0, |bytes| bytes.len().saturating_sub(4 + 1 + 3))
        }
    }
}

/// The update's envelope: the update document and its three operator documents.
const ENVELOPE: usize = 4 + 1 + 3 * (1 + "$unset".len() + 1 + 4 + 1);

/// What `"$each"` adds around the items of a `$push`.
const EACH: usize = 4 + 1 + "$each".len() + 1 + 1;

/// The value of an `$unset` element (`""`).
const UNSET: usize = 4 + 1;

/// Bounds of the size of the update a schemaless merge of `source` into `target` produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Bounds {
    /// The update takes at least this many bytes.
    pub(crate) lower: usize,
    /// And at most this many (`None`: unknown, a custom function decides).
    pub(crate) upper: Option<usize>,
}

/// The [`Bounds`] of the update of merging `source` into `target` with `options`.
/// `source` is the body as [`patch_document`](crate::bson::patch_document) converts it:
/// under [`NullStrategy::Delete`] an object added whole has no null members already.
pub(crate) fn bounds(target: &Document, source: &Document, options: &Options) -> Bounds {
    let walk = Walk { options };
    let mut members = Part::NONE;
    for (key, value) in source {
        members.add(walk.member(target.get(key), value, key.len()));
    }
    Bounds::of_members(members)
}

impl Bounds {
    /// The bounds of an update whose top-level members take `members`.
    pub(crate) fn of_members(members: Part) -> Bounds {
        let mut bounds = Bounds {
            lower: members.lower,
            upper: members.upper.map(|upper| upper + ENVELOPE),
        };
        if bounds.lower > 0 {
            // The update document and at least its shortest operator document.
            bounds.lower += 4 + 1 + (1 + "$set".len() + 1 + 4 + 1);
        }
        bounds
    }
}

/// Lower and upper bound of the update elements of some members (`None`: unknown).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Part {
    pub(crate) lower: usize,
    pub(crate) upper: Option<usize>,
}

impl Part {
    /// No members.
    pub(crate) const NONE: Part = Part {
        lower: 0,
        upper: Some(0),
    };

    /// Nothing known (a custom function may write anything).
    const UNKNOWN: Part = Part {
        lower: 0,
        upper: None,
    };

    /// Add a member's part.
    pub(crate) fn add(&mut self, other: Part) {
        self.lower += other.lower;
        self.upper = self.upper.zip(other.upper).map(|(a, b)| a + b);
    }
}

/// What the bounds of an object of the body need besides the stored value at its place,
/// each asked only where the rules need it: a body document, or what the one-pass reader
/// found of an object while reading it.
pub(crate) trait Object {
    /// The part of its members' merges into `stored` (the document at its place, whose
    /// dotted path takes `path` bytes).
    fn members(&self, walk: &Walk<'_>, stored: &Document, path: usize) -> Part;
    /// Whether every key can be a path segment.
    fn addressable(&self) -> bool;
    /// Its encoded size.
    fn size(&self) -> usize;
}

impl Object for Document {
    fn members(&self, walk: &Walk<'_>, stored: &Document, path: usize) -> Part {
        let mut part = Part::NONE;
        for (key, value) in self {
            part.add(walk.member(stored.get(key), value, path + 1 + key.len()));
        }
        part
    }

    fn addressable(&self) -> bool {
        self.keys().all(|k| addressable(k))
    }

    fn size(&self) -> usize {
        document_size(self)
    }
}

/// A lower bound of the update of merging the JSON `body` into `target`, before the body is
/// converted to bson: the `$unset`s of stored members that `null`s delete (under
/// [`NullStrategy::Delete`], without custom functions), found along the body only. Every
/// other part of the update only adds to it. A body of deletions whose update cannot fit is
/// refused without converting it.
pub(crate) fn deletions_lower_bound(
    target: &Document,
    body: &serde_json::Map<String, serde_json::Value>,
    options: &Options,
) -> usize {
    fn walk(
        target: &Document,
        body: &serde_json::Map<String, serde_json::Value>,
        path: usize,
    ) -> usize {
        let mut lower = 0;
        for (key, value) in body {
            let Some(stored) = target.get(key) else {
                continue;
            };
            let here = if path == 0 {
                key.len()
            } else {
                path + 1 + key.len()
            };
            match (stored, value) {
                (_, serde_json::Value::Null) => lower += deletion(here),
                (Bson::Document(stored), serde_json::Value::Object(inner))
                    if inner.keys().all(|k| addressable(k)) =>
                {
                    lower += walk(stored, inner, here);
                }
                _ => {}
            }
        }
        lower
    }
    if !deletions_bound(options) {
        return 0;
    }
    walk(target, body, 0)
}

/// Whether the `null`s of a body surely become `$unset`s of the stored members they name
/// (so that [`deletions_lower_bound`] counts them).
pub(crate) fn deletions_bound(options: &Options) -> bool {
    options.nulls == NullStrategy::Delete && !options.has_custom()
}

/// The `$unset` element of a place whose dotted path takes `path` bytes.
pub(crate) fn deletion(path: usize) -> usize {
    element(path, UNSET)
}

/// The bounds' rules, member by member.
pub(crate) struct Walk<'a> {
    pub(crate) options: &'a Options,
}

impl Walk<'_> {
    /// The part of the update from merging `source` at a place whose dotted path takes
    /// `path` bytes, where `target` is stored (`None`: no such key).
    pub(crate) fn member(&self, target: Option<&Bson>, source: &Bson, path: usize) -> Part {
        match source {
            Bson::Document(body) => self.object(target, body, path),
            _ => self.value(target, source, path),
        }
    }

    /// [`member`](Self::member) of a source that is not a document.
    pub(crate) fn value(&self, target: Option<&Bson>, source: &Bson, path: usize) -> Part {
        if self.options.has_custom() {
            return Part::UNKNOWN;
        }
        let set = |value: usize| element(path, value);
        let (lower, upper) = match (target, source) {
            (Some(_), Bson::Null) if self.options.nulls == NullStrategy::Delete => {
                (set(UNSET), set(UNSET))
            }
            (None, Bson::Null) if self.options.nulls == NullStrategy::Delete => (0, 0),
            (_, Bson::Null) => (0, set(UNSET)),
            // Added: the value as converted.
            (None, value) => {
                let size = set(value_size(value));
                (size, size)
            }
            (Some(Bson::Array(stored)), Bson::Array(items)) => {
                let upper = match self.options.seq {
                    SeqStrategy::Append => set(array_size(items) + EACH),
                    SeqStrategy::Prepend => set(array_size(stored) + array_size(items)),
                    _ => set(array_size(items)),
                };
                (0, upper)
            }
            (Some(_), value) => (0, set(value_size(value))),
        };
        Part {
            lower,
            upper: Some(upper),
        }
    }

    /// [`member`](Self::member) of a source object (nulls already dropped under `Delete`
    /// where nothing is stored).
    pub(crate) fn object(&self, target: Option<&Bson>, source: &impl Object, path: usize) -> Part {
        if self.options.has_custom() {
            return Part::UNKNOWN;
        }
        let set = |value: usize| element(path, value);
        match target {
            // Added: the object as converted (its size asked once: a document's is a walk).
            None => {
                let size = set(source.size());
                Part {
                    lower: size,
                    upper: Some(size),
                }
            }
            // The whole merged document is set: at most both together.
            Some(Bson::Document(stored)) if !source.addressable() => Part {
                lower: 0,
                upper: Some(set(document_size(stored) + source.size())),
            },
            Some(Bson::Document(stored)) => source.members(self, stored, path),
            Some(_) => Part {
                lower: 0,
                upper: Some(set(source.size())),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use bson::{Binary, Bson, doc, oid::ObjectId, spec::BinarySubtype};

    use super::*;

    #[test]
    fn sizes_are_the_encoded_sizes() {
        let docs = [
            doc! {},
            doc! {"a": 1, "b": 2_i64, "c": 1.5, "d": "text", "e": null, "f": true},
            doc! {"n": {"m": [1, "x", {"y": []}], "o": ObjectId::new()}},
            doc! {"t": bson::DateTime::now(), "dec": "1.5".parse::<bson::Decimal128>().unwrap()},
            doc! {"bin": Binary { subtype: BinarySubtype::Generic, bytes: vec![1, 2, 3] }},
            doc! {"old": Binary { subtype: BinarySubtype::BinaryOld, bytes: vec![1, 2] }},
            doc! {"re": Bson::RegularExpression(bson::Regex {
                pattern: "a+".try_into().unwrap(),
                options: "i".try_into().unwrap(),
            })},
            doc! {"ts": bson::Timestamp { time: 1, increment: 2 }, "js": Bson::JavaScriptCode("f()".into())},
            doc! {"long": (0..12).map(Bson::from).collect::<Vec<_>>()},
        ];
        for doc in docs {
            assert_eq!(document_size(&doc), doc.to_vec().unwrap().len(), "{doc}");
        }
    }

    /// The bounds hold for the update the merge produces.
    #[test]
    fn bounds_hold_around_the_update() {
        let options = Options::merge_patch();
        let cases = [
            (
                doc! {"a": {"x": 1, "y": 2}},
                doc! {"a": {"x": null, "z": 3}, "b": "new"},
            ),
            (doc! {"a": {"x": 1}}, doc! {"a": {"x": null, "y": null}}),
            (doc! {"m": {"0": 1}}, doc! {"m": {"1": 2}}),
            (doc! {"l": [1, 2]}, doc! {"l": [3], "s": 1}),
            (doc! {"k": 1}, doc! {"k": {"deep": {"er": [1]}}}),
        ];
        for (stored, body) in cases {
            let b = bounds(&stored, &body, &options);
            let mut merged = stored.clone();
            let raw = crate::merge_recorded(&mut merged, body.clone(), &options).unwrap();
            let applied = super::super::update::compile(
                super::super::update::Merged::<Document>::Document(&merged),
                raw,
                None,
            )
            .unwrap();
            let size = document_size(&applied.update);
            assert!(b.lower <= size, "{stored} {body}: {b:?} {size}");
            assert!(size <= b.upper.unwrap(), "{stored} {body}: {b:?} {size}");
            // The bound taken on the JSON body before conversion is below both.
            let json = crate::bson::to_json(Bson::Document(body));
            let early = deletions_lower_bound(&stored, json.as_object().unwrap(), &options);
            assert!(early <= b.lower, "{stored}: {early} > {b:?}");
        }
        // Deletions alone: exactly their `$unset` elements.
        let stored = doc! {"a": {"x": 1, "yy": 2}, "b": 1};
        let body = serde_json::json!({"a": {"x": null, "yy": null, "zzz": null}, "b": null});
        let early = deletions_lower_bound(&stored, body.as_object().unwrap(), &options);
        assert_eq!(
            early,
            element(3, UNSET) + element(4, UNSET) + element(1, UNSET)
        );
        assert_eq!(
            deletions_lower_bound(&stored, body.as_object().unwrap(), &Options::default()),
            0
        );
    }
}
