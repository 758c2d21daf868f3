//! Maps patch entry by entry.

use std::any::Any;
use std::borrow::Cow;

use serde::ser::Impossible;

use crate::error::Declined;

use super::*;

/// Where a map entry's changes were recorded, for [`prefill_entry`].
#[derive(Clone, Copy)]
enum EntryAt {
    /// The entry was removed (one change, a key below the current place).
    Removed,
    /// The entry was patched in place, with its key entered (changes below it).
    Entered,
}

/// The values of the changes recorded since `first` for one map entry (`value`), read
/// from the entry alone (see `extract::prefill_serialized`); for a removed entry, nothing.
fn prefill_entry<T: Serialize + ?Sized>(cx: &mut Apply<'_>, first: usize, value: &T, at: EntryAt) {
    #[cfg(feature = "bson")]
    if cx.is_recording() {
        let depth = cx.recording_depth();
        let changes = cx.changes_since(first);
        match at {
            EntryAt::Removed => {
                for change in changes {
                    change.prefill = Some(crate::patch::extract::Found::Unreached);
                }
            }
            EntryAt::Entered => crate::patch::extract::prefill_serialized(changes, depth, value),
        }
    }
    #[cfg(not(feature = "bson"))]
    let _ = (cx, first, value, at);
}

/// `key` as the text of its place: what serde writes for it as a map key, which is how
/// bson stores it (a `String` key is its own text, borrowed: the type test is decided at
/// compile time). A key that does not serialize as a string (a number, a struct) cannot
/// be a key of a stored document: an error.
fn key_text<K: Serialize + 'static>(key: &K) -> Result<Cow<'_, str>, Error> {
    if let Some(text) = (key as &dyn Any).downcast_ref::<String>() {
        return Ok(Cow::Borrowed(text));
    }
    key.serialize(KeyText).map(Cow::Owned).map_err(|Declined| {
        Error::new(ErrorKind::Unstorable {
            message: format!(
                "a map key of type `{}` does not serialize as a string, \
                 and a stored document's keys are strings",
                std::any::type_name::<K>()
            ),
        })
    })
}

/// The serializer of a map key's text: a string, a char, a unit variant's name (as
/// renamed), through newtypes — what bson's serializer takes as a document key.
struct KeyText;

/// The methods of [`KeyText`] that decline: every other shape is not a key's text.
macro_rules! not_text {
    ($($method:ident $(<$t:ident>)? ($($arg:ty),*) -> $ret:ty;)*) => {$(
        fn $method $(<$t: Serialize + ?Sized>)? (self, $(_: $arg),*) -> Result<$ret, Declined> {
            Err(Declined)
        }
    )*};
}

impl serde::Serializer for KeyText {
    type Ok = String;
    type Error = Declined;
    type SerializeSeq = Impossible<String, Declined>;
    type SerializeTuple = Impossible<String, Declined>;
    type SerializeTupleStruct = Impossible<String, Declined>;
    type SerializeTupleVariant = Impossible<String, Declined>;
    type SerializeMap = Impossible<String, Declined>;
    type SerializeStruct = Impossible<String, Declined>;
    type SerializeStructVariant = Impossible<String, Declined>;

    fn serialize_str(self, v: &str) -> Result<String, Declined> {
        Ok(v.to_owned())
    }

