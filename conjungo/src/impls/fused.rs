//! A merge of two dynamic values at the root in one pass, which undoes itself on failure.
//!
//! The two passes of [`crate::cx`] walk the source twice: a check pass (looking every
//! source member up in the target, to find a kind mismatch or the depth limit before
//! anything is written) and the apply pass (the same walk, writing). With no custom
//! function and no recording, a merge whose root is a dynamic value walks once instead:
//! each change keeps what it overwrote in a journal, and the first error unwinds the journal
//! back to the target as it was. The journal holds the values the merge would have dropped
//! anyway (moved, not cloned), the keys of merged members (moved from the source), and a
//! copy of each added key (what undoing the addition needs), so success pays about a
//! push per changed member for it, and the check pass is gone.
//!
//! The result, the error and its place are those of the two passes: members are walked in
//! the same order, a mismatch or the depth limit is met at the same member, and every
//! addition and removal of an object waits until all its members are merged (in key order,
//! so an object gets back the same members in the same order). An object that keeps its
//! members in insertion order (a bson `Document`) is merged so only when no member can be
//! removed ([`fusable`]): its additions come last and are taken back from the end, but a
//! removed member could not be put back in its place.

use super::dynamic::{
    DynObject, Dynamic, Parts, Side, check_source_depth, joinable, mismatch, strip_nulls,
};
use crate::cx::one_deeper;
use crate::impls::seqs::merge_seq;
use crate::{Check, Error, Kind, Mismatch, NullStrategy, Options, SeqStrategy};

/// What a change overwrote, to undo it. The entries of a value are pushed in the order of
/// its changes; an object's member merged in place has its entries first, then
/// [`Undo::Inside`] naming it.
pub(crate) enum Undo<V> {
    /// The value here was replaced: what it was.
    Was(V),
    /// The array here had this many items; the others were added at its end, or at its
    /// start (`front`).
    Grew { len: usize, front: bool },
    /// The entries from the index given up to this one are changes inside this member.
    Inside(String, usize),
    /// This member was replaced (by a scalar or a null): what it was.
    Replaced(String, V),
    /// This member was added.
    Added(String),
    /// This member was removed: its value.
    Removed(String, V),
}

/// Whether a merge with `options` whose root holds objects of type `O` is done in one pass:
/// when its check pass would look every member up in the target (a kind mismatch is an
/// error), and there is no custom function. Otherwise the check pass walks the source
/// alone, for its depth, which costs less than keeping a journal. An object that keeps its
/// members in insertion order (a bson `Document`) could not put a removed member back in
/// its place: merged so only when nulls remove nothing.
pub(crate) fn fusable<O: DynObject>(options: &Options) -> bool {
    options.mismatch == Mismatch::Error
        && !options.has_custom()
        && (O::key_ordered() || options.nulls != NullStrategy::Delete)
}

/// [`crate::merge`] of two values, in one pass ([`fusable`] options).
pub(crate) fn merge_value<V: Dynamic>(
    target: &mut V,
    source: V,
    options: &Options,
) -> Result<(), Error> {
    let mut fused = Fused::new(options);
    let result = fused.value(target, source);
    fused.finish();
    result
}

/// [`crate::merge`] of two objects, in one pass ([`fusable`] options).
pub(crate) fn merge_object<O: DynObject>(
    target: &mut O,
    source: O,
    options: &Options,
) -> Result<(), Error> {
    let mut fused = Fused::<O::Value>::new(options);
    let result = fused.nested(|fused| fused.object(target, source));
    fused.finish();
    result
}

/// The most entries a thread keeps room for, for the next merge's journal (64 KB for
/// `serde_json::Value`, 144 KB for `bson::Bson`): a larger journal is freed.
const SPARE_ENTRIES: usize = 1024;

struct Fused<'o, V> {
    options: &'o Options,
    depth: usize,
    journal: Vec<Undo<V>>,
}

impl<'o, V: Dynamic> Fused<'o, V> {
    /// A merge with the room of the thread's last journal (so that a service merging
    /// one body after another does not grow a journal each time).
    fn new(options: &'o Options) -> Self {
        Fused {
            options,
            depth: 0,
            journal: V::spare_journal().take(),
        }
    }

