//! Merge two values of the same type into one: typed and fast like hand-written code,
//! as flexible as Go's [`conjungo`](https://github.com/InVisionApp/conjungo), exact on
//! RFC 7396, and atomic: a merge that fails changes nothing.
//!
//! ```
//! # #[cfg(feature = "derive")] {
//! use conjungo::{Merge, Options};
//! use std::collections::HashMap;
//!
//! #[derive(Merge, Debug, PartialEq)]
//! struct Config {
//!     name: String,
//!     replicas: Option<u32>,
//!     tags: Vec<String>,
//!     labels: HashMap<String, String>,
//! }
//!
//! let mut config = Config {
//!     name: "api".into(),
//!     replicas: Some(2),
//!     tags: vec!["a".into()],
//!     labels: HashMap::from([("env".into(), "dev".into())]),
//! };
//! config.merge(Config {
//!     name: "api-v2".into(),
//!     replicas: None, // absent: kept
//!     tags: vec!["b".into()],
//!     labels: HashMap::from([("team".into(), "core".into())]),
//! })?;
//! assert_eq!(config.name, "api-v2");
//! assert_eq!(config.replicas, Some(2));
//! assert_eq!(config.tags, ["a", "b"]); // appended, as Go does
//! assert_eq!(config.labels.len(), 2); // deep
//! # }
//! # Ok::<(), conjungo::Error>(())
//! ```
//!
//! # Semantics
//!
//! For each pair (target, source), at every depth: a per-type function registered with
//! [`Options::on_type`] wins; else the field's `#[merge(...)]` attribute (derive); else the
//! type's rule below under the current [`Options`]. The defaults are Go conjungo's.
//!
//! | Target type | Rule |
//! |---|---|
//! | `bool`, integers, floats, `char`, `String`, `()`, bson atomic values | overwrite on: the source replaces the target; off: the target is kept |
//! | `Option<T>` | source `None`: target kept; target `None`: source taken (even with overwrite off); both `Some`: the insides merge |
//! | `Vec<T>`, `VecDeque<T>`, JSON/bson arrays | [`SeqStrategy`] (default `Append`, even with overwrite off) |
//! | `HashMap`, `BTreeMap`, JSON objects, bson documents | deep: keys in both merge, keys only in the source are inserted |
//! | `HashSet`, `BTreeSet` | union |
//! | `Box<T>` | the inside merges; `Rc`/`Arc`: replaced (overwrite rule) |
//! | tuples, `[T; N]` | element-wise |
//! | derived structs / enums | field by field; an enum of another variant is replaced (overwrite rule) |
//! | dynamic `null` in the source | [`NullStrategy`] (default `Skip`: ignored, a missing key is not added) |
//! | dynamic `null` in the target | the source is taken |
//! | dynamic kinds differ | [`Mismatch`] (default `Error`, naming the place); all numbers are one kind |
//!
//! Absence is `None`, `null` or a missing key, never a zero value: `0`, `""` and `false`
//! are values like any other.
//!
//! # Atomicity
//!
//! When a merge returns `Err`, the target is exactly as it was before. A merge runs in two
//! passes (see [`cx`]): a read-only [`Check`] pass finds every error conjungo's own rules
//! can raise (kind mismatches, depth) before anything is written, and runs custom functions
//! on copies of the values they are given; the [`Apply`] pass then moves the source in and
//! installs the custom results. What it costs:
//!
//! - typed values of std types and derived types, with no custom function registered:
//!   nothing; the check pass is compiled out;
//! - dynamic values (JSON, bson): one read-only walk of the places where both sides have
//!   an object, before the changes; never a copy of the target. A dynamic value merged at
//!   the root (not inside another type) with [`Mismatch::Error`] and no custom function is
//!   merged in one pass instead: each write keeps what it replaced in a journal (moved, not
//!   copied), and the first error puts the target back from it. The result and the error
//!   are those of the two passes. (A bson `Document` keeps its members in insertion order:
//!   it is merged so only when nulls remove nothing, as a removed member could not be put
//!   back in its place.) Each thread keeps the room of its last journal for the next merge,
//!   up to 1024 entries (64 KB for JSON, 144 KB for bson);
//! - custom functions: the two values each one is given are copied. Copies exist for scalars,
//!   strings, JSON and bson values, non-generic derived types that are `Clone`, and `Option`,
//!   `Box`, tuples and arrays of those. The limit: for a value without a copy (a type that is
//!   not `Clone`, a generic derived type, or a `Vec`, map or set registered itself), the
//!   function runs during the apply pass, and if it fails there, changes already made
//!   elsewhere in the same merge stay made.
//!
//! # Features
//!
//! | Feature | Default | What it adds |
//! |---|---|---|
//! | `derive` | yes | `#[derive(Merge)]` (the [`Merge`] derive macro) |
//! | `json` | yes | `Merge` for `serde_json::Value` and `Map`, [`json::merge_patch`] |
//! | `bson` | no | `Merge` for `bson::Bson` and `Document` (implies `json`); `patch::apply`, `patch::apply_document` and their MongoDB updates |
//! | `chrono`, `time`, `uuid`, `rust_decimal`, `url` | no | `Merge` and patch forms for those crates' types, as atomic values (the overwrite rule) |
//! | `axum` | no | [`axum::MergePatch`], the extractor of untrusted PATCH bodies (media type, size, the gate), and `Error` as an RFC 9457 problem response (implies `json`) |
//! | `schemars` | no | `schemars::JsonSchema` for [`patch::Patch`] and every generated patch type: the bodies [`patch::parse`] accepts (implies `json`) |
//! | `validator` | no | [`validator::check`]: the `validator` crate's `Validate` as the validator of merged values, its errors at serde's JSON Pointers |
//!
//! A type of any other crate can be a field with `#[merge(atomic)]` (see the derive's
//! attribute reference).

