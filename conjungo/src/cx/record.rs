//! Recording: during a PATCH, the apply pass notes *where* it changed the target (the
//! object keys leading there, and what happened), for the change report and the MongoDB
//! update (`patch::update` compiles the notes). A merge outside PATCH records nothing: the
//! [`Apply`] methods here (the hooks) do nothing then, beyond one branch each.
//!
//! The merge rules (`impls/`, the derive's code) reach the recording only through these
//! hooks, where they change something: `record_here`/`record_at`, `under` (a member
//! entered), `record_here_if` (a comparison made only while recording), `recorded` (a
//! look at the target before and after a strategy) and `merge_seq` (the sequence rule of
//! `impls::seqs`, recorded). No rule of `impls/` asks whether it is recorded; the patch
//! forms of `patch/` ask only to skip work that feeds the update alone (the values read
//! on the spot, the keyed lists' logs).

use super::Apply;
use crate::SeqStrategy;
use crate::impls::seqs::merge_seq;
use crate::patch::ChangeKind;
use crate::strategy::seq::Seq;

/// One object key of a recorded path. A short key (23 bytes or fewer, most keys) is held
/// inline, and costs no allocation where it is entered or recorded; a longer one is
/// shared: every change below it holds the same string.
#[cfg(feature = "bson")]
pub(crate) type Segment = smol_str::SmolStr;
#[cfg(not(feature = "bson"))]
pub(crate) type Segment = std::rc::Rc<str>;

/// The object keys leading to a recorded change: most paths are a few keys long, kept
/// inline (no allocation per change).
#[cfg(feature = "bson")]
pub(crate) type Path = smallvec::SmallVec<[Segment; 3]>;
#[cfg(not(feature = "bson"))]
pub(crate) type Path = Vec<Segment>;

/// What a recording apply pass saw change, for change reports and MongoDB updates.
#[derive(Default)]
pub(crate) struct Recorder {
    stack: Vec<Segment>,
    /// The JSON Pointer of the current place (the keys of `stack`, escaped), and where
    /// each key of `stack` starts in it: a change's pointer is this one and its own key.
    pointer: String,
    pointer_starts: Vec<usize>,
    /// The first index of `stack` below the top level whose key cannot be a path segment
    /// of an update (see `patch::extract::cut_of`), kept as keys are entered.
    #[cfg(feature = "bson")]
    cut: Option<usize>,
    pub(crate) changes: Vec<RawChange>,
    /// Bumped each time a key is entered or left: two changes recorded at one generation
    /// have the same parent.
    generation: u64,
    /// The generation of the last change, when it was recorded by `record_member` at a
    /// place an update can address (its place is its path): the next such change at the
    /// same generation is in path order after it if its key is not smaller.
    siblings: Option<u64>,
    /// How many array filter identifiers (`k0`, `k1`, …) were handed out.
    #[cfg(feature = "bson")]
    filters: usize,
}

/// One change: the object keys leading to it and what happened there. Its value is read
/// afterwards from the merged value (see `patch::extract`), the way serde stores it.
#[derive(Debug, Clone)]
#[cfg_attr(not(feature = "bson"), allow(dead_code))]
pub(crate) struct RawChange {
    pub(crate) segments: Path,
    /// The JSON Pointer of `segments`, built where it was recorded.
    pub(crate) pointer: String,
    /// `patch::extract::cut_of(&segments)`, known when the change is recorded.
    #[cfg(feature = "bson")]
    pub(crate) cut: Option<usize>,
    pub(crate) kind: ChangeKind,
    /// Whether the change's place is known, from where it was recorded, not to come before
    /// the place of the change before it (a sibling with a key not greater): the update
    /// then need not compare the two paths to know they are in order.
    pub(crate) follows: bool,
    /// For appends: how many items.
    pub(crate) count: usize,
    /// What serde stores at the change's place in the update, when it was read on the
    /// spot (changes inside dynamic values, see `patch::extract::prefill`).
    #[cfg(feature = "bson")]
    pub(crate) prefill: Option<crate::patch::extract::Found>,
    /// An operation decided where it was recorded (keyed lists, sets, versions): its path
    /// in the update (which may name array elements by `$[identifier]`), the operator,
    /// and the array filter of the identifier it introduces. `segments` stays the JSON
    /// Pointer of the change.
    #[cfg(feature = "bson")]
    pub(crate) placed: Option<Box<Placed>>,
}

