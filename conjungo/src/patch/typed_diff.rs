//! The typed diff: the patch that turns one value of a `#[merge(patch)]` type into another
//! (see [`diff`]), and the per-field helpers the derive calls.

use serde::Serialize;

use super::{KeyedPatch, Patch, Patchable, SetPatch};
use crate::index::{HashFn, KeyIndex};
use crate::strategy::seq::Seq;

/// The patch that turns `old` into `new`: only changed fields are set (`Patch::Set`) or
/// removed (`Patch::Null` for an `Option` that became `None`), nested patch types are diffed
/// field by field, maps entry by entry, `by_key` lists by key (the object form of
/// [`KeyedPatch`]: changed items as RFC 7396 patches of their JSON, new items whole, removed
/// ones `null`), `union` lists by member ([`SetPatch`]), `append`/`prepend` lists by the
/// items added at their end/start, dynamic values (`serde_json::Value`, bson) by
/// [`json::diff`](crate::json::diff)'s rules. `diff(&x, &x)` is the empty patch.
///
/// `patch::apply(&mut old, diff(&old, &new), &Options::merge_patch())` makes `old` equal to
/// `new`, and its `Applied::update` is the update of exactly those changes. Where a field's
/// rules cannot express the change, the patch sets what comes closest: an `append` list
/// that did not only grow at its end is set whole (and appended to); a `union` or `by_key`
/// list keeps its stored order and appends new members/items at the end (after a JSON
/// round trip through [`parse`](super::parse), new items in the key order of the body's
/// object, which serde_json reads as a sorted map); `keep`,
/// `immutable` and `with` fields are set to the new value (and the field's rule decides);
/// `skip`ped, `version` and serde-skipped fields are left out; a `null` member that a JSON
/// value gains cannot be written by a merge patch (see `json::diff`).
///
/// Generated patch types serialize to the body they parse from, so a diff can be sent or
/// stored and read back with [`parse`](super::parse).
///
/// ```
/// # #[cfg(all(feature = "derive", feature = "bson"))] {
/// use conjungo::{patch, Merge, Options};
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Merge, Serialize, Deserialize, Debug, Clone, PartialEq)]
/// #[merge(patch)]
/// struct Doc {
///     title: String,
///     subtitle: Option<String>,
///     #[merge(union)]
///     tags: Vec<String>,
/// }
///
/// let old = Doc { title: "a".into(), subtitle: Some("s".into()), tags: vec!["x".into(), "y".into()] };
/// let new = Doc { title: "b".into(), subtitle: None, tags: vec!["x".into(), "z".into()] };
/// let p = patch::diff(&old, &new);
/// let body = serde_json::to_value(&p).unwrap();
/// assert_eq!(body, serde_json::json!({
///     "title": "b", "subtitle": null, "tags": {"add": ["z"], "remove": ["y"]},
/// }));
///
/// let mut merged = old.clone();
/// let p: DocPatch = patch::parse(&serde_json::to_vec(&body).unwrap()).unwrap();
/// patch::apply(&mut merged, p, &Options::merge_patch()).unwrap();
/// assert_eq!(merged, new);
/// assert_eq!(patch::diff(&new, &new), DocPatch::default());
/// # }
/// ```
pub fn diff<T: Patchable>(old: &T, new: &T) -> T::Patch
where
    T::Patch: Default,
{
    old.__conjungo_diff(new).unwrap_or_default()
}

/// A field patched whole: the new value where it differs.
pub fn diff_whole<T: PartialEq + Clone>(old: &T, new: &T) -> Patch<T> {
    if old == new {
        Patch::Absent
    } else {
        Patch::Set(new.clone())
    }
}

/// A field patched field by field.
pub fn diff_nested<T: Patchable>(old: &T, new: &T) -> Patch<T::Patch> {
    old.__conjungo_diff(new).map_or(Patch::Absent, Patch::Set)
}

/// The patch that builds a nested value.
pub fn full_nested<T: Patchable>(value: &T) -> Patch<T::Patch> {
    value.__conjungo_full().map_or(Patch::Absent, Patch::Set)
}

/// An `Option` field: `null` where it became `None`, the whole value where it became
/// `Some`, `pair` where both are.
pub fn diff_option<T, P>(
    old: &Option<T>,
    new: &Option<T>,
    pair: impl Fn(&T, &T) -> Patch<P>,
    full: impl Fn(&T) -> Patch<P>,
) -> Patch<P> {
    match (old, new) {
        (Some(a), Some(b)) => pair(a, b),
        (None, Some(b)) => full(b),
        (Some(_), None) => Patch::Null,
        (None, None) => Patch::Absent,
    }
}

/// An `append` list: the items added at its end (or, if it changed otherwise, all of it).
pub fn diff_append<S>(old: &S, new: &S) -> Patch<S>
where
    S: Seq + Clone + FromIterator<S::Item>,
    S::Item: PartialEq + Clone,
{
    diff_grown(old, new, true)
}

/// A `prepend` list: the items added at its start (or, if it changed otherwise, all of it).
pub fn diff_prepend<S>(old: &S, new: &S) -> Patch<S>
where
    S: Seq + Clone + FromIterator<S::Item>,
    S::Item: PartialEq + Clone,
{
    diff_grown(old, new, false)
}