#![deny(missing_docs)]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

/// Builder methods that set one field each: `name(self, value) -> Self`.
macro_rules! setters {
    ($($(#[$doc:meta])* $name:ident: $ty:ty;)*) => {$(
        $(#[$doc])*
        #[must_use]
        pub fn $name(mut self, $name: $ty) -> Self {
            self.$name = $name;
            self
        }
    )*};
}

/// Impls of serde's traits of named fields (`SerializeStruct`, `…StructVariant`): what a
/// field does (`this`, `key`, `value`), what the end gives, and any other methods.
#[cfg(feature = "bson")]
macro_rules! named_fields {
    (Ok = $ok:ty, Error = $error:ty; $(impl [$($generics:tt)*] $trait:ident for $ty:ty {
        |$this:ident, $key:ident, $value:ident| $field:expr;
        |$done:ident| $end:expr;
        $($more:tt)*
    })*) => {$(
        impl<$($generics)*> serde::ser::$trait for $ty {
            type Ok = $ok;
            type Error = $error;

            fn serialize_field<T: serde::Serialize + ?Sized>(
                &mut $this,
                $key: &'static str,
                $value: &T,
            ) -> Result<(), $error> {
                $field
            }

            fn end($done) -> Result<$ok, $error> {
                $end
            }

            $($more)*
        }
    )*};
}

pub mod cx;
mod error;
mod impls;
mod index;
mod options;
mod scan;
pub mod strategy;

#[cfg(feature = "json")]
pub mod json;

#[cfg(feature = "bson")]
pub mod bson;

pub mod patch;

#[cfg(feature = "validator")]
pub mod validator;

#[cfg(feature = "axum")]
pub mod axum;

#[doc(hidden)]
pub mod __private;

pub use crate::cx::{Apply, Check, CustomFn};
pub use crate::error::{Error, ErrorClass, ErrorKind, Kind};
pub use crate::options::{
    DEFAULT_MAX_DEPTH, MergeFn, Mismatch, NullStrategy, Options, SeqStrategy, TypeFn, ValidateFn,
};
pub use crate::patch::Patch;

/// Derive [`Merge`](trait@Merge) for a struct or an enum. Every attribute, with examples:
/// [`attributes`].
#[cfg(feature = "derive")]
#[doc(inline)]
pub use conjungo_derive::Merge;

#[cfg(feature = "derive")]
#[doc = include_str!("attributes.md")]
pub mod attributes {}

/// The README's examples, run as doctests of this crate (with the features they use), so
/// that they compile for a user who depends on `conjungo` alone.
#[cfg(all(
    doctest,
    feature = "derive",
    feature = "bson",
    feature = "chrono",
    feature = "axum"
))]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;