    /// Drop what the journal kept (the values the merge replaced) and give its room back
    /// to the thread.
    fn finish(mut self) {
        self.journal.clear();
        if self.journal.capacity() <= SPARE_ENTRIES {
            V::spare_journal().set(self.journal);
        }
    }

    /// One level deeper, within [`Options::max_depth`] (the rule of [`Check::nested`]:
    /// [`one_deeper`]).
    fn nested(&mut self, inner: impl FnOnce(&mut Self) -> Result<(), Error>) -> Result<(), Error> {
        let outer = self.depth;
        self.depth = one_deeper(outer, self.options)?;
        let result = inner(self);
        self.depth = outer;
        result
    }

    /// Replace the value here, keeping what it was.
    fn replace(&mut self, target: &mut V, source: V) {
        let was = std::mem::replace(target, source);
        self.journal.push(Undo::Was(was));
    }

    /// A source value taken whole: under [`NullStrategy::Delete`] its nested nulls go,
    /// within the depth limit.
    fn taken(&self, mut source: V) -> Result<V, Error> {
        if self.options.nulls == NullStrategy::Delete {
            check_source_depth(&source, &mut Check::at_depth(self.options, self.depth))?;
            strip_nulls(&mut source);
        }
        Ok(source)
    }

    /// Merge `source` into `target`. On failure nothing is changed and the journal is as it
    /// was (an object undoes its own changes; every other failure comes before a write).
    fn value(&mut self, target: &mut V, source: V) -> Result<(), Error> {
        let options = self.options;
        if source.is_null() {
            if options.nulls == NullStrategy::Delete
                || (options.nulls == NullStrategy::Set && options.overwrite)
            {
                self.replace(target, V::null());
            }
            return Ok(());
        }
        if target.is_null() {
            let source = self.taken(source)?;
            self.replace(target, source);
            return Ok(());
        }
        if target.kind() != source.kind() {
            return match options.mismatch {
                Mismatch::Error => Err(mismatch(target, &source)),
                Mismatch::Replace => {
                    let source = self.taken(source)?;
                    self.replace(target, source);
                    Ok(())
                }
                Mismatch::Keep => Ok(()),
            };
        }
        match source.into_parts() {
            Parts::Object(source) => match target.as_object_mut() {
                Some(target) => self.nested(|fused| fused.object(target, source)),
                None => Ok(()),
            },
            Parts::Array(source) => {
                if let Some(target) = target.as_array_mut() {
                    self.array(target, source);
                }
                Ok(())
            }
            Parts::Other(source) => {
                if options.overwrite {
                    self.replace(target, source);
                }
                Ok(())
            }
        }
    }

    /// Two arrays, by the sequence strategy.
    fn array(&mut self, target: &mut Vec<V>, source: Vec<V>) {
        let options = self.options;
        match options.seq {
            SeqStrategy::Replace if options.overwrite => {
                let was = std::mem::replace(target, source);
                self.journal.push(Undo::Was(V::from_array(was)));
            }
            SeqStrategy::Append | SeqStrategy::Prepend if !source.is_empty() => {
                let len = target.len();
                merge_seq(target, source, options);
                self.journal.push(Undo::Grew {
                    len,
                    front: options.seq == SeqStrategy::Prepend,
                });
            }
            _ => {}
        }
    }

    /// Merge two objects: every member first, then the additions and removals. On failure
    /// the members merged before are put back.
    fn object(&mut self, target: &mut V::Object, source: V::Object) -> Result<(), Error> {
        let mark = self.journal.len();
        let mut added: Vec<(String, V)> = Vec::new();
        let mut removed: Vec<String> = Vec::new();
        if let Err(error) = self.members(target, source, &mut added, &mut removed) {
            undo_object(target, &mut self.journal, mark);
            return Err(error);
        }
        for key in removed {
            if let Some(was) = target.remove(&key) {
                self.journal.push(Undo::Removed(key, was));
            }
        }
        for (key, value) in added {
            self.journal.push(Undo::Added(key.clone()));
            target.insert(key, value);
        }
        Ok(())
    }

