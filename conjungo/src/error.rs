//! The error type of every merge, with the place it happened as a JSON Pointer.

use std::fmt;

/// The kind of a dynamic value (JSON or bson), as named in errors and used to
/// register per-kind merge functions with [`Options::on_kind`](crate::Options::on_kind).
///
/// JSON integers and floats, and bson `Int32`, `Int64`, `Double` and `Decimal128`, are all
/// [`Kind::Number`]: they never count as a type mismatch against each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Kind {
    /// JSON `null`, bson `Null` (and the deprecated bson `Undefined`).
    Null,
    /// `true` or `false`.
    Bool,
    /// Any number: JSON integers and floats; bson `Int32`, `Int64`, `Double`, `Decimal128`.
    Number,
    /// A string.
    String,
    /// A JSON array or a bson array.
    Array,
    /// A JSON object or a bson document.
    Object,
    /// bson `ObjectId`.
    ObjectId,
    /// bson `DateTime`.
    DateTime,
    /// bson `Binary`.
    Binary,
    /// bson `Timestamp`.
    Timestamp,
    /// bson `RegularExpression`.
    Regex,
    /// bson `JavaScriptCode` and `JavaScriptCodeWithScope`.
    JavaScript,
    /// bson `Symbol`.
    Symbol,
    /// bson `DbPointer`.
    DbPointer,
    /// bson `MinKey`.
    MinKey,
    /// bson `MaxKey`.
    MaxKey,
}

impl Kind {
    /// A short lowercase name with an article, as used in error messages ("an object").
    pub fn describe(self) -> &'static str {
        match self {
            Kind::Null => "null",
            Kind::Bool => "a boolean",
            Kind::Number => "a number",
            Kind::String => "a string",
            Kind::Array => "an array",
            Kind::Object => "an object",
            Kind::ObjectId => "an ObjectId",
            Kind::DateTime => "a DateTime",
            Kind::Binary => "binary data",
            Kind::Timestamp => "a Timestamp",
            Kind::Regex => "a regular expression",
            Kind::JavaScript => "JavaScript code",
            Kind::Symbol => "a symbol",
            Kind::DbPointer => "a DbPointer",
            Kind::MinKey => "MinKey",
            Kind::MaxKey => "MaxKey",
        }
    }

    /// True for the kinds that are merged by recursion (arrays and objects).
    pub fn is_container(self) -> bool {
        matches!(self, Kind::Array | Kind::Object)
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

/// Which broad class of failure an [`Error`] is, for mapping to an HTTP status
/// (RFC 9110). Every [`ErrorKind`] has one:
///
/// | Class | Status | Kinds | Why |
/// |---|---|---|---|
/// | `Malformed` | 400 | `Malformed` | the body cannot be read as a JSON object |
/// | `TooLarge` | 413 | `TooLarge` | the body is larger than the limit (RFC 9110 §15.5.14) |
/// | `UnsupportedMediaType` | 415 | `UnsupportedMediaType` | not `application/merge-patch+json` (or `application/json`) |
/// | `Unprocessable` | 422 | every other kind: `ForbiddenKey`, `ProtectedField`, `Immutable`, `Invalid`, `TypeMismatch`, `NullOnRequired`, `UnknownField`, `MissingFields`, `DepthLimit`, `DuplicateKey`, `Unstorable`, `UpdateTooLarge`, `Custom` | the body is well-formed JSON of the right media type, and what it asks for breaks the resource's rules |
/// | `PreconditionFailed` | 412 | `VersionMismatch` | the client's expected version (`If-Match`) is not the stored one (RFC 9110 §13.1.1, §15.5.13) |
/// | `Internal` | 500 | `Stored` | a server-side fault: the stored value could not be read |
///
/// Forbidden keys (`$…`) and protected fields are 422, not 403: 403 says the client is not
/// allowed to act at all (an authorization failure), while these bodies are refused for
/// what they say, like any other invalid content. A version mismatch is 412, not 409: the
/// client stated a precondition (the version it read) and it does not hold, which is what
/// 412 means; 409 is for conflicts with the resource's state that the client did not
/// state. A write whose [`Applied::filter`](crate::patch::Applied::filter) matches nothing
/// (another writer got there between the read and the write) is the same failure: answer
/// it with 412 too, or read again and retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorClass {
    /// The input could not be read at all (bad JSON, not an object): HTTP 400.
    Malformed,
    /// The input is larger than the limit: HTTP 413.
    TooLarge,
    /// The input is not of a media type a merge patch is sent as: HTTP 415.
    UnsupportedMediaType,
    /// The expected version is not the stored one: HTTP 412.
    PreconditionFailed,
    /// The input was well formed but cannot be applied (forbidden keys, protected or
    /// immutable fields, type errors, nulls on required fields, failed validation, depth):
    /// HTTP 422.
    Unprocessable,
    /// A fault on the server's side, not the client's (the stored value cannot be read):
    /// HTTP 500.
    Internal,
}

