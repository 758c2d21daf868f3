//! A typed body read straight from its bytes, with the gate's rules checked on the way.
//!
//! [`parse`](super::parse) reads a body into a `serde_json::Value`, walks it for the gate
//! and deserializes the patch type from it. That is three passes and one tree the size of
//! the body, built and dropped. Here the patch type is deserialized from the bytes through
//! [`Stream`], a deserializer that applies the same rules while serde_json reads:
//!
//! - structs and sequences are read as they come, their keys checked (the gate's key,
//!   depth and path-bytes rules) before the field sees them; a key repeated in a struct is
//!   a failure (the `Value` would have kept the last one);
//! - objects read as maps or by `deserialize_any` could see the order and the repetition
//!   of their keys, which a `Value` gives sorted and once. They are read as they come too
//!   while their keys come sorted, each greater than the one before (as a `Value` would
//!   give them); a key out of order is a failure, and the body is read once more with
//!   every such object read into a `Value` first (sorted, the last of equal keys kept),
//!   gated, and handed over from there;
//! - enums, bytes and ignored values are always read into a `Value` first.
//!
//! The pass only answers "the patch" or "no". On any problem (syntax, a refused key, depth,
//! a serde error, an ignored field, a trailing character) [`parse`] answers `None` and the
//! body takes the `Value` path, whose error is the answer. So a patch read here is the one
//! the `Value` path reads, and every error is the `Value` path's.

use std::borrow::Cow;
use std::cell::Cell;
use std::collections::HashSet;
use std::fmt;

use serde::Deserialize as _;
use serde::de::{
    self, DeserializeOwned, DeserializeSeed, Deserializer, IntoDeserializer, MapAccess, SeqAccess,
    Visitor,
};
use serde_json::Value;

use super::Limits;
use super::body::{Gate, check_key, is_wrapper_key, too_deep};

/// The patch `P` read from `body` in one pass, or `None` when anything is wrong (the
/// caller takes the `Value` path for the error). `body` is within the size limit.
pub(crate) fn parse<P: DeserializeOwned>(body: &[u8], limits: &Limits) -> Option<P> {
    // The root must be an object (the `Value` path's shape rule): a struct could also be
    // read from an array.
    // Checked as UTF-8 once: serde_json then reads strings out of a `str` without checking
    // each one again.
    let text = std::str::from_utf8(body).ok()?;
    if text.bytes().find(|b| !b.is_ascii_whitespace()) != Some(b'{') {
        return None;
    }
    let mut unsorted = false;
    pass(text, limits, Maps::Sorted, &mut unsorted)
        .or_else(|| unsorted.then(|| pass(text, limits, Maps::Buffered, &mut false))?)
}

/// One pass over `body`, maps read as `maps` says; `unsorted` tells whether it failed on
/// a map's key out of order.
fn pass<P: DeserializeOwned>(
    body: &str,
    limits: &Limits,
    maps: Maps,
    unsorted: &mut bool,
) -> Option<P> {
    let mut gate = Gate::new(limits, super::body::Wrappers::Allowed);
    let mut keys = Vec::new();
    let failed = Cell::new(false);
    let mut state = State {
        gate: &mut gate,
        keys: &mut keys,
        maps,
        unsorted,
        failed: &failed,
        // One entry of hint per 32 bytes of body: a tiny body asks for little.
        hints: Cell::new(body.len() / 32),
        root_struct: false,
    };
    let mut json = serde_json::Deserializer::from_str(body);
    let stream = Stream {
        de: &mut json,
        state: &mut state,
        depth: 0,
        path_len: Some(0),
    };
    let patch = P::deserialize(stream).ok()?;
    // An error a type swallowed (a `deserialize_with` that falls back to a default) is
    // still a failure: the `Value` path may refuse the body before any type reads it. So
    // is an ignored value (see `buffer!`).
    (!failed.get() && json.end().is_ok()).then_some(patch)
}

/// How objects read as maps (or by `deserialize_any`) are read.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Maps {
    /// As they come, their keys in increasing order (else the pass fails).
    Sorted,
    /// Into a `Value` first.
    Buffered,
}

/// What the whole pass shares: the gate (its count of path bytes), the keys of the
/// structs being read (each one's keys from its start to the end, a stack), how maps are
/// read, and whether a map's key came out of order.
struct State<'s, 'l, 'de> {
    gate: &'s mut Gate<'l>,
    keys: &'s mut Vec<Cow<'de, str>>,
    maps: Maps,
    unsorted: &'s mut bool,
    /// Whether any error passed through the pass, even one a type then swallowed.
    failed: &'s Cell<bool>,
    /// How many entries the maps read as they come may still be told to expect (see
    /// [`Members::size_hint`]).
    hints: Cell<usize>,
    /// Whether the body's root is read as a struct (the patched type's fields).
    root_struct: bool,
}