    fn members(
        &mut self,
        target: &mut V::Object,
        source: V::Object,
        added: &mut Vec<(String, V)>,
        removed: &mut Vec<String>,
    ) -> Result<(), Error> {
        if joinable(target, &source, self.options) {
            let mut side = Side::new(target.iter_mut());
            for (key, source) in source.into_entries() {
                let found = side.seek(&key);
                self.member(key, source, found, added, removed)?;
            }
        } else {
            for (key, source) in source.into_entries() {
                let found = target.get_mut(&key);
                self.member(key, source, found, added, removed)?;
            }
        }
        Ok(())
    }

    /// The member `key` of a source object, and the target's member of that key if it has
    /// one (the rules of `dynamic::member`).
    fn member(
        &mut self,
        key: String,
        source: V,
        found: Option<&mut V>,
        added: &mut Vec<(String, V)>,
        removed: &mut Vec<String>,
    ) -> Result<(), Error> {
        let options = self.options;
        if source.is_null() {
            match (options.nulls, found) {
                (NullStrategy::Skip, _) | (NullStrategy::Delete, None) => {}
                (NullStrategy::Delete, Some(_)) => removed.push(key),
                (NullStrategy::Set, Some(target)) => {
                    if options.overwrite && !target.is_null() {
                        let was = std::mem::replace(target, V::null());
                        self.journal.push(Undo::Replaced(key, was));
                    }
                }
                (NullStrategy::Set, None) => added.push((key, V::null())),
            }
            return Ok(());
        }
        match found {
            // A scalar over a scalar of its kind (the most common change): one entry.
            Some(target)
                if options.overwrite
                    && !target.is_null()
                    && target.kind() == source.kind()
                    && !matches!(source.kind(), Kind::Object | Kind::Array) =>
            {
                let was = std::mem::replace(target, source);
                self.journal.push(Undo::Replaced(key, was));
            }
            Some(target) => {
                let start = self.journal.len();
                if let Err(error) = self.value(target, source) {
                    return Err(error.at_key(&key));
                }
                if self.journal.len() > start {
                    self.journal.push(Undo::Inside(key, start));
                }
            }
            None => {
                let source = self.taken(source).map_err(|e| e.at_key(&key))?;
                added.push((key, source));
            }
        }
        Ok(())
    }
}

/// Undo the journal's entries from `start` on, all of them changes of `target` or inside
/// it, latest first.
fn undo_value<V: Dynamic>(target: &mut V, journal: &mut Vec<Undo<V>>, start: usize) {
    while journal.len() > start {
        match journal.last() {
            Some(Undo::Was(_)) => {
                if let Some(Undo::Was(was)) = journal.pop() {
                    *target = was;
                }
            }
            Some(Undo::Grew { len, front }) => {
                let (len, front) = (*len, *front);
                journal.pop();
                if let Some(items) = target.as_array_mut() {
                    if front {
                        items.drain(..items.len().saturating_sub(len));
                    } else {
                        items.truncate(len);
                    }
                }
            }
            _ => match target.as_object_mut() {
                Some(object) => undo_object(object, journal, start),
                // Not reached: member entries are written inside objects only.
                None => journal.truncate(start),
            },
        }
    }
}

/// [`undo_value`] of an object's member entries.
fn undo_object<O: DynObject>(target: &mut O, journal: &mut Vec<Undo<O::Value>>, start: usize) {
    while journal.len() > start {
        match journal.pop() {
            Some(Undo::Inside(key, inner)) => match target.get_mut(&key) {
                Some(member) => undo_value(member, journal, inner),
                None => journal.truncate(inner),
            },
            Some(Undo::Replaced(key, was)) => {
                if let Some(member) = target.get_mut(&key) {
                    *member = was;
                }
            }
            Some(Undo::Added(key)) => {
                target.remove(&key);
            }
            Some(Undo::Removed(key, was)) => target.insert(key, was),
            // Not reached: an object's own entries are member entries.
            Some(Undo::Was(_) | Undo::Grew { .. }) | None => {}
        }
    }
}