#[cfg(feature = "bson")]
impl RawChange {
    /// The change's place in the update and the operation there.
    pub(crate) fn place(&self) -> (&[Segment], crate::patch::extract::Op) {
        debug_assert!(
            self.placed.is_some() || self.cut == crate::patch::extract::cut_of(&self.segments)
        );
        place_of(
            &self.segments,
            self.cut,
            self.kind,
            self.count,
            &self.placed,
        )
    }

    /// [`place`](Self::place), and the value read on the spot, which the caller takes
    /// while the place borrows the change's path.
    pub(crate) fn place_and_prefill(
        &mut self,
    ) -> (
        (&[Segment], crate::patch::extract::Op),
        &mut Option<crate::patch::extract::Found>,
    ) {
        let RawChange {
            segments,
            cut,
            kind,
            count,
            prefill,
            placed,
            ..
        } = self;
        (place_of(segments, *cut, *kind, *count, placed), prefill)
    }
}

/// The place in the update of a change with these fields (see [`RawChange::place`]).
#[cfg(feature = "bson")]
fn place_of<'c>(
    segments: &'c [Segment],
    cut: Option<usize>,
    kind: ChangeKind,
    count: usize,
    placed: &'c Option<Box<Placed>>,
) -> (&'c [Segment], crate::patch::extract::Op) {
    match placed {
        Some(placed) => (&placed.at, placed.op),
        None => crate::patch::extract::op_at(segments, cut, kind, count),
    }
}

/// See [`RawChange::placed`].
#[cfg(feature = "bson")]
#[derive(Debug, Clone)]
pub(crate) struct Placed {
    pub(crate) at: Vec<Segment>,
    pub(crate) op: crate::patch::extract::Op,
    pub(crate) array_filter: Option<bson::Document>,
}

impl RawChange {
    /// A change at `segments`, the first `cut` of them addressable below the top level.
    #[cfg_attr(not(feature = "bson"), allow(unused_variables))]
    fn new(segments: Path, pointer: String, cut: Option<usize>, kind: ChangeKind) -> Self {
        #[cfg(feature = "bson")]
        debug_assert_eq!(pointer, crate::patch::pointer(&segments));
        RawChange {
            segments,
            pointer,
            #[cfg(feature = "bson")]
            cut,
            kind,
            follows: false,
            count: 0,
            #[cfg(feature = "bson")]
            prefill: None,
            #[cfg(feature = "bson")]
            placed: None,
        }
    }
}

