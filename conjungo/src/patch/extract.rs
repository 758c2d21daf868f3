//! The values of a MongoDB update, read from the merged value the way serde stores it.
//!
//! A patch records *where* it changed the target (object keys, see
//! [`RawChange`](crate::cx::RawChange)); this module finds *what* serde writes at those
//! places. The merged value is serialized through [`Walk`], a serializer that follows only
//! the changed places: every other field or entry is passed over without being serialized,
//! so the cost follows the patch, not the document. At each changed place the value is
//! handed to bson's own serializer, exactly as `bson::serialize_to_document(&merged)`
//! would see it: `#[serde(with)]`, `serialize_with`, `rename`, `skip_serializing_if` and
//! every `Serialize` impl are honoured because they are the ones running.

use std::fmt;

use bson::{Bson, Document};
use serde::ser::{self, Impossible, Serialize, Serializer};

use crate::cx::Segment;
use crate::patch::ChangeKind;
use crate::{Error, ErrorKind};

/// What the update does at one place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    /// `$set` the value found there.
    Set,
    /// `$unset` it (or `$set` what is found there after all).
    Unset,
    /// `$push` the last `n` items of the sequence found there.
    Push(usize),
    /// `$addToSet` with `$each` the prefilled items (a `union` list's additions).
    AddToSet,
    /// `$pull` with the prefilled condition (items removed by key or by value).
    Pull,
}

/// What the serialization of the merged value wrote at a place.
#[derive(Debug, Default, Clone)]
pub(crate) enum Found {
    /// Nothing: the place was not reached.
    #[default]
    Unreached,
    /// serde skipped the field there (`skip_serializing_if`).
    Skipped,
    /// The value (for an inner node: the whole value, whose members cannot be addressed).
    Value(Bson),
    /// The appended items of a [`Op::Push`].
    Items(Vec<Bson>),
}

/// A tree of the changed places, keyed by object keys (serde names). A node with an
/// operation has no children: overlapping changes were resolved before.
#[derive(Debug, Default)]
pub(crate) struct Node<'k> {
    pub(crate) op: Option<Op>,
    /// Keyed by the changes' own segments (borrowed: no copy per node).
    pub(crate) children: Children<'k>,
    pub(crate) found: Found,
    /// Filled before the walk (a change inside a dynamic value, read on the spot).
    pub(crate) prefilled: bool,
    /// Whether the walk must visit this node (some place below is not prefilled).
    pub(crate) needs_walk: bool,
}

/// The children of a [`Node`], in key order: a vector, since the tree is built from
/// sorted paths (each new child goes last) and holds a few children per node; and a set
/// of the first bytes of their keys (modulo 64), so that the walk asks about most fields
/// of a struct it passes without a key comparison.
#[derive(Debug, Default)]
pub(crate) struct Children<'k> {
    list: Vec<(&'k str, Node<'k>)>,
    /// Bit `b % 64` is set for each first byte `b` of a child's key.
    first_bytes: u64,
}

/// The bit of `key` in [`Children`]'s set of first bytes.
fn first_byte_bit(key: &str) -> u64 {
    key.as_bytes().first().map_or(1, |b| 1 << (b & 63))
}

impl<'k> Children<'k> {
    /// The index of the child `key`, if there is one.
    fn find(&self, key: &str) -> Option<usize> {
        if self.first_bytes & first_byte_bit(key) == 0 {
            return None;
        }
        self.search(key).ok()
    }

    fn search(&self, key: &str) -> Result<usize, usize> {
        match self.list.last() {
            // The common cases of a tree built in order: the last child, or a new one.
            Some((last, _)) if *last == key => Ok(self.list.len() - 1),
            Some((last, _)) if *last < key => Err(self.list.len()),
            _ => self.list.binary_search_by(|(k, _)| (*k).cmp(key)),
        }
    }

    /// The child `key`, added empty if there is none.
    fn entry(&mut self, key: &'k str) -> &mut Node<'k> {
        let i = self.search(key).unwrap_or_else(|i| {
            self.list.insert(i, (key, Node::default()));
            self.first_bytes |= first_byte_bit(key);
            i
        });
        &mut self.list[i].1
    }

    pub(crate) fn get(&self, key: &str) -> Option<&Node<'k>> {
        self.find(key).map(|i| &self.list[i].1)
    }

    pub(crate) fn get_mut(&mut self, key: &str) -> Option<&mut Node<'k>> {
        self.find(key).map(|i| &mut self.list[i].1)
    }

    /// The child's key as the tree holds it (borrowed for as long as the tree's paths).
    fn key(&self, key: &str) -> Option<&'k str> {
        self.find(key).map(|i| self.list[i].0)
    }
}

impl<'k> IntoIterator for Children<'k> {
    type Item = (&'k str, Node<'k>);
    type IntoIter = std::vec::IntoIter<(&'k str, Node<'k>)>;

    fn into_iter(self) -> Self::IntoIter {
        self.list.into_iter()
    }
}

#[cfg(test)]
impl<'k> std::ops::Index<&str> for Children<'k> {
    type Output = Node<'k>;

    fn index(&self, key: &str) -> &Node<'k> {
        self.get(key).expect("a child of that key")
    }
}

