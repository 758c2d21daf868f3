//! The untrusted-body gate: size, UTF-8, JSON syntax, shape, keys, depth, then the patch
//! type's own rules (unknown fields, protected fields, nulls on required fields).

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::Limits;
use crate::{Error, ErrorKind};

use super::markers::{NULL_ON_REQUIRED, PROTECTED};

/// Parse and validate an untrusted PATCH body into the patch type `P` (usually a
/// generated `<Name>Patch`), with the default [`Limits`] (16 MiB, depth 100).
///
/// A body with no problem is read in one pass over its bytes, the checks below made on
/// the way. Objects that reach a map or a dynamic value see their keys sorted and the last
/// of a repeated key, as through a `serde_json::Value`: they are read as they come while
/// their keys come in increasing order, else the body is read again with them read into a
/// `Value` first. Any problem sends the body through a `Value`, whose checks give the
/// error. The patch is the same either way.
///
/// Every failure is an [`Error`] with a JSON Pointer and a class:
///
/// | Problem | [`ErrorKind`] | HTTP |
/// |---|---|---|
/// | larger than the limit | `TooLarge` | 413 |
/// | invalid UTF-8 or JSON (with line and column), not an object | `Malformed` | 400 |
/// | a key that starts with `$` (but an Extended JSON wrapper), contains NUL, or a top-level key with `.` | `ForbiddenKey` | 422 |
/// | a protected (skipped) field | `ProtectedField` | 422 |
/// | nested deeper than the limit | `DepthLimit` | 422 |
/// | paths that would make the update larger than the limit | `UpdateTooLarge` | 422 |
/// | an unknown field | `UnknownField` | 422 |
/// | `null` for a field that is not an `Option` | `NullOnRequired` | 422 |
/// | a value of the wrong type | `Custom` (serde's message) | 422 |
///
/// ```
/// use conjungo::{patch, ErrorKind};
/// use serde_json::Value;
///
/// let err = patch::parse::<Value>(br#"{"a": {"$where": "1"}}"#).unwrap_err();
/// assert_eq!(err.path(), "/a/$where");
/// assert!(matches!(err.kind(), ErrorKind::ForbiddenKey { .. }));
/// assert_eq!(err.http_status(), 422);
///
/// let err = patch::parse::<Value>(b"{\"a\": 1,}").unwrap_err();
/// assert_eq!(err.http_status(), 400);
/// assert!(err.to_string().contains("line 1 column 9"), "{err}");
/// ```
pub fn parse<P: DeserializeOwned>(body: &[u8]) -> Result<P, Error> {
    parse_with(body, &Limits::default())
}

/// [`parse`] with explicit [`Limits`].
pub fn parse_with<P: DeserializeOwned>(body: &[u8], limits: &Limits) -> Result<P, Error> {
    // One pass over the bytes when nothing is wrong; the `Value` path below says what is.
    if body.len() <= limits.max_body_bytes
        && let Some(patch) = super::stream::parse(body, limits)
    {
        return Ok(patch);
    }
    parse_value(body, limits)
}

/// [`parse_with`] through a `Value`: the reference, and the source of every error.
pub(crate) fn parse_value<P: DeserializeOwned>(body: &[u8], limits: &Limits) -> Result<P, Error> {
    let value = read_body(body, limits)?;
    shape(&value)?;
    Gate::new(limits, Wrappers::Allowed).validate(&value, 0, Some(0))?;
    // The place of a serde error is tracked only when there is one: the body is read again
    // and deserialized with the tracking (an error costs twice, a patch once).
    let mut ignored = false;
    match serde_ignored::deserialize(value, |_| ignored = true) {
        Ok(patch) if !ignored => Ok(patch),
        _ => deserialize_located(read_body(body, limits)?),
    }
}

/// Size, UTF-8 and JSON syntax.
pub(crate) fn read_body(body: &[u8], limits: &Limits) -> Result<Value, Error> {
    if body.len() > limits.max_body_bytes {
        return Err(Error::new(ErrorKind::TooLarge {
            limit: limits.max_body_bytes,
        }));
    }
    let text = std::str::from_utf8(body)
        .map_err(|e| malformed(format!("invalid UTF-8 at byte {}", e.valid_up_to())))?;
    // From the `str`: its strings are not checked as UTF-8 again.
    serde_json::from_str(text).map_err(|e| {
        if e.to_string().starts_with("recursion limit exceeded") {
            Error::new(ErrorKind::DepthLimit {
                limit: limits.max_depth,
            })
        } else {
            malformed(e.to_string())
        }
    })
}