    fn serialize_char(self, v: char) -> Result<String, Declined> {
        Ok(v.to_string())
    }

    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<String, Declined> {
        Ok(variant.to_owned())
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<String, Declined> {
        value.serialize(self)
    }

    not_text! {
        serialize_bool(bool) -> String; serialize_i8(i8) -> String;
        serialize_i16(i16) -> String; serialize_i32(i32) -> String;
        serialize_i64(i64) -> String; serialize_u8(u8) -> String;
        serialize_u16(u16) -> String; serialize_u32(u32) -> String;
        serialize_u64(u64) -> String; serialize_f32(f32) -> String;
        serialize_f64(f64) -> String; serialize_bytes(&[u8]) -> String;
        serialize_none() -> String; serialize_some<T>(&T) -> String;
        serialize_unit() -> String; serialize_unit_struct(&'static str) -> String;
        serialize_newtype_variant<T>(&'static str, u32, &'static str, &T) -> String;
        serialize_seq(Option<usize>) -> Self::SerializeSeq;
        serialize_tuple(usize) -> Self::SerializeTuple;
        serialize_tuple_struct(&'static str, usize) -> Self::SerializeTupleStruct;
        serialize_tuple_variant(&'static str, u32, &'static str, usize) -> Self::SerializeTupleVariant;
        serialize_map(Option<usize>) -> Self::SerializeMap;
        serialize_struct(&'static str, usize) -> Self::SerializeStruct;
        serialize_struct_variant(&'static str, u32, &'static str, usize) -> Self::SerializeStructVariant;
    }
}

/// The entries of a map patch in the order of their keys' text: their changes are then
/// recorded in the order of their paths (the update takes them without a sort), and in
/// the same order from run to run (a `HashMap` iterates in a random order). A key that is
/// not text sorts last (its entry fails when it is reached).
fn in_key_order<K: Serialize + 'static, P>(patch: impl IntoIterator<Item = (K, P)>) -> Vec<(K, P)> {
    let mut entries: Vec<(K, P)> = patch.into_iter().collect();
    if entries.len() < 2 {
        return entries;
    }
    // `String` keys (most maps) compare as they are.
    if std::any::TypeId::of::<K>() == std::any::TypeId::of::<String>() {
        sort_by_string_keys(&mut entries, |entry| {
            string_of(&entry.0).map_or("", String::as_str)
        });
    } else if !entries.is_sorted_by(|a, b| by_text(&a.0, &b.0).is_le()) {
        entries.sort_by(|a, b| by_text(&a.0, &b.0));
    }
    entries
}

/// Sort `entries` by their `key`. A patch's map has a few entries, each larger than its
/// key: a short list is sorted as a list of small pairs, the eight bytes after the prefix
/// all keys share (keys of one map often share one: `label0001`, `label0002`,
/// `app.kubernetes.io/…`) as a number and the entry's index (most pairs differ in the
/// number; equal numbers compare the keys), and the entries are then moved once each.
fn sort_by_string_keys<E>(entries: &mut [E], key: impl Fn(&E) -> &str) {
    const SHORT: usize = 32;
    if entries.len() > SHORT {
        entries.sort_unstable_by(|a, b| key(a).cmp(key(b)));
        return;
    }
    let Some(first) = entries.first().map(|e| key(e).as_bytes()) else {
        return;
    };
    let shared = entries[1..].iter().fold(first.len(), |shared, e| {
        crate::scan::common_prefix(first, key(e).as_bytes(), shared)
    });
    let mut order = [(0, 0); SHORT];
    let order = &mut order[..entries.len()];
    for (i, (e, at)) in entries.iter().zip(order.iter_mut()).enumerate() {
        *at = (crate::scan::word_at(key(e).as_bytes(), shared), i);
    }
    order.sort_unstable_by(|a, b| {
        a.0.cmp(&b.0)
            .then_with(|| key(&entries[a.1]).cmp(key(&entries[b.1])))
    });
    // Put the entry at `order[i].1` at `i`: the one that was there may have moved already,
    // to the place where that index points in `order`, followed until it is at or after `i`.
    for i in 0..order.len() {
        let mut from = order[i].1;
        while from < i {
            from = order[from].1;
        }
        entries.swap(i, from);
    }
}

fn string_of<K: 'static>(key: &K) -> Option<&String> {
    (key as &dyn Any).downcast_ref::<String>()
}

/// Key texts in order, a key with none last.
fn by_text<K: Serialize + 'static>(a: &K, b: &K) -> std::cmp::Ordering {
    match (key_text(a).ok(), key_text(b).ok()) {
        (Some(a), Some(b)) => a.cmp(&b),
        (a, b) => b.is_some().cmp(&a.is_some()),
    }
}

/// Maps patch as maps of [`Patch`] entries: `null` removes an entry, a value patches the
/// entry or, where there is none, builds one.
macro_rules! map {
    ($map:ident<K, V $(, $s:ident)?> where $($bound:path),*) => {
        impl<K, V $(, $s)?> Patchable for $map<K, V $(, $s)?>
        where
            K: DeserializeOwned + Serialize + Clone + 'static $(+ $bound)*,
            V: Patchable + Serialize,
            $($s: BuildHasher + Default,)?
        {
            type Patch = $map<K, Patch<V::Patch> $(, $s)?>;

            fn check_patch(&self, patch: &Self::Patch, cx: &mut Check<'_>) -> Result<(), Error> {
                // Entries whose check does not depend on what is stored: no lookup.
                if V::__CONJUNGO_CHECK_IS_BUILD && !cx.options().has_custom() {
                    return Self::check_build(patch, cx);
                }
                for (key, entry) in patch {
                    let name = key_text(key)?;
                    no_operator(&name)?;
                    if let Patch::Set(entry) = entry {
                        match self.get(key) {
                            Some(have) => have.check_patch(entry, cx),
                            None => V::check_build(entry, cx),
                        }
                        .map_err(|e| e.at_key(&name))?;
                    }
                }
                Ok(())
            }

            fn apply_patch(&mut self, patch: Self::Patch, cx: &mut Apply<'_>) -> Result<(), Error> {
                // Keys MongoDB cannot address below the top level: the whole map is set.
                let mut whole = false;
                let start = cx.change_count();
                // With custom functions, built entries go in after the patches of existing
                // ones, so that no entry moves before its custom result is found by its place.
                let custom = cx.options().has_custom();
                let defer = custom;
                let mut later = Vec::new();
                for (key, entry) in in_key_order(patch) {
                    let name = key_text(&key)?;
                    let named = addressable(&name);
                    whole |= !named;
                    match entry {
                        Patch::Absent => {}
                        Patch::Null => {
                            if self.remove(&key).is_some() {
                                let first = cx.change_count();
                                cx.record_member(&name, ChangeKind::Removed, Some(named));
                                prefill_entry(cx, first, &(), EntryAt::Removed);
                            }
                        }
                        Patch::Set(entry) => match self.get_mut(&key) {
                            Some(have) => {
                                // A leaf replaced whole: one change at most, at the key.
                                let entry = if custom {
                                    Err(entry)
                                } else {
                                    have.__conjungo_replace(entry)
                                };
                                match entry {
                                    Ok(false) => {}
                                    Ok(true) => cx.record_member_value(
                                        &name,
                                        ChangeKind::Replaced,
                                        named,
                                        &*have,
                                    ),
                                    Err(entry) => cx
                                        .under(&name, |cx| {
                                            let first = cx.change_count();
                                            have.apply_patch(entry, cx)?;
                                            prefill_entry(cx, first, &*have, EntryAt::Entered);
                                            Ok::<_, Error>(())
                                        })
                                        .map_err(|e| e.at_key(&name))?,
                                }
                            }
                            None => {
                                let built = V::build(entry).map_err(|e| e.at_key(&name))?;
                                cx.record_member_value(&name, ChangeKind::Added, named, &built);
                                if defer {
                                    later.push((key, built));
                                } else {
                                    self.insert(key, built);
                                }
                            }
                        },
                    }
                }
                self.extend(later);
                if whole && cx.change_count() > start {
                    cx.truncate_changes(start);
                    cx.record_here(ChangeKind::Replaced);
                }
                Ok(())
            }

            fn check_build(patch: &Self::Patch, cx: &mut Check<'_>) -> Result<(), Error> {
                for (key, entry) in patch {
                    let name = key_text(key)?;
                    no_operator(&name)?;
                    if let Patch::Set(entry) = entry {
                        V::check_build(entry, cx).map_err(|e| e.at_key(&name))?;
                    }
                }
                Ok(())
            }

            fn check_root(patch: &Self::Patch) -> Result<(), Error> {
                patch.keys().try_for_each(|key| root_key(&key_text(key)?))
            }

            fn build(patch: Self::Patch) -> Result<Self, Error> {
                let mut out = Self::default();
                for (key, entry) in patch {
                    if let Patch::Set(entry) = entry {
                        let name = key_text(&key)?;
                        let built = V::build(entry).map_err(|e| e.at_key(&name))?;
                        out.insert(key, built);
                    }
                }
                Ok(out)
            }

            fn __conjungo_diff(&self, new: &Self) -> Option<Self::Patch> {
                let mut out = Self::Patch::default();
                for (key, old) in self {
                    match new.get(key) {
                        None => {
                            out.insert(key.clone(), Patch::Null);
                        }
                        Some(value) => {
                            if let Some(p) = old.__conjungo_diff(value) {
                                out.insert(key.clone(), Patch::Set(p));
                            }
                        }
                    }
                }
                for (key, value) in new {
                    if !self.contains_key(key)
                        && let Some(full) = value.__conjungo_full()
                    {
                        out.insert(key.clone(), Patch::Set(full));
                    }
                }
                (!out.is_empty()).then_some(out)
            }

            fn __conjungo_full(&self) -> Option<Self::Patch> {
                Some(
                    self.iter()
                        .filter_map(|(k, v)| Some((k.clone(), Patch::Set(v.__conjungo_full()?))))
                        .collect(),
                )
            }

            const VALIDATES: bool = V::VALIDATES;

            fn validate_merged(&self) -> Result<(), Error> {
                if !V::VALIDATES {
                    return Ok(());
                }
                Error::invalid(self.iter().filter_map(|(key, value)| {
                    value.validate_merged().err().map(|e| match key_text(key) {
                        Ok(name) => e.at_key(&name),
                        Err(unnamed) => unnamed,
                    })
                }))
            }
        }
    };
}

map!(HashMap<K, V, S> where Eq, Hash);
map!(BTreeMap<K, V> where Ord);

#[cfg(test)]
mod tests {
    /// Every order of up to 33 keys (sharing prefixes of several lengths, equal after the
    /// shared prefix's next eight bytes, prefixes of each other) comes out as the standard
    /// sort puts it, the entries moved with their keys.
    #[test]
    fn string_keys_sort_as_the_standard_sort_does() {
        let stems = ["label0000", "app.kubernetes.io/", "", "x", "abcdefgh"];
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for round in 0..400 {
            let stem = stems[round % stems.len()];
            let len = (next() % 34) as usize;
            let mut keys: Vec<String> = (0..len)
                .map(|_| match next() % 4 {
                    0 => format!("{stem}{}", next() % 50),
                    1 => format!("{stem}abcdefgh{}", next() % 5),
                    2 => stem.chars().take((next() % 4) as usize).collect(),
                    _ => format!("{stem}{:x}", next()),
                })
                .collect();
            keys.sort_unstable();
            keys.dedup();
            // Distinct keys (a map's) in a shuffled order, each with its own value.
            let mut entries: Vec<(String, usize)> = keys
                .iter()
                .cloned()
                .enumerate()
                .map(|(i, k)| (k, i))
                .collect();
            for i in (1..entries.len()).rev() {
                entries.swap(i, (next() % (i as u64 + 1)) as usize);
            }
            super::sort_by_string_keys(&mut entries, |e| e.0.as_str());
            let expected: Vec<(String, usize)> =
                keys.into_iter().enumerate().map(|(i, k)| (k, i)).collect();
            assert_eq!(entries, expected);
        }
    }
}