impl<'k> Node<'k> {
    /// Add `op` at `path`, with its value if it was read on the spot.
    pub(crate) fn insert(&mut self, path: &'k [Segment], op: Op, found: Option<Found>) {
        let mut node = self;
        for segment in path {
            node = node.children.entry(segment);
        }
        node.op = Some(op);
        if let Some(found) = found {
            node.found = found;
            node.prefilled = true;
        }
    }

    /// Whether a place without an operation holds what serde stores there (a value that is
    /// not a document, taken whole, or [`Found::Skipped`]): the places below it are part
    /// of it.
    pub(crate) fn taken_above(&self) -> bool {
        self.op.is_none()
            && self.children.list.iter().any(|(_, child)| {
                child.op.is_none()
                    && (!matches!(child.found, Found::Unreached) || child.taken_above())
            })
    }

    /// What the walk found at `path` (an operation's place), taken out of the tree.
    pub(crate) fn take_found(&mut self, path: &[Segment]) -> Found {
        let mut node = self;
        for segment in path {
            match node.children.get_mut(segment) {
                Some(child) => node = child,
                None => return Found::Unreached,
            }
        }
        std::mem::take(&mut node.found)
    }

    /// The node at `path`.
    pub(crate) fn get(&self, path: &[Segment]) -> Option<&Node<'k>> {
        let mut node = self;
        for segment in path {
            node = node.children.get(segment)?;
        }
        Some(node)
    }

    /// Mark which nodes the walk must visit; true if this one.
    pub(crate) fn settle(&mut self) -> bool {
        self.needs_walk = if self.op.is_some() {
            !self.prefilled
        } else {
            let mut any = false;
            for (_, child) in &mut self.children.list {
                any |= child.settle();
            }
            any
        };
        self.needs_walk
    }
}

/// A dynamic value whose members can be looked up by key (JSON and bson values).
pub(crate) trait Lookup: Serialize {
    /// The member `key` of an object.
    fn member(&self, key: &str) -> Option<&Self>;
    /// The items of an array.
    fn items(&self) -> Option<&[Self]>
    where
        Self: Sized;
}

impl Lookup for serde_json::Value {
    fn member(&self, key: &str) -> Option<&Self> {
        self.as_object()?.get(key)
    }

    fn items(&self) -> Option<&[Self]> {
        self.as_array().map(Vec::as_slice)
    }
}

impl Lookup for Bson {
    fn member(&self, key: &str) -> Option<&Self> {
        self.as_document()?.get(key)
    }

    fn items(&self) -> Option<&[Self]> {
        self.as_array().map(Vec::as_slice)
    }
}

/// Fill in the values of the changes a dynamic value's merge recorded below `depth` (the
/// dynamic field's place), by looking them up in `value` (the merged field): a dynamic
/// value serializes member by member, so what serde stores at a place below it is the
/// serialization of the member there. The walk then need not visit the field's members
/// (the cost follows the patch, not the stored field). Changes at the field itself are
/// left to the walk (the field's own serde attributes apply there).
pub(crate) fn prefill<'v, V: Lookup + 'v>(
    changes: &mut [crate::cx::RawChange],
    depth: usize,
    member: impl Fn(&str) -> Option<&'v V>,
) -> Result<(), Error> {
    for change in changes {
        let segments = &change.segments;
        let cut = change.cut;
        let placed = &segments[..cut.unwrap_or(segments.len())];
        if placed.len() <= depth {
            continue;
        }
        let mut at = member(&placed[depth]);
        for key in &placed[depth + 1..] {
            at = at.and_then(|v| v.member(key));
        }
        let convert = |v: &V| crate::bson::to_bson(v).map_err(|e| unstorable(e.to_string()));
        change.prefill = Some(match (cut, change.kind, at) {
            (_, _, None) => Found::Unreached,
            (None, crate::patch::ChangeKind::Appended, Some(v)) => match v.items() {
                Some(items) if change.count <= items.len() => Found::Items(
                    items[items.len() - change.count..]
                        .iter()
                        .map(convert)
                        .collect::<Result<_, _>>()?,
                ),
                _ => Found::Value(convert(v)?),
            },
            (_, _, Some(v)) => Found::Value(convert(v)?),
        });
    }
    Ok(())
}

/// Where a recorded change is written in the update, below the top level: its own path,
/// or the nearest parent MongoDB can address by a dotted path (a numeric or empty key, which
/// MongoDB would read as an array index or cannot name, or a key with `.`, makes the parent
/// a whole `$set`).
pub(crate) fn op_of(segments: &[Segment], kind: ChangeKind, count: usize) -> (&[Segment], Op) {
    op_at(segments, cut_of(segments), kind, count)
}

/// The index of the first segment below the top level that cannot be a path segment.
pub(crate) fn cut_of(segments: &[Segment]) -> Option<usize> {
    segments
        .iter()
        .skip(1)
        .position(|s| !super::typed::addressable(s))
        .map(|i| i + 1)
}

/// [`op_of`] with the [`cut_of`] the segments known.
pub(crate) fn op_at(
    segments: &[Segment],
    cut: Option<usize>,
    kind: ChangeKind,
    count: usize,
) -> (&[Segment], Op) {
    match (cut, kind) {
        (Some(i), _) => (&segments[..i], Op::Set),
        (None, ChangeKind::Added | ChangeKind::Replaced) => (segments, Op::Set),
        (None, ChangeKind::Removed) => (segments, Op::Unset),
        (None, ChangeKind::Appended) => (segments, Op::Push(count)),
    }
}