/// The most entries one map is told to expect.
const MAP_HINT: usize = 8;

/// `result`, its error noted in `failed`.
fn noted<T, E>(failed: &Cell<bool>, result: Result<T, E>) -> Result<T, E> {
    if result.is_err() {
        failed.set(true);
    }
    result
}

/// Any failure: the `Value` path will say what it is.
fn refused<E: de::Error>() -> E {
    E::custom("refused by the one-pass reader")
}

/// The deserializer of the value at one place: `depth` objects and arrays deep, whose
/// dotted path has `path_len` bytes (`None` inside an array).
struct Stream<'a, 's, 'l, 'de, D> {
    de: D,
    state: &'a mut State<'s, 'l, 'de>,
    depth: usize,
    path_len: Option<usize>,
}

impl<'a, 's, 'l, 'de, D: Deserializer<'de>> Stream<'a, 's, 'l, 'de, D> {
    /// serde_json's deserializer, and `visitor` behind an [`Intercept`] of this place.
    fn intercept<V>(self, visitor: V, objects: Objects) -> (D, Intercept<'a, 's, 'l, 'de, V>) {
        let intercept = Intercept {
            visitor,
            state: self.state,
            depth: self.depth,
            path_len: self.path_len,
            objects,
        };
        (self.de, intercept)
    }

    /// The value read into a `Value` (as the `Value` path reads it) and gated.
    fn buffered(self) -> Result<Value, D::Error> {
        let value = Value::deserialize(self.de)?;
        self.state
            .gate
            .validate(&value, self.depth, self.path_len)
            .map_err(|_| refused())?;
        Ok(value)
    }
}

/// Scalars go straight to serde_json: for these it calls no visitor method that could see
/// a key (an object or array there is an error).
macro_rules! forward {
    ($($method:ident($($arg:ident: $ty:ty),*);)*) => {$(
        fn $method<V: Visitor<'de>>(self, $($arg: $ty,)* visitor: V) -> Result<V::Value, D::Error> {
            let failed = self.state.failed;
            noted(failed, self.de.$method($($arg,)* visitor))
        }
    )*};
}

/// Values whose reading could see keys in any way: read into a `Value` and gated first.
/// A value ignored there or here (an unknown field: serde skips it with
/// `deserialize_ignored_any`, which every place of the pass is read through) fails the
/// pass, as the `Value` path refuses it.
macro_rules! buffer {
    ($($method:ident($($arg:ident: $ty:ty),*);)*) => {$(
        fn $method<V: Visitor<'de>>(self, $($arg: $ty,)* visitor: V) -> Result<V::Value, D::Error> {
            let failed = self.state.failed;
            let value = noted(failed, self.buffered())?;
            let mut ignored = |_: serde_ignored::Path<'_>| failed.set(true);
            let de = serde_ignored::Deserializer::new(value, &mut ignored);
            noted(failed, de.$method($($arg,)* visitor).map_err(de::Error::custom))
        }
    )*};
}

