//! Dynamic values (`serde_json::Value`, `bson::Bson`, `bson::Document`) patch by RFC 7396
//! or the options' rules, their keys checked like a body's (feature `json`; the bson impls
//! with feature `bson`).

use super::*;

/// The keys of a dynamic value's objects, at any depth: no `$` operators (see
/// [`no_operator`]). Bounded by the merge's depth limit.
fn check_dynamic_keys<V: DynamicKeys>(value: &V, max_depth: usize) -> Result<(), Error> {
    value.check_keys(Depth {
        left: max_depth,
        limit: max_depth,
    })
}

/// Walk the object keys of a dynamic value.
trait DynamicKeys {
    fn check_keys(&self, depth_left: Depth) -> Result<(), Error>;
}

impl DynamicKeys for serde_json::Value {
    fn check_keys(&self, depth_left: Depth) -> Result<(), Error> {
        match self {
            serde_json::Value::Object(map) => {
                let left = deeper(depth_left)?;
                for (key, value) in map {
                    no_operator(key)?;
                    value.check_keys(left).map_err(|e| e.at_key(key))?;
                }
            }
            serde_json::Value::Array(items) => {
                let left = deeper(depth_left)?;
                for (i, value) in items.iter().enumerate() {
                    value.check_keys(left).map_err(|e| e.at_index(i))?;
                }
            }
            _ => {}
        }
        Ok(())
    }
}

/// One level deeper in a key walk: an error when no level is left.
fn deeper(depth: Depth) -> Result<Depth, Error> {
    let left = depth
        .left
        .checked_sub(1)
        .ok_or_else(|| Error::new(ErrorKind::DepthLimit { limit: depth.limit }))?;
    Ok(Depth { left, ..depth })
}

/// How many levels a key walk may still go down, and the limit to name when it cannot.
#[derive(Clone, Copy)]
struct Depth {
    left: usize,
    limit: usize,
}

