//! The two passes of a merge: [`Check`] (read-only validation) and [`Apply`] (the changes).
//!
//! Every merge runs in two passes so that a failing merge changes nothing:
//!
//! 1. **Check** walks target and source by reference and returns the first error the
//!    merge would meet (a kind mismatch, the depth limit, a failing custom function). It
//!    writes nothing. Custom functions run here, on copies of their two values, and their
//!    results are kept for the second pass. The pass is skipped entirely when it cannot
//!    fail: a type whose [`Merge::NEEDS_CHECK`] is false, merged with no custom function
//!    registered (typed structs of std types), pays nothing for it.
//! 2. **Apply** moves the source into the target. Its custom sites install the results
//!    computed by the check pass instead of calling the function again.
//!
//! One exception: a dynamic value (JSON or bson) at the root of a merge whose kind
//! mismatches are errors, with no custom function, is merged in one pass that keeps a
//! journal of what it replaced and undoes it on failure (the check pass would look every
//! member up in the target, the same work as the writes; `impls/fused.rs`). A bson
//! `Document`, kept in insertion order, is merged so only when nulls remove nothing.
//!
//! Hand-written [`Merge`] impls call [`Check::merge`] and [`Apply::merge`] for their
//! children (never the children's `check`/`apply` directly), so that per-type custom
//! functions are found at every depth.
//!
//! During a PATCH the apply pass also records where it changed the target: that lives in
//! `record.rs`, apart from the passes.

use std::any::Any;

use crate::patch::ChangeKind;
use crate::{Error, ErrorKind, Merge, Options};

mod record;
#[cfg_attr(not(feature = "bson"), allow(unused_imports))]
pub(crate) use record::{RawChange, Recorder, Segment};

type Slot = Option<Box<dyn Any>>;

/// A custom site of the check pass: where it was (the target's address and type) and the
/// result computed on copies (`None`: no copies, the function runs in the apply pass).
struct Site {
    place: usize,
    ty: &'static str,
    result: Slot,
}

/// The results of the check pass's custom sites, for the apply pass to find by place.
///
/// The apply pass visits the same places, usually in the same order: the next site is
/// taken when it is the place asked for. A hand-written impl that visits children in
/// another order gets each result by its place (address and type) instead, so two children
/// of one type never swap results. A place that moved since the check pass (an item of a
/// sequence that grew) takes the next site of its type, in order.
#[derive(Default)]
struct Results {
    sites: Vec<Option<Site>>,
    next: usize,
    /// Built on the first visit out of order: untaken sites by place.
    by_place: Option<std::collections::HashMap<(usize, &'static str), usize>>,
}

impl Results {
    fn push<T>(&mut self, place: &T, result: Slot) {
        self.sites.push(Some(Site {
            place: place as *const T as usize,
            ty: std::any::type_name::<T>(),
            result,
        }));
    }

    /// The site of `place`: `None` when the check pass had none.
    fn take<T>(&mut self, place: &T) -> Option<Site> {
        let key = (place as *const T as usize, std::any::type_name::<T>());
        while self.next < self.sites.len() && self.sites[self.next].is_none() {
            self.next += 1;
        }
        let here = self.sites.get(self.next).and_then(Option::as_ref);
        if here.is_some_and(|site| (site.place, site.ty) == key) {
            self.next += 1;
            return self.sites[self.next - 1].take();
        }
        let sites = &self.sites;
        let by_place = self.by_place.get_or_insert_with(|| {
            sites
                .iter()
                .enumerate()
                .filter_map(|(i, site)| site.as_ref().map(|s| ((s.place, s.ty), i)))
                .collect()
        });
        if let Some(i) = by_place.remove(&key)
            && self.sites[i].is_some()
        {
            return self.sites[i].take();
        }
        // The place moved: the next site of its type, in order.
        if here.is_some_and(|site| site.ty == key.1) {
            self.next += 1;
            return self.sites[self.next - 1].take();
        }
        None
    }
}

/// A custom merge function found for a value of type `T`, with what the two passes need to
/// carry its result from one to the other. Made by [`Options::type_fn`],
/// [`Options::kind_fn`] or [`CustomFn::new`].
pub struct CustomFn<'f, T> {
    func: &'f (dyn Fn(&mut T, T, &Options) -> Result<(), Error> + 'f),
    store: fn(T) -> Box<dyn Any>,
    load: fn(Box<dyn Any>) -> Option<T>,
}

