//! Merge strategies as free functions with one signature,
//! `fn(&mut T, T, &Options) -> Result<(), Error>`, so that a custom strategy is just a path
//! (`#[merge(with = path)]`) and the built-in ones can be called by hand too.
//!
//! ```
//! use conjungo::{strategy, Options};
//!
//! let mut tags = vec!["a", "b"];
//! strategy::seq::union(&mut tags, vec!["b", "c"], &Options::default()).unwrap();
//! assert_eq!(tags, ["a", "b", "c"]);
//! ```

use crate::{Error, Options};

/// The source wins, always (no recursion, no overwrite check).
#[inline]
pub fn replace<T>(target: &mut T, source: T, _options: &Options) -> Result<(), Error> {
    *target = source;
    Ok(())
}

/// The target wins, always.
#[inline]
pub fn keep<T>(_target: &mut T, _source: T, _options: &Options) -> Result<(), Error> {
    Ok(())
}

/// The source wins when [`Options::overwrite`] is on (the rule of atomic values), for
/// any type, without recursion.
#[inline]
pub fn overwrite<T>(target: &mut T, source: T, options: &Options) -> Result<(), Error> {
    if options.overwrite {
        *target = source;
    }
    Ok(())
}

/// `#[merge(immutable)]`: the value may not change. An equal source is accepted and
/// changes nothing; a different one is [`ErrorKind::Immutable`](crate::ErrorKind::Immutable).
/// On an `Option` field the derive runs it through the option, so a field with no value
/// yet can be set once.
///
/// ```
/// # #[cfg(feature = "derive")] {
/// use conjungo::{ErrorKind, Merge};
///
/// #[derive(Merge, Debug, PartialEq)]
/// struct Account {
///     #[merge(immutable)]
///     tenant: String,
///     #[merge(immutable)]
///     owner: Option<String>,
///     name: String,
/// }
///
/// let mut a = Account { tenant: "t1".into(), owner: None, name: "a".into() };
/// // The same tenant, an owner where there was none: accepted.
/// a.merge(Account { tenant: "t1".into(), owner: Some("ann".into()), name: "b".into() })
///     .unwrap();
/// assert_eq!(a.owner.as_deref(), Some("ann"));
/// // Another owner: refused, nothing changed.
/// let err = a
///     .merge(Account { tenant: "t1".into(), owner: Some("bob".into()), name: "c".into() })
///     .unwrap_err();
/// assert_eq!((err.kind(), err.path()), (&ErrorKind::Immutable, "/owner"));
/// assert_eq!(a.name, "b");
/// # }
/// ```
#[inline]
pub fn immutable<T: PartialEq>(target: &mut T, source: T, _options: &Options) -> Result<(), Error> {
    crate::__private::immutable_check(target, &source)
}

/// Strategies for sequences (`Vec`, `VecDeque`).
pub mod seq {
    use std::collections::VecDeque;

    use crate::{Error, Options};