/// Values read by serde_json with [`Intercept`] in front of the visitor: objects as a
/// struct or as a map (see [`Objects`]), arrays item by item.
macro_rules! intercept {
    ($($method:ident($($arg:ident: $ty:ty),*) => $objects:ident;)*) => {$(
        fn $method<V: Visitor<'de>>(self, $($arg: $ty,)* visitor: V) -> Result<V::Value, D::Error> {
            let failed = self.state.failed;
            let (de, intercept) = self.intercept(visitor, Objects::$objects);
            noted(failed, de.$method($($arg,)* intercept))
        }
    )*};
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Stream<'_, '_, '_, 'de, D> {
    type Error = D::Error;

    forward! {
        deserialize_bool(); deserialize_i8(); deserialize_i16(); deserialize_i32();
        deserialize_i64(); deserialize_i128(); deserialize_u8(); deserialize_u16();
        deserialize_u32(); deserialize_u64(); deserialize_u128(); deserialize_f32();
        deserialize_f64(); deserialize_char(); deserialize_str(); deserialize_string();
        deserialize_unit(); deserialize_identifier();
        deserialize_unit_struct(name: &'static str);
    }

    buffer! {
        deserialize_bytes();
        deserialize_byte_buf();
        deserialize_ignored_any();
        deserialize_enum(name: &'static str, variants: &'static [&'static str]);
    }

    intercept! {
        deserialize_any() => Map;
        deserialize_map() => Map;
        deserialize_option() => Map;
        deserialize_seq() => Map;
        deserialize_tuple(len: usize) => Map;
        deserialize_tuple_struct(name: &'static str, len: usize) => Map;
        deserialize_struct(name: &'static str, fields: &'static [&'static str]) => Struct;
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        let failed = self.state.failed;
        // serde_json's own newtypes (`RawValue`) read the body their own way.
        if name.starts_with("$serde_json") {
            let value = noted(failed, self.buffered())?;
            return noted(
                failed,
                value
                    .deserialize_newtype_struct(name, visitor)
                    .map_err(de::Error::custom),
            );
        }
        let (de, intercept) = self.intercept(visitor, Objects::Map);
        noted(failed, de.deserialize_newtype_struct(name, intercept))
    }
}

/// How an object met by a visitor is read.
#[derive(Clone, Copy)]
enum Objects {
    /// As a struct: member by member, in any order, no key twice (fields found by name).
    Struct,
    /// As a map (anything that could see the order or repetition of keys): as
    /// [`State::maps`] says.
    Map,
}

/// The visitor of one place, standing in front of the type's own: objects and arrays get
/// the gate's rules, everything else passes through.
struct Intercept<'a, 's, 'l, 'de, V> {
    visitor: V,
    state: &'a mut State<'s, 'l, 'de>,
    depth: usize,
    path_len: Option<usize>,
    objects: Objects,
}

impl<'a, 's, 'l, 'de, V> Intercept<'a, 's, 'l, 'de, V> {
    /// The type's visitor, and the deserializer of the value inside an `Option` or a
    /// newtype: the same place.
    fn inner<D>(self, de: D) -> (V, Stream<'a, 's, 'l, 'de, D>) {
        let stream = Stream {
            de,
            state: self.state,
            depth: self.depth,
            path_len: self.path_len,
        };
        (self.visitor, stream)
    }
}

macro_rules! pass {
    ($($method:ident: $ty:ty)*) => {$(
        fn $method<E: de::Error>(self, v: $ty) -> Result<Self::Value, E> {
            self.visitor.$method(v)
        }
    )*};
}

impl<'de, V: Visitor<'de>> Visitor<'de> for Intercept<'_, '_, '_, 'de, V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.visitor.expecting(f)
    }

    pass! {
        visit_bool: bool visit_i8: i8 visit_i16: i16 visit_i32: i32 visit_i64: i64
        visit_i128: i128 visit_u8: u8 visit_u16: u16 visit_u32: u32 visit_u64: u64
        visit_u128: u128 visit_f32: f32 visit_f64: f64 visit_char: char visit_str: &str
        visit_borrowed_str: &'de str visit_string: String visit_bytes: &[u8]
        visit_borrowed_bytes: &'de [u8] visit_byte_buf: Vec<u8>
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        self.visitor.visit_none()
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        self.visitor.visit_unit()
    }

    fn visit_some<D: Deserializer<'de>>(self, de: D) -> Result<Self::Value, D::Error> {
        let (visitor, inner) = self.inner(de);
        visitor.visit_some(inner)
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, de: D) -> Result<Self::Value, D::Error> {
        let (visitor, inner) = self.inner(de);
        visitor.visit_newtype_struct(inner)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, access: A) -> Result<Self::Value, A::Error> {
        too_deep(self.depth, self.state.gate.limits()).map_err(|_| refused::<A::Error>())?;
        self.visitor.visit_seq(Items {
            access,
            state: self.state,
            depth: self.depth + 1,
        })
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
        let sorted = match (self.objects, self.state.maps) {
            (Objects::Struct, _) => false,
            (Objects::Map, Maps::Sorted) => true,
            (Objects::Map, Maps::Buffered) => {
                // As serde_json's `Value` reads an object: sorted, the last of equal keys.
                let mut map = serde_json::Map::new();
                while let Some(key) = access.next_key::<String>()? {
                    let value = access.next_value::<Value>()?;
                    map.insert(key, value);
                }
                let value = Value::Object(map);
                self.state
                    .gate
                    .validate(&value, self.depth, self.path_len)
                    .map_err(|_| refused::<A::Error>())?;
                return value
                    .deserialize_any(self.visitor)
                    .map_err(de::Error::custom);
            }
        };
        too_deep(self.depth, self.state.gate.limits()).map_err(|_| refused::<A::Error>())?;
        if self.depth == 0 {
            self.state.root_struct = !sorted;
        }
        let start = self.state.keys.len();
        let members = Members {
            access,
            start,
            large: None,
            sorted: sorted.then_some(None),
            wrapper: false,
            count: 0,
            child_len: None,
            state: self.state,
            depth: self.depth,
            path_len: self.path_len,
        };
        self.visitor.visit_map(members)
    }

    fn visit_enum<A: de::EnumAccess<'de>>(self, _data: A) -> Result<Self::Value, A::Error> {
        // serde_json offers an enum only to `deserialize_enum`, which is buffered.
        Err(refused())
    }
}

/// The seed of a value below: its type's own, read through a [`Stream`].
struct Below<'a, 's, 'l, 'de, T> {
    seed: T,
    state: &'a mut State<'s, 'l, 'de>,
    depth: usize,
    path_len: Option<usize>,
}

impl<'de, T: DeserializeSeed<'de>> DeserializeSeed<'de> for Below<'_, '_, '_, 'de, T> {
    type Value = T::Value;

    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<T::Value, D::Error> {
        self.seed.deserialize(Stream {
            de,
            state: self.state,
            depth: self.depth,
            path_len: self.path_len,
        })
    }
}

/// The items of an array (no item is a path of an update).
struct Items<'a, 's, 'l, 'de, A> {
    access: A,
    state: &'a mut State<'s, 'l, 'de>,
    depth: usize,
}

impl<'de, A: SeqAccess<'de>> SeqAccess<'de> for Items<'_, '_, '_, 'de, A> {
    type Error = A::Error;

    fn size_hint(&self) -> Option<usize> {
        self.access.size_hint()
    }

    fn next_element_seed<T>(&mut self, seed: T) -> Result<Option<T::Value>, A::Error>
    where
        T: DeserializeSeed<'de>,
    {
        let failed = self.state.failed;
        let below = Below {
            seed,
            state: self.state,
            depth: self.depth,
            path_len: None,
        };
        noted(failed, self.access.next_element_seed(below))
    }
}