/// Values that can be merged with another value of the same type.
///
/// Call [`merge`](Merge::merge) or [`merge_with`](Merge::merge_with); implement
/// [`apply`](Merge::apply) (and [`check`](Merge::check) if merging can fail).
///
/// # Implementing `Merge` by hand
///
/// Most types derive it. By hand, forward each child to [`Apply::merge`] (and
/// [`Check::merge`]), so that custom functions registered for the children's types are
/// found, and prefix errors with the child's name so that their path is right:
///
/// ```
/// use conjungo::{Apply, Check, Error, Merge, Options, CustomFn};
///
/// #[derive(Debug, Clone, PartialEq)]
/// struct Range {
///     low: i64,
///     high: i64,
/// }
///
/// impl Merge for Range {
///     // `check` can fail only through the children; no custom rule of our own.
///     fn check(&self, source: &Self, cx: &mut Check<'_>) -> Result<(), Error> {
///         cx.merge(&self.low, &source.low).map_err(|e| e.at_key("low"))?;
///         cx.merge(&self.high, &source.high).map_err(|e| e.at_key("high"))
///     }
///
///     fn apply(&mut self, source: Self, cx: &mut Apply<'_>) -> Result<(), Error> {
///         // A range only ever widens.
///         let (low, high) = (self.low.min(source.low), self.high.max(source.high));
///         cx.merge(&mut self.low, low).map_err(|e| e.at_key("low"))?;
///         cx.merge(&mut self.high, high).map_err(|e| e.at_key("high"))
///     }
///
///     // Optional: let `Options::on_type::<Range>` reach this type, and let custom
///     // functions run on copies so that a failing merge stays atomic.
///     fn custom_fn(options: &Options) -> Option<CustomFn<'_, Self>> {
///         options.type_fn::<Self>()
///     }
///     fn try_clone(&self) -> Option<Self> {
///         Some(self.clone())
///     }
/// }
///
/// let mut r = Range { low: 3, high: 5 };
/// r.merge(Range { low: 1, high: 4 }).unwrap();
/// assert_eq!(r, Range { low: 1, high: 5 });
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` does not implement `Merge`",
    label = "not mergeable",
    note = "derive `Merge` for your own types; for a type of another crate, put `#[merge(atomic)]` on the field (the overwrite rule, no `Merge` impl needed) or enable its conjungo feature (`chrono`, `time`, `uuid`, `rust_decimal`, `url`)"
)]
pub trait Merge: Sized {
    /// Whether the check pass must visit values of this type even when no custom function
    /// is registered: true when [`check`](Merge::check) can fail by this type's own rules.
    /// When false (the default), the check pass skips values of this type unless custom
    /// functions are registered. Dynamic values set it (kind mismatches, depth), and so does
    /// any type containing one.
    #[allow(deprecated)]
    const NEEDS_CHECK: bool = Self::FALLIBLE;

    /// Whether merging values of this type never reaches values of other types (atomic
    /// values: numbers, strings, …): containers of such values then skip walking them in
    /// the check pass when no custom function is registered for the item type. Default
    /// false; an optimization of conjungo's own impls.
    #[doc(hidden)]
    #[allow(deprecated)]
    const __CONJUNGO_LEAF: bool = Self::LEAF;

    /// Whether, with no custom function registered, [`apply`](Merge::apply) is exactly
    /// [`__conjungo_fast`](Merge::__conjungo_fast) (the overwrite rule of atomic values, and
    /// `Option`s of them): derived merges then read the switches once per struct and move
    /// such fields directly. Default false.
    #[doc(hidden)]
    const __CONJUNGO_FAST: bool = false;

    /// Whether [`apply`](Merge::apply) is the plain overwrite rule (atomic values): an
    /// `Option` of such a type is [`__CONJUNGO_FAST`](Merge::__CONJUNGO_FAST) (an `Option`
    /// of an `Option` is not: its inner `None` does not overwrite). Default false.
    #[doc(hidden)]
    const __CONJUNGO_SCALAR: bool = false;

    /// The merge of a value whose [`__CONJUNGO_FAST`](Merge::__CONJUNGO_FAST) is true, given
    /// the overwrite switch: the source replaces the target when `overwrite` is on.
    #[doc(hidden)]
    #[inline(always)]
    fn __conjungo_fast(&mut self, source: Self, overwrite: bool) {
        if overwrite {
            *self = source;
        }
    }

    /// [`merge`](crate::merge) with this type at the root: the two passes of
    /// [`cx`](crate::Check). Dynamic values override it with one pass that undoes itself on
    /// failure.
    #[doc(hidden)]
    #[inline(always)]
    fn __conjungo_merge_root(&mut self, source: Self, options: &Options) -> Result<(), Error> {
        two_passes(self, source, options)
    }