/// The items `new` has beyond `old` at its end (`at_end`) or start, when that is all that
/// changed; else all of `new`.
fn diff_grown<S>(old: &S, new: &S, at_end: bool) -> Patch<S>
where
    S: Seq + Clone + FromIterator<S::Item>,
    S::Item: PartialEq + Clone,
{
    let (n, m) = (old.seq_len(), new.seq_len());
    if n == m && old.seq_iter().eq(new.seq_iter()) {
        return Patch::Absent;
    }
    if m > n {
        let grown = m - n;
        let (kept, added) = if at_end { (0, n) } else { (grown, 0) };
        if old.seq_iter().eq(new.seq_iter().skip(kept).take(n)) {
            return Patch::Set(new.seq_iter().skip(added).take(grown).cloned().collect());
        }
    }
    Patch::Set(new.clone())
}

/// Members of `of` not in `other`, in order.
fn missing<S>(of: &S, other: &S, hash: Option<HashFn<S::Item>>) -> S
where
    S: Seq + FromIterator<S::Item>,
    S::Item: PartialEq + Clone,
{
    let mut index = KeyIndex::new(hash);
    for (i, item) in other.seq_iter().enumerate() {
        index.insert(item, i);
    }
    of.seq_iter()
        .filter(|item| index.find(item, |i| other.seq_get(i)).is_none())
        .cloned()
        .collect()
}

/// A `union` list: the members to add and to remove.
pub fn diff_set<S>(old: &S, new: &S, hash: Option<HashFn<S::Item>>) -> Patch<SetPatch<S>>
where
    S: Seq + FromIterator<S::Item>,
    S::Item: PartialEq + Clone,
{
    let add = missing(new, old, hash);
    let remove = missing(old, new, hash);
    if add.seq_len() == 0 && remove.seq_len() == 0 {
        Patch::Absent
    } else {
        Patch::Set(SetPatch { add, remove })
    }
}

/// The patch that builds a `union` list.
pub fn full_set<S: Clone + Default>(value: &S) -> Patch<SetPatch<S>> {
    Patch::Set(SetPatch {
        add: value.clone(),
        remove: S::default(),
    })
}

/// A `by_key` list: by key, in the object form (the whole new list where keys cannot
/// name items in an object).
pub fn diff_keyed<S, K>(old: &S, new: &S, key: impl Fn(&S::Item) -> &K) -> Patch<KeyedPatch<S>>
where
    S: Seq + Clone,
    S::Item: Serialize + PartialEq,
    K: PartialEq + Serialize + ?Sized,
{
    if old.seq_len() == new.seq_len() && old.seq_iter().eq(new.seq_iter()) {
        return Patch::Absent;
    }
    #[cfg(feature = "json")]
    if let Some(entries) = keyed_entries(old, new, &key) {
        return Patch::Set(KeyedPatch::ByKey(entries));
    }
    let _ = &key;
    Patch::Set(KeyedPatch::Items(new.clone()))
}

#[cfg(feature = "json")]
type Entries = Vec<(String, Option<serde_json::Map<String, serde_json::Value>>)>;

#[cfg(feature = "json")]
fn keyed_entries<S, K>(old: &S, new: &S, key: &impl Fn(&S::Item) -> &K) -> Option<Entries>
where
    S: Seq,
    S::Item: Serialize + PartialEq,
    K: PartialEq + Serialize + ?Sized,
{
    use serde_json::Value;
    let name = |item: &S::Item| super::keyed::key_string(key(item));
    let mut stored = std::collections::HashMap::with_capacity(old.seq_len());
    for item in old.seq_iter() {
        stored.insert(name(item)?, item);
    }
    let mut out = Entries::new();
    let mut kept = std::collections::HashSet::with_capacity(new.seq_len());
    for item in new.seq_iter() {
        let k = name(item)?;
        kept.insert(k.clone());
        match stored.get(&k) {
            Some(was) if *was == item => {}
            Some(was) => {
                let before = serde_json::to_value(was).ok()?;
                let after = serde_json::to_value(item).ok()?;
                match crate::json::diff(&before, &after) {
                    Value::Object(patch) if !patch.is_empty() => out.push((k, Some(patch))),
                    Value::Object(_) => {}
                    _ => return None,
                }
            }
            None => match serde_json::to_value(item).ok()? {
                Value::Object(whole) => out.push((k, Some(whole))),
                _ => return None,
            },
        }
    }
    for item in old.seq_iter() {
        let k = name(item)?;
        if !kept.contains(&k) {
            out.push((k, None));
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grown_lists_give_what_grew_and_anything_else_is_whole() {
        let old = vec![1, 2];
        assert_eq!(diff_append(&old, &vec![1, 2, 3, 4]), Patch::Set(vec![3, 4]));
        assert_eq!(
            diff_prepend(&old, &vec![0, 9, 1, 2]),
            Patch::Set(vec![0, 9])
        );
        assert_eq!(diff_append(&old, &vec![0, 1, 2]), Patch::Set(vec![0, 1, 2]));
        assert_eq!(
            diff_prepend(&old, &vec![1, 2, 3]),
            Patch::Set(vec![1, 2, 3])
        );
        assert_eq!(diff_append(&old, &vec![2]), Patch::Set(vec![2]));
        assert_eq!(diff_append(&old, &old.clone()), Patch::Absent);
        assert_eq!(diff_prepend(&old, &old.clone()), Patch::Absent);
    }

    #[test]
    fn sets_give_members_to_add_and_remove() {
        let p = diff_set(&vec!["a", "b"], &vec!["b", "c"], None);
        assert_eq!(
            p,
            Patch::Set(SetPatch {
                add: vec!["c"],
                remove: vec!["a"]
            })
        );
        assert_eq!(diff_set(&vec!["a"], &vec!["a"], None), Patch::Absent);
    }
}