/// Above this many keys an object's keys are found by hash, not by scanning.
const SCANNED_KEYS: usize = 16;

/// The members of an object read one by one: as a struct's (in any order, no key twice)
/// or as a map's (each key greater than the one before).
struct Members<'a, 's, 'l, 'de, A> {
    access: A,
    state: &'a mut State<'s, 'l, 'de>,
    /// Where this object's keys start in `state.keys`.
    start: usize,
    /// This object's keys by hash, once it has more than [`SCANNED_KEYS`].
    large: Option<HashSet<Cow<'de, str>>>,
    /// Read as a map: its keys must come in increasing order (the last one read).
    sorted: Option<Option<Cow<'de, str>>>,
    /// Whether a key is an Extended JSON wrapper's (allowed only as the only key).
    wrapper: bool,
    count: usize,
    /// The path length of the member whose key was read last.
    child_len: Option<usize>,
    depth: usize,
    path_len: Option<usize>,
}

impl<'de, A: MapAccess<'de>> Members<'_, '_, '_, 'de, A> {
    /// Whether `key` is new in this object (and remember it).
    fn first(&mut self, key: Cow<'de, str>) -> bool {
        if let Some(large) = &mut self.large {
            return large.insert(key);
        }
        let keys = &mut self.state.keys;
        if keys[self.start..].contains(&key) {
            return false;
        }
        keys.push(key);
        if keys.len() - self.start > SCANNED_KEYS {
            self.large = Some(keys.drain(self.start..).collect());
        }
        true
    }

    /// The next key, checked, handed to `seed` (`None` at the end of the object).
    fn key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, A::Error> {
        let Some(key) = self.access.next_key_seed(KeySeed)? else {
            self.state.keys.truncate(self.start);
            return Ok(None);
        };
        self.key(&key)?;
        match key {
            Cow::Borrowed(key) => {
                seed.deserialize(de::value::BorrowedStrDeserializer::<A::Error>::new(key))
            }
            Cow::Owned(key) => seed.deserialize(key.into_deserializer()),
        }
        .map(Some)
    }