impl ErrorClass {
    /// The HTTP status code of this class (see the table above).
    pub fn http_status(self) -> u16 {
        match self {
            ErrorClass::Malformed => 400,
            ErrorClass::TooLarge => 413,
            ErrorClass::UnsupportedMediaType => 415,
            ErrorClass::Unprocessable => 422,
            ErrorClass::PreconditionFailed => 412,
            ErrorClass::Internal => 500,
        }
    }
}

/// What went wrong, without the place (see [`Error::path`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Two dynamic values of different kinds met under [`Mismatch::Error`](crate::Mismatch::Error).
    TypeMismatch {
        /// The kind found in the target.
        target: Kind,
        /// The kind found in the source.
        source: Kind,
    },
    /// Nesting went deeper than [`Options::max_depth`](crate::Options::max_depth).
    DepthLimit {
        /// The limit that was exceeded.
        limit: usize,
    },
    /// A key that may not appear in a patch body (starts with `$`, contains `.` or NUL).
    ForbiddenKey {
        /// The offending key.
        key: String,
        /// Why it is refused.
        reason: &'static str,
    },
    /// A patch touched a field that patches may not change (a skipped field).
    ProtectedField {
        /// The field's name, as it is spelled in the body.
        field: String,
    },
    /// A patch named a field that the type does not have.
    UnknownField {
        /// The field's name, as it is spelled in the body.
        field: String,
    },
    /// A `null` was given for a field that is not optional.
    NullOnRequired,
    /// A nested value had to be built from a patch, but required fields were missing.
    MissingFields {
        /// The missing fields' names.
        fields: Vec<String>,
    },
    /// The body is not valid JSON (or not the expected shape).
    Malformed {
        /// The parser's message, with line and column where known.
        message: String,
    },
    /// The body is larger than the configured limit.
    TooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// Two items of one source have the same key in a `#[merge(by_key = …)]` sequence (the
    /// path points at the second).
    DuplicateKey,
    /// A value the merged result holds cannot be stored as BSON (an integer beyond
    /// `i64`, an `i128`, a map key that is not a string, a failing `serialize_with`), or
    /// serde would store no value where the patch changed one. Nothing was applied.
    Unstorable {
        /// Why, as the BSON serializer (or conjungo) says it.
        message: String,
    },
    /// The MongoDB update a body asks for would be larger than the limit
    /// ([`Limits::max_update_bytes`](crate::patch::Limits::max_update_bytes)).
    UpdateTooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// A patch or merge would change a `#[merge(immutable)]` field: one that may be set
    /// where it has no value yet, and then never changed (echoing the stored value back
    /// is fine). Nothing was applied.
    Immutable,
    /// The merged value failed validation (a `#[merge(validate = …)]` hook or
    /// [`Options::validate`](crate::Options::validate)): every problem found, each an
    /// error with its own place. Nothing was applied. See [`Error::invalid`].
    Invalid {
        /// The problems, each with its JSON Pointer.
        errors: Vec<Error>,
    },
    /// The request's media type is not one a merge patch is sent as (the axum extractor:
    /// `application/merge-patch+json`, and `application/json` unless turned off).
    UnsupportedMediaType {
        /// The `Content-Type` the request had, if any.
        content_type: Option<String>,
    },
    /// The stored value could not be read (it does not deserialize into the model): a
    /// fault on the server's side, not the client's (HTTP 500). See [`Error::stored`].
    Stored {
        /// What went wrong, as the deserializer says it.
        message: String,
    },
    /// The version the client expected (from `If-Match`, see
    /// [`patch::check_version`](crate::patch::check_version)) is not the stored one of
    /// the `#[merge(version)]` field. Nothing was applied (HTTP 412).
    VersionMismatch {
        /// The version the client expected.
        expected: i64,
        /// The stored version (`None`: the type has no version field, or it is out of
        /// `i64`'s range).
        found: Option<i64>,
    },
    /// An error raised by a custom merge function, see [`Error::custom`].
    Custom(String),
}