impl<T> Clone for CustomFn<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for CustomFn<'_, T> {}

impl<'f, T: 'static> CustomFn<'f, T> {
    /// Wrap a function of the custom signature.
    pub fn new(func: &'f (dyn Fn(&mut T, T, &Options) -> Result<(), Error> + 'f)) -> Self {
        CustomFn {
            func,
            store: |value| Box::new(value),
            load: |boxed| boxed.downcast().ok().map(|b| *b),
        }
    }
}

impl<T> CustomFn<'_, T> {
    /// Call the function.
    pub fn call(&self, target: &mut T, source: T, options: &Options) -> Result<(), Error> {
        (self.func)(target, source, options)
    }
}

/// The depth one level below `depth`, or [`ErrorKind::DepthLimit`] past
/// [`Options::max_depth`]: the one home of the depth rule of dynamic values.
#[inline]
pub(crate) fn one_deeper(depth: usize, options: &Options) -> Result<usize, Error> {
    if depth >= options.max_depth {
        return Err(Error::new(ErrorKind::DepthLimit {
            limit: options.max_depth,
        }));
    }
    Ok(depth + 1)
}

/// The read-only validation pass of a merge. See the [module docs](self).
pub struct Check<'a> {
    options: &'a Options,
    depth: usize,
    results: Results,
    /// Whether patch values are checked to be storable as BSON (typed PATCH, until a
    /// field with its own serializer turns it off below it).
    storage: bool,
}

impl<'a> Check<'a> {
    /// A check pass with `options`.
    pub(crate) fn new(options: &'a Options) -> Self {
        Check {
            options,
            depth: 0,
            results: Results::default(),
            storage: false,
        }
    }

    /// A check pass `depth` levels below the root (a source value taken whole in the middle
    /// of a one-pass merge).
    #[cfg(any(feature = "json", feature = "bson"))]
    pub(crate) fn at_depth(options: &'a Options, depth: usize) -> Self {
        Check {
            depth,
            ..Check::new(options)
        }
    }

