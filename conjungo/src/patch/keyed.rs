//! The patch forms of keyed lists (`#[merge(by_key = field)]`) and sets
//! (`#[merge(union)]`), and their updates: items changed in place by key with
//! `arrayFilters`, new items pushed, removed items pulled, set members added with
//! `$addToSet` and removed with `$pull`, so that two writers who change different items or
//! members of the same document both keep their change.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, DeserializeOwned, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};

use crate::__private::ByKey;
use crate::index::{HashFn, KeyIndex};
use crate::patch::typed::storable;
use crate::strategy::seq::Seq;
use crate::{Apply, Check, Error, Merge};

/// The patch of a keyed list (`#[merge(by_key = field)]`) in a generated patch type.
///
/// A body writes it in one of two ways:
///
/// - **an object keyed by item key** (the form for partial changes): each member names an
///   item by its key (the key's JSON string, or its number written as a string). `null`
///   removes the item (nothing happens if there is none); an object is an RFC 7396 merge
///   patch of the item with that key (`null` inside it removes an optional field, nested
///   objects merge, everything else replaces), or, when there is no such item, the whole
///   new item, appended. An item's key cannot change.
///
///   ```json
///   {"addresses": {"home": {"city": "Paris"}, "old": null, "work": {"id": "work", "city": "Lyon"}}}
///   ```
/// - **an array of whole items**: an item whose key matches a stored one merges into it
///   with the item type's own [`Merge`] rules; the others are appended.
///
/// The update touches only the items named: changed fields of existing items are `$set`
/// and `$unset` through `field.$[k0].…` with an array filter per item
/// ([`Applied::array_filters`](crate::patch::Applied::array_filters)), new items are
/// `$push`ed and removed ones `$pull`ed by key. MongoDB cannot combine these on one array
/// in one update, so a body that changes items **and** adds or removes some (or adds and
/// removes) in the same list sets the whole list instead: use a
/// `#[merge(version)]` field when such bodies can race.
#[derive(Debug, Clone, PartialEq)]
pub enum KeyedPatch<S> {
    /// A JSON array of whole items.
    Items(S),
    /// A JSON object from item keys to a merge patch of the item, or `None` (`null`) to
    /// remove it, in body order.
    #[cfg(feature = "json")]
    ByKey(Vec<(String, Option<serde_json::Map<String, serde_json::Value>>)>),
}

/// The patch of a set-like list (`#[merge(union)]`) in a generated patch type.
///
/// A body writes it as an array of members to add (those not there yet are appended), or
/// as an object `{"add": [...], "remove": [...]}` (both optional): removals are applied
/// after additions, so a member in both ends up absent.
///
/// ```json
/// {"roles": ["ops"]}
/// {"roles": {"add": ["ops"], "remove": ["dev"]}}
/// ```
///
/// Additions compile to `$addToSet` with `$each`, removals to `$pull` with `$in`, so that
/// concurrent writers adding or removing different members both keep their change. MongoDB
/// cannot do both on one array in one update: a body whose additions and removals both
/// change the list sets the whole list instead.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SetPatch<S> {
    /// Members to add.
    pub add: S,
    /// Members to remove.
    pub remove: S,
}

impl<S: Serialize> Serialize for KeyedPatch<S> {
    fn serialize<Z: Serializer>(&self, serializer: Z) -> Result<Z::Ok, Z::Error> {
        match self {
            KeyedPatch::Items(items) => items.serialize(serializer),
            #[cfg(feature = "json")]
            KeyedPatch::ByKey(entries) => {
                let mut map = serializer.serialize_map(Some(entries.len()))?;
                for (key, value) in entries {
                    map.serialize_entry(key, value)?;
                }
                map.end()
            }
        }
    }
}

impl<'de, S: Deserialize<'de>> Deserialize<'de> for KeyedPatch<S> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V<S>(PhantomData<S>);
        impl<'de, S: Deserialize<'de>> Visitor<'de> for V<S> {
            type Value = KeyedPatch<S>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array of items or an object of item patches keyed by item key")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
                S::deserialize(de::value::SeqAccessDeserializer::new(seq)).map(KeyedPatch::Items)
            }
            #[cfg(feature = "json")]
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut entries = Vec::new();
                while let Some((key, value)) =
                    map.next_entry::<String, Option<serde_json::Map<String, serde_json::Value>>>()?
                {
                    entries.push((key, value));
                }
                Ok(KeyedPatch::ByKey(entries))
            }
        }
        deserializer.deserialize_any(V(PhantomData))
    }
}

