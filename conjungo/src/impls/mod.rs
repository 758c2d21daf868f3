//! `Merge` for std types, one module per family, and the optional integrations.

mod maps;
pub(crate) mod scalars;
pub(crate) mod seqs;
mod sets;
mod tuples;
mod wrappers;

#[cfg(any(feature = "json", feature = "bson"))]
pub(crate) mod dynamic;
#[cfg(any(feature = "json", feature = "bson"))]
pub(crate) mod fused;

#[cfg(feature = "json")]
mod json;

#[cfg(feature = "bson")]
mod bson;

#[cfg(any(
    feature = "chrono",
    feature = "time",
    feature = "uuid",
    feature = "rust_decimal",
    feature = "url"
))]
mod foreign;

/// The custom function of a `'static` type: the one registered for the type itself.
macro_rules! custom_fn_by_type {
    () => {
        #[inline]
        fn custom_fn(options: &$crate::Options) -> Option<$crate::cx::CustomFn<'_, Self>> {
            options.type_fn::<Self>()
        }
    };
}
pub(crate) use custom_fn_by_type;

/// The two methods every `'static`, `Clone` impl shares: the custom function lookup and a
/// `Clone` copy (`try_clone`).
macro_rules! static_clone_hooks {
    () => {
        $crate::impls::custom_fn_by_type!();

        #[inline]
        fn try_clone(&self) -> Option<Self> {
            Some(::core::clone::Clone::clone(self))
        }
    };
}
pub(crate) use static_clone_hooks;
