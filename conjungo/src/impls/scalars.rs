//! Atomic values: the source replaces the target when overwrite is on.

use std::borrow::Cow;
use std::marker::PhantomData;

use crate::{Apply, Error, Merge};

/// `Merge` for atomic types: the source replaces the target when overwrite is on.
macro_rules! scalar {
    ($($ty:ty),* $(,)?) => {$(
        impl $crate::Merge for $ty {
            const __CONJUNGO_LEAF: bool = true;
            const __CONJUNGO_FAST: bool = true;
            const __CONJUNGO_SCALAR: bool = true;

            #[inline(always)]
            fn apply(
                &mut self,
                source: Self,
                cx: &mut $crate::Apply<'_>,
            ) -> Result<(), $crate::Error> {
                if cx.options().overwrite {
                    *self = source;
                }
                Ok(())
            }

            $crate::impls::static_clone_hooks!();
        }
    )*};
}
#[cfg_attr(
    not(any(
        feature = "bson",
        feature = "chrono",
        feature = "time",
        feature = "uuid",
        feature = "rust_decimal",
        feature = "url"
    )),
    allow(unused_imports)
)]
pub(crate) use scalar;

scalar! {
    bool, char, (),
    i8, i16, i32, i64, i128, isize,
    u8, u16, u32, u64, u128, usize,
    f32, f64,
    String, Box<str>,
    std::num::NonZeroI8, std::num::NonZeroI16, std::num::NonZeroI32, std::num::NonZeroI64,
    std::num::NonZeroI128, std::num::NonZeroIsize,
    std::num::NonZeroU8, std::num::NonZeroU16, std::num::NonZeroU32, std::num::NonZeroU64,
    std::num::NonZeroU128, std::num::NonZeroUsize,
    std::time::Duration, std::time::SystemTime,
    std::path::PathBuf, std::ffi::OsString,
    std::net::IpAddr, std::net::Ipv4Addr, std::net::Ipv6Addr,
    std::net::SocketAddr, std::net::SocketAddrV4, std::net::SocketAddrV6,
}

/// Borrowed values are replaced (overwrite rule). They have no custom function: only
/// `'static` types can be registered with `Options::on_type`.
impl<T: ?Sized> Merge for &T {
    #[inline]
    fn apply(&mut self, source: Self, cx: &mut Apply<'_>) -> Result<(), Error> {
        if cx.options().overwrite {
            *self = source;
        }
        Ok(())
    }

    fn try_clone(&self) -> Option<Self> {
        Some(*self)
    }
}

/// Copy-on-write values are replaced (overwrite rule), like `&T`.
impl<B: ?Sized + ToOwned> Merge for Cow<'_, B> {
    #[inline]
    fn apply(&mut self, source: Self, cx: &mut Apply<'_>) -> Result<(), Error> {
        if cx.options().overwrite {
            *self = source;
        }
        Ok(())
    }

    fn try_clone(&self) -> Option<Self> {
        Some(self.clone())
    }
}

/// Nothing to merge.
impl<T: ?Sized> Merge for PhantomData<T> {
    #[inline]
    fn apply(&mut self, _source: Self, _cx: &mut Apply<'_>) -> Result<(), Error> {
        Ok(())
    }

    fn try_clone(&self) -> Option<Self> {
        Some(PhantomData)
    }
}