    fn key(&mut self, key: &Cow<'de, str>) -> Result<(), A::Error> {
        self.count += 1;
        // A wrapper's key passes only as the object's one key, refused as soon as it is
        // not: the type reading the object (bson's) may stop reading at a wrapper's key,
        // before the object's end.
        if self.wrapper {
            return Err(refused());
        }
        if is_wrapper_key(key, self.state.gate.wrappers()) {
            if self.count != 1 {
                return Err(refused());
            }
            self.wrapper = true;
        } else {
            check_key(key, self.depth).map_err(|_| refused::<A::Error>())?;
        }
        let new = match &mut self.sorted {
            Some(last) => {
                let increasing = last.as_ref().is_none_or(|last| **key > **last);
                *self.state.unsorted |= !increasing;
                *last = Some(key.clone());
                increasing
            }
            None => self.first(key.clone()),
        };
        if !new {
            return Err(refused());
        }
        self.child_len = self
            .path_len
            .map(|len| len + usize::from(len > 0) + key.len());
        if let Some(len) = self.child_len {
            self.state
                .gate
                .add_path(len)
                .map_err(|_| refused::<A::Error>())?;
        }
        Ok(())
    }
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Members<'_, '_, '_, 'de, A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        let failed = self.state.failed;
        noted(failed, self.key_seed(seed))
    }

    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value, A::Error> {
        let failed = self.state.failed;
        let below = Below {
            seed,
            state: self.state,
            depth: self.depth + 1,
            path_len: self.child_len,
        };
        noted(failed, self.access.next_value_seed(below))
    }

    /// serde_json cannot tell how many members an object has: a map that is a field of
    /// the patched struct itself, read as it comes, is told to expect up to [`MAP_HINT`]
    /// (a `HashMap` of twenty entries then grows once instead of rehashing its keys at 3,
    /// 7 and 14). Only those: each field comes once in a body, so a hostile body of many
    /// empty maps (deeper down, or the entries of a map patched at the root) cannot make
    /// hints take room it never fills; and out of a budget of one entry per 32 bytes of
    /// the body, so that a tiny body asks for little. (8 counted best on the typed request
    /// of `benches/patch.rs`: 16 and 32 make the first table larger than the allocator
    /// serves quickly.)
    fn size_hint(&self) -> Option<usize> {
        if self.sorted.is_none() || self.depth != 1 || !self.state.root_struct {
            return self.access.size_hint();
        }
        let left = self.state.hints.get();
        let hint = left.min(MAP_HINT);
        self.state.hints.set(left - hint);
        Some(hint)
    }
}

/// An object's key as serde_json reads it: borrowed from the body unless escaped.
struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<Self::Value, D::Error> {
        de.deserialize_str(KeySeed)
    }
}

impl<'de> Visitor<'de> for KeySeed {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a key")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    /// The `Debug` of the `Value` path's refusal of a key `$date` below the field `parent`.
    fn forbidden_date_in(parent: &str) -> String {
        let error = crate::Error::new(crate::ErrorKind::ForbiddenKey {
            key: "$date".into(),
            reason: "keys starting with `$` are MongoDB operators",
        });
        format!("{:?}", Err::<(), _>(error.at_key("$date").at_key(parent)))
    }

    fn both<P: DeserializeOwned + fmt::Debug>(body: &str) -> (Option<P>, String) {
        let limits = Limits::default();
        let one = parse::<P>(body.as_bytes(), &limits);
        let reference = super::super::body::parse_value::<P>(body.as_bytes(), &limits);
        (one, format!("{reference:?}"))
    }

    /// The members of an object in the order a visitor is given them.
    struct Entries;

