//! Tuples and arrays: element-wise. Errors name the element by its index.

use crate::{Apply, Check, Error, Merge};

macro_rules! tuple {
    ($(($($name:ident $idx:tt),+))*) => {$(
        impl<$($name: Merge + 'static),+> Merge for ($($name,)+) {
            const NEEDS_CHECK: bool = false $(|| $name::NEEDS_CHECK)+;

            fn check(&self, source: &Self, cx: &mut Check<'_>) -> Result<(), Error> {
                $(cx.merge(&self.$idx, &source.$idx).map_err(|e| e.at_index($idx))?;)+
                Ok(())
            }

            fn apply(&mut self, source: Self, cx: &mut Apply<'_>) -> Result<(), Error> {
                $(cx.merge(&mut self.$idx, source.$idx).map_err(|e| e.at_index($idx))?;)+
                Ok(())
            }

            super::custom_fn_by_type!();

            fn try_clone(&self) -> Option<Self> {
                Some(($(self.$idx.try_clone()?,)+))
            }
        }
    )*};
}

tuple! {
    (A 0)
    (A 0, B 1)
    (A 0, B 1, C 2)
    (A 0, B 1, C 2, D 3)
    (A 0, B 1, C 2, D 3, E 4)
    (A 0, B 1, C 2, D 3, E 4, F 5)
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6)
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7)
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8)
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9)
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10)
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11)
}

impl<T: Merge + 'static, const N: usize> Merge for [T; N] {
    const NEEDS_CHECK: bool = T::NEEDS_CHECK;

    fn check(&self, source: &Self, cx: &mut Check<'_>) -> Result<(), Error> {
        for (i, (target, source)) in self.iter().zip(source).enumerate() {
            cx.merge(target, source).map_err(|e| e.at_index(i))?;
        }
        Ok(())
    }

    fn apply(&mut self, source: Self, cx: &mut Apply<'_>) -> Result<(), Error> {
        for (i, (target, source)) in self.iter_mut().zip(source).enumerate() {
            cx.merge(target, source).map_err(|e| e.at_index(i))?;
        }
        Ok(())
    }

    super::custom_fn_by_type!();

    fn try_clone(&self) -> Option<Self> {
        let items: Vec<T> = self.iter().map(T::try_clone).collect::<Option<_>>()?;
        items.try_into().ok()
    }
}