/// One operation of an update at its place: `(path, op, value)`, where `value` is the
/// index (in a list beside the operations) of the value read on the spot for it, or `None`
/// when the walk of the merged value reads it.
pub(crate) type Planned<'k> = (&'k [Segment], Op, Option<usize>);

/// Paths in key order, segment by segment.
fn cmp_paths(a: &[Segment], b: &[Segment]) -> std::cmp::Ordering {
    for (x, y) in a.iter().zip(b) {
        match x.as_str().cmp(y.as_str()) {
            std::cmp::Ordering::Equal => {}
            other => return other,
        }
    }
    a.len().cmp(&b.len())
}

/// Whether the place `b` may follow `a` in path order.
pub(crate) fn in_order(a: &[Segment], b: &[Segment]) -> bool {
    cmp_paths(a, b).is_le()
}

/// Whether `path` is `at` or below it. Compared from the deepest segment of `at` up:
/// places next to each other in an update (siblings, mostly) differ there.
fn within(path: &[Segment], at: &[Segment]) -> bool {
    path.len() >= at.len()
        && path[..at.len()]
            .iter()
            .rev()
            .zip(at.iter().rev())
            .all(|(x, y)| x == y)
}

/// The tree of operations, with no two on overlapping paths (see [`resolve`]), and the
/// values read on the spot (`values`, indexed as [`Planned`] says) in place.
pub(crate) fn tree<'k>(ops: Vec<Planned<'k>>, values: &mut [Option<Found>]) -> Node<'k> {
    let mut root = Node::default();
    for (path, op, value) in resolve(ops, false) {
        root.insert(path, op, value.and_then(|i| values[i].take()));
    }
    root
}

/// The operations of an update as a list sorted by path, with no two on overlapping
/// paths: a path's descendants follow it and become part of a whole-value `$set` of the
/// ancestor; equal paths keep one operation (two different ones at one place become a
/// `$set` of what is there at the end). The value read on the spot that stays is the last
/// one (in the order of `ops`) of an operation at that very place equal to the one kept;
/// when there is none, the walk reads the value. `sorted`: the caller knows `ops` are in
/// path order (else they are checked).
pub(crate) fn resolve(mut ops: Vec<Planned<'_>>, sorted: bool) -> Vec<Planned<'_>> {
    debug_assert!(!sorted || ops.is_sorted_by(|a, b| in_order(a.0, b.0)));
    // Recorded in document order, the paths are often sorted already: then this is linear.
    if !sorted && !ops.is_sorted_by(|a, b| in_order(a.0, b.0)) {
        // Stable: equal paths keep the order they were recorded in.
        ops.sort_by(|a, b| cmp_paths(a.0, b.0));
    }
    // Of the place kept last: the operation first recorded there, whether every operation
    // there was that one, and the last values read for it and for a `$set` there.
    let mut first = Op::Set;
    let mut same = true;
    let mut by_first: Option<usize> = None;
    let mut by_set: Option<usize> = None;
    let mut kept = 0;
    for i in 0..ops.len() {
        let (path, op, value) = ops[i];
        if kept > 0 && within(path, ops[kept - 1].0) {
            let last = &mut ops[kept - 1];
            if path.len() > last.0.len() {
                // A descendant: part of the ancestor's whole value.
                same = false;
                last.1 = Op::Set;
            } else {
                if op != first {
                    same = false;
                    last.1 = Op::Set;
                }
                if value.is_some() {
                    if op == first {
                        by_first = value;
                    }
                    if op == Op::Set {
                        by_set = value;
                    }
                }
            }
            continue;
        }
        if kept > 0 {
            ops[kept - 1].2 = if same { by_first } else { by_set };
        }
        first = op;
        same = true;
        by_first = value;
        by_set = if op == Op::Set { value } else { None };
        ops[kept] = (path, op, None);
        kept += 1;
    }
    if kept > 0 {
        ops[kept - 1].2 = if same { by_first } else { by_set };
    }
    ops.truncate(kept);
    ops
}

/// Fill in the values of changes recorded below `depth` inside `value` (a typed value at
/// that place: a map entry), walking `value` alone, so that the walk of the whole document
/// need not visit the map around it (a one-entry patch of a large map costs one entry).
/// Map entries have no serde attributes of their own: what serde stores for the entry is
/// the entry's own serialization. Anything that cannot be read here (a change above
/// `depth`, a value that is not a document, a value bson refuses) is left to that walk.
pub(crate) fn prefill_serialized<T: Serialize + ?Sized>(
    changes: &mut [crate::cx::RawChange],
    depth: usize,
    value: &T,
) {
    // The common case: the value replaced whole, one change.
    if let [change] = changes
        && change.kind != ChangeKind::Removed
        && change.place().0.len() == depth
    {
        if let Ok(found) = crate::bson::to_bson(value) {
            change.prefill = Some(Found::Value(found));
        }
        return;
    }
    // Filled only for changes below the value (none when the value is set whole).
    let mut ops = Vec::new();
    let mut values = Vec::new();
    let mut at_value = false;
    for change in changes.iter() {
        let (path, op) = change.place();
        if path.len() < depth {
            return;
        }
        if path.len() == depth {
            at_value = true;
        } else {
            ops.push((
                &path[depth..],
                op,
                change.prefill.is_some().then_some(ops.len()),
            ));
            values.push(change.prefill.clone());
        }
    }
    if at_value {
        // The value is set whole: changes below it are part of that.
        let Ok(found) = crate::bson::to_bson(value) else {
            return;
        };
        // The value moves into the last change that takes it, the others get copies.
        let takers = changes
            .iter()
            .filter(|c| c.place().0.len() == depth && c.kind != ChangeKind::Removed)
            .count();
        let mut found = Some(found);
        let mut taken = 0;
        for change in changes.iter_mut() {
            if change.place().0.len() == depth {
                change.prefill = Some(match change.kind {
                    ChangeKind::Removed => Found::Unreached,
                    _ => {
                        taken += 1;
                        let value = if taken == takers {
                            found.take()
                        } else {
                            found.clone()
                        };
                        Found::Value(value.unwrap_or(Bson::Null))
                    }
                });
            }
        }
        return;
    }
    let mut sub = tree(ops, &mut values);
    if sub.settle() && value.serialize(Walk { node: &mut sub }).is_err() {
        return;
    }
    let read: Vec<Option<Found>> = changes
        .iter()
        .map(|change| {
            // Decided where recorded: nothing to read (its value is on one of them).
            if change.prefill.is_some() || change.placed.is_some() {
                return None;
            }
            let (path, _) = change.place();
            sub.get(&path[depth..])
                .filter(|node| node.op.is_some())
                .map(|node| node.found.clone())
        })
        .collect();
    drop(sub);
    for (change, found) in changes.iter_mut().zip(read) {
        if found.is_some() {
            change.prefill = found;
        }
    }
}

/// Fill `root` from a typed merged value through serde.
pub(crate) fn from_serialize<T: Serialize + ?Sized>(
    root: &mut Node<'_>,
    merged: &T,
) -> Result<(), Error> {
    if !root.settle() {
        return Ok(());
    }
    match merged.serialize(Walk { node: root }) {
        Ok(()) => Ok(()),
        Err(WalkError::Fail(e)) => Err(e),
        Err(WalkError::NotContainer) => Err(unstorable(
            "a patched value must serialize as a document (a struct or a map)",
        )),
    }
}

/// What a merged document holds at `path` for the operation `op` there, and the place it
/// is written at: `path`, or a shorter prefix whose value is not a document (taken whole).
pub(crate) fn lookup<'p>(doc: &Document, path: &'p [Segment], op: Op) -> (&'p [Segment], Found) {
    let mut current = doc;
    for (i, segment) in path.iter().enumerate() {
        let Some(value) = current.get(segment) else {
            break;
        };
        if i + 1 == path.len() {
            let found = match (op, value) {
                (Op::Push(count), Bson::Array(items)) if count <= items.len() => {
                    Found::Items(items[items.len() - count..].to_vec())
                }
                _ => Found::Value(value.clone()),
            };
            return (path, found);
        }
        match value {
            Bson::Document(inner) => current = inner,
            other => return (&path[..=i], Found::Value(other.clone())),
        }
    }
    (path, Found::Unreached)
}

