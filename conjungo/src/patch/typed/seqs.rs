//! Sequences patch whole, combined by the sequence strategy.

use super::*;

/// Sequences patch as whole sequences combined by [`SeqStrategy`]: appended items are
/// recorded as such (a `$push`), anything else as a new whole value.
macro_rules! seq {
    ($($ty:ident),*) => {$(
        impl<T: DeserializeOwned + Serialize + PartialEq + Clone + 'static> Patchable for $ty<T> {
            whole_value!(true);

            fn apply_patch(&mut self, patch: Self, cx: &mut Apply<'_>) -> Result<(), Error> {
                if has_custom_fn::<Self>(cx.options()) {
                    return cx.merge(self, patch);
                }
                let options = cx.options();
                match options.seq {
                    SeqStrategy::Append => append_items(self, patch, cx),
                    SeqStrategy::Prepend if !patch.is_empty() => {
                        let mut patch = patch;
                        std::mem::swap(self, &mut patch);
                        self.extend(patch);
                        cx.record_here(ChangeKind::Replaced);
                    }
                    SeqStrategy::Replace if options.overwrite => replace_leaf(self, patch, cx),
                    _ => {}
                }
                Ok(())
            }
        }
    )*};
}

seq!(Vec, VecDeque);

fn append_items<S, T>(target: &mut S, items: S, cx: &mut Apply<'_>)
where
    S: crate::__private::Appendable + Extend<T> + IntoIterator<Item = T>,
{
    let before = target.appended_len().unwrap_or(0);
    target.extend(items);
    if cx.is_recording() && target.appended_len().unwrap_or(0) > before {
        target.record_tail(before, cx);
    }
}
