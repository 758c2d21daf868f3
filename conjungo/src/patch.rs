//! PATCH: validate an untrusted body, apply it, and get the MongoDB update that reproduces
//! the result and a report of what changed.
//!
//! - [`parse`]: the untrusted-body gate for typed patches (size, UTF-8, JSON, shape, keys,
//!   depth), each failure an [`Error`](crate::Error) with a JSON Pointer and an HTTP class.
//! - [`apply_document`]: schemaless PATCH of a stored bson [`Document`](bson::Document)
//!   (feature `bson`); [`apply_document_slice`] does the same from the body's bytes in one
//!   pass.
//! - [`Applied`]: the MongoDB `update` document (`$set` with dotted paths, `$unset`,
//!   `$push` with `$each`) and the [`Change`]s.

pub(crate) mod typed;

pub use typed::{Patch, Patchable};

#[doc(hidden)]
pub use typed::SerdeNames;

#[cfg(feature = "bson")]
pub(crate) mod extract;

#[cfg(feature = "bson")]
mod update;

#[cfg(feature = "bson")]
mod size;

#[cfg(feature = "bson")]
mod slice;

#[cfg(feature = "bson")]
mod rfc;

#[cfg(feature = "bson")]
pub(crate) mod diff;

#[cfg(feature = "bson")]
pub use diff::diff_document;

mod keyed;
pub use keyed::{KeyedPatch, SetPatch};

mod typed_diff;
#[doc(hidden)]
pub use keyed::{set_apply, set_apply_option};
pub use typed_diff::diff;
#[doc(hidden)]
pub use typed_diff::{
    diff_append, diff_keyed, diff_nested, diff_option, diff_prepend, diff_set, diff_whole,
    full_nested, full_set,
};

#[cfg(feature = "bson")]
pub use update::{
    Applied, apply, apply_document, apply_document_slice, apply_document_slice_with,
    apply_document_with, check_version, version,
};

#[cfg(feature = "json")]
pub(crate) mod body;
#[cfg(feature = "json")]
pub(crate) mod stream;

#[cfg(feature = "schemars")]
pub(crate) mod schema;

#[cfg(feature = "json")]
pub use body::{parse, parse_with, validate_body};

use std::fmt;

/// Markers the generated patch types put in their serde errors, recognised by [`parse`].
pub(crate) mod markers {
    pub(crate) const PROTECTED: &str = "conjungo-protected-field";
    pub(crate) const NULL_ON_REQUIRED: &str = "conjungo-null-on-required";
}

/// What happened at one place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ChangeKind {
    /// A key that was not there was added.
    Added,
    /// A value was replaced by a different one (also: a sequence reordered or replaced).
    Replaced,
    /// A key was removed.
    Removed,
    /// Items were added at the end of a sequence ([`Change::count`] says how many).
    Appended,
}

impl fmt::Display for ChangeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChangeKind::Added => f.write_str("added"),
            ChangeKind::Replaced => f.write_str("replaced"),
            ChangeKind::Removed => f.write_str("removed"),
            ChangeKind::Appended => f.write_str("appended"),
        }
    }
}

/// One change made by a patch: where (a JSON Pointer into the stored document) and what.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Change {
    /// RFC 6901 JSON Pointer of the place that changed.
    pub path: String,
    /// What happened there.
    pub kind: ChangeKind,
    /// For [`ChangeKind::Appended`], how many items were appended; 0 otherwise.
    pub count: usize,
}