impl ErrorKind {
    /// The broad class of this error, for mapping to an HTTP status.
    pub fn class(&self) -> ErrorClass {
        match self {
            ErrorKind::Malformed { .. } => ErrorClass::Malformed,
            ErrorKind::TooLarge { .. } => ErrorClass::TooLarge,
            ErrorKind::UnsupportedMediaType { .. } => ErrorClass::UnsupportedMediaType,
            ErrorKind::Stored { .. } => ErrorClass::Internal,
            ErrorKind::VersionMismatch { .. } => ErrorClass::PreconditionFailed,
            _ => ErrorClass::Unprocessable,
        }
    }

    /// The variant's name (`"TypeMismatch"`): stable, for logs and for the problem type.
    pub fn name(&self) -> &'static str {
        self.describe().0
    }

    /// A short, human-readable summary of the kind, the same for every occurrence (the
    /// `title` of an RFC 9457 problem).
    pub fn title(&self) -> &'static str {
        self.describe().1
    }

    /// The name and the title of the kind, in one table.
    fn describe(&self) -> (&'static str, &'static str) {
        match self {
            ErrorKind::TypeMismatch { .. } => ("TypeMismatch", "Type mismatch"),
            ErrorKind::DepthLimit { .. } => ("DepthLimit", "Nested too deep"),
            ErrorKind::ForbiddenKey { .. } => ("ForbiddenKey", "Forbidden key"),
            ErrorKind::ProtectedField { .. } => ("ProtectedField", "Protected field"),
            ErrorKind::UnknownField { .. } => ("UnknownField", "Unknown field"),
            ErrorKind::NullOnRequired => ("NullOnRequired", "Null for a required field"),
            ErrorKind::MissingFields { .. } => ("MissingFields", "Missing required fields"),
            ErrorKind::Malformed { .. } => ("Malformed", "Malformed body"),
            ErrorKind::TooLarge { .. } => ("TooLarge", "Body too large"),
            ErrorKind::DuplicateKey => ("DuplicateKey", "Duplicate key"),
            ErrorKind::Unstorable { .. } => ("Unstorable", "Value cannot be stored"),
            ErrorKind::UpdateTooLarge { .. } => ("UpdateTooLarge", "Update too large"),
            ErrorKind::Immutable => ("Immutable", "Immutable field"),
            ErrorKind::VersionMismatch { .. } => ("VersionMismatch", "Version mismatch"),
            ErrorKind::Invalid { .. } => ("Invalid", "Invalid result"),
            ErrorKind::UnsupportedMediaType { .. } => {
                ("UnsupportedMediaType", "Unsupported media type")
            }
            ErrorKind::Stored { .. } => ("Stored", "Stored value unreadable"),
            ErrorKind::Custom(_) => ("Custom", "Invalid value"),
        }
    }

    /// The RFC 9457 problem type of the kind: a URI naming it, whose page documents it.
    pub fn problem_type(&self) -> String {
        format!(
            "https://docs.rs/conjungo/latest/conjungo/enum.ErrorKind.html#variant.{}",
            self.name()
        )
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorKind::TypeMismatch { target, source } => {
                write!(f, "type mismatch: target is {target}, source is {source}")
            }
            ErrorKind::DepthLimit { limit } => write!(f, "nesting deeper than {limit} levels"),
            ErrorKind::ForbiddenKey { key, reason } => {
                write!(f, "forbidden key {key:?}: {reason}")
            }
            ErrorKind::ProtectedField { field } => {
                write!(f, "field `{field}` is protected and cannot be patched")
            }
            ErrorKind::UnknownField { field } => write!(f, "unknown field `{field}`"),
            ErrorKind::NullOnRequired => f.write_str("null is not allowed: the field is required"),
            ErrorKind::MissingFields { fields } => {
                write!(f, "missing required field")?;
                if fields.len() > 1 {
                    f.write_str("s")?;
                }
                for (i, name) in fields.iter().enumerate() {
                    f.write_str(if i == 0 { " `" } else { ", `" })?;
                    f.write_str(name)?;
                    f.write_str("`")?;
                }
                Ok(())
            }
            ErrorKind::Malformed { message } => write!(f, "malformed body: {message}"),
            ErrorKind::TooLarge { limit } => write!(f, "body larger than {limit} bytes"),
            ErrorKind::DuplicateKey => f.write_str(
                "duplicate key: items of this list are merged by key, and the key is given twice",
            ),
            ErrorKind::Unstorable { message } => {
                write!(f, "the value cannot be stored as BSON: {message}")
            }
            ErrorKind::UpdateTooLarge { limit } => {
                write!(f, "the update would take more than {limit} bytes")
            }
            ErrorKind::Immutable => f.write_str("the value cannot be changed once it is set"),
            ErrorKind::VersionMismatch { expected, found } => match found {
                Some(found) => write!(
                    f,
                    "expected version {expected}, the stored version is {found}"
                ),
                None => write!(
                    f,
                    "expected version {expected}, the stored value has no version"
                ),
            },
            ErrorKind::Invalid { errors } => {
                write!(f, "the result is invalid:")?;
                for (i, error) in errors.iter().enumerate() {
                    f.write_str(if i == 0 { " " } else { "; " })?;
                    if error.path().is_empty() {
                        write!(f, "{}", error.kind())?;
                    } else {
                        write!(f, "{}: {}", error.path(), error.kind())?;
                    }
                }
                Ok(())
            }
            ErrorKind::UnsupportedMediaType { content_type } => match content_type {
                Some(found) => write!(
                    f,
                    "a merge patch is sent as application/merge-patch+json, not {found}"
                ),
                None => f.write_str(
                    "a merge patch is sent as application/merge-patch+json: no content type",
                ),
            },
            ErrorKind::Stored { message } => {
                write!(f, "the stored value cannot be read: {message}")
            }
            ErrorKind::Custom(message) => f.write_str(message),
        }
    }
}