fn malformed(message: String) -> Error {
    Error::new(ErrorKind::Malformed { message })
}

/// The shape and key rules of an untrusted body: an object at the root, no key that
/// starts with `$` or contains NUL, no top-level key with `.` (MongoDB operators and
/// paths), no nesting deeper than `limits.max_depth`, and no more path bytes than
/// `limits.max_update_bytes`. The first problem is returned with its path.
pub fn validate_body(body: &Value, limits: &Limits) -> Result<(), Error> {
    shape(body)?;
    Gate::new(limits, Wrappers::Refused).validate(body, 0, Some(0))
}

fn shape(body: &Value) -> Result<(), Error> {
    if !body.is_object() {
        return Err(malformed(format!(
            "expected a JSON object, found {}",
            crate::json::kind(body)
        )));
    }
    Ok(())
}

/// MongoDB Extended JSON wrappers that a typed body may use for a value of a bson type
/// (what `serde_json::to_value` writes for `bson::DateTime`, `ObjectId`, `Decimal128`, …):
/// an object with exactly one of these keys. Whether the wrapper is accepted is then up to
/// the field's type: dates, ids and decimals read it, maps and dynamic values refuse any
/// `$` key (see `Patchable`), other types fail to deserialize from an object.
const WRAPPERS: &[&str] = &[
    "$oid",
    "$date",
    "$numberDecimal",
    "$numberLong",
    "$numberInt",
    "$numberDouble",
    "$binary",
    "$uuid",
    "$timestamp",
];

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Wrappers {
    /// Typed bodies: a wrapper's key passes the gate.
    Allowed,
    /// Schemaless bodies: every `$` key is refused.
    Refused,
}

fn is_wrapper(map: &serde_json::Map<String, Value>, key: &str, wrappers: Wrappers) -> bool {
    map.len() == 1 && is_wrapper_key(key, wrappers)
}

/// Whether `key` is an Extended JSON wrapper's that `wrappers` lets through (as the only
/// key of its object).
pub(crate) fn is_wrapper_key(key: &str, wrappers: Wrappers) -> bool {
    wrappers == Wrappers::Allowed && WRAPPERS.contains(&key)
}

/// One walk of a body: keys, depth, and what its paths would cost in an update.
pub(crate) struct Gate<'l> {
    limits: &'l Limits,
    wrappers: Wrappers,
    /// The bytes of the dotted paths the body's members would take in an update.
    paths: usize,
}

impl<'l> Gate<'l> {
    pub(crate) fn new(limits: &'l Limits, wrappers: Wrappers) -> Self {
        Gate {
            limits,
            wrappers,
            paths: 0,
        }
    }

    pub(crate) fn limits(&self) -> &'l Limits {
        self.limits
    }

    pub(crate) fn wrappers(&self) -> Wrappers {
        self.wrappers
    }

    /// Count a member whose dotted path has `len` bytes; too many in all is an error.
    pub(crate) fn add_path(&mut self, len: usize) -> Result<(), Error> {
        self.paths = self.paths.saturating_add(len);
        if self.paths > self.limits.max_update_bytes {
            return Err(Error::new(ErrorKind::UpdateTooLarge {
                limit: self.limits.max_update_bytes,
            }));
        }
        Ok(())
    }

    /// `path_len`: the length of the dotted path of `value`, or `None` inside an array
    /// (whose members are never paths of an update).
    pub(crate) fn validate(
        &mut self,
        value: &Value,
        depth: usize,
        path_len: Option<usize>,
    ) -> Result<(), Error> {
        match value {
            Value::Object(map) => {
                too_deep(depth, self.limits)?;
                for (key, child) in map {
                    let key_ok = if is_wrapper(map, key, self.wrappers) {
                        Ok(())
                    } else {
                        check_key(key, depth)
                    };
                    let child_len = path_len.map(|len| len + usize::from(len > 0) + key.len());
                    if let Some(len) = child_len {
                        self.add_path(len).map_err(|e| e.at_key(key))?;
                    }
                    key_ok
                        .and_then(|()| self.validate(child, depth + 1, child_len))
                        .map_err(|e| e.at_key(key))?;
                }
            }
            Value::Array(items) => {
                too_deep(depth, self.limits)?;
                for (i, child) in items.iter().enumerate() {
                    self.validate(child, depth + 1, None)
                        .map_err(|e| e.at_index(i))?;
                }
            }
            _ => {}
        }
        Ok(())
    }
}