#[cfg(feature = "bson")]
impl DynamicKeys for bson::Bson {
    fn check_keys(&self, depth_left: Depth) -> Result<(), Error> {
        match self {
            bson::Bson::Document(doc) => doc.check_keys(depth_left),
            bson::Bson::Array(items) => {
                let left = deeper(depth_left)?;
                for (i, value) in items.iter().enumerate() {
                    value.check_keys(left).map_err(|e| e.at_index(i))?;
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }
}

#[cfg(feature = "bson")]
impl DynamicKeys for bson::Document {
    fn check_keys(&self, depth_left: Depth) -> Result<(), Error> {
        let left = deeper(depth_left)?;
        for (key, value) in self {
            no_operator(key)?;
            value.check_keys(left).map_err(|e| e.at_key(key))?;
        }
        Ok(())
    }
}

/// The root of a dynamic patch: an object whose keys pass [`root_key`].
trait DynamicRoot {
    fn root_keys(&self) -> Option<Vec<&str>>;
}

impl DynamicRoot for serde_json::Value {
    fn root_keys(&self) -> Option<Vec<&str>> {
        self.as_object()
            .map(|m| m.keys().map(String::as_str).collect())
    }
}

#[cfg(feature = "bson")]
impl DynamicRoot for bson::Bson {
    fn root_keys(&self) -> Option<Vec<&str>> {
        self.as_document().and_then(DynamicRoot::root_keys)
    }
}

#[cfg(feature = "bson")]
impl DynamicRoot for bson::Document {
    fn root_keys(&self) -> Option<Vec<&str>> {
        Some(self.keys().map(String::as_str).collect())
    }
}

fn dynamic_root<V: DynamicRoot>(patch: &V) -> Result<(), Error> {
    let keys = patch.root_keys().ok_or_else(|| {
        Error::new(ErrorKind::Malformed {
            message: "a patch of a whole document must be an object".into(),
        })
    })?;
    keys.into_iter().try_for_each(root_key)
}

/// The values of the changes a dynamic field's merge recorded (see
/// `extract::prefill`). A `Document` is looked up as the `Bson` it is inside.
#[cfg(feature = "bson")]
fn prefill_dynamic<V: PrefillRoot>(
    value: &V,
    start: usize,
    cx: &mut Apply<'_>,
) -> Result<(), Error> {
    if !cx.is_recording() {
        return Ok(());
    }
    let depth = cx.recording_depth();
    value.prefill_from(cx.changes_since(start), depth)
}

#[cfg(feature = "bson")]
trait PrefillRoot {
    fn prefill_from(&self, changes: &mut [crate::cx::RawChange], depth: usize)
    -> Result<(), Error>;
}

/// Each dynamic type, and how its member `k` is found (`this` being the value).
macro_rules! prefill_root {
    ($($ty:ty => |$this:ident, $k:ident| $member:expr;)*) => {$(
        #[cfg(feature = "bson")]
        impl PrefillRoot for $ty {
            fn prefill_from(
                &self,
                changes: &mut [crate::cx::RawChange],
                depth: usize,
            ) -> Result<(), Error> {
                let $this = self;
                crate::patch::extract::prefill(changes, depth, |$k| $member)
            }
        }
    )*};
}

prefill_root! {
    serde_json::Value => |this, k| this.as_object()?.get(k);
    bson::Bson => |this, k| this.as_document()?.get(k);
    bson::Document => |this, k| this.get(k);
}

/// Dynamic values patch as themselves, merged with the merge options (RFC 7396 with
/// `Options::merge_patch()`); their changes are recorded place by place.
macro_rules! dynamic {
    ($($ty:ty),*) => {$(
        impl Patchable for $ty {
            type Patch = Self;

            fn check_patch(&self, patch: &Self, cx: &mut Check<'_>) -> Result<(), Error> {
                cx.merge(self, patch)?;
                check_dynamic_keys(patch, cx.options().max_depth)?;
                storable(patch, cx)
            }

            fn apply_patch(&mut self, patch: Self, cx: &mut Apply<'_>) -> Result<(), Error> {
                #[cfg(feature = "bson")]
                let start = cx.change_count();
                cx.merge(self, patch)?;
                #[cfg(feature = "bson")]
                prefill_dynamic(self, start, cx)?;
                Ok(())
            }

            fn check_build(patch: &Self, cx: &mut Check<'_>) -> Result<(), Error> {
                check_dynamic_keys(patch, cx.options().max_depth)?;
                storable(patch, cx)
            }

            fn check_root(patch: &Self) -> Result<(), Error> {
                dynamic_root(patch)
            }

            fn build(patch: Self) -> Result<Self, Error> {
                Ok(patch)
            }

            fn __conjungo_copy(&self) -> Option<Self> {
                Some(self.clone())
            }

            fn __conjungo_validator(options: &crate::Options) -> Option<&crate::ValidateFn<Self>> {
                options.validator::<Self>()
            }

            fn __conjungo_diff(&self, new: &Self) -> Option<Self> {
                (self != new).then(|| MergeDiff::merge_diff(self, new))
            }

            fn __conjungo_full(&self) -> Option<Self> {
                Some(self.clone())
            }
        }
    )*};
}

/// The RFC 7396 merge patch from one dynamic value to another (see
/// [`json::diff`](crate::json::diff), whose rules bson values follow).
trait MergeDiff: Sized {
    fn merge_diff(old: &Self, new: &Self) -> Self;
}

impl MergeDiff for serde_json::Value {
    fn merge_diff(old: &Self, new: &Self) -> Self {
        crate::json::diff(old, new)
    }
}

#[cfg(feature = "bson")]
impl MergeDiff for bson::Document {
    fn merge_diff(old: &Self, new: &Self) -> Self {
        let mut out = bson::Document::new();
        for key in old.keys() {
            if !new.contains_key(key) {
                out.insert(key.clone(), bson::Bson::Null);
            }
        }
        for (key, value) in new {
            match (old.get(key), value) {
                (Some(was), value) if was == value => {}
                (Some(bson::Bson::Document(was)), bson::Bson::Document(value)) => {
                    let inner = Self::merge_diff(was, value);
                    if !inner.is_empty() {
                        out.insert(key.clone(), inner);
                    }
                }
                (Some(_), bson::Bson::Null) => {
                    out.insert(key.clone(), bson::Bson::Null);
                }
                (None, bson::Bson::Null) => {}
                (_, value) => {
                    out.insert(key.clone(), value.clone());
                }
            }
        }
        out
    }
}

#[cfg(feature = "bson")]
impl MergeDiff for bson::Bson {
    fn merge_diff(old: &Self, new: &Self) -> Self {
        match (old, new) {
            (bson::Bson::Document(old), bson::Bson::Document(new)) => {
                bson::Bson::Document(bson::Document::merge_diff(old, new))
            }
            _ => new.clone(),
        }
    }
}

dynamic!(serde_json::Value);

#[cfg(feature = "bson")]
dynamic!(bson::Bson, bson::Document);
