//! `Option` and `Box` patch as what they hold.

use super::*;

/// `Option<T>` patches as `T`'s form; the `null` that sets `None` is handled by the field.
impl<T: Patchable + Serialize> Patchable for Option<T> {
    type Patch = T::Patch;

    fn check_patch(&self, patch: &T::Patch, cx: &mut Check<'_>) -> Result<(), Error> {
        match self {
            Some(inner) => inner.check_patch(patch, cx),
            None => T::check_build(patch, cx),
        }
    }

    fn apply_patch(&mut self, patch: T::Patch, cx: &mut Apply<'_>) -> Result<(), Error> {
        match self {
            Some(inner) => inner.apply_patch(patch, cx),
            None => {
                let built = T::build(patch)?;
                cx.record_here(ChangeKind::Replaced);
                *self = Some(built);
                Ok(())
            }
        }
    }

    fn check_build(patch: &T::Patch, cx: &mut Check<'_>) -> Result<(), Error> {
        T::check_build(patch, cx)
    }

    fn build(patch: T::Patch) -> Result<Self, Error> {
        T::build(patch).map(Some)
    }

    fn check_root(patch: &T::Patch) -> Result<(), Error> {
        T::check_root(patch)
    }

    const VALIDATES: bool = T::VALIDATES;

    const __CONJUNGO_CHECK_IS_BUILD: bool = T::__CONJUNGO_CHECK_IS_BUILD;

    fn validate_merged(&self) -> Result<(), Error> {
        self.as_ref().map_or(Ok(()), T::validate_merged)
    }

    fn __conjungo_copy(&self) -> Option<Self> {
        match self {
            Some(inner) => inner.__conjungo_copy().map(Some),
            None => Some(None),
        }
    }

    /// From `Some` to `None` is a `null` of the field or entry holding the `Option`,
    /// which its own diff writes; here it is no patch.
    fn __conjungo_diff(&self, new: &Self) -> Option<T::Patch> {
        match (self, new) {
            (Some(old), Some(new)) => old.__conjungo_diff(new),
            (None, Some(new)) => new.__conjungo_full(),
            (_, None) => None,
        }
    }

    fn __conjungo_full(&self) -> Option<T::Patch> {
        self.as_ref().and_then(T::__conjungo_full)
    }

    fn __conjungo_serde_names() -> SerdeNames {
        T::__conjungo_serde_names()
    }
}

/// `Box<T>` patches as a boxed `T` form, so that recursive types
/// (`children: Option<Box<Node>>`) have patch types of finite size.
impl<T: Patchable> Patchable for Box<T> {
    type Patch = Box<T::Patch>;

    fn check_patch(&self, patch: &Box<T::Patch>, cx: &mut Check<'_>) -> Result<(), Error> {
        (**self).check_patch(patch, cx)
    }

    fn apply_patch(&mut self, patch: Box<T::Patch>, cx: &mut Apply<'_>) -> Result<(), Error> {
        (**self).apply_patch(*patch, cx)
    }

    fn check_build(patch: &Box<T::Patch>, cx: &mut Check<'_>) -> Result<(), Error> {
        T::check_build(patch, cx)
    }

    fn build(patch: Box<T::Patch>) -> Result<Self, Error> {
        T::build(*patch).map(Box::new)
    }

    fn check_root(patch: &Box<T::Patch>) -> Result<(), Error> {
        T::check_root(patch)
    }

    const VALIDATES: bool = T::VALIDATES;

    const __CONJUNGO_CHECK_IS_BUILD: bool = T::__CONJUNGO_CHECK_IS_BUILD;

    fn validate_merged(&self) -> Result<(), Error> {
        (**self).validate_merged()
    }

    fn __conjungo_copy(&self) -> Option<Self> {
        (**self).__conjungo_copy().map(Box::new)
    }

    fn __conjungo_diff(&self, new: &Self) -> Option<Box<T::Patch>> {
        (**self).__conjungo_diff(new).map(Box::new)
    }

    fn __conjungo_full(&self) -> Option<Box<T::Patch>> {
        (**self).__conjungo_full().map(Box::new)
    }

    fn __conjungo_serde_names() -> SerdeNames {
        T::__conjungo_serde_names()
    }
}