pub(crate) fn too_deep(depth: usize, limits: &Limits) -> Result<(), Error> {
    if depth >= limits.max_depth {
        return Err(Error::new(ErrorKind::DepthLimit {
            limit: limits.max_depth,
        }));
    }
    Ok(())
}

/// The key rules: no `$` prefix (operators), no NUL; no `.` at the top level (a path
/// there). Below the top level a key with `.` is fine: the update sets the nearest parent
/// it can address as a whole (Kubernetes-style label keys like `app.kubernetes.io/name`).
pub(crate) fn check_key(key: &str, depth: usize) -> Result<(), Error> {
    let reason = if key.starts_with('$') {
        "keys starting with `$` are MongoDB operators"
    } else if key.contains('\0') {
        "keys containing NUL cannot be stored"
    } else if depth == 0 && key.contains('.') {
        "top-level keys containing `.` are MongoDB paths"
    } else {
        return Ok(());
    };
    Err(Error::new(ErrorKind::ForbiddenKey {
        key: key.to_owned(),
        reason,
    }))
}

/// Deserialize a validated body, turning serde's errors into ours with their path.
pub(crate) fn deserialize<P: DeserializeOwned>(value: Value) -> Result<P, Error> {
    attempt(value).map_err(Failure::into_error)
}

/// [`deserialize`] of a stored item with `patch` merged into it (`make` merges), with the
/// place of an error inside a `#[serde(flatten)]` struct (which serde puts at the item)
/// found in the patch: the stored item reads, so the error comes from what the patch
/// changed, and the members of the patch are halved (each half merged into the stored
/// item again) down to the member that fails the same way alone, at most
/// [`LOCATE_ATTEMPTS`] tries. A missing field stays the item's own error.
pub(crate) fn deserialize_patched<P: DeserializeOwned>(
    patch: &serde_json::Map<String, Value>,
    make: impl Fn(&serde_json::Map<String, Value>) -> Result<Value, Error>,
) -> Result<P, Error> {
    let failure = match attempt::<P>(make(patch)?) {
        Ok(item) => return Ok(item),
        Err(failure) => failure,
    };
    let Some((message, segments)) = failure.to_locate() else {
        return Err(failure.into_error());
    };
    let mut tries = 0;
    let fails = |probe: &Value| {
        tries += 1;
        // A probe that cannot be built fails otherwise: the narrowing stops there.
        tries <= LOCATE_ATTEMPTS
            && probe.as_object().is_some_and(|probe| {
                make(probe).is_ok_and(|item| attempt::<P>(item).err().as_ref() == Some(&failure))
            })
    };
    let mut probe = Value::Object(patch.clone());
    let mut place: Vec<String> = Vec::new();
    narrow(&mut probe, &mut place, fails);
    // serde's own place when it saw deeper (no flattened struct on the way).
    let place = if place.len() > segments.len() && place.starts_with(segments) {
        place
    } else {
        segments.to_vec()
    };
    Err(at(Error::new(classify(message, &place)), &place))
}

/// Why a body did not deserialize.
#[derive(PartialEq)]
enum Failure {
    /// serde's error, at the place serde's tracking saw it.
    Serde {
        message: String,
        segments: Vec<String>,
    },
    /// A key a type left unread.
    Ignored(Vec<String>),
}

impl Failure {
    /// serde's message and place, when the member it comes from may lie deeper than serde
    /// saw (a flattened struct's member): not for a missing field, which is the object's
    /// own error, nor for an ignored key, whose place is known.
    fn to_locate(&self) -> Option<(&str, &[String])> {
        match self {
            Failure::Serde { message, segments } if !message.starts_with("missing field `") => {
                Some((message, segments))
            }
            _ => None,
        }
    }

    fn into_error(self) -> Error {
        match self {
            Failure::Serde { message, segments } => {
                at(Error::new(classify(&message, &segments)), &segments)
            }
            Failure::Ignored(segments) => {
                let field = segments.last().cloned().unwrap_or_default();
                at(Error::new(ErrorKind::UnknownField { field }), &segments)
            }
        }
    }
}