    impl<'de> Visitor<'de> for Entries {
        type Value = Vec<(String, i64)>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an object of integers")
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut out = Vec::new();
            while let Some(entry) = map.next_entry()? {
                out.push(entry);
            }
            Ok(out)
        }
    }

    /// A struct whose hand-written visitor keeps the first of equal keys: the one pass
    /// must not read it (a `Value` keeps the last).
    #[derive(Debug)]
    struct FirstWins(i64);

    impl<'de> Deserialize<'de> for FirstWins {
        fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
            let entries = de.deserialize_struct("FirstWins", &["a"], Entries)?;
            let a = entries.into_iter().find(|(key, _)| key == "a");
            Ok(FirstWins(a.map_or(0, |(_, value)| value)))
        }
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Holder {
        v: FirstWins,
    }

    #[test]
    fn a_key_repeated_in_a_struct_is_left_to_the_value_path() {
        let (one, reference) = both::<Holder>(r#"{"v": {"a": 1, "a": 2}}"#);
        assert!(one.is_none());
        assert_eq!(reference, "Ok(Holder { v: FirstWins(2) })");
        let (one, _) = both::<Holder>(r#"{"v": {"a": 1}}"#);
        assert_eq!(one.map(|h| h.v.0), Some(1));
    }

    #[derive(Debug, Deserialize, Default)]
    #[allow(dead_code)]
    struct Dated {
        #[serde(rename = "$date")]
        date: i64,
        #[serde(default)]
        x: i64,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct HasDate {
        w: Dated,
    }

    #[test]
    fn a_wrapper_key_passes_only_as_the_one_key_of_a_struct() {
        let (one, reference) = both::<HasDate>(r#"{"w": {"$date": 1, "x": 2}}"#);
        assert!(one.is_none());
        assert_eq!(reference, forbidden_date_in("w"));
        let (one, reference) = both::<HasDate>(r#"{"w": {"$date": 1}}"#);
        assert_eq!(
            format!("{one:?}"),
            "Some(HasDate { w: Dated { date: 1, x: 0 } })"
        );
        assert_eq!(reference, "Ok(HasDate { w: Dated { date: 1, x: 0 } })");
    }

    /// A `deserialize_with` that swallows errors (as `serde_with::DefaultOnError` does).
    fn or_default<'de, D: Deserializer<'de>, T: Deserialize<'de> + Default>(
        de: D,
    ) -> Result<T, D::Error> {
        Ok(T::deserialize(de).unwrap_or_default())
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Lenient {
        #[serde(default, deserialize_with = "or_default")]
        w: Dated,
        n: i64,
    }

    #[test]
    fn an_error_a_type_swallows_still_leaves_the_body_to_the_value_path() {
        // The gate refuses the wrapper key beside another key before any type reads it;
        // the one pass meets it inside `w`, whose reader falls back to a default.
        let (one, reference) = both::<Lenient>(r#"{"w": {"$date": 1, "x": 2}, "n": 1}"#);
        assert!(one.is_none());
        assert_eq!(reference, forbidden_date_in("w"));
        let (one, reference) = both::<Lenient>(r#"{"w": {"$date": "x"}, "n": 1}"#);
        assert!(one.is_none());
        assert_eq!(
            reference,
            "Ok(Lenient { w: Dated { date: 0, x: 0 }, n: 1 })"
        );
    }

    /// A map that keeps its keys in the order it is given them.
    #[derive(Debug, PartialEq)]
    struct Ordered(Vec<(String, i64)>);

    impl<'de> Deserialize<'de> for Ordered {
        fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
            de.deserialize_map(Entries).map(Ordered)
        }
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct HasOrdered {
        m: Ordered,
    }

    #[test]
    fn maps_stream_while_their_keys_come_sorted_and_are_read_again_else() {
        let limits = Limits::default();
        let ordered = |pairs: &[(&str, i64)]| HasOrdered {
            m: Ordered(pairs.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect()),
        };
        for (body, sorted, expected) in [
            (
                r#"{"m": {"a": 1, "b\u0063": 2}}"#,
                true,
                ordered(&[("a", 1), ("bc", 2)]),
            ),
            (
                r#"{"m": {"b": 1, "a": 2}}"#,
                false,
                ordered(&[("a", 2), ("b", 1)]),
            ),
            (r#"{"m": {"a": 1, "a": 2}}"#, false, ordered(&[("a", 2)])),
        ] {
            let mut unsorted = false;
            let first = pass::<HasOrdered>(body, &limits, Maps::Sorted, &mut unsorted);
            assert_eq!(first.is_some(), sorted, "{body}");
            assert_eq!(unsorted, !sorted, "{body}");
            let reference = super::super::body::parse_value::<HasOrdered>(body.as_bytes(), &limits);
            assert_eq!(reference.as_ref(), Ok(&expected), "{body}");
            assert_eq!(
                parse::<HasOrdered>(body.as_bytes(), &limits),
                Some(expected),
                "{body}"
            );
        }
    }

    #[test]
    fn many_keys_are_found_by_hash_and_still_refused_when_repeated() {
        let mut members: Vec<String> = (0..40).map(|i| format!("\"k{i}\": {i}")).collect();
        let body = format!("{{\"v\": {{{}}}}}", members.join(","));
        let (one, reference) = both::<Holder>(&body);
        assert_eq!(one.map(|h| h.v.0), Some(0));
        assert_eq!(reference, "Ok(Holder { v: FirstWins(0) })");
        members.push("\"k3\": 7".into());
        let body = format!("{{\"v\": {{{}}}}}", members.join(","));
        assert!(both::<Holder>(&body).0.is_none());
    }
}