impl Apply<'_> {
    /// The recorder, while recording. Recording starts only in PATCH helpers of the `bson`
    /// feature: without it this is `None` at compile time, and every hook compiles away.
    #[inline]
    fn rec(&self) -> Option<&Recorder> {
        #[cfg(not(feature = "bson"))]
        return None;
        #[cfg(feature = "bson")]
        self.state.as_ref().and_then(|s| s.recorder.as_ref())
    }

    #[inline]
    fn rec_mut(&mut self) -> Option<&mut Recorder> {
        #[cfg(not(feature = "bson"))]
        return None;
        #[cfg(feature = "bson")]
        self.state.as_mut().and_then(|s| s.recorder.as_mut())
    }

    /// Record every change this pass makes (used by the PATCH helpers).
    #[cfg(feature = "bson")]
    pub(crate) fn start_recording(&mut self) {
        // Room for the changes of a small patch and the keys of a deep place: a PATCH
        // records at least one change, and growing by doubling moves every change again.
        self.state.get_or_insert_with(Box::default).recorder = Some(Recorder {
            stack: Vec::with_capacity(8),
            pointer: String::with_capacity(64),
            pointer_starts: Vec::with_capacity(8),
            changes: Vec::with_capacity(32),
            ..Recorder::default()
        });
    }

    #[cfg(feature = "bson")]
    pub(crate) fn take_changes(&mut self) -> Vec<RawChange> {
        self.state
            .as_mut()
            .and_then(|s| s.recorder.take())
            .map(|r| r.changes)
            .unwrap_or_default()
    }

    /// Whether this pass records its changes. Dynamic values and generated patch types
    /// report what they change when it does; other types need not.
    #[inline]
    #[doc(hidden)]
    pub fn is_recording(&self) -> bool {
        self.rec().is_some()
    }

    /// Stop recording until [`resume_recording`](Self::resume_recording) (merges whose
    /// changes are recorded by their caller as a whole).
    pub(crate) fn pause_recording(&mut self) -> Option<Recorder> {
        self.state.as_mut().and_then(|s| s.recorder.take())
    }

    /// Undo [`pause_recording`](Self::pause_recording).
    pub(crate) fn resume_recording(&mut self, recorder: Option<Recorder>) {
        if recorder.is_some() {
            self.state.get_or_insert_with(Box::default).recorder = recorder;
        }
    }

    /// Record a change of the value at the current place.
    #[doc(hidden)]
    pub fn record_here(&mut self, kind: ChangeKind) {
        if let Some(r) = self.rec_mut() {
            let segments = Path::from(&r.stack[..]);
            let cut = r.cut_below(None, None);
            let pointer = r.pointer.clone();
            r.changes.push(RawChange::new(segments, pointer, cut, kind));
            r.siblings = None;
        }
    }

    /// Record a change of the member `key` of the object at the current place.
    #[doc(hidden)]
    pub fn record_at(&mut self, key: &str, kind: ChangeKind) {
        self.record_member(key, kind, None);
    }

    /// [`record_at`](Self::record_at) of a key the caller knows whether an update can
    /// address ([`addressable`](crate::patch::typed::addressable)), if it does.
    pub(crate) fn record_member(&mut self, key: &str, kind: ChangeKind, addressable: Option<bool>) {
        if let Some(r) = self.rec_mut() {
            // Pushed one by one: `extend` of a `SmallVec` costs more than the clones.
            let mut segments = Path::with_capacity(r.stack.len() + 1);
            for segment in &r.stack {
                segments.push(segment.clone());
            }
            segments.push(Segment::from(key));
            let cut = r.cut_below(Some(key), addressable);
            let pointer = r.pointer_below(&[key]);
            let follows = cut.is_none()
                && r.siblings == Some(r.generation)
                && r.changes
                    .last()
                    .and_then(|last| last.segments.last())
                    .is_some_and(|last| &**last <= key);
            let mut change = RawChange::new(segments, pointer, cut, kind);
            change.follows = follows;
            r.changes.push(change);
            r.siblings = cut.is_none().then_some(r.generation);
        }
    }

    /// [`record_member`](Self::record_member) of a value added or replaced whole at `key`
    /// (a map's entry, which has no serde attributes of its own), with the value as serde
    /// stores it for the update where the update names the place (elsewhere the update
    /// reads a parent whole, see `patch::extract::prefill_serialized`).
    pub(crate) fn record_member_value<T: serde::Serialize + ?Sized>(
        &mut self,
        key: &str,
        kind: ChangeKind,
        addressable: bool,
        value: &T,
    ) {
        self.record_member(key, kind, Some(addressable));
        #[cfg(feature = "bson")]
        if let Some(change) = self.rec_mut().and_then(|r| r.changes.last_mut())
            && change.cut.is_none()
            && let Ok(found) = crate::bson::to_bson(value)
        {
            change.prefill = Some(crate::patch::extract::Found::Value(found));
        }
        #[cfg(not(feature = "bson"))]
        let _ = value;
    }

    /// Record that `count` items were appended to the sequence at the current place.
    #[doc(hidden)]
    pub fn record_appended(&mut self, count: usize) {
        self.record_here(ChangeKind::Appended);
        if let Some(change) = self.rec_mut().and_then(|r| r.changes.last_mut()) {
            change.count = count;
        }
    }

    /// [`record_appended`](Apply::record_appended), with the appended items as serde
    /// stores them (items of a typed sequence serialize one by one), so that the update
    /// need not walk the stored sequence to find them.
    pub(crate) fn record_appended_items<'i, T: serde::Serialize + 'i>(
        &mut self,
        items: impl ExactSizeIterator<Item = &'i T>,
    ) {
        self.record_appended(items.len());
        #[cfg(feature = "bson")]
        if let Some(change) = self.rec_mut().and_then(|r| r.changes.last_mut()) {
            // A value bson refuses was refused by the check pass; should one slip through,
            // the walk finds it and reports it.
            change.prefill = items
                .map(crate::bson::to_bson)
                .collect::<Result<Vec<_>, _>>()
                .ok()
                .map(crate::patch::extract::Found::Items);
        }
    }

    /// A fresh array filter identifier (`k0`, `k1`, …), unique in this recording.
    #[cfg(feature = "bson")]
    pub(crate) fn filter_identifier(&mut self) -> String {
        match self.rec_mut() {
            Some(r) => {
                r.filters += 1;
                format!("k{}", r.filters - 1)
            }
            None => String::new(),
        }
    }

    /// Record a change whose update operation is decided here: `pointer` and `at` are
    /// below the current place (the change's JSON Pointer, and its path in the update),
    /// `value` what the operation writes (`None` for all but one of several changes with
    /// the same operation at the same place).
    #[cfg(feature = "bson")]
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn record_placed(
        &mut self,
        pointer: &[&str],
        at: &[&str],
        kind: ChangeKind,
        count: usize,
        op: crate::patch::extract::Op,
        value: Option<crate::patch::extract::Found>,
        array_filter: Option<bson::Document>,
    ) {
        if let Some(r) = self.rec_mut() {
            let below = |tail: &[&str]| -> Path {
                let stack = r.stack.iter().cloned();
                stack
                    .chain(tail.iter().map(|s| Segment::from(*s)))
                    .collect()
            };
            // Placed: its update path is `at`, the cut is not asked for.
            let mut change = RawChange::new(below(pointer), r.pointer_below(pointer), None, kind);
            change.count = count;
            // `None`: another change at the same place carries the value (one copy).
            change.prefill = value;
            change.placed = Some(Box::new(Placed {
                at: below(at).into_vec(),
                op,
                array_filter,
            }));
            r.changes.push(change);
            r.siblings = None;
        }
    }

    /// How many object keys deep the recording pass is (0 when not recording).
    #[cfg(feature = "bson")]
    pub(crate) fn recording_depth(&self) -> usize {
        self.rec().map_or(0, |r| r.stack.len())
    }

    /// The changes recorded since `start`, to fill in.
    #[cfg(feature = "bson")]
    pub(crate) fn changes_since(&mut self, start: usize) -> &mut [RawChange] {
        match self.rec_mut() {
            Some(r) => &mut r.changes[start..],
            None => &mut [],
        }
    }

    /// Drop the changes recorded since `start` (replaced by one change of a parent).
    pub(crate) fn truncate_changes(&mut self, start: usize) {
        if let Some(r) = self.rec_mut() {
            r.changes.truncate(start);
            r.siblings = None;
        }
    }

    /// How many changes were recorded so far.
    pub(crate) fn change_count(&self) -> usize {
        self.rec().map_or(0, |r| r.changes.len())
    }

    /// Run `f` one object member deeper: what it records is under `key`. Not recording,
    /// just `f`.
    #[inline]
    pub(crate) fn under<R>(&mut self, key: &str, f: impl FnOnce(&mut Self) -> R) -> R {
        if self.rec().is_none() {
            return f(self);
        }
        self.enter(key);
        let result = f(self);
        self.leave();
        result
    }

    /// Record a change of `kind` at the current place if `changed()` (asked only while
    /// recording: a comparison is paid for only by a PATCH).
    #[inline]
    #[cfg_attr(not(feature = "json"), allow(dead_code))]
    pub(crate) fn record_here_if(&mut self, kind: ChangeKind, changed: impl FnOnce() -> bool) {
        if self.rec().is_some() && changed() {
            self.record_here(kind);
        }
    }

    /// Run `f` on `target`. While recording, `before` first takes what it needs of the
    /// target (a length, a copy), and `record` compares it with the target after a
    /// successful `f` and records what changed. Not recording, just `f`.
    #[inline]
    pub(crate) fn recorded<T, B>(
        &mut self,
        target: &mut T,
        f: impl FnOnce(&mut T, &mut Self) -> Result<(), crate::Error>,
        before: impl FnOnce(&T) -> B,
        record: impl FnOnce(&T, B, &mut Self),
    ) -> Result<(), crate::Error> {
        if self.rec().is_none() {
            return f(target, self);
        }
        let seen = before(target);
        f(target, self)?;
        record(target, seen, self);
        Ok(())
    }

    /// The sequence rule ([`merge_seq`]) with what it changed recorded: the sequences of
    /// typed patches and dynamic arrays say only how their values compare (`same`: a
    /// replacement by equal items is no change) and how an append is recorded
    /// (`appended`, given the length before).
    pub(crate) fn merge_seq<S: Seq>(
        &mut self,
        target: &mut S,
        source: S,
        same: impl FnOnce(&S, &S) -> bool,
        appended: impl FnOnce(&S, usize, &mut Self),
    ) {
        let options = self.options();
        if self.rec().is_none() {
            merge_seq(target, source, options);
            return;
        }
        let grows = source.seq_len() > 0;
        let kind = match options.seq {
            SeqStrategy::Append if grows => ChangeKind::Appended,
            SeqStrategy::Prepend if grows => ChangeKind::Replaced,
            SeqStrategy::Replace if options.overwrite && !same(target, &source) => {
                ChangeKind::Replaced
            }
            _ => return,
        };
        let before = target.seq_len();
        merge_seq(target, source, options);
        match kind {
            ChangeKind::Appended => appended(target, before, self),
            kind => self.record_here(kind),
        }
    }

    /// Go one object member deeper (while recording): changes recorded until the matching
    /// [`leave`](Apply::leave) are under `key`.
    #[doc(hidden)]
    pub fn enter(&mut self, key: &str) {
        if let Some(r) = self.rec_mut() {
            #[cfg(feature = "bson")]
            {
                r.cut = r.cut_below(Some(key), None);
            }
            r.stack.push(Segment::from(key));
            r.generation += 1;
            r.pointer_starts.push(r.pointer.len());
            crate::error::push_segment(&mut r.pointer, key);
        }
    }

    /// Come back up from [`enter`](Apply::enter).
    #[doc(hidden)]
    pub fn leave(&mut self) {
        if let Some(r) = self.rec_mut() {
            r.stack.pop();
            r.generation += 1;
            if let Some(start) = r.pointer_starts.pop() {
                r.pointer.truncate(start);
            }
            #[cfg(feature = "bson")]
            if r.cut == Some(r.stack.len()) {
                r.cut = None;
            }
        }
    }
}