/// The error of a merge or a patch: what went wrong ([`Error::kind`]) and where
/// ([`Error::path`], an RFC 6901 JSON Pointer into the target).
///
/// The path is built only when an error happens, as the error travels up out of the
/// nested merges: a successful merge never pays for it.
///
/// ```
/// # #[cfg(feature = "json")] {
/// use conjungo::{ErrorKind, Kind, Merge};
/// use serde_json::json;
///
/// let mut target = json!({"a": {"b/c": 1}});
/// let err = target.merge(json!({"a": {"b/c": "x"}})).unwrap_err();
/// assert_eq!(err.path(), "/a/b~1c");
/// assert_eq!(
///     err.kind(),
///     &ErrorKind::TypeMismatch { target: Kind::Number, source: Kind::String }
/// );
/// assert_eq!(target, json!({"a": {"b/c": 1}})); // untouched
/// # }
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Error {
    inner: Box<Inner>,
}

#[derive(Clone, PartialEq, Eq)]
struct Inner {
    kind: ErrorKind,
    path: String,
}

impl Error {
    /// An error of the given kind at the root (`""`); the path grows as it travels up.
    pub fn new(kind: ErrorKind) -> Self {
        Error {
            inner: Box::new(Inner {
                kind,
                path: String::new(),
            }),
        }
    }

    /// An error from a custom merge function. Its path is filled in as it travels up.
    ///
    /// ```
    /// use conjungo::{Error, Merge, Options};
    /// use std::collections::BTreeMap;
    ///
    /// let options = Options::default().on_type::<u8>(|t, s, _| {
    ///     *t = t.checked_add(s).ok_or_else(|| Error::custom("u8 overflow"))?;
    ///     Ok(())
    /// });
    /// let mut counts = BTreeMap::from([("a".to_string(), 200u8)]);
    /// let err = counts
    ///     .merge_with(BTreeMap::from([("a".to_string(), 100u8)]), &options)
    ///     .unwrap_err();
    /// assert_eq!(err.path(), "/a");
    /// assert_eq!(err.to_string(), "at /a: u8 overflow");
    /// ```
    pub fn custom(message: impl fmt::Display) -> Self {
        Error::new(ErrorKind::Custom(message.to_string()))
    }