pub(crate) fn unstorable(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::Unstorable {
        message: message.into(),
    })
}

/// The bson serializer's value for `value`.
fn to_bson<T: Serialize + ?Sized>(value: &T) -> Result<Bson, WalkError> {
    crate::bson::to_bson(value).map_err(|e| WalkError::Fail(unstorable(e.to_string())))
}

/// Record what `value` (at `node`'s place) holds for the update.
fn visit<T: Serialize + ?Sized>(node: &mut Node<'_>, value: &T) -> Result<(), WalkError> {
    match node.op {
        Some(Op::Set | Op::Unset | Op::AddToSet | Op::Pull) => {
            node.found = Found::Value(to_bson(value)?)
        }
        Some(Op::Push(count)) => match value.serialize(PushWalk { count }) {
            Ok(items) => node.found = Found::Items(items),
            Err(WalkError::NotContainer) => node.found = Found::Value(to_bson(value)?),
            Err(e) => return Err(e),
        },
        None => match value.serialize(Walk { node: &mut *node }) {
            Ok(()) => {}
            Err(WalkError::NotContainer) => node.found = Found::Value(to_bson(value)?),
            Err(e) => return Err(e),
        },
    }
    Ok(())
}

/// Why a walk stopped.
#[derive(Debug)]
pub(crate) enum WalkError {
    /// The value at an inner node is not a struct or a map: it is taken whole.
    NotContainer,
    /// A value cannot be stored, or a `Serialize` impl failed.
    Fail(Error),
}

impl WalkError {
    fn at_key(self, key: &str) -> Self {
        match self {
            WalkError::Fail(e) => WalkError::Fail(e.at_key(key)),
            other => other,
        }
    }
}

impl fmt::Display for WalkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WalkError::NotContainer => f.write_str("not a document"),
            WalkError::Fail(e) => fmt::Display::fmt(e, f),
        }
    }
}

impl std::error::Error for WalkError {}

impl ser::Error for WalkError {
    fn custom<M: fmt::Display>(msg: M) -> Self {
        WalkError::Fail(unstorable(msg.to_string()))
    }
}

/// The serializer that follows the changed places below one inner node.
struct Walk<'n, 'k> {
    node: &'n mut Node<'k>,
}