impl Recorder {
    /// The JSON Pointer of the place `tail` below the current one.
    fn pointer_below(&self, tail: &[&str]) -> String {
        let len = tail.iter().map(|key| key.len() + 1).sum::<usize>();
        let mut pointer = String::with_capacity(self.pointer.len() + len);
        pointer.push_str(&self.pointer);
        for key in tail {
            crate::error::push_segment(&mut pointer, key);
        }
        pointer
    }

    /// The cut (see [`Recorder::cut`]) of the current place, or of its member `key`
    /// (`addressable`: whether an update can address `key`, when known).
    #[cfg(feature = "bson")]
    fn cut_below(&self, key: Option<&str>, addressable: Option<bool>) -> Option<usize> {
        match (self.cut, key) {
            (Some(cut), _) => Some(cut),
            (None, Some(key))
                if !self.stack.is_empty()
                    && !addressable.unwrap_or_else(|| crate::patch::typed::addressable(key)) =>
            {
                Some(self.stack.len())
            }
            _ => None,
        }
    }

    #[cfg(not(feature = "bson"))]
    fn cut_below(&self, _key: Option<&str>, _addressable: Option<bool>) -> Option<usize> {
        None
    }
}

#[cfg(all(test, feature = "bson"))]
mod tests {
    use crate::cx::Check;
    use crate::patch::ChangeKind;