impl<S: Serialize + Seq> Serialize for SetPatch<S> {
    fn serialize<Z: Serializer>(&self, serializer: Z) -> Result<Z::Ok, Z::Error> {
        if self.remove.seq_len() == 0 {
            return self.add.serialize(serializer);
        }
        let mut map = serializer.serialize_map(Some(2))?;
        if self.add.seq_len() > 0 {
            map.serialize_entry("add", &self.add)?;
        }
        map.serialize_entry("remove", &self.remove)?;
        map.end()
    }
}

impl<'de, S: Deserialize<'de> + Default> Deserialize<'de> for SetPatch<S> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V<S>(PhantomData<S>);
        impl<'de, S: Deserialize<'de> + Default> Visitor<'de> for V<S> {
            type Value = SetPatch<S>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array of members to add, or an object with `add` and `remove`")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
                Ok(SetPatch {
                    add: S::deserialize(de::value::SeqAccessDeserializer::new(seq))?,
                    remove: S::default(),
                })
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let (mut add, mut remove) = (None, None);
                while let Some(key) = map.next_key::<String>()? {
                    let slot = match key.as_str() {
                        "add" => &mut add,
                        "remove" => &mut remove,
                        other => return Err(de::Error::unknown_field(other, &["add", "remove"])),
                    };
                    if slot.is_some() {
                        return Err(de::Error::duplicate_field("add or remove"));
                    }
                    *slot = Some(map.next_value::<S>()?);
                }
                Ok(SetPatch {
                    add: add.unwrap_or_default(),
                    remove: remove.unwrap_or_default(),
                })
            }
        }
        deserializer.deserialize_any(V(PhantomData))
    }
}

/// One step of a keyed patch, decided against the stored items.
#[cfg(feature = "json")]
enum Step<T> {
    /// The stored item at this index becomes this one.
    Update(usize, T),
    /// A new item, appended.
    Insert(T),
    /// The stored item at this index is removed.
    Remove(usize),
}