    /// The options of this merge.
    #[inline]
    pub fn options(&self) -> &'a Options {
        self.options
    }

    /// Validate the merge of `source` into `target`: the custom function registered for
    /// `T` if there is one, else `T`'s own [`Merge::check`].
    #[inline(always)]
    pub fn merge<T: Merge>(&mut self, target: &T, source: &T) -> Result<(), Error> {
        if self.options.has_custom() {
            if let Some(f) = T::custom_fn(self.options) {
                return self.custom(target, target.try_clone(), source.try_clone(), f);
            }
        } else if !T::NEEDS_CHECK {
            return Ok(());
        }
        target.check(source, self)
    }

    /// A custom merge site at `place` (the target): run `f` on the copies `target` and
    /// `source` now, and keep the result for the apply pass, which finds it when it calls
    /// [`Apply::custom`] with the same place (matched by address and type, so the apply
    /// pass may visit places in another order). Without copies (`None`), `f` runs on the
    /// real values in the apply pass instead, and an error there can no longer be undone.
    pub fn custom<T>(
        &mut self,
        place: &T,
        target: Option<T>,
        source: Option<T>,
        f: CustomFn<'_, T>,
    ) -> Result<(), Error> {
        self.custom_stored(place, target, source, f, |_, _| Ok(()))
    }

    /// [`custom`](Check::custom), with `storable` asked of the function's result before it
    /// is kept (a typed PATCH checks that bson can store it).
    #[doc(hidden)]
    pub fn custom_stored<T>(
        &mut self,
        place: &T,
        target: Option<T>,
        source: Option<T>,
        f: CustomFn<'_, T>,
        storable: impl FnOnce(&T, &mut Self) -> Result<(), Error>,
    ) -> Result<(), Error> {
        match (target, source) {
            (Some(mut target), Some(source)) => {
                f.call(&mut target, source, self.options)?;
                storable(&target, self)?;
                self.results.push(place, Some((f.store)(target)));
            }
            _ => self.results.push(place, None),
        }
        Ok(())
    }

    /// Run `inner` one nesting level deeper, failing with
    /// [`ErrorKind::DepthLimit`] past [`Options::max_depth`]. Dynamic values call it for
    /// every array and object they recurse into.
    #[inline]
    pub fn nested<R>(
        &mut self,
        inner: impl FnOnce(&mut Self) -> Result<R, Error>,
    ) -> Result<R, Error> {
        let outer = self.depth;
        self.depth = one_deeper(outer, self.options)?;
        let result = inner(self);
        self.depth = outer;
        result
    }

    /// Whether this pass checks that the values a patch writes can be stored as BSON.
    #[doc(hidden)]
    pub fn checks_storage(&self) -> bool {
        self.storage
    }

    /// Turn the BSON storage check on or off; returns what it was.
    #[doc(hidden)]
    pub fn set_storage_check(&mut self, on: bool) -> bool {
        std::mem::replace(&mut self.storage, on)
    }

    /// How many levels deeper than the root this pass is.
    pub fn depth(&self) -> usize {
        self.depth
    }

    pub(crate) fn into_apply(self) -> Apply<'a> {
        let state = (!self.results.sites.is_empty()).then(|| {
            Box::new(ApplyState {
                results: self.results,
                recorder: None,
            })
        });
        Apply {
            options: self.options,
            state,
        }
    }
}

/// The pass of a merge that changes the target. See the [module docs](self).
pub struct Apply<'a> {
    options: &'a Options,
    /// The check pass's custom results and the recorder: `None` for a plain merge (no
    /// custom sites, not recording), whose pass then costs nothing to set up or drop.
    state: Option<Box<ApplyState>>,
}

#[derive(Default)]
struct ApplyState {
    results: Results,
    recorder: Option<Recorder>,
}

impl<'a> Apply<'a> {
    pub(crate) fn new(options: &'a Options) -> Self {
        Apply {
            options,
            state: None,
        }
    }

    /// The options of this merge.
    #[inline]
    pub fn options(&self) -> &'a Options {
        self.options
    }

    /// Merge `source` into `target`: the custom function registered for `T` if there is
    /// one, else `T`'s own [`Merge::apply`].
    #[inline(always)]
    pub fn merge<T: Merge>(&mut self, target: &mut T, source: T) -> Result<(), Error> {
        if self.options.has_custom()
            && let Some(f) = T::custom_fn(self.options)
        {
            return self.custom(target, source, f);
        }
        target.apply(source, self)
    }

    /// The apply side of [`Check::custom`]: install the result the check pass computed, or
    /// run `f` now if it could not.
    ///
    /// While recording (PATCH), the place is recorded as replaced: what a function did
    /// cannot be seen, so its result is written whole.
    pub fn custom<T>(
        &mut self,
        target: &mut T,
        source: T,
        f: CustomFn<'_, T>,
    ) -> Result<(), Error> {
        self.custom_unrecorded(target, source, f)?;
        self.record_here(ChangeKind::Replaced);
        Ok(())
    }

    /// [`custom`](Apply::custom) without recording (for callers that record themselves).
    pub(crate) fn custom_unrecorded<T>(
        &mut self,
        target: &mut T,
        source: T,
        f: CustomFn<'_, T>,
    ) -> Result<(), Error> {
        if let Some(Site {
            result: Some(result),
            ..
        }) = self.state.as_mut().and_then(|s| s.results.take(&*target))
            && let Some(result) = (f.load)(result)
        {
            *target = result;
            return Ok(());
        }
        f.call(target, source, self.options)
    }
}