    /// `follows` is set only where the change's place is known not to come before the one
    /// recorded before it: a sibling (no key entered or left between) with a key not
    /// smaller, both places an update can address.
    #[test]
    fn a_change_follows_only_a_smaller_sibling() {
        let options = crate::Options::merge_patch();
        let mut cx = Check::new(&options).into_apply();
        cx.start_recording();
        cx.enter("labels");
        cx.record_at("b", ChangeKind::Replaced);
        cx.record_at("c", ChangeKind::Replaced); // sibling, greater
        cx.record_at("c", ChangeKind::Removed); // sibling, equal
        cx.record_at("a", ChangeKind::Replaced); // sibling, smaller
        cx.record_at("x.y", ChangeKind::Replaced); // not addressable: cut
        cx.record_at("z", ChangeKind::Replaced); // after a cut one
        cx.enter("z");
        cx.leave();
        cx.record_at("zz", ChangeKind::Replaced); // a key entered and left between
        cx.record_here(ChangeKind::Replaced);
        cx.record_at("zzz", ChangeKind::Replaced); // after a change of the parent
        cx.leave();
        cx.enter("other");
        cx.record_at("zzzz", ChangeKind::Replaced); // another parent
        let follows: Vec<(String, bool)> = cx
            .take_changes()
            .into_iter()
            .map(|c| (c.pointer, c.follows))
            .collect();
        let expected = [
            ("/labels/b", false),
            ("/labels/c", true),
            ("/labels/c", true),
            ("/labels/a", false),
            ("/labels/x.y", false),
            ("/labels/z", false),
            ("/labels/zz", false),
            ("/labels", false),
            ("/labels/zzz", false),
            ("/other/zzzz", false),
        ];
        let expected: Vec<(String, bool)> =
            expected.iter().map(|(p, f)| (p.to_string(), *f)).collect();
        assert_eq!(follows, expected);
    }
}
