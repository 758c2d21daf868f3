//! `Vec` and `VecDeque`: merged by [`SeqStrategy`](crate::SeqStrategy).
//!
//! Items are never merged with each other, so they need not implement `Merge` (a
//! `Vec` of any `'static` type merges). For item-wise merging use the derive's
//! `#[merge(by_key = field)]`.

use std::collections::VecDeque;

use crate::patch::ChangeKind;
use crate::strategy::seq::Seq;
use crate::{Apply, Error, Merge, Options, SeqStrategy};

/// The sequence strategies: the one home of their rule.
#[inline]
pub(crate) fn merge_seq<S: Seq>(target: &mut S, source: S, options: &Options) {
    match options.seq {
        SeqStrategy::Append => target.append_seq(source),
        SeqStrategy::Prepend => target.prepend_seq(source),
        SeqStrategy::Replace => {
            if options.overwrite {
                *target = source;
            }
        }
        SeqStrategy::Keep => {}
    }
}

/// [`merge_seq`] with what it changed recorded (during a PATCH): the sequences of typed
/// patches and dynamic arrays take their rule from [`merge_seq`] too, and only say how
/// their values compare (`same`: a replacement by equal items is no change) and how an
/// append is recorded (`appended`, given the length before).
pub(crate) fn apply_seq<S: Seq>(
    target: &mut S,
    source: S,
    cx: &mut Apply<'_>,
    same: impl FnOnce(&S, &S) -> bool,
    appended: impl FnOnce(&S, usize, &mut Apply<'_>),
) {
    let options = cx.options();
    if !cx.is_recording() {
        merge_seq(target, source, options);
        return;
    }
    let grows = source.seq_len() > 0;
    let kind = match options.seq {
        SeqStrategy::Append if grows => ChangeKind::Appended,
        SeqStrategy::Prepend if grows => ChangeKind::Replaced,
        SeqStrategy::Replace if options.overwrite && !same(target, &source) => ChangeKind::Replaced,
        _ => return,
    };
    let before = target.seq_len();
    merge_seq(target, source, options);
    match kind {
        ChangeKind::Appended => appended(target, before, cx),
        kind => cx.record_here(kind),
    }
}

macro_rules! seq {
    ($($ty:ident),*) => {$(
        impl<T: 'static> Merge for $ty<T> {
            #[inline]
            fn apply(&mut self, source: Self, cx: &mut Apply<'_>) -> Result<(), Error> {
                merge_seq(self, source, cx.options());
                Ok(())
            }

            super::custom_fn_by_type!();
        }
    )*};
}

seq!(Vec, VecDeque);
