//! Sequences patch whole, combined by the sequence strategy.

use super::*;

/// Sequences patch as whole sequences combined by [`SeqStrategy`](crate::SeqStrategy): appended items are
/// recorded as such (a `$push`), anything else as a new whole value.
macro_rules! seq {
    ($($ty:ident),*) => {$(
        impl<T: DeserializeOwned + Serialize + PartialEq + Clone + 'static> Patchable for $ty<T> {
            whole_value!(true);

            fn apply_patch(&mut self, patch: Self, cx: &mut Apply<'_>) -> Result<(), Error> {
                if has_custom_fn::<Self>(cx.options()) {
                    return cx.merge(self, patch);
                }
                cx.merge_seq(
                    self,
                    patch,
                    |target, patch| target == patch,
                    |target, before, cx| {
                        crate::__private::Appendable::record_tail(target, before, cx)
                    },
                );
                Ok(())
            }
        }
    )*};
}

seq!(Vec, VecDeque);
