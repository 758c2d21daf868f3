//! `Vec` and `VecDeque`: merged by [`SeqStrategy`](crate::SeqStrategy).
//!
//! Items are never merged with each other, so they need not implement `Merge` (a
//! `Vec` of any `'static` type merges). For item-wise merging use the derive's
//! `#[merge(by_key = field)]`.

use std::collections::VecDeque;

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
