//! `Option`, `Box`, `Rc`, `Arc`.

use std::rc::Rc;
use std::sync::Arc;

use crate::{Apply, Check, Error, Merge};

/// `None` in the source keeps the target; `None` in the target takes the source (even with
/// overwrite off); two `Some`s merge their insides.
impl<T: Merge + 'static> Merge for Option<T> {
    const NEEDS_CHECK: bool = T::NEEDS_CHECK;

    #[inline]
    fn check(&self, source: &Self, cx: &mut Check<'_>) -> Result<(), Error> {
        match (self, source) {
            (Some(target), Some(source)) => cx.merge(target, source),
            _ => Ok(()),
        }
    }

    const __CONJUNGO_FAST: bool = T::__CONJUNGO_SCALAR;

    /// `apply` of an `Option` of an atomic value, without custom functions: a present
    /// source replaces a present target when `overwrite` is on, and fills an absent one.
    #[inline(always)]
    fn __conjungo_fast(&mut self, source: Self, overwrite: bool) {
        if let Some(value) = source
            && (overwrite || self.is_none())
        {
            *self = Some(value);
        }
    }

    #[inline(always)]
    fn apply(&mut self, source: Self, cx: &mut Apply<'_>) -> Result<(), Error> {
        match (self, source) {
            (_, None) => Ok(()),
            (Some(target), Some(source)) => cx.merge(target, source),
            (target @ None, source) => {
                *target = source;
                Ok(())
            }
        }
    }

    super::custom_fn_by_type!();

    fn try_clone(&self) -> Option<Self> {
        match self {
            None => Some(None),
            Some(inner) => inner.try_clone().map(Some),
        }
    }
}

/// The inside merges.
///
/// `NEEDS_CHECK` is `true` whatever `T` is: recursive types go through a `Box`, and asking
/// `T` would be a cycle for mutually recursive ones. It costs one more walk of boxed
/// values in the check pass, which does nothing where nothing can fail.
impl<T: Merge + 'static> Merge for Box<T> {
    const NEEDS_CHECK: bool = true;

    #[inline]
    fn check(&self, source: &Self, cx: &mut Check<'_>) -> Result<(), Error> {
        cx.merge(&**self, &**source)
    }

    #[inline]
    fn apply(&mut self, source: Self, cx: &mut Apply<'_>) -> Result<(), Error> {
        cx.merge(&mut **self, *source)
    }

    super::custom_fn_by_type!();

    fn try_clone(&self) -> Option<Self> {
        (**self).try_clone().map(Box::new)
    }
}

macro_rules! shared {
    ($($ptr:ident),*) => {$(
        /// Shared pointers are replaced as a whole (overwrite rule): the value behind them
        /// may be shared, so it is never changed in place.
        ///
        /// They have no copy for custom functions: a clone of the pointer would share the
        /// value (through a `RefCell`, a function could change the real one in the check
        /// pass). A function registered for them runs in the apply pass.
        impl<T: ?Sized + 'static> Merge for $ptr<T> {
            #[inline]
            fn apply(&mut self, source: Self, cx: &mut Apply<'_>) -> Result<(), Error> {
                if cx.options().overwrite {
                    *self = source;
                }
                Ok(())
            }

            super::custom_fn_by_type!();
        }
    )*};
}

shared!(Rc, Arc);