#[cfg(feature = "bson")]
impl Change {
    /// The value before and after the change, read at [`path`](Change::path) in the stored
    /// document before the patch and in the document after it (what
    /// `bson::serialize_to_document` gives for the value before and after `patch::apply`, or
    /// the stored document and the result of `apply_document`): the audit view of a change.
    /// Opt-in, since values may hold personal data: [`Applied`] carries only the paths.
    ///
    /// `Added` has no value before, `Removed` none after; `Appended` gives the whole
    /// sequence before and after.
    ///
    /// ```
    /// use bson::{doc, Bson};
    /// use conjungo::{patch, Options};
    /// use serde_json::json;
    ///
    /// let before = doc! {"name": "api", "env": {"A": "1"}};
    /// let mut after = before.clone();
    /// let applied = patch::apply_document(
    ///     &mut after,
    ///     json!({"name": "web", "env": {"A": null, "B": "2"}}),
    ///     &Options::merge_patch(),
    /// )
    /// .unwrap();
    /// let audit: Vec<(&str, Option<&Bson>, Option<&Bson>)> = applied
    ///     .changes
    ///     .iter()
    ///     .map(|c| {
    ///         let (old, new) = c.values(&before, &after);
    ///         (c.path.as_str(), old, new)
    ///     })
    ///     .collect();
    /// assert_eq!(audit, [
    ///     ("/env/A", Some(&Bson::from("1")), None),
    ///     ("/env/B", None, Some(&Bson::from("2"))),
    ///     ("/name", Some(&Bson::from("api")), Some(&Bson::from("web"))),
    /// ]);
    /// ```
    pub fn values<'a>(
        &self,
        before: &'a bson::Document,
        after: &'a bson::Document,
    ) -> (Option<&'a bson::Bson>, Option<&'a bson::Bson>) {
        let old = || at_pointer(before, &self.path);
        let new = || at_pointer(after, &self.path);
        match self.kind {
            ChangeKind::Added => (None, new()),
            ChangeKind::Removed => (old(), None),
            ChangeKind::Replaced | ChangeKind::Appended => (old(), new()),
        }
    }
}

/// The value at an RFC 6901 JSON Pointer in a document (array items by index).
#[cfg(feature = "bson")]
fn at_pointer<'a>(doc: &'a bson::Document, pointer: &str) -> Option<&'a bson::Bson> {
    let mut segments = pointer
        .strip_prefix('/')?
        .split('/')
        .map(|s| s.replace("~1", "/").replace("~0", "~"));
    let first = segments.next()?;
    let mut current = doc.get(&first)?;
    for segment in segments {
        current = match current {
            bson::Bson::Document(d) => d.get(&segment)?,
            bson::Bson::Array(items) => items.get(segment.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(current)
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            ChangeKind::Appended => write!(f, "appended {} to {}", self.count, self.path),
            kind => write!(f, "{kind} {}", self.path),
        }
    }
}

/// A JSON Pointer from object keys (RFC 6901: `~` as `~0`, `/` as `~1`).
#[cfg(feature = "bson")]
pub(crate) fn pointer<S: AsRef<str>>(segments: &[S]) -> String {
    let mut out = String::with_capacity(segments.iter().map(|s| s.as_ref().len() + 1).sum());
    for segment in segments {
        crate::error::push_segment(&mut out, segment.as_ref());
    }
    out
}

/// Limits and rules for untrusted PATCH bodies.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// The largest body accepted, in bytes (default 16 MiB, MongoDB's document limit).
    pub max_body_bytes: usize,
    /// The deepest nesting accepted (default 100, MongoDB's limit).
    pub max_depth: usize,
    /// Top-level fields a schemaless patch may not touch (default `["_id"]`).
    pub protected: Vec<String>,
    /// The largest update, in bytes (default 16 MiB, MongoDB's document limit). The gate
    /// refuses a body whose dotted paths alone add up to more (each member of a body is
    /// at most one path in the update: a small body with long keys deep down could
    /// otherwise ask for a huge update); [`apply_document`] also refuses a patch whose
    /// encoded update would be larger, before anything is applied.
    pub max_update_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: 16 * 1024 * 1024,
            max_depth: 100,
            protected: vec!["_id".to_owned()],
            max_update_bytes: 16 * 1024 * 1024,
        }
    }
}

impl Limits {
    setters! {
        /// Set the largest body accepted, in bytes.
        max_body_bytes: usize;
        /// Set the deepest nesting accepted.
        max_depth: usize;
        /// Set the largest update, in bytes.
        max_update_bytes: usize;
    }

    /// Add a top-level field that a schemaless patch may not touch.
    #[must_use]
    pub fn protect(mut self, field: impl Into<String>) -> Self {
        self.protected.push(field.into());
        self
    }
}