    /// The error of a failed validation: every problem in `errors` (an
    /// [`ErrorKind::Invalid`] error at the root), or `Ok` when there is none. Problems
    /// that are themselves `Invalid` are flattened into the list, so that nested
    /// validators' problems keep their own places.
    ///
    /// ```
    /// use conjungo::{Error, ErrorKind};
    ///
    /// struct Period { start: u32, end: u32, tags: Vec<String> }
    ///
    /// fn check(p: &Period) -> Result<(), Error> {
    ///     let mut problems = Vec::new();
    ///     if p.end < p.start {
    ///         problems.push(Error::custom("ends before it starts").at_key("end"));
    ///     }
    ///     if p.tags.is_empty() {
    ///         problems.push(Error::custom("at least one tag").at_key("tags"));
    ///     }
    ///     Error::invalid(problems)
    /// }
    ///
    /// let err = check(&Period { start: 5, end: 1, tags: vec![] }).unwrap_err();
    /// assert_eq!(err.http_status(), 422);
    /// let places: Vec<&str> = err.problems().iter().map(|e| e.path()).collect();
    /// assert_eq!(places, ["/end", "/tags"]);
    /// assert!(check(&Period { start: 1, end: 5, tags: vec!["a".into()] }).is_ok());
    /// ```
    pub fn invalid(errors: impl IntoIterator<Item = Error>) -> Result<(), Error> {
        let errors: Vec<Error> = errors.into_iter().flat_map(Error::into_problems).collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(Error::new(ErrorKind::Invalid { errors }))
        }
    }

    /// The problems this error stands for: the list of an [`ErrorKind::Invalid`] error,
    /// else the error itself.
    pub fn problems(&self) -> &[Error] {
        match &self.inner.kind {
            ErrorKind::Invalid { errors } => errors,
            _ => std::slice::from_ref(self),
        }
    }

    /// [`problems`](Error::problems), by value.
    pub fn into_problems(self) -> Vec<Error> {
        match self.inner.kind {
            ErrorKind::Invalid { errors } => errors,
            _ => vec![self],
        }
    }

    /// The error of a stored value that cannot be read into the model (its deserializer's
    /// error): [`ErrorKind::Stored`], HTTP 500, a fault on the server's side.
    ///
    /// ```
    /// # #[cfg(feature = "bson")] {
    /// #[derive(serde::Deserialize)]
    /// struct User { name: String }
    ///
    /// let stored = bson::doc! {"name": 5};
    /// let err = bson::deserialize_from_document::<User>(stored)
    ///     .map_err(conjungo::Error::stored)
    ///     .err()
    ///     .unwrap();
    /// assert_eq!(err.http_status(), 500);
    /// # }
    /// ```
    pub fn stored(error: impl fmt::Display) -> Self {
        Error::new(ErrorKind::Stored {
            message: error.to_string(),
        })
    }

    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.inner.kind
    }

    /// Where it went wrong: an RFC 6901 JSON Pointer into the target (`""` is the root;
    /// `~` and `/` in keys are escaped as `~0` and `~1`).
    pub fn path(&self) -> &str {
        &self.inner.path
    }

    /// The broad class of the error, for an HTTP status.
    pub fn class(&self) -> ErrorClass {
        self.inner.kind.class()
    }

    /// The HTTP status that fits this error: 400, 413, 415, 422 or 500 (see
    /// [`ErrorClass`]).
    pub fn http_status(&self) -> u16 {
        self.class().http_status()
    }

    /// Prefix the path with one object key (escaped per RFC 6901). Used as the error
    /// travels up out of a nested value; hand-written `Merge` impls call it too.
    ///
    /// The problems of an [`ErrorKind::Invalid`] error are prefixed too: they are places
    /// inside the value this error is about.
    #[must_use]
    pub fn at_key(mut self, key: &str) -> Self {
        let mut segment = String::with_capacity(key.len() + 1);
        push_segment(&mut segment, key);
        self.prefix(&segment);
        self
    }

    /// Prefix the path with one array index.
    #[must_use]
    pub fn at_index(mut self, index: usize) -> Self {
        self.prefix(&format!("/{index}"));
        self
    }

    /// This error at the JSON Pointer `path` (already escaped).
    #[cfg_attr(not(feature = "validator"), allow(dead_code))]
    pub(crate) fn with_path(mut self, path: String) -> Self {
        self.inner.path = path;
        self
    }

    fn prefix(&mut self, segment: &str) {
        self.inner.path.insert_str(0, segment);
        if let ErrorKind::Invalid { errors } = &mut self.inner.kind {
            for error in errors {
                error.prefix(segment);
            }
        }
    }
}

/// A serializer of conjungo's own gave up on a value (what it does then is its caller's
/// business: another serializer, or an error of its own). Carries nothing.
#[derive(Debug)]
pub(crate) struct Declined;

impl fmt::Display for Declined {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("declined by one of conjungo's serializers")
    }
}

impl std::error::Error for Declined {}