/// The string an item key is named by in the object form: a JSON string as is, a number
/// or a boolean written out; other keys cannot name items in an object.
#[cfg(feature = "json")]
pub(crate) fn key_string<K: Serialize + ?Sized>(key: &K) -> Option<String> {
    match serde_json::to_value(key).ok()? {
        serde_json::Value::String(s) => Some(s),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A new item's JSON from its patch (RFC 7396 applied to `{}`: its nulls dropped).
#[cfg(feature = "json")]
fn built(patch: &serde_json::Map<String, serde_json::Value>) -> Result<serde_json::Value, Error> {
    let mut value = serde_json::Value::Object(serde_json::Map::new());
    crate::json::merge_patch(&mut value, serde_json::Value::Object(patch.clone()))?;
    Ok(value)
}

/// The steps of the object form against `target`, or the first problem (nothing changed).
#[cfg(feature = "json")]
fn steps<S, K>(
    target: &S,
    entries: &[(String, Option<serde_json::Map<String, serde_json::Value>>)],
    key: &impl Fn(&S::Item) -> &K,
) -> Result<Vec<Step<S::Item>>, Error>
where
    S: Seq,
    S::Item: Serialize + DeserializeOwned,
    K: PartialEq + Serialize + ?Sized,
{
    let mut stored = std::collections::HashMap::with_capacity(target.seq_len());
    for (i, item) in target.seq_iter().enumerate() {
        if let Some(k) = key_string(key(item)) {
            stored.entry(k).or_insert(i);
        }
    }
    let mut seen = std::collections::HashSet::with_capacity(entries.len());
    let mut out = Vec::with_capacity(entries.len());
    for (name, patch) in entries {
        if !seen.insert(name.as_str()) {
            return Err(Error::new(crate::ErrorKind::DuplicateKey).at_key(name));
        }
        let at = stored.get(name).copied();
        let step = match (patch, at) {
            (None, Some(i)) => Step::Remove(i),
            (None, None) => continue,
            (Some(patch), Some(i)) => {
                let have = target.seq_get(i).expect("indexed");
                let item: S::Item = super::body::deserialize_patched(patch, |patch| {
                    let mut value = serde_json::to_value(have).map_err(|e| {
                        Error::stored(format!("a stored item cannot be read as JSON: {e}"))
                    })?;
                    crate::json::merge_patch(&mut value, serde_json::Value::Object(patch.clone()))?;
                    Ok(value)
                })
                .map_err(|e| e.at_key(name))?;
                if key(&item) != key(have) {
                    return Err(Error::new(crate::ErrorKind::Immutable).at_key(name));
                }
                Step::Update(i, item)
            }
            (Some(patch), None) => {
                let item: S::Item =
                    super::body::deserialize(built(patch)?).map_err(|e| e.at_key(name))?;
                if key_string(key(&item)).as_deref() != Some(name.as_str()) {
                    return Err(Error::custom(format!(
                        "a new item given under the key {name:?} must have that key"
                    ))
                    .at_key(name));
                }
                Step::Insert(item)
            }
        };
        out.push(step);
    }
    Ok(out)
}

/// The passes of a keyed list's patch (the list's own passes are in `__private`).
impl<I, K, F> ByKey<I, K, F>
where
    I: Merge + Serialize + DeserializeOwned,
    K: PartialEq + Serialize + ?Sized,
    F: Fn(&I) -> &K,
{
    /// The check pass of a keyed list's patch: everything that can fail, before any
    /// change.
    pub fn patch_check<S: Seq<Item = I>>(
        &self,
        target: &S,
        patch: &KeyedPatch<S>,
        cx: &mut Check<'_>,
    ) -> Result<(), Error> {
        match patch {
            KeyedPatch::Items(source) => {
                self.check(target, source, cx)?;
                // What is written: the new items, and the fields of stored ones that change.
                for (i, item) in source.seq_iter().enumerate() {
                    storable(item, cx).map_err(|e| e.at_index(i))?;
                }
                Ok(())
            }
            #[cfg(feature = "json")]
            KeyedPatch::ByKey(entries) => {
                for step in steps(target, entries, &self.key)? {
                    if let Step::Update(_, item) | Step::Insert(item) = &step {
                        // Named by its key (which `steps` checked is the name it was given).
                        storable(item, cx).map_err(|e| {
                            e.at_key(&key_string((self.key)(item)).unwrap_or_default())
                        })?;
                    }
                }
                Ok(())
            }
        }
    }

    /// [`patch_check`](Self::patch_check) of an `Option` of a keyed list.
    pub fn patch_check_option<S: Seq<Item = I> + Default>(
        &self,
        target: &Option<S>,
        patch: &KeyedPatch<S>,
        cx: &mut Check<'_>,
    ) -> Result<(), Error> {
        match target {
            Some(target) => self.patch_check(target, patch, cx),
            None => self.patch_check(&S::default(), patch, cx),
        }
    }

    /// The apply pass of a keyed list's patch, recording an update that touches only the
    /// items named (see [`KeyedPatch`]). `key_name` is the Rust name of the key field.
    pub fn patch_apply<S: Seq<Item = I>>(
        &self,
        target: &mut S,
        patch: KeyedPatch<S>,
        cx: &mut Apply<'_>,
        key_name: &str,
    ) -> Result<(), Error> {
        let key = &self.key;
        let mut log = Log::new(cx.is_recording());
        match patch {
            KeyedPatch::Items(source) => {
                let index = self.index(target);
                let paused = cx.pause_recording();
                // With custom functions, new items are appended after the merges, so that no
                // item moves (the sequence growing) before its custom result is found by its
                // place. A source has no key twice (checked): later items never match a new
                // one, which need not be indexed.
                let defer = cx.options().has_custom();
                let mut later = Vec::new();
                let mut result = Ok(());
                for item in source.seq_into_iter() {
                    match self.find(&index, target, &item) {
                        Some(i) => {
                            let have = target.seq_get_mut(i).expect("indexed");
                            let before = log.read(have);
                            if let Err(e) = cx.merge(have, item) {
                                result = Err(e.at_index(i));
                                break;
                            }
                            log.updated(i, before, have);
                        }
                        None if defer => later.push(item),
                        None => {
                            log.inserted();
                            target.seq_push(item);
                        }
                    }
                }
                cx.resume_recording(paused);
                result?;
                for item in later {
                    log.inserted();
                    target.seq_push(item);
                }
            }
            #[cfg(feature = "json")]
            KeyedPatch::ByKey(entries) => {
                let steps = steps(target, &entries, key)?;
                let mut removed = Vec::new();
                for step in steps {
                    match step {
                        Step::Update(i, item) => {
                            let have = target.seq_get_mut(i).expect("indexed");
                            let before = log.read(have);
                            *have = item;
                            log.updated(i, before, have);
                        }
                        Step::Insert(item) => {
                            log.inserted();
                            target.seq_push(item);
                        }
                        Step::Remove(i) => removed.push(i),
                    }
                }
                if !removed.is_empty() {
                    removed.sort_unstable();
                    for &i in &removed {
                        log.removed(i, target.seq_get(i), key, key_name);
                    }
                    let mut at = 0;
                    let mut next = removed.iter().peekable();
                    target.seq_retain(|_| {
                        let gone = next.peek().is_some_and(|&&r| r == at);
                        if gone {
                            next.next();
                        }
                        at += 1;
                        !gone
                    });
                }
            }
        }
        log.record(cx, target, key, key_name);
        Ok(())
    }

    /// [`patch_apply`](Self::patch_apply) of an `Option` of a keyed list: with no list
    /// stored, the items of the patch become the list (set whole).
    pub fn patch_apply_option<S: Seq<Item = I> + Default>(
        &self,
        target: &mut Option<S>,
        patch: KeyedPatch<S>,
        cx: &mut Apply<'_>,
        key_name: &str,
    ) -> Result<(), Error> {
        match target {
            Some(target) => self.patch_apply(target, patch, cx, key_name),
            None => {
                // Removing items from a list that is not there changes nothing.
                #[cfg(feature = "json")]
                if let KeyedPatch::ByKey(entries) = &patch
                    && entries.iter().all(|(_, p)| p.is_none())
                {
                    return Ok(());
                }
                let mut list = S::default();
                let paused = cx.pause_recording();
                let result = self.patch_apply(&mut list, patch, cx, key_name);
                cx.resume_recording(paused);
                result?;
                *target = Some(list);
                cx.record_here(crate::patch::ChangeKind::Replaced);
                Ok(())
            }
        }
    }
}

impl<S> KeyedPatch<S> {
    /// The list a patch makes where none is stored (a new value built from a patch).
    pub fn into_new(self) -> Result<S, Error>
    where
        S: Seq + Default,
        S::Item: Merge + Serialize + DeserializeOwned,
    {
        match self {
            KeyedPatch::Items(items) => Ok(items),
            #[cfg(feature = "json")]
            KeyedPatch::ByKey(entries) => {
                let mut out = S::default();
                for (name, patch) in entries {
                    if let Some(patch) = patch {
                        let mut value = serde_json::Value::Object(serde_json::Map::new());
                        crate::json::merge_patch(&mut value, serde_json::Value::Object(patch))?;
                        out.seq_push(super::body::deserialize(value).map_err(|e| e.at_key(&name))?);
                    }
                }
                Ok(out)
            }
        }
    }

    /// The check of [`into_new`](Self::into_new): the same errors, nothing built; and, in
    /// a typed PATCH, that bson can store every item.
    pub fn check_new(&self, cx: &mut Check<'_>) -> Result<(), Error>
    where
        S: Seq + Default,
        S::Item: Merge + Serialize + DeserializeOwned,
    {
        match self {
            KeyedPatch::Items(items) => {
                for (i, item) in items.seq_iter().enumerate() {
                    storable(item, cx).map_err(|e| e.at_index(i))?;
                }
                Ok(())
            }
            #[cfg(feature = "json")]
            KeyedPatch::ByKey(entries) => {
                for (name, patch) in entries {
                    if let Some(patch) = patch {
                        let item: S::Item =
                            super::body::deserialize(built(patch)?).map_err(|e| e.at_key(name))?;
                        storable(&item, cx).map_err(|e| e.at_key(name))?;
                    }
                }
                Ok(())
            }
        }
    }
}

impl<S: Seq + Default> SetPatch<S> {
    /// The set a patch makes where none is stored: the additions without the removals.
    pub fn into_new(self, hash: Option<HashFn<S::Item>>) -> S
    where
        S::Item: PartialEq,
    {
        let mut out = S::default();
        crate::strategy::seq::union_by(&mut out, self.add, hash);
        remove_members(&mut out, &self.remove, hash);
        out
    }
}

/// Remove the members of `target` equal to one of `remove`; their indexes, ascending.
fn remove_members<S: Seq>(target: &mut S, remove: &S, hash: Option<HashFn<S::Item>>) -> Vec<usize>
where
    S::Item: PartialEq,
{
    if remove.seq_len() == 0 {
        return Vec::new();
    }
    let mut index = KeyIndex::new(hash);
    for (i, item) in remove.seq_iter().enumerate() {
        index.insert(item, i);
    }
    let mut gone = Vec::new();
    let mut at = 0;
    target.seq_retain(|item| {
        let hit = index.find(item, |i| remove.seq_get(i)).is_some();
        if hit {
            gone.push(at);
        }
        at += 1;
        !hit
    });
    gone
}

/// The apply pass of a set's patch: additions (`$addToSet`), then removals (`$pull`).
pub fn set_apply<S>(
    target: &mut S,
    patch: SetPatch<S>,
    cx: &mut Apply<'_>,
    hash: Option<HashFn<S::Item>>,
) -> Result<(), Error>
where
    S: Seq,
    S::Item: PartialEq + Serialize,
{
    let before = target.seq_len();
    crate::strategy::seq::union_by(target, patch.add, hash);
    let added = target.seq_len() - before;
    // The values of the members about to be removed, as serde stores them.
    #[cfg(feature = "bson")]
    let removed_values: Vec<Option<bson::Bson>> = if cx.is_recording() {
        patch.remove.seq_iter().map(to_bson).collect()
    } else {
        Vec::new()
    };
    let gone = remove_members(target, &patch.remove, hash);
    if !cx.is_recording() || (added == 0 && gone.is_empty()) {
        return Ok(());
    }
    #[cfg(feature = "bson")]
    {
        use crate::patch::ChangeKind;
        use crate::patch::extract::Op;
        // Added members that were removed again change nothing at the end.
        let kept_added = gone.iter().filter(|&&i| i >= before).count();
        let gone_stored: Vec<usize> = gone.iter().copied().filter(|&i| i < before).collect();
        let added = added - kept_added;
        match (added, gone_stored.is_empty()) {
            (0, true) => {}
            (_, true) => record_tail(cx, target, added, Op::AddToSet),
            (0, false) => {
                let values: Option<Vec<bson::Bson>> = removed_values.into_iter().collect();
                match values {
                    Some(values) => {
                        record_pull(cx, gone_stored, bson::doc! {"$in": values});
                    }
                    None => cx.record_here(ChangeKind::Replaced),
                }
            }
            _ => cx.record_here(ChangeKind::Replaced),
        }
    }
    #[cfg(not(feature = "bson"))]
    let _ = (gone, before);
    Ok(())
}

/// [`set_apply`] of an `Option` of a set: with no set stored, the patch's set is set whole.
pub fn set_apply_option<S>(
    target: &mut Option<S>,
    patch: SetPatch<S>,
    cx: &mut Apply<'_>,
    hash: Option<HashFn<S::Item>>,
) -> Result<(), Error>
where
    S: Seq + Default,
    S::Item: PartialEq + Serialize,
{
    match target {
        Some(target) => set_apply(target, patch, cx, hash),
        // Removing members from a set that is not there changes nothing.
        None if patch.add.seq_len() == 0 => Ok(()),
        None => {
            *target = Some(patch.into_new(hash));
            cx.record_here(crate::patch::ChangeKind::Replaced);
            Ok(())
        }
    }
}

/// The removal of the items at `indexes` of the sequence at the current place, by one
/// `$pull` with `condition` (carried by the first change only: one copy).
#[cfg(feature = "bson")]
fn record_pull(
    cx: &mut Apply<'_>,
    indexes: impl IntoIterator<Item = usize>,
    condition: bson::Document,
) {
    use crate::patch::ChangeKind;
    use crate::patch::extract::{Found, Op};
    let mut condition = Some(Found::Value(bson::Bson::Document(condition)));
    for i in indexes {
        let index = i.to_string();
        cx.record_placed(
            &[&index],
            &[],
            ChangeKind::Removed,
            0,
            Op::Pull,
            condition.take(),
            None,
        );
    }
}

/// The last `count` items of the sequence at the current place, added by `op` (`$push` or
/// `$addToSet` with `$each`), their values as serde stores them; the sequence set whole
/// if bson refuses one.
#[cfg(feature = "bson")]
fn record_tail<S: Seq>(cx: &mut Apply<'_>, target: &S, count: usize, op: crate::patch::extract::Op)
where
    S::Item: Serialize,
{
    use crate::patch::ChangeKind;
    use crate::patch::extract::Found;
    let len = target.seq_len();
    let items: Option<Vec<bson::Bson>> = (len - count..len)
        .map(|i| target.seq_get(i).and_then(to_bson))
        .collect();
    match items {
        Some(items) => cx.record_placed(
            &[],
            &[],
            ChangeKind::Appended,
            count,
            op,
            Some(Found::Items(items)),
            None,
        ),
        None => cx.record_here(ChangeKind::Replaced),
    }
}

/// A value as serde stores it in bson (`None`: bson refuses it).
#[cfg(feature = "bson")]
fn to_bson<T: Serialize + ?Sized>(value: &T) -> Option<bson::Bson> {
    crate::bson::to_bson(value).ok()
}

/// The name of the key's field in an item as stored: the field named like the Rust field
/// whose value is the key, else the one member that holds the key (`None`: not known).
#[cfg(feature = "bson")]
fn key_field(item: &bson::Bson, key: &bson::Bson, key_name: &str) -> Option<String> {
    let doc = item.as_document()?;
    if doc.get(key_name) == Some(key) {
        return Some(key_name.to_owned());
    }
    let mut hits = doc.iter().filter(|(_, v)| *v == key).map(|(n, _)| n);
    let only = hits.next()?;
    hits.next().is_none().then(|| only.clone())
}

/// What a keyed patch did, for its update: items updated in place (their stored and new
/// documents), items inserted, items removed (their keys).
#[cfg(feature = "bson")]
struct Log {
    recording: bool,
    updated: Vec<(usize, bson::Bson, bson::Bson)>,
    /// How many items were appended (serialized only if the update pushes them: a list
    /// that is set whole reads them with the rest).
    inserted: usize,
    /// Index, key and the key's field name in the stored item.
    removed: Vec<(usize, bson::Bson, String)>,
    /// A value bson refused: set the whole list.
    whole: bool,
}

#[cfg(feature = "bson")]
impl Log {
    fn new(recording: bool) -> Self {
        Log {
            recording,
            updated: Vec::new(),
            inserted: 0,
            removed: Vec::new(),
            whole: false,
        }
    }

    fn read<T: Serialize>(&mut self, item: &T) -> Option<bson::Bson> {
        if !self.recording || self.whole {
            return None;
        }
        let value = to_bson(item);
        self.whole |= value.is_none();
        value
    }

    fn updated<T: Serialize>(&mut self, i: usize, before: Option<bson::Bson>, item: &T) {
        if let Some(before) = before {
            match to_bson(item) {
                Some(after) => self.updated.push((i, before, after)),
                None => self.whole = true,
            }
        }
    }

    fn inserted(&mut self) {
        self.inserted += 1;
    }

    #[cfg(feature = "json")]
    fn removed<T: Serialize, K: Serialize + ?Sized>(
        &mut self,
        i: usize,
        item: Option<&T>,
        key: &impl Fn(&T) -> &K,
        key_name: &str,
    ) {
        if !self.recording || self.whole {
            return;
        }
        let found = item.and_then(|item| {
            let k = to_bson(key(item))?;
            let field = key_field(&to_bson(item)?, &k, key_name)?;
            Some((k, field))
        });
        match found {
            Some((k, field)) => self.removed.push((i, k, field)),
            None => self.whole = true,
        }
    }
}

/// Without bson nothing is recorded (recording compiles updates): the log keeps nothing.
#[cfg(not(feature = "bson"))]
struct Log;

#[cfg(not(feature = "bson"))]
impl Log {
    fn new(_recording: bool) -> Self {
        Log
    }

    fn read<T>(&mut self, _item: &T) -> Option<()> {
        None
    }

    fn updated<T>(&mut self, _i: usize, _before: Option<()>, _item: &T) {}

    fn inserted(&mut self) {}

    #[cfg(feature = "json")]
    fn removed<T, F>(&mut self, _i: usize, _item: T, _key: F, _key_name: &str) {}

    fn record<S, F>(self, _cx: &mut Apply<'_>, _target: &S, _key: F, _key_name: &str) {}
}

#[cfg(feature = "bson")]
impl Log {
    /// Record the update of the list at the current place.
    fn record<S: Seq, K: Serialize + ?Sized>(
        self,
        cx: &mut Apply<'_>,
        target: &S,
        key: &impl Fn(&S::Item) -> &K,
        key_name: &str,
    ) where
        S::Item: Serialize,
    {
        use crate::patch::ChangeKind;
        use crate::patch::extract::{Found, Op};
        use bson::Bson;

        let Log {
            recording,
            updated,
            inserted,
            removed,
            whole,
        } = self;
        if !recording {
            return;
        }
        // Items whose document did not change are no update.
        let updated: Vec<_> = updated
            .into_iter()
            .filter(|(_, before, after)| !crate::patch::diff::same(before, after))
            .collect();
        let families = usize::from(!updated.is_empty())
            + usize::from(inserted > 0)
            + usize::from(!removed.is_empty());
        if families == 0 && !whole {
            return;
        }
        // A `$pull` or an array filter by key reaches every stored item with that key: if the
        // stored list holds a key twice (written by other means: patches refuse duplicates),
        // the update would do more than the patch did, so the list is set whole.
        let shared_keys = || {
            let mut seen = std::collections::HashMap::new();
            for item in target.seq_iter() {
                if let Some(k) = to_bson(key(item)) {
                    *seen.entry(format!("{k:?}")).or_insert(0usize) += 1;
                }
            }
            let count = |k: &Bson| seen.get(&format!("{k:?}")).copied().unwrap_or(0);
            let updated_twice = updated.iter().any(|(i, _, _)| {
                target
                    .seq_get(*i)
                    .map(key)
                    .and_then(to_bson)
                    .is_none_or(|k| count(&k) > 1)
            });
            let removed_left = removed.iter().any(|(_, k, _)| count(k) > 0);
            updated_twice || removed_left
        };
        if whole || families > 1 || ((!updated.is_empty() || !removed.is_empty()) && shared_keys())
        {
            cx.record_here(ChangeKind::Replaced);
            return;
        }
        if inserted > 0 {
            // The new items are the last ones (a list with removals is set whole).
            record_tail(cx, target, inserted, Op::Push(inserted));
            return;
        }
        if !removed.is_empty() {
            // One condition for all, carried by the first change (one copy).
            let field = removed[0].2.clone();
            if removed.iter().any(|(_, _, f)| *f != field) {
                cx.record_here(ChangeKind::Replaced);
                return;
            }
            let keys: Vec<Bson> = removed.iter().map(|(_, k, _)| k.clone()).collect();
            record_pull(
                cx,
                removed.into_iter().map(|(i, _, _)| i),
                bson::doc! {field: {"$in": keys}},
            );
            return;
        }
        // Items changed in place: each its own identifier and filter.
        let mut planned = Vec::with_capacity(updated.len());
        for (i, before, after) in &updated {
            let Some(k) = target.seq_get(*i).map(key).and_then(to_bson) else {
                cx.record_here(ChangeKind::Replaced);
                return;
            };
            // The filter finds the item by its key as stored before the patch.
            let Some(field) = key_field(before, &k, key_name) else {
                cx.record_here(ChangeKind::Replaced);
                return;
            };
            let mut ops = Vec::new();
            crate::patch::diff::diff(before, after, &mut Vec::new(), &mut ops);
            planned.push((*i, field, k, ops));
        }
        for (i, field, k, ops) in planned {
            let id = cx.filter_identifier();
            let filter = bson::doc! {format!("{id}.{field}"): k};
            let index = i.to_string();
            let slot = format!("$[{id}]");
            for (path, value) in ops {
                let mut pointer: Vec<&str> = vec![&index];
                let mut at: Vec<&str> = vec![&slot];
                pointer.extend(path.iter().map(String::as_str));
                at.extend(path.iter().map(String::as_str));
                let (kind, op, found) = match value {
                    Some(v) => (ChangeKind::Replaced, Op::Set, Found::Value(v)),
                    None => (ChangeKind::Removed, Op::Unset, Found::Skipped),
                };
                cx.record_placed(
                    &pointer,
                    &at,
                    kind,
                    0,
                    op,
                    Some(found),
                    Some(filter.clone()),
                );
            }
        }
    }
}