macro_rules! not_container {
    ($($method:ident($($arg:ty),*)),* $(,)?) => {$(
        fn $method(self, $(_: $arg),*) -> Result<Self::Ok, Self::Error> {
            Err(WalkError::NotContainer)
        }
    )*};
}

/// `Option` and newtype structs: what is inside them (serde writes them so).
macro_rules! transparent {
    () => {
        fn serialize_some<V: Serialize + ?Sized>(self, value: &V) -> Result<Self::Ok, WalkError> {
            value.serialize(self)
        }

        fn serialize_newtype_struct<V: Serialize + ?Sized>(
            self,
            _: &'static str,
            value: &V,
        ) -> Result<Self::Ok, WalkError> {
            value.serialize(self)
        }
    };
}

/// Every scalar method: not a document.
macro_rules! not_container_scalars {
    () => {
        not_container! {
            serialize_bool(bool), serialize_i8(i8), serialize_i16(i16), serialize_i32(i32),
            serialize_i64(i64), serialize_i128(i128), serialize_u8(u8), serialize_u16(u16),
            serialize_u32(u32), serialize_u64(u64), serialize_u128(u128), serialize_f32(f32),
            serialize_f64(f64), serialize_char(char), serialize_str(&str),
            serialize_bytes(&[u8]), serialize_none(), serialize_unit(),
            serialize_unit_struct(&'static str),
            serialize_unit_variant(&'static str, u32, &'static str),
        }
    };
}

/// The compound methods but sequences, maps and structs: not a document.
macro_rules! not_container_rest {
    () => {
        fn serialize_newtype_variant<V: Serialize + ?Sized>(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: &V,
        ) -> Result<Self::Ok, WalkError> {
            Err(WalkError::NotContainer)
        }

        fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, WalkError> {
            Err(WalkError::NotContainer)
        }

        fn serialize_tuple_struct(
            self,
            _: &'static str,
            _: usize,
        ) -> Result<Self::SerializeTupleStruct, WalkError> {
            Err(WalkError::NotContainer)
        }

        fn serialize_tuple_variant(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: usize,
        ) -> Result<Self::SerializeTupleVariant, WalkError> {
            Err(WalkError::NotContainer)
        }

        fn serialize_struct_variant(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: usize,
        ) -> Result<Self::SerializeStructVariant, WalkError> {
            Err(WalkError::NotContainer)
        }
    };
}

/// Every compound method but maps and structs: not a document.
macro_rules! not_container_compound {
    () => {
        type SerializeSeq = Impossible<Self::Ok, WalkError>;
        type SerializeTuple = Impossible<Self::Ok, WalkError>;
        type SerializeTupleStruct = Impossible<Self::Ok, WalkError>;
        type SerializeTupleVariant = Impossible<Self::Ok, WalkError>;
        type SerializeStructVariant = Impossible<Self::Ok, WalkError>;

        fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, WalkError> {
            Err(WalkError::NotContainer)
        }

        not_container_rest!();
    };
}

/// A serializer that reads documents (maps and structs, also inside `Option`s and
/// newtypes) and nothing else: everything but `serialize_map` and `serialize_struct`.
macro_rules! documents_only {
    ($map:ty, $strukt:ty) => {
        type Ok = ();
        type Error = WalkError;
        type SerializeMap = $map;
        type SerializeStruct = $strukt;

        not_container_compound!();

        not_container_scalars!();

        transparent!();
    };
}

/// `serialize_map` and `serialize_struct`: not wanted either.
macro_rules! no_documents {
    () => {
        fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, WalkError> {
            Err(WalkError::NotContainer)
        }

        fn serialize_struct(
            self,
            _: &'static str,
            _: usize,
        ) -> Result<Self::SerializeStruct, WalkError> {
            Err(WalkError::NotContainer)
        }
    };
}

impl<'n, 'k> Serializer for Walk<'n, 'k> {
    documents_only!(MapWalk<'n, 'k>, StructWalk<'n, 'k>);

    fn serialize_map(self, _: Option<usize>) -> Result<MapWalk<'n, 'k>, WalkError> {
        Ok(MapWalk {
            node: self.node,
            pending: None,
        })
    }

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<StructWalk<'n, 'k>, WalkError> {
        Ok(StructWalk { node: self.node })
    }
}

/// A map below an inner node: entries whose key is changed are visited, others skipped.
struct MapWalk<'n, 'k> {
    node: &'n mut Node<'k>,
    pending: Option<&'k str>,
}

impl ser::SerializeMap for MapWalk<'_, '_> {
    type Ok = ();
    type Error = WalkError;

    fn serialize_key<K: Serialize + ?Sized>(&mut self, key: &K) -> Result<(), WalkError> {
        let children = &self.node.children;
        self.pending = key
            .serialize(KeyWith {
                f: |k: &str| children.key(k),
            })
            .unwrap_or(None);
        Ok(())
    }

    fn serialize_value<V: Serialize + ?Sized>(&mut self, value: &V) -> Result<(), WalkError> {
        if let Some(key) = self.pending.take()
            && let Some(child) = self.node.children.get_mut(key)
            && child.needs_walk
        {
            visit(child, value).map_err(|e| e.at_key(key))?;
        }
        Ok(())
    }

    fn end(self) -> Result<(), WalkError> {
        Ok(())
    }
}

/// A struct below an inner node: changed fields are visited, others skipped.
struct StructWalk<'n, 'k> {
    node: &'n mut Node<'k>,
}

named_fields! {
    Ok = (), Error = WalkError;
    impl[] SerializeStruct for StructWalk<'_, '_> {
        |self, key, value| match self.node.children.get_mut(key) {
            Some(child) if child.needs_walk => visit(child, value).map_err(|e| e.at_key(key)),
            _ => Ok(()),
        };
        |self| Ok(());

        fn skip_field(&mut self, key: &'static str) -> Result<(), WalkError> {
            if let Some(child) = self.node.children.get_mut(key)
                && child.needs_walk
            {
                child.found = Found::Skipped;
            }
            Ok(())
        }
    }
    impl[] SerializeStruct for KeysMap<'_> {
        |self, key, _value| {
            self.keys.push(key.to_owned());
            Ok(())
        };
        |self| Ok(());
    }
}