impl serde::ser::Error for Declined {
    fn custom<M: fmt::Display>(_: M) -> Self {
        Declined
    }
}

/// Append `/key` to a JSON Pointer, escaping `~` as `~0` and `/` as `~1` (RFC 6901). The
/// one home of pointer escaping.
pub(crate) fn push_segment(pointer: &mut String, key: &str) {
    pointer.push('/');
    // Most keys have nothing to escape: copied whole.
    if !crate::scan::contains_either(key.as_bytes(), b'~', b'/') {
        pointer.push_str(key);
        return;
    }
    let mut rest = key;
    // `~` and `/` are ASCII: a byte search finds them without decoding.
    while let Some(i) = rest.bytes().position(|b| b == b'~' || b == b'/') {
        pointer.push_str(&rest[..i]);
        pointer.push_str(if rest.as_bytes()[i] == b'~' {
            "~0"
        } else {
            "~1"
        });
        rest = &rest[i + 1..];
    }
    pointer.push_str(rest);
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.inner.kind)
            .field("path", &self.inner.path)
            .finish()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.inner.path.is_empty() {
            write!(f, "at the root: {}", self.inner.kind)
        } else {
            write!(f, "at {}: {}", self.inner.path, self.inner.kind)
        }
    }
}

impl std::error::Error for Error {}

/// An error serializes as an RFC 9457 problem details object: `type` (a URI naming the
/// kind, see [`ErrorKind::problem_type`]), `title`, `status`, `detail`, and the extension
/// member `pointer` (the JSON Pointer of the place, RFC 9457 §3.2) when the error has one;
/// an [`ErrorKind::Invalid`] error adds `errors`, one `{"detail", "pointer"}` per problem.
/// The detail of an [`ErrorKind::Stored`] error (a server-side fault) leaves its message
/// out: that is for the server's logs (`Display`), not for the client.
///
/// ```
/// use conjungo::{Error, ErrorKind};
/// use serde_json::json;
///
/// let err = Error::new(ErrorKind::NullOnRequired).at_key("name");
/// assert_eq!(serde_json::to_value(&err).unwrap(), json!({
///     "type": "https://docs.rs/conjungo/latest/conjungo/enum.ErrorKind.html#variant.NullOnRequired",
///     "title": "Null for a required field",
///     "status": 422,
///     "detail": "null is not allowed: the field is required",
///     "pointer": "/name",
/// }));
/// ```
impl serde::Serialize for Error {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;

        let kind = self.kind();
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("type", &kind.problem_type())?;
        map.serialize_entry("title", kind.title())?;
        map.serialize_entry("status", &self.http_status())?;
        match kind {
            // A server-side fault: its message is for the logs, not for the client.
            ErrorKind::Stored { .. } => {
                map.serialize_entry("detail", "the stored value cannot be read")?;
            }
            _ => map.serialize_entry("detail", &kind.to_string())?,
        }
        if !self.path().is_empty() {
            map.serialize_entry("pointer", self.path())?;
        }
        if let ErrorKind::Invalid { errors } = kind {
            map.serialize_entry("errors", &Problems(errors))?;
        }
        map.end()
    }
}

/// The `errors` member: each problem's detail and pointer.
struct Problems<'a>(&'a [Error]);

impl serde::Serialize for Problems<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};

        struct One<'a>(&'a Error);
        impl serde::Serialize for One<'_> {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                let mut map = serializer.serialize_map(None)?;
                map.serialize_entry("detail", &self.0.kind().to_string())?;
                map.serialize_entry("pointer", self.0.path())?;
                map.end()
            }
        }
        let mut seq = serializer.serialize_seq(Some(self.0.len()))?;
        for problem in self.0 {
            seq.serialize_element(&One(problem))?;
        }
        seq.end()
    }
}

impl From<ErrorKind> for Error {
    fn from(kind: ErrorKind) -> Self {
        Error::new(kind)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn pointer_segments_escape_tilde_and_slash() {
        for (key, segment) in [
            ("plain", "/plain"),
            ("", "/"),
            ("a/b", "/a~1b"),
            ("m~n", "/m~0n"),
            ("~/", "/~0~1"),
            ("x~", "/x~0"),
            ("/", "/~1"),
            ("é/ü", "/é~1ü"),
        ] {
            let mut pointer = String::from("/top");
            super::push_segment(&mut pointer, key);
            assert_eq!(pointer, format!("/top{segment}"), "{key:?}");
        }
    }
}
