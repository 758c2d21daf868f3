//! Finding items of a sequence by key: by hash when the key type is `Hash + Eq`, else by
//! scanning. `union` and `by_key` use it so that body-sized lists cost linear time.

use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault, Hash, Hasher, RandomState};

/// A hash function of a key type, with the index's (randomly keyed) hasher.
pub(crate) type HashFn<K> = fn(&RandomState, &K) -> u64;

/// The [`HashFn`] of a `Hash` type.
pub(crate) fn hash_of<K: Hash + ?Sized>(state: &RandomState, key: &K) -> u64 {
    state.hash_one(key)
}

/// Positions of a sequence's items by key.
pub(crate) struct KeyIndex<K: ?Sized> {
    hashed: Option<(RandomState, HashFn<K>)>,
    /// The first and last indexed position of each hash; the others in between are
    /// chained through `next` (no allocation per key).
    chains: HashMap<u64, (usize, usize), BuildHasherDefault<Prehashed>>,
    /// For each indexed position, the next position with the same hash.
    next: Vec<usize>,
    /// Without a hash: how many items (from position 0) are indexed.
    len: usize,
}

const END: usize = usize::MAX;

/// The hasher of keys that are hashes already.
#[derive(Default)]
pub(crate) struct Prehashed(u64);

impl Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

impl<K: PartialEq + ?Sized> KeyIndex<K> {
    /// An empty index: hashed when `hash` is given, else scanning.
    pub(crate) fn new(hash: Option<HashFn<K>>) -> Self {
        KeyIndex {
            hashed: hash.map(|h| (RandomState::new(), h)),
            chains: HashMap::default(),
            next: Vec::new(),
            len: 0,
        }
    }

    /// An empty index with room for `capacity` keys (no growth while they are inserted).
    pub(crate) fn with_capacity(hash: Option<HashFn<K>>, capacity: usize) -> Self {
        let mut index = Self::new(hash);
        if index.hashed.is_some() {
            index.chains.reserve(capacity);
            index.next.reserve(capacity);
        }
        index
    }

    /// Index the item at `position` (positions are inserted in increasing order).
    pub(crate) fn insert(&mut self, key: &K, position: usize) {
        match &self.hashed {
            Some((state, hash)) => {
                let hash = hash(state, key);
                self.chain(hash, position);
            }
            None => self.len = self.len.max(position + 1),
        }
    }

    /// Put `position` at the end of the chain of `hash`.
    fn chain(&mut self, hash: u64, position: usize) {
        if self.next.len() <= position {
            self.next.resize(position + 1, END);
        }
        let chain = self.chains.entry(hash).or_insert((position, position));
        if chain.1 != position {
            self.next[chain.1] = position;
            chain.1 = position;
        }
    }

    /// The first indexed position whose key equals `key`, or else index `key` at
    /// `position` (and answer `None`): [`find`](Self::find) then [`insert`](Self::insert)
    /// with the key hashed once.
    pub(crate) fn find_or_insert<'a>(
        &mut self,
        key: &K,
        position: usize,
        key_at: impl Fn(usize) -> Option<&'a K>,
    ) -> Option<usize>
    where
        K: 'a,
    {
        let same = |i: usize| key_at(i).is_some_and(|have| have == key);
        match &self.hashed {
            Some((state, hash)) => {
                let hash = hash(state, key);
                if let Some(&(first, _)) = self.chains.get(&hash) {
                    let mut at = first;
                    while at != END {
                        if same(at) {
                            return Some(at);
                        }
                        at = self.next[at];
                    }
                }
                self.chain(hash, position);
                None
            }
            None => {
                let found = (0..self.len).find(|&i| same(i));
                if found.is_none() {
                    self.len = self.len.max(position + 1);
                }
                found
            }
        }
    }

    /// The first indexed position whose key equals `key`; `key_at` reads a position's key.
    pub(crate) fn find<'a>(&self, key: &K, key_at: impl Fn(usize) -> Option<&'a K>) -> Option<usize>
    where
        K: 'a,
    {
        let same = |i: usize| key_at(i).is_some_and(|have| have == key);
        match &self.hashed {
            Some((state, hash)) => {
                let mut at = self.chains.get(&hash(state, key))?.0;
                while at != END {
                    if same(at) {
                        return Some(at);
                    }
                    at = self.next[at];
                }
                None
            }
            None => (0..self.len).find(|&i| same(i)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ITEMS: [&str; 5] = ["a", "b", "a", "c", "b"];

    /// By hash, by one hash for every key (all colliding), and by scan.
    fn hashes() -> [Option<HashFn<str>>; 3] {
        let collide: HashFn<str> = |_, _| 7;
        [Some(hash_of::<str> as HashFn<str>), Some(collide), None]
    }

    fn at(i: usize) -> Option<&'static str> {
        ITEMS.get(i).copied()
    }

    #[test]
    fn the_first_position_of_a_key_is_found_by_hash_through_collisions_or_by_scan() {
        for hash in hashes() {
            let mut index = KeyIndex::<str>::new(hash);
            for (i, item) in ITEMS.iter().enumerate() {
                index.insert(item, i);
            }
            assert_eq!(index.find("a", at), Some(0));
            assert_eq!(index.find("b", at), Some(1));
            assert_eq!(index.find("c", at), Some(3));
            assert_eq!(index.find("z", at), None);
        }
    }

    #[test]
    fn find_or_insert_finds_the_first_equal_key_or_indexes_the_new_one() {
        for hash in hashes() {
            let mut index = KeyIndex::<str>::with_capacity(hash, ITEMS.len());
            let found: Vec<Option<usize>> = (0..ITEMS.len())
                .map(|i| index.find_or_insert(ITEMS[i], i, at))
                .collect();
            assert_eq!(found, [None, None, Some(0), None, Some(1)]);
            assert_eq!(index.find("c", at), Some(3));
            assert_eq!(index.find("z", at), None);
        }
    }
}
