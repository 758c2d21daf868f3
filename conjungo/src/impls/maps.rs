//! `HashMap` and `BTreeMap`: deep. Keys in both merge; keys only in the source are
//! inserted (even with overwrite off).

use std::collections::{BTreeMap, HashMap};
use std::fmt::Display;
use std::hash::{BuildHasher, Hash};

use crate::{Apply, Check, Error, Merge};

macro_rules! map {
    ($map:ident<K, V $(, $s:ident)?>, $($bound:tt)*) => {
        impl<K, V $(, $s)?> Merge for $map<K, V $(, $s)?>
        where
            K: $($bound)* + Display + 'static,
            V: Merge + 'static,
            $($s: BuildHasher + 'static,)?
        {
            const NEEDS_CHECK: bool = V::NEEDS_CHECK;

            fn check(&self, source: &Self, cx: &mut Check<'_>) -> Result<(), Error> {
                if V::__CONJUNGO_LEAF && V::custom_fn(cx.options()).is_none() {
                    return Ok(());
                }
                for (key, source) in source {
                    if let Some(target) = self.get(key) {
                        cx.merge(target, source)
                            .map_err(|e| e.at_key(&key.to_string()))?;
                    }
                }
                Ok(())
            }

            fn apply(&mut self, source: Self, cx: &mut Apply<'_>) -> Result<(), Error> {
                // With custom functions, new entries go in after the merges, so that no
                // entry moves before its custom result is found by its place.
                let mut later = Vec::new();
                let defer = cx.options().has_custom();
                for (key, source) in source {
                    match self.get_mut(&key) {
                        Some(target) => cx
                            .merge(target, source)
                            .map_err(|e| e.at_key(&key.to_string()))?,
                        None if defer => later.push((key, source)),
                        None => {
                            self.insert(key, source);
                        }
                    }
                }
                self.extend(later);
                Ok(())
            }

            super::custom_fn_by_type!();
        }
    };
}

map!(HashMap<K, V, S>, Eq + Hash);
map!(BTreeMap<K, V>, Ord);