fn attempt<P: DeserializeOwned>(value: Value) -> Result<P, Failure> {
    // A key that a type deserializing itself leaves unread (a nested type without
    // `deny_unknown_fields`) is an unknown field too: never silently dropped.
    let mut ignored: Option<Vec<String>> = None;
    let mut note = |path: serde_ignored::Path<'_>| {
        if ignored.is_none() {
            let mut segments = Vec::new();
            ignored_segments(&path, &mut segments);
            ignored = Some(segments);
        }
    };
    let result =
        serde_path_to_error::deserialize(serde_ignored::Deserializer::new(value, &mut note));
    let value = result.map_err(|e| {
        let mut segments = Vec::new();
        for segment in e.path().iter() {
            match segment {
                serde_path_to_error::Segment::Map { key } => segments.push(key.clone()),
                serde_path_to_error::Segment::Seq { index } => segments.push(index.to_string()),
                serde_path_to_error::Segment::Enum { variant } => segments.push(variant.clone()),
                serde_path_to_error::Segment::Unknown => {}
            }
        }
        Failure::Serde {
            message: e.into_inner().to_string(),
            segments,
        }
    })?;
    if let Some(segments) = ignored {
        return Err(Failure::Ignored(segments));
    }
    Ok(value)
}

/// The most deserializations [`deserialize_located`] tries to find an error's member.
const LOCATE_ATTEMPTS: usize = 64;

/// [`deserialize`] of a body that failed once, with the member an error comes from where
/// serde's tracking cannot see it: the members of a `#[serde(flatten)]` struct are read
/// from a buffer after their object, so serde places their errors at the object. The
/// member is found by halving the object's members (the members of a patch are
/// independent: a half holding the culprit fails the same way), and below it as long as
/// it is an object whose emptied form does not fail the same way. Each try reads only the
/// path to the object and the half being tried (so all tries read about twice the object
/// per level), at most [`LOCATE_ATTEMPTS`] of them; a try that does not fail the same way
/// where it should leaves the error where serde placed it.
fn deserialize_located<P: DeserializeOwned>(value: Value) -> Result<P, Error> {
    let probe = value.clone();
    let failure = match attempt::<P>(value) {
        Ok(patch) => return Ok(patch),
        Err(failure) => failure,
    };
    let Some((message, segments)) = failure.to_locate() else {
        return Err(failure.into_error());
    };
    let mut probe = probe;
    let mut tries = 0;
    let mut fails = |probe: &Value| {
        tries += 1;
        tries <= LOCATE_ATTEMPTS && attempt::<P>(probe.clone()).err().as_ref() == Some(&failure)
    };
    let mut place = segments.to_vec();
    // Only the path to the place is kept (each try then reads the object there, halved
    // each time, not the whole body again): it must still fail the same way.
    prune(&mut probe, &place);
    if !fails(&probe) {
        return Err(failure.into_error());
    }
    narrow(&mut probe, &mut place, fails);
    Err(at(Error::new(classify(message, &place)), &place))
}

/// Move `place` down to the member of the object there that alone fails the way `fails`
/// asks about, and on below it while that member is an object: its members are halved,
/// the half that still fails kept (the members of a patch are independent). Stops at an
/// object that fails the same way with no members (the error is its own) or whose
/// narrowed member does not fail alone.
fn narrow(probe: &mut Value, place: &mut Vec<String>, mut fails: impl FnMut(&Value) -> bool) {
    while let Some(Value::Object(members)) = value_at(probe, place) {
        let all = std::mem::take(members);
        if fails(probe) {
            break;
        }
        let mut candidates: Vec<(String, Value)> = all.into_iter().collect();
        while candidates.len() > 1 {
            let second = candidates.split_off(candidates.len() / 2);
            if let Some(slot) = value_at(probe, place) {
                *slot = Value::Object(candidates.iter().cloned().collect());
            }
            if !fails(probe) {
                candidates = second;
            }
        }
        let Some((key, member)) = candidates.pop() else {
            break;
        };
        if let Some(slot) = value_at(probe, place) {
            *slot = Value::Object(std::iter::once((key.clone(), member)).collect());
        }
        if !fails(probe) {
            break;
        }
        place.push(key);
    }
}

/// Keep of each object on the way to `segments` only the member on the way.
fn prune(value: &mut Value, segments: &[String]) {
    let mut current = value;
    for segment in segments {
        current = match current {
            Value::Object(members) => {
                members.retain(|key, _| key == segment);
                match members.get_mut(segment) {
                    Some(next) => next,
                    None => return,
                }
            }
            Value::Array(items) => {
                match segment.parse::<usize>().ok().and_then(|i| items.get_mut(i)) {
                    Some(next) => next,
                    None => return,
                }
            }
            _ => return,
        };
    }
}

/// The value at `segments` below `value`.
fn value_at<'v>(value: &'v mut Value, segments: &[String]) -> Option<&'v mut Value> {
    segments
        .iter()
        .try_fold(value, |value, segment| match value {
            Value::Object(members) => members.get_mut(segment),
            Value::Array(items) => items.get_mut(segment.parse::<usize>().ok()?),
            _ => None,
        })
}

