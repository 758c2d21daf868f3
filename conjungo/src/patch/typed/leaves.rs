//! Atomic values patch whole: std leaves, floats (by their bits), leaves bson may refuse,
//! std sets, tuples and arrays, shared pointers and copy-on-write values, and the atomic
//! types of the optional crates.

use std::rc::Rc;
use std::sync::Arc;

use super::*;

/// The methods of a value patched whole, replaced where it differs (`storage`: whether
/// bson may refuse its values, asked in the check pass).
macro_rules! replaced_whole {
    ($storage:expr) => {
        whole_value!($storage);

        fn apply_patch(&mut self, patch: Self, cx: &mut Apply<'_>) -> Result<(), Error> {
            apply_whole(self, patch, cx)
        }

        fn __conjungo_replace(&mut self, patch: Self) -> Result<bool, Self> {
            Ok(replace_if_changed(self, patch))
        }
    };
}

/// Leaves patched whole. `checked:` for those whose values bson may refuse (integers
/// beyond `i64`, `i128`, durations beyond `i64` seconds): the check pass asks bson's
/// serializer about the new value.
macro_rules! leaf {
    (checked: $($ty:ty),* $(,)?) => {$(leaf!(@impl true, $ty);)*};
    ($($ty:ty),* $(,)?) => {$(leaf!(@impl false, $ty);)*};
    (@impl $checked:literal, $ty:ty) => {
        impl Patchable for $ty {
            replaced_whole!($checked);
        }
    };
}

/// Floats: `-0.0` replacing `0.0` is a change (the stored bits differ), though `==` says
/// they are equal.
macro_rules! float_leaf {
    ($($ty:ty),*) => {$(
        impl Patchable for $ty {
            whole_value!(false);

            fn apply_patch(&mut self, patch: Self, cx: &mut Apply<'_>) -> Result<(), Error> {
                if has_custom_fn::<$ty>(cx.options()) {
                    return cx.merge(self, patch);
                }
                if self.to_bits() != patch.to_bits() {
                    *self = patch;
                    cx.record_here(ChangeKind::Replaced);
                }
                Ok(())
            }

            fn __conjungo_replace(&mut self, patch: Self) -> Result<bool, Self> {
                let changed = self.to_bits() != patch.to_bits();
                *self = patch;
                Ok(changed)
            }
        }
    )*};
}

float_leaf!(f32, f64);

leaf! {
    bool, char, (), i8, i16, i32, i64, isize, u8, u16, u32,
    String, Box<str>, std::path::PathBuf, std::ffi::OsString, std::net::IpAddr,
    std::net::Ipv4Addr, std::net::Ipv6Addr, std::net::SocketAddr,
    std::net::SocketAddrV4, std::net::SocketAddrV6,
    std::num::NonZeroI8, std::num::NonZeroI16, std::num::NonZeroI32, std::num::NonZeroI64,
    std::num::NonZeroIsize, std::num::NonZeroU8, std::num::NonZeroU16, std::num::NonZeroU32,
}

leaf! {
    checked: i128, u64, u128, usize, std::time::Duration, std::time::SystemTime,
    std::num::NonZeroI128, std::num::NonZeroU64, std::num::NonZeroU128, std::num::NonZeroUsize,
}

/// Shared pointers and copy-on-write values patch whole, like the values they hold (serde
/// reads `Rc` and `Arc` with its `rc` feature). The value behind a shared pointer is never
/// changed in place: the pointer is replaced.
macro_rules! pointer_leaf {
    ($($ptr:ident),*) => {$(
        impl<T> Patchable for $ptr<T>
        where
            T: ?Sized + PartialEq + 'static,
            $ptr<T>: DeserializeOwned + Serialize + Merge + Clone,
        {
            replaced_whole!(true);
        }
    )*};
}

pointer_leaf!(Rc, Arc);

impl<B> Patchable for std::borrow::Cow<'static, B>
where
    B: ?Sized + ToOwned + PartialEq + 'static,
    std::borrow::Cow<'static, B>: DeserializeOwned + Serialize + Merge,
{
    replaced_whole!(true);
}

macro_rules! leaf_generic {
    ($($ty:ident<T $(, $s:ident)?> where $($bound:path),*;)*) => {$(
        impl<T $(, $s)?> Patchable for $ty<T $(, $s)?>
        where
            T: DeserializeOwned + Serialize + PartialEq + Clone + 'static $(+ $bound)*,
            $($s: BuildHasher + Default + Clone + 'static,)?
        {
            replaced_whole!(true);
        }
    )*};
}

leaf_generic! {
    HashSet<T, S> where Eq, Hash;
    BTreeSet<T> where Ord;
}

/// Tuples patch whole, as a body writes them (a JSON array of the elements): a pair of
/// coordinates or a range is one value. Their elements may be values bson refuses.
macro_rules! tuple_leaf {
    ($(($($name:ident),+))*) => {$(
        impl<$($name),+> Patchable for ($($name,)+)
        where
            $($name: Merge + DeserializeOwned + Serialize + PartialEq + Clone + 'static,)+
        {
            replaced_whole!(true);
        }
    )*};
}

tuple_leaf! {
    (A)
    (A, B)
    (A, B, C)
    (A, B, C, D)
    (A, B, C, D, E)
    (A, B, C, D, E, F)
    (A, B, C, D, E, F, G)
    (A, B, C, D, E, F, G, H)
    (A, B, C, D, E, F, G, H, I)
    (A, B, C, D, E, F, G, H, I, J)
    (A, B, C, D, E, F, G, H, I, J, K)
    (A, B, C, D, E, F, G, H, I, J, K, L)
}

/// Arrays patch whole (GeoJSON's `[longitude, latitude]`), where serde reads and writes
/// them (up to 32 elements).
impl<T, const N: usize> Patchable for [T; N]
where
    T: Merge + PartialEq + Clone + 'static,
    [T; N]: DeserializeOwned + Serialize,
{
    replaced_whole!(true);
}

#[cfg(feature = "bson")]
leaf! {
    bson::oid::ObjectId, bson::DateTime, bson::Decimal128, bson::Binary, bson::Timestamp,
    bson::Uuid,
}

#[cfg(feature = "chrono")]
leaf! {
    chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::FixedOffset>,
    chrono::NaiveDate, chrono::NaiveTime,
    chrono::NaiveDateTime, chrono::TimeDelta,
}

#[cfg(feature = "time")]
leaf! {
    time::OffsetDateTime, time::PrimitiveDateTime, time::UtcDateTime, time::Date, time::Time,
    time::UtcOffset, time::Duration,
}

#[cfg(feature = "uuid")]
leaf! { uuid::Uuid }

#[cfg(feature = "rust_decimal")]
leaf! { rust_decimal::Decimal }

#[cfg(feature = "url")]
leaf! { url::Url }
