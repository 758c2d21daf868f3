//! Items used by the code `#[derive(Merge)]` generates. Not public API.

pub use core;
pub use std;

use crate::strategy::seq::Seq;
use crate::{Apply, Check, Error, Merge, Options};

/// Autoref probe: `(&Probe(&value)).__conjungo_snapshot()` is `Some(clone)` for `Clone` types (of
/// concrete type at the call site), `None` otherwise.
pub struct Probe<'a, T>(pub &'a T);

/// The `Clone` arm of the probe.
pub trait ViaClone<T> {
    /// A copy.
    fn __conjungo_snapshot(&self) -> Option<T>;
}

impl<T: Clone> ViaClone<T> for Probe<'_, T> {
    #[inline]
    fn __conjungo_snapshot(&self) -> Option<T> {
        Some(self.0.clone())
    }
}

/// The fallback arm of the probe.
pub trait ViaNothing<T> {
    /// No copy.
    fn __conjungo_snapshot(&self) -> Option<T>;
}

impl<T> ViaNothing<T> for &Probe<'_, T> {
    #[inline]
    fn __conjungo_snapshot(&self) -> Option<T> {
        None
    }
}

/// Run a strategy through an `Option`: absent source keeps, absent target takes, two
/// values go to `f`.
#[inline]
pub fn through_option<T>(
    target: &mut Option<T>,
    source: Option<T>,
    options: &Options,
    f: impl FnOnce(&mut T, T, &Options) -> Result<(), Error>,
) -> Result<(), Error> {
    match (target, source) {
        (_, None) => Ok(()),
        (Some(target), Some(source)) => f(target, source, options),
        (target @ None, source) => {
            *target = source;
            Ok(())
        }
    }
}

/// The check pass of `#[merge(by_key = field)]` on an `Option` of a sequence.
pub fn by_key_check_option<S, K>(
    target: &Option<S>,
    source: &Option<S>,
    cx: &mut Check<'_>,
    key: impl Fn(&S::Item) -> &K,
) -> Result<(), Error>
where
    S: Seq,
    S::Item: Merge,
    K: PartialEq + ?Sized,
{
    match (target, source) {
        (Some(target), Some(source)) => by_key_check(target, source, cx, key),
        _ => Ok(()),
    }
}

/// The apply pass of `#[merge(by_key = field)]` on an `Option` of a sequence.
pub fn by_key_apply_option<S, K>(
    target: &mut Option<S>,
    source: Option<S>,
    cx: &mut Apply<'_>,
    key: impl Fn(&S::Item) -> &K,
) -> Result<(), Error>
where
    S: Seq,
    S::Item: Merge,
    K: PartialEq + ?Sized,
{
    match (target, source) {
        (_, None) => Ok(()),
        (Some(target), Some(source)) => by_key_apply(target, source, cx, key),
        (target @ None, source) => {
            *target = source;
            Ok(())
        }
    }
}

fn find<S: Seq, K: PartialEq + ?Sized>(
    target: &S,
    len: usize,
    wanted: &K,
    key: &impl Fn(&S::Item) -> &K,
) -> Option<usize> {
    (0..len).find(|&i| target.seq_get(i).is_some_and(|item| key(item) == wanted))
}

/// The check pass of `#[merge(by_key = field)]`: each source item whose key matches a
/// target item is checked against it.
pub fn by_key_check<S, K>(
    target: &S,
    source: &S,
    cx: &mut Check<'_>,
    key: impl Fn(&S::Item) -> &K,
) -> Result<(), Error>
where
    S: Seq,
    S::Item: Merge,
    K: PartialEq + ?Sized,
{
    let len = target.seq_len();
    for item in source.seq_iter() {
        if let Some(i) = find(target, len, key(item), &key)
            && let Some(have) = target.seq_get(i)
        {
            cx.merge(have, item).map_err(|e| e.at_index(i))?;
        }
    }
    Ok(())
}

/// The apply pass of `#[merge(by_key = field)]`: a source item whose key matches one of
/// the target's items merges into it, in place; the others are appended in order.
pub fn by_key_apply<S, K>(
    target: &mut S,
    source: S,
    cx: &mut Apply<'_>,
    key: impl Fn(&S::Item) -> &K,
) -> Result<(), Error>
where
    S: Seq,
    S::Item: Merge,
    K: PartialEq + ?Sized,
{
    let len = target.seq_len();
    for item in source.seq_into_iter() {
        match find(target, len, key(&item), &key) {
            Some(i) => {
                if let Some(have) = target.seq_get_mut(i) {
                    cx.merge(have, item).map_err(|e| e.at_index(i))?;
                }
            }
            None => target.seq_push(item),
        }
    }
    Ok(())
}