/// A map key as a string, handed to `F` (no allocation unless `F` makes one): strings as
/// they are, numbers, booleans and chars as they print, unit variants by name.
struct KeyWith<F> {
    f: F,
}

impl<R, F: FnOnce(&str) -> Option<R>> KeyWith<F> {
    fn found(self, key: &str) -> Result<Option<R>, WalkError> {
        Ok((self.f)(key))
    }
}

macro_rules! key_display {
    ($($method:ident($ty:ty)),* $(,)?) => {$(
        fn $method(self, v: $ty) -> Result<Self::Ok, Self::Error> {
            self.found(&v.to_string())
        }
    )*};
}

impl<R, F: FnOnce(&str) -> Option<R>> Serializer for KeyWith<F> {
    type Ok = Option<R>;
    type Error = WalkError;
    type SerializeMap = Impossible<Self::Ok, WalkError>;
    type SerializeStruct = Impossible<Self::Ok, WalkError>;

    not_container_compound!();

    not_container! {
        serialize_f32(f32), serialize_f64(f64), serialize_bytes(&[u8]), serialize_none(),
        serialize_unit(), serialize_unit_struct(&'static str),
    }

    fn serialize_str(self, v: &str) -> Result<Option<R>, WalkError> {
        self.found(v)
    }

    key_display! {
        serialize_bool(bool), serialize_i8(i8), serialize_i16(i16), serialize_i32(i32),
        serialize_i64(i64), serialize_i128(i128), serialize_u8(u8), serialize_u16(u16),
        serialize_u32(u32), serialize_u64(u64), serialize_u128(u128), serialize_char(char),
    }

    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<Option<R>, WalkError> {
        self.found(variant)
    }

    transparent!();

    no_documents!();
}

/// The top-level keys serde writes for `value` (struct fields it does not skip, map keys),
/// without serializing the values. Fails if `value` is not a struct or a map.
pub(crate) fn top_level_keys<T: Serialize + ?Sized>(value: &T) -> Result<Vec<String>, Error> {
    let mut keys = Vec::new();
    match value.serialize(Keys { keys: &mut keys }) {
        Ok(()) => Ok(keys),
        Err(WalkError::Fail(e)) => Err(e),
        Err(WalkError::NotContainer) => Err(unstorable(
            "a patched value must serialize as a document (a struct or a map)",
        )),
    }
}

/// The serializer of [`top_level_keys`].
struct Keys<'k> {
    keys: &'k mut Vec<String>,
}

impl<'k> Serializer for Keys<'k> {
    documents_only!(KeysMap<'k>, KeysMap<'k>);

    fn serialize_map(self, _: Option<usize>) -> Result<KeysMap<'k>, WalkError> {
        Ok(KeysMap { keys: self.keys })
    }

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<KeysMap<'k>, WalkError> {
        Ok(KeysMap { keys: self.keys })
    }
}

struct KeysMap<'k> {
    keys: &'k mut Vec<String>,
}

impl ser::SerializeMap for KeysMap<'_> {
    type Ok = ();
    type Error = WalkError;

    fn serialize_key<K: Serialize + ?Sized>(&mut self, key: &K) -> Result<(), WalkError> {
        if let Some(key) = key.serialize(KeyWith {
            f: |k: &str| Some(k.to_owned()),
        })? {
            self.keys.push(key);
        }
        Ok(())
    }

    fn serialize_value<V: Serialize + ?Sized>(&mut self, _: &V) -> Result<(), WalkError> {
        Ok(())
    }

    fn end(self) -> Result<(), WalkError> {
        Ok(())
    }
}

/// The serializer at a `$push`: the last `count` items of a sequence, as bson.
struct PushWalk {
    count: usize,
}

impl Serializer for PushWalk {
    type Ok = Vec<Bson>;
    type Error = WalkError;
    type SerializeSeq = PushSeq;
    type SerializeTuple = Impossible<Self::Ok, WalkError>;
    type SerializeTupleStruct = Impossible<Self::Ok, WalkError>;
    type SerializeTupleVariant = Impossible<Self::Ok, WalkError>;
    type SerializeStructVariant = Impossible<Self::Ok, WalkError>;
    type SerializeMap = Impossible<Self::Ok, WalkError>;
    type SerializeStruct = Impossible<Self::Ok, WalkError>;

    not_container_scalars!();

    transparent!();

    not_container_rest!();