    /// Merge `source` into `self` with [`Options::default`] (Go's `NewOptions()`).
    #[inline]
    fn merge(&mut self, source: Self) -> Result<(), Error> {
        crate::merge(self, source, &options::DEFAULT_OPTIONS)
    }

    /// Merge `source` into `self` with `options`. On `Err`, `self` is unchanged.
    #[inline]
    fn merge_with(&mut self, source: Self, options: &Options) -> Result<(), Error> {
        crate::merge(self, source, options)
    }

    /// The read-only pass: return the error merging `source` into `self` would give,
    /// without changing anything. Forward children to [`Check::merge`].
    /// The default finds nothing to fail on.
    fn check(&self, source: &Self, cx: &mut Check<'_>) -> Result<(), Error> {
        let _ = (source, cx);
        Ok(())
    }

    /// The writing pass: move `source` into `self` by this type's own rule. Forward
    /// children to [`Apply::merge`]. Errors here are only those of custom functions
    /// that could not run on copies in the check pass.
    fn apply(&mut self, source: Self, cx: &mut Apply<'_>) -> Result<(), Error>;

    /// The custom function registered for this type, if any. `'static` types return
    /// `options.type_fn::<Self>()`; the default (for types that borrow) is `None`.
    fn custom_fn(options: &Options) -> Option<CustomFn<'_, Self>> {
        let _ = options;
        None
    }

    /// A copy of `self`, if this type can make one (`Some(self.clone())` for `Clone`
    /// types): custom functions run on copies in the check pass, which keeps a failing merge
    /// atomic. The default is `None`: the function then runs in the apply pass.
    #[allow(deprecated)]
    fn try_clone(&self) -> Option<Self> {
        self.snapshot()
    }

    /// The former name of [`NEEDS_CHECK`](Merge::NEEDS_CHECK), still read by its default.
    #[doc(hidden)]
    #[deprecated(note = "renamed to `NEEDS_CHECK`")]
    const FALLIBLE: bool = false;

    /// The former name of `__CONJUNGO_LEAF`, still read by its default.
    #[doc(hidden)]
    #[deprecated(note = "an optimization of conjungo's own impls")]
    const LEAF: bool = false;

    /// The former name of [`try_clone`](Merge::try_clone), still called by its default.
    #[doc(hidden)]
    #[deprecated(note = "renamed to `try_clone`")]
    fn snapshot(&self) -> Option<Self> {
        None
    }
}

/// Merge `source` into `target` with `options`: Go's `conjungo.Merge(&target, source,
/// opts)`, and the same as `target.merge_with(source, options)`.
///
/// On `Err`, `target` is exactly as it was (see "Atomicity" in the crate docs).
///
/// ```
/// # #[cfg(feature = "json")] {
/// use conjungo::{merge, Options};
/// use serde_json::json;
///
/// let mut target = json!({"A": "original", "B": 1, "D": ["unchanged", 0]});
/// let source = json!({"A": "overwritten", "B": 2, "D": ["added", 1], "E": "inserted"});
/// merge(&mut target, source, &Options::default().overwrite(false)).unwrap();
/// assert_eq!(target, json!({"A": "original", "B": 1,
///     "D": ["unchanged", 0, "added", 1], "E": "inserted"}));
/// # }
/// ```
#[inline]
pub fn merge<T: Merge>(target: &mut T, source: T, options: &Options) -> Result<(), Error> {
    target.__conjungo_merge_root(source, options)
}

/// `merge` in its two passes (what every type but the dynamic values does at the root).
#[inline(always)]
pub(crate) fn two_passes<T: Merge>(
    target: &mut T,
    source: T,
    options: &Options,
) -> Result<(), Error> {
    let mut apply = if T::NEEDS_CHECK || options.has_custom() {
        let mut check = Check::new(options);
        check.merge(&*target, &source)?;
        check.into_apply()
    } else {
        Apply::new(options)
    };
    apply.merge(target, source)
}

/// `merge`, recording what changed (always runs the check pass first).
#[cfg(feature = "bson")]
pub(crate) fn merge_recorded<T: Merge>(
    target: &mut T,
    source: T,
    options: &Options,
) -> Result<Vec<cx::RawChange>, Error> {
    let mut check = Check::new(options);
    check.merge(&*target, &source)?;
    let mut apply = check.into_apply();
    apply.start_recording();
    apply.merge(target, source)?;
    Ok(apply.take_changes())
}
