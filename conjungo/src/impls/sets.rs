//! `HashSet` and `BTreeSet`: union.

use std::collections::{BTreeSet, HashSet};
use std::hash::{BuildHasher, Hash};

use crate::{Apply, Error, Merge};

impl<T: Eq + Hash + 'static, S: BuildHasher + 'static> Merge for HashSet<T, S> {
    fn apply(&mut self, source: Self, _cx: &mut Apply<'_>) -> Result<(), Error> {
        self.extend(source);
        Ok(())
    }

    super::custom_fn_by_type!();
}

impl<T: Ord + 'static> Merge for BTreeSet<T> {
    fn apply(&mut self, mut source: Self, _cx: &mut Apply<'_>) -> Result<(), Error> {
        self.append(&mut source);
        Ok(())
    }

    super::custom_fn_by_type!();
}