    fn serialize_seq(self, len: Option<usize>) -> Result<PushSeq, WalkError> {
        // With a known length only the new items are converted.
        let skip = len.map_or(0, |len| len.saturating_sub(self.count));
        Ok(PushSeq {
            count: self.count,
            index: 0,
            skip,
            items: Vec::with_capacity(self.count),
        })
    }

    no_documents!();
}

struct PushSeq {
    count: usize,
    index: usize,
    skip: usize,
    items: Vec<Bson>,
}

impl ser::SerializeSeq for PushSeq {
    type Ok = Vec<Bson>;
    type Error = WalkError;

    fn serialize_element<V: Serialize + ?Sized>(&mut self, value: &V) -> Result<(), WalkError> {
        if self.index >= self.skip {
            let item = to_bson(value).map_err(|e| match e {
                WalkError::Fail(e) => WalkError::Fail(e.at_index(self.index)),
                other => other,
            })?;
            self.items.push(item);
        }
        self.index += 1;
        Ok(())
    }

    fn end(mut self) -> Result<Vec<Bson>, WalkError> {
        if self.items.len() > self.count {
            self.items.drain(..self.items.len() - self.count);
        }
        Ok(self.items)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Serialize;
    use std::collections::HashMap;

    #[derive(Serialize)]
    struct Inner {
        a: i32,
        #[serde(rename = "bee")]
        b: String,
    }

    #[derive(Serialize)]
    struct Outer {
        inner: Inner,
        #[serde(skip_serializing_if = "Option::is_none")]
        gone: Option<i32>,
        #[serde(serialize_with = "as_text")]
        count: i64,
        list: Vec<u8>,
        map: HashMap<u32, Inner>,
        big: u64,
    }

    fn as_text<S: Serializer>(v: &i64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&v.to_string())
    }

    fn outer() -> Outer {
        Outer {
            inner: Inner {
                a: 1,
                b: "x".into(),
            },
            gone: None,
            count: 5,
            list: vec![1, 2, 3],
            map: HashMap::from([(
                7,
                Inner {
                    a: 2,
                    b: "y".into(),
                },
            )]),
            big: u64::MAX,
        }
    }

    fn path(s: &str) -> Vec<Segment> {
        s.split('.').map(Segment::from).collect()
    }

    /// The paths of a test, kept alive for the tree that borrows them.
    fn paths(list: &[(&str, Op)]) -> Vec<(Vec<Segment>, Op)> {
        list.iter().map(|(p, op)| (path(p), *op)).collect()
    }