/// `error` at the place `segments` names.
fn at(mut error: Error, segments: &[String]) -> Error {
    for segment in segments.iter().rev() {
        error = error.at_key(segment);
    }
    error
}

/// The keys and indexes of an ignored value's path, from the root.
fn ignored_segments(path: &serde_ignored::Path<'_>, out: &mut Vec<String>) {
    use serde_ignored::Path;
    match path {
        Path::Root => {}
        Path::Seq { parent, index } => {
            ignored_segments(parent, out);
            out.push(index.to_string());
        }
        Path::Map { parent, key } => {
            ignored_segments(parent, out);
            out.push(key.clone());
        }
        Path::Some { parent }
        | Path::NewtypeStruct { parent }
        | Path::NewtypeVariant { parent } => {
            ignored_segments(parent, out);
        }
    }
}

fn classify(message: &str, segments: &[String]) -> ErrorKind {
    if message.starts_with(PROTECTED) {
        // The protected field's key is the last segment of the path.
        let field = segments.last().cloned().unwrap_or_default();
        return ErrorKind::ProtectedField { field };
    }
    if message.starts_with(NULL_ON_REQUIRED) {
        return ErrorKind::NullOnRequired;
    }
    if let Some(rest) = message.strip_prefix("unknown field `")
        && let Some(field) = rest.split('`').next()
    {
        // The pointer already names the field itself: serde_path_to_error records the key
        // before the field's name is read and refused (pinned by a unit test below).
        return ErrorKind::UnknownField {
            field: field.to_owned(),
        };
    }
    if let Some(rest) = message.strip_prefix("missing field `")
        && let Some(field) = rest.split('`').next()
    {
        // A whole value read from the body (a new keyed item, a nested non-patch type)
        // without one of its required fields; the pointer names the value.
        return ErrorKind::MissingFields {
            fields: vec![field.to_owned()],
        };
    }
    ErrorKind::Custom(message.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        nickname: Option<String>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Outer {
        profile: Option<Inner>,
    }

    fn err(body: &str) -> Error {
        parse::<Outer>(body.as_bytes()).unwrap_err()
    }

    #[test]
    fn missing_fields_of_whole_values_are_missing_fields_at_the_value() {
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct Item {
            id: String,
            city: String,
        }
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct List {
            items: Vec<Item>,
        }
        let e = parse::<List>(br#"{"items": [{"id": "a"}]}"#).unwrap_err();
        assert_eq!(
            e.kind(),
            &ErrorKind::MissingFields {
                fields: vec!["city".into()]
            }
        );
        assert_eq!(e.path(), "/items/0");
    }

    #[test]
    fn unknown_fields_are_named_once() {
        let e = err(r#"{"colour": 1}"#);
        assert_eq!(e.path(), "/colour");
        assert_eq!(
            e.kind(),
            &ErrorKind::UnknownField {
                field: "colour".into()
            }
        );
        let e = err(r#"{"profile": {"colour": 1}}"#);
        assert_eq!(e.path(), "/profile/colour");
        // A field spelled like its parent.
        let e = err(r#"{"profile": {"profile": 1}}"#);
        assert_eq!(e.path(), "/profile/profile");
    }

    #[test]
    fn wrong_types_are_custom_errors_at_the_field() {
        let e = err(r#"{"profile": {"nickname": 5}}"#);
        assert_eq!(e.path(), "/profile/nickname");
        assert!(matches!(e.kind(), ErrorKind::Custom(_)));
    }

    #[test]
    fn extended_json_wrappers_pass_the_typed_gate_only() {
        let limits = Limits::default();
        let wrapper = serde_json::json!({"at": {"$date": {"$numberLong": "5"}}});
        let typed = |body: &Value| Gate::new(&limits, Wrappers::Allowed).validate(body, 0, Some(0));
        assert_eq!(typed(&wrapper), Ok(()));
        let e = validate_body(&wrapper, &limits).unwrap_err();
        assert_eq!(e.path(), "/at/$date");
        // Not a wrapper: two keys, or an operator.
        for body in [
            serde_json::json!({"at": {"$date": 1, "x": 2}}),
            serde_json::json!({"at": {"$where": "1"}}),
            serde_json::json!({"$set": {"a": 1}}),
        ] {
            let e = typed(&body).unwrap_err();
            assert!(matches!(e.kind(), ErrorKind::ForbiddenKey { .. }), "{body}");
        }
    }
}