    /// A sequence the sequence strategies work on: `Vec<T>` and `VecDeque<T>`.
    #[diagnostic::on_unimplemented(
        message = "`{Self}` is not a sequence: `append`, `prepend`, `union` and `by_key` need a `Vec` or a `VecDeque`",
        label = "this strategy needs a `Vec` or a `VecDeque`"
    )]
    pub trait Seq: Sized {
        /// The item type.
        type Item;
        /// Add `other`'s items after ours.
        fn append_seq(&mut self, other: Self);
        /// Add `other`'s items before ours.
        fn prepend_seq(&mut self, other: Self);
        /// How many items there are.
        fn seq_len(&self) -> usize;
        /// The item at `index`.
        fn seq_get(&self, index: usize) -> Option<&Self::Item>;
        /// The item at `index`, mutably.
        fn seq_get_mut(&mut self, index: usize) -> Option<&mut Self::Item>;
        /// Add one item at the end.
        fn seq_push(&mut self, item: Self::Item);
        /// The items, by value, in order.
        fn seq_into_iter(self) -> impl Iterator<Item = Self::Item>;
        /// The items, by reference, in order.
        fn seq_iter(&self) -> impl Iterator<Item = &Self::Item>;
        /// Keep the items for which `keep` is true, in order.
        fn seq_retain(&mut self, keep: impl FnMut(&Self::Item) -> bool);
    }

    macro_rules! seq_impl {
        ($($ty:ident: $push:ident, $append:ident),*) => {$(
            impl<T> Seq for $ty<T> {
                type Item = T;
                #[inline]
                fn append_seq(&mut self, other: Self) {
                    $append(self, other);
                }
                #[inline]
                fn prepend_seq(&mut self, mut other: Self) {
                    std::mem::swap(self, &mut other);
                    self.append(&mut other);
                }
                fn seq_len(&self) -> usize {
                    self.len()
                }
                fn seq_get(&self, index: usize) -> Option<&T> {
                    self.get(index)
                }
                fn seq_get_mut(&mut self, index: usize) -> Option<&mut T> {
                    self.get_mut(index)
                }
                fn seq_push(&mut self, item: T) {
                    self.$push(item);
                }
                fn seq_into_iter(self) -> impl Iterator<Item = T> {
                    self.into_iter()
                }
                fn seq_iter(&self) -> impl Iterator<Item = &T> {
                    self.iter()
                }
                fn seq_retain(&mut self, keep: impl FnMut(&T) -> bool) {
                    self.retain(keep);
                }
            }
        )*};
    }

    /// `other`'s items after `target`'s, into whichever buffer has room for both when
    /// `target`'s has not: a buffer of the source often has room (serde grows it by
    /// doubling), and then nothing is reallocated.
    #[inline]
    fn append_vec<T>(target: &mut Vec<T>, mut other: Vec<T>) {
        let needed = target.len() + other.len();
        if target.capacity() < needed && other.capacity() >= needed {
            other.splice(0..0, std::mem::take(target));
            *target = other;
        } else {
            target.append(&mut other);
        }
    }

    #[inline]
    fn append_deque<T>(target: &mut VecDeque<T>, mut other: VecDeque<T>) {
        target.append(&mut other);
    }

    seq_impl!(Vec: push, append_vec, VecDeque: push_back, append_deque);

    /// Source items after the target's.
    #[inline]
    pub fn append<S: Seq>(target: &mut S, source: S, _options: &Options) -> Result<(), Error> {
        target.append_seq(source);
        Ok(())
    }

    /// Source items before the target's.
    #[inline]
    pub fn prepend<S: Seq>(target: &mut S, source: S, _options: &Options) -> Result<(), Error> {
        target.prepend_seq(source);
        Ok(())
    }

    /// Source items not already present are appended, in order (a source item equal to
    /// an earlier one is not added twice). With items that are only `PartialEq` each item
    /// is compared with every item already there: quadratic, for short lists. The derive's
    /// `#[merge(union)]` uses [`union_hashed`] instead when the items are `Hash + Eq`.
    pub fn union<S: Seq>(target: &mut S, source: S, _options: &Options) -> Result<(), Error>
    where
        S::Item: PartialEq,
    {
        union_by(target, source, None);
        Ok(())
    }

    /// [`union`] for items that are `Hash + Eq`: linear time (the items already there are
    /// found by their hash, with a randomly keyed hasher).
    pub fn union_hashed<S: Seq>(target: &mut S, source: S, _options: &Options) -> Result<(), Error>
    where
        S::Item: std::hash::Hash + Eq,
    {
        union_by(target, source, Some(crate::index::hash_of::<S::Item>));
        Ok(())
    }

    pub(crate) fn union_by<S: Seq>(
        target: &mut S,
        source: S,
        hash: Option<crate::index::HashFn<S::Item>>,
    ) where
        S::Item: PartialEq,
    {
        let mut index = crate::index::KeyIndex::new(hash);
        for (i, item) in target.seq_iter().enumerate() {
            index.insert(item, i);
        }
        for item in source.seq_into_iter() {
            if index.find(&item, |i| target.seq_get(i)).is_none() {
                index.insert(&item, target.seq_len());
                target.seq_push(item);
            }
        }
    }
}