    fn tree_of(paths: &[(Vec<Segment>, Op)]) -> Node<'_> {
        tree(
            paths
                .iter()
                .map(|(p, op)| (p.as_slice(), *op, None))
                .collect(),
            &mut [],
        )
    }

    #[test]
    fn finds_what_serde_writes_at_each_place() {
        let ops = paths(&[
            ("inner.bee", Op::Set),
            ("gone", Op::Set),
            ("count", Op::Set),
            ("list", Op::Push(2)),
            ("map.7.a", Op::Set),
            ("missing", Op::Unset),
        ]);
        let mut root = tree_of(&ops);
        from_serialize(&mut root, &outer()).unwrap();
        let at = |p: &str| &root.get(&path(p)).unwrap().found;
        assert!(matches!(at("inner.bee"), Found::Value(Bson::String(s)) if s == "x"));
        assert!(matches!(at("gone"), Found::Skipped));
        assert!(matches!(at("count"), Found::Value(Bson::String(s)) if s == "5"));
        assert!(
            matches!(at("list"), Found::Items(items) if *items == [Bson::Int32(2), Bson::Int32(3)])
        );
        assert!(matches!(at("map.7.a"), Found::Value(Bson::Int32(2))));
        assert!(matches!(at("missing"), Found::Unreached));
    }

    #[test]
    fn overlapping_changes_keep_the_ancestor() {
        let ops = paths(&[
            ("a.b", Op::Unset),
            ("a", Op::Push(1)),
            ("c", Op::Set),
            ("c", Op::Unset),
        ]);
        let root = tree_of(&ops);
        assert_eq!(root.get(&path("a")).unwrap().op, Some(Op::Set));
        assert!(root.get(&path("a.b")).is_none());
        assert_eq!(root.get(&path("c")).unwrap().op, Some(Op::Set));
    }

    /// Resolved operations as owned paths, for comparisons.
    type Resolved = Vec<(Vec<String>, Op, Option<usize>)>;

    fn owned(list: &[Planned<'_>]) -> Resolved {
        list.iter()
            .map(|(p, op, v)| (p.iter().map(|s| s.to_string()).collect(), *op, *v))
            .collect()
    }

    /// What the tree of the previous release wrote: the operations sorted and folded, then
    /// each change's value given, in the order recorded, to the place kept at its very
    /// path if the operation kept there is its own.
    fn resolved_before(ops: &[(Vec<Segment>, Op, Option<usize>)]) -> Resolved {
        let mut list: Vec<(&[Segment], Op)> = ops.iter().map(|(p, op, _)| (&p[..], *op)).collect();
        list.sort_by(|a, b| a.0.cmp(b.0));
        list.dedup_by(|(path, op), (last, last_op)| {
            if *last == *path {
                if *last_op != *op {
                    *last_op = Op::Set;
                }
                return true;
            }
            if last.len() < path.len() && path[..last.len()] == **last {
                *last_op = Op::Set;
                return true;
            }
            false
        });
        let mut out: Vec<Planned<'_>> = list.into_iter().map(|(p, op)| (p, op, None)).collect();
        for (path, op, value) in ops {
            if let Some(kept) = out.iter_mut().find(|(p, o, _)| *p == &path[..] && o == op)
                && value.is_some()
            {
                kept.2 = *value;
            }
        }
        owned(&out)
    }

    #[test]
    fn resolving_keeps_the_last_value_read_by_the_operation_kept() {
        let ops: Vec<(Vec<Segment>, Op, Option<usize>)> = vec![
            (path("h"), Op::Push(1), Some(0)),
            (path("c"), Op::Set, Some(1)),
            (path("f.g"), Op::Set, Some(2)),
            (path("c"), Op::Unset, Some(3)),
            (path("e"), Op::Unset, Some(4)),
            (path("a.b"), Op::Set, Some(5)),
            (path("e"), Op::Set, None),
            (path("a"), Op::Set, Some(6)),
            (path("f"), Op::Unset, Some(7)),
            (path("h"), Op::Push(1), Some(8)),
            (path("d"), Op::Set, Some(9)),
            (path("d"), Op::Set, Some(10)),
        ];
        let planned: Vec<Planned<'_>> = ops.iter().map(|(p, op, v)| (&p[..], *op, *v)).collect();
        let s = |p: &str| p.split('.').map(str::to_owned).collect::<Vec<_>>();
        assert_eq!(
            owned(&resolve(planned, false)),
            vec![
                (s("a"), Op::Set, Some(6)),
                (s("c"), Op::Set, Some(1)),
                (s("d"), Op::Set, Some(10)),
                (s("e"), Op::Set, None),
                (s("f"), Op::Set, None),
                (s("h"), Op::Push(1), Some(8)),
            ]
        );
        assert_eq!(
            resolved_before(&ops),
            owned(&resolve(
                ops.iter().map(|(p, op, v)| (&p[..], *op, *v)).collect(),
                false
            ))
        );
    }

    #[test]
    fn resolving_agrees_with_the_tree_of_the_previous_release() {
        // Random lists of changes over a few keys (a fixed generator: the same lists each
        // run), with keys shared as recorded paths share them, or not.
        let keys: Vec<Segment> = ["a", "b", "ab", ""].map(Segment::from).to_vec();
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n) as usize
        };
        for _ in 0..3000 {
            let len = 1 + next(8);
            let ops: Vec<(Vec<Segment>, Op, Option<usize>)> = (0..len)
                .map(|i| {
                    let depth = 1 + next(3);
                    let path = (0..depth)
                        .map(|_| {
                            let key = &keys[next(keys.len() as u64)];
                            if next(2) == 0 {
                                key.clone()
                            } else {
                                Segment::from(&**key)
                            }
                        })
                        .collect();
                    let op = [Op::Set, Op::Unset, Op::Push(1), Op::Pull][next(4)];
                    (path, op, (next(2) == 0).then_some(i))
                })
                .collect();
            let planned = ops.iter().map(|(p, op, v)| (&p[..], *op, *v)).collect();
            assert_eq!(
                owned(&resolve(planned, false)),
                resolved_before(&ops),
                "{ops:?}"
            );
        }
    }

    #[test]
    fn an_unstorable_value_is_an_error_with_its_place() {
        let ops = paths(&[("big", Op::Set)]);
        let mut root = tree_of(&ops);
        let err = from_serialize(&mut root, &outer()).unwrap_err();
        assert_eq!(err.path(), "/big");
        assert!(matches!(err.kind(), ErrorKind::Unstorable { .. }));
    }

    #[test]
    fn an_inner_node_that_is_not_a_document_is_taken_whole() {
        let ops = paths(&[("count.x", Op::Set)]);
        let mut root = tree_of(&ops);
        from_serialize(&mut root, &outer()).unwrap();
        assert!(matches!(&root.children["count"].found, Found::Value(Bson::String(s)) if s == "5"));
    }

    #[test]
    fn untouched_values_are_not_serialized() {
        // `big` cannot be stored, but nothing under it changed: no error.
        let ops = paths(&[("inner.a", Op::Set)]);
        let mut root = tree_of(&ops);
        from_serialize(&mut root, &outer()).unwrap();
        assert!(matches!(
            &root.children["inner"].children["a"].found,
            Found::Value(Bson::Int32(1))
        ));
    }

    #[test]
    fn numeric_empty_and_dotted_keys_place_the_change_on_the_parent() {
        let seg = |s: &[&str]| s.iter().map(|s| Segment::from(*s)).collect::<Vec<_>>();
        for (segments, placed) in [
            (seg(&["meta", "7", "x"]), seg(&["meta"])),
            (seg(&["meta", "a", ""]), seg(&["meta", "a"])),
            (seg(&["labels", "app.kubernetes.io/name"]), seg(&["labels"])),
            (seg(&["7", "x"]), seg(&["7", "x"])),
        ] {
            let (at, op) = op_of(&segments, ChangeKind::Removed, 0);
            assert_eq!(at, placed.as_slice(), "{segments:?}");
            let expected = if at.len() < segments.len() {
                Op::Set
            } else {
                Op::Unset
            };
            assert_eq!(op, expected);
        }
    }
}
