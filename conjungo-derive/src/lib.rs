//! `#[derive(Merge)]` for [conjungo](https://docs.rs/conjungo). Use it through
//! `conjungo::Merge` (feature `derive`, on by default).
//!
//! # Field attributes
//!
//! A field without attributes merges by its type's rule (see the conjungo crate docs).
//! `#[merge(...)]` on a field changes that; one strategy per field:
//!
//! | Attribute | Effect |
//! |---|---|
//! | `skip` | never touched: the source's value is dropped |
//! | `replace` | the source wins, always, without recursion (even with overwrite off) |
//! | `atomic` | the overwrite rule, without recursion and without a `Merge` impl: for any type (a foreign type, say) that is `Clone + PartialEq` and, under `patch`, serde; patched as a whole value |
//! | `immutable` | may be set where it has no value yet (`None`), never changed: an equal source (a body echoing the stored value) changes nothing, a different one is `ErrorKind::Immutable` (HTTP 422) and nothing is applied; needs `PartialEq`; patched as a whole value |
//! | `keep` | the target wins, unless it is absent (`None`) |
//! | `append` | sequence: source items after the target's |
//! | `prepend` | sequence: source items before the target's |
//! | `union` | sequence: source items not already present are appended |
//! | `by_key = field` | sequence of structs: an item whose `field` equals a target item's merges into it, in place; the others are appended |
//! | `with = path` | `path: fn(&mut T, T, &Options) -> Result<(), Error>` merges the field |
//!
//! Strategies see through `Option` (written `Option<...>`): an absent source keeps the
//! target, an absent target takes the source, and two values go to the strategy. `with`
//! gets the field's type as written, `Option` included.
//!
//! ```
//! use conjungo::{Error, Merge, Options};
//!
//! fn longest(t: &mut String, s: String, _: &Options) -> Result<(), Error> {
//!     if s.len() > t.len() {
//!         *t = s;
//!     }
//!     Ok(())
//! }
//!
//! #[derive(Merge, Debug, PartialEq)]
//! struct Endpoint {
//!     name: String,
//!     port: u16,
//! }
//!
//! #[derive(Merge, Debug, PartialEq)]
//! struct Service {
//!     #[merge(skip)]
//!     id: u64,
//!     #[merge(keep)]
//!     owner: Option<String>,
//!     #[merge(union)]
//!     tags: Vec<String>,
//!     #[merge(prepend)]
//!     history: Vec<u32>,
//!     #[merge(append)]
//!     extra: Option<Vec<String>>,
//!     #[merge(by_key = name)]
//!     endpoints: Vec<Endpoint>,
//!     #[merge(with = longest)]
//!     description: String,
//!     #[merge(replace)]
//!     limits: Vec<u32>,
//! }
//!
//! let mut svc = Service {
//!     id: 1,
//!     owner: Some("ann".into()),
//!     tags: vec!["a".into(), "b".into()],
//!     history: vec![1],
//!     extra: None,
//!     endpoints: vec![Endpoint { name: "http".into(), port: 80 }],
//!     description: "short".into(),
//!     limits: vec![1, 2, 3],
//! };
//! svc.merge(Service {
//!     id: 2,
//!     owner: Some("bob".into()),
//!     tags: vec!["b".into(), "c".into()],
//!     history: vec![2],
//!     extra: Some(vec!["x".into()]),
//!     endpoints: vec![
//!         Endpoint { name: "http".into(), port: 8080 },
//!         Endpoint { name: "grpc".into(), port: 9090 },
//!     ],
//!     description: "a longer one".into(),
//!     limits: vec![9],
//! })?;
//! assert_eq!(svc.id, 1);
//! assert_eq!(svc.owner.as_deref(), Some("ann"));
//! assert_eq!(svc.tags, ["a", "b", "c"]);
//! assert_eq!(svc.history, [2, 1]);
//! assert_eq!(svc.extra, Some(vec!["x".to_string()]));
//! assert_eq!(svc.endpoints, [
//!     Endpoint { name: "http".into(), port: 8080 },
//!     Endpoint { name: "grpc".into(), port: 9090 },
//! ]);
//! assert_eq!(svc.description, "a longer one");
//! assert_eq!(svc.limits, [9]);
//! # Ok::<(), conjungo::Error>(())
//! ```
//!
//! # Container attributes
//!
//! | Attribute | Effect |
//! |---|---|
//! | `crate = path` | where conjungo is (default `::conjungo`), for re-exports |
//! | `replace` | the whole value is atomic: replaced by the overwrite rule, never merged field by field |
//! | `patch` / `patch = Name` | also generate a patch type (`<Type>Patch` by default) |
//! | `validate = path` | with `patch`: `path: fn(&Type) -> Result<(), conjungo::Error>` checks the merged value before `patch::apply` returns (see below) |
//!
//! ```
//! use conjungo::Merge;
//!
//! #[derive(Merge, Debug, PartialEq)]
//! #[merge(replace)]
//! struct Version(u32, u32);
//!
//! let mut v = Version(1, 2);
//! v.merge(Version(2, 0)).unwrap();
//! assert_eq!(v, Version(2, 0));
//! ```
//!
//! # Immutable fields and validation
//!
//! A patch is valid field by field and can still make an invalid whole (an end before
//! the start). `validate = path` runs `path` on the merged value, after the validators of
//! the fields patched field by field (nested structs, `Option`, `Box`, map entries); if
//! any fails, `patch::apply` fails with `ErrorKind::Invalid`, which lists every problem at
//! its own JSON Pointer ([`Error::invalid`](https://docs.rs/conjungo/latest/conjungo/struct.Error.html#method.invalid)
//! builds it), and the target is left as it was, with no update. The patch is applied to
//! a copy of the target (the type must be `Clone`), which replaces it once valid.
//!
//! ```
//! use conjungo::{patch, Error, ErrorKind, Merge, Options};
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Merge, Serialize, Deserialize, Clone, Debug, PartialEq)]
//! #[merge(patch, validate = check)]
//! struct Booking {
//!     #[merge(immutable)]
//!     room: String,
//!     start: u32,
//!     end: u32,
//! }
//!
//! fn check(b: &Booking) -> Result<(), Error> {
//!     let mut problems = Vec::new();
//!     if b.end <= b.start {
//!         problems.push(Error::custom("ends before it starts").at_key("end"));
//!     }
//!     Error::invalid(problems)
//! }
//!
//! let mut booking = Booking { room: "a".into(), start: 9, end: 10 };
//! // The room echoed unchanged, a new end: applied.
//! let p: BookingPatch = patch::parse(br#"{"room": "a", "end": 12}"#).unwrap();
//! let applied = patch::apply(&mut booking, p, &Options::default()).unwrap();
//! let changed: Vec<&str> = applied.changes.iter().map(|c| c.path.as_str()).collect();
//! assert_eq!(changed, ["/end"]);
//!
//! // Another room: refused at its place.
//! let p: BookingPatch = patch::parse(br#"{"room": "b"}"#).unwrap();
//! let err = patch::apply(&mut booking, p, &Options::default()).unwrap_err();
//! assert_eq!((err.kind(), err.path()), (&ErrorKind::Immutable, "/room"));
//!
//! // An end before the start: every problem, nothing applied.
//! let p: BookingPatch = patch::parse(br#"{"start": 20}"#).unwrap();
//! let err = patch::apply(&mut booking, p, &Options::default()).unwrap_err();
//! assert_eq!(err.problems()[0].path(), "/end");
//! assert_eq!(booking, Booking { room: "a".into(), start: 9, end: 12 });
//! ```
//!
//! # Enums, generics, lifetimes
//!
//! Enum values of the same variant merge field by field; a value of another variant
//! replaces the target by the overwrite rule. Type parameters get `'static` and, where a
//! field on the default path uses them, `FieldType: Merge` bounds. Types with lifetime
//! parameters derive too (their borrowed fields, `&'a T` or `Cow<'a, T>`, are replaced),
//! but cannot be the target of `Options::on_type`.
//!
//! ```
//! use conjungo::Merge;
//!
//! #[derive(Merge, Debug, PartialEq)]
//! enum Auth {
//!     None,
//!     Basic { user: String, password: Option<String> },
//! }
//!
//! let mut auth = Auth::Basic { user: "a".into(), password: Some("p".into()) };
//! auth.merge(Auth::Basic { user: "b".into(), password: None }).unwrap();
//! assert_eq!(auth, Auth::Basic { user: "b".into(), password: Some("p".into()) });
//! auth.merge(Auth::None).unwrap();
//! assert_eq!(auth, Auth::None);
//!
//! #[derive(Merge)]
//! struct View<'a> {
//!     name: &'a str,
//!     count: u32,
//! }
//! let mut view = View { name: "a", count: 1 };
//! let name = String::from("b");
//! view.merge(View { name: &name, count: 2 }).unwrap();
//! assert_eq!((view.name, view.count), ("b", 2));
//! ```
//!
//! # Patch types
//!
//! `#[merge(patch)]` on a struct with named fields also generates `<Type>Patch` (see
//! `conjungo::patch`): each field a `conjungo::Patch<_>` of the field's patch form, read
//! with serde's names (`rename`, `rename_all`, `alias`), serde's defaults when a nested
//! value is built from a patch (field and container `default`, `default = "path"`), and
//! the field's own `deserialize_with`. The forms:
//!
//! - a field with a strategy, `atomic`, or serde `with` / `serialize_with` /
//!   `deserialize_with` is patched as a whole value: a body spells it as the stored
//!   representation does (a chrono date stored through bson's helper is `{"$date": …}`);
//! - a struct with its own `#[merge(patch)]` is patched field by field, also through
//!   `Option` and `Box` (`child: Option<Box<Node>>` recursion works);
//! - an enum, a tuple struct (newtype) or a `#[merge(replace)]` type that derives `Merge`
//!   (and serde) is patched as a whole value, with no attribute;
//! - other types use their `conjungo::patch::Patchable` impl (std, JSON, bson, and the
//!   types of the `chrono`, `time`, `uuid`, `rust_decimal` and `url` features);
//!   anything else needs `#[merge(atomic)]`.
//!
//! ```
//! use conjungo::{patch, Merge, Options};
//! use serde::{Deserialize, Serialize};
//!
//! /// A type of another crate, with no `Merge` impl.
//! #[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
//! struct Point { x: f64, y: f64 }
//!
//! #[derive(Merge, Serialize, Deserialize, Clone, Copy, Debug, PartialEq)]
//! #[serde(rename_all = "lowercase")]
//! enum Status { Draft, Live }
//!
//! #[derive(Merge, Serialize, Deserialize, Debug, PartialEq)]
//! #[merge(patch)]
//! struct Shape {
//!     #[merge(atomic)]
//!     origin: Point,
//!     status: Status,
//!     #[serde(alias = "label")]
//!     name: String,
//!     child: Option<Box<Shape>>,
//! }
//!
//! let mut shape = Shape {
//!     origin: Point { x: 0.0, y: 0.0 },
//!     status: Status::Draft,
//!     name: "a".into(),
//!     child: None,
//! };
//! let body = br#"{"origin": {"x": 1, "y": 2}, "status": "live", "label": "b"}"#;
//! let p: ShapePatch = patch::parse(body)?;
//! patch::apply(&mut shape, p, &Options::default())?;
//! assert_eq!(shape.origin, Point { x: 1.0, y: 2.0 });
//! assert_eq!((shape.status, shape.name.as_str()), (Status::Live, "b"));
//! # Ok::<(), conjungo::Error>(())
//! ```
//!
//! Misuse is a compile error on the offending tokens, all of them at once.

mod ast;
mod attr;
mod ctxt;
mod expand;
mod patch;
mod valid;

use proc_macro::TokenStream;
use syn::{DeriveInput, parse_macro_input};

/// Derive `conjungo::Merge`. See the [crate docs](crate) for the attributes.
#[proc_macro_derive(Merge, attributes(merge))]
pub fn derive_merge(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    derive(&input).into()
}

fn derive(input: &DeriveInput) -> proc_macro2::TokenStream {
    let cx = ctxt::Ctxt::default();
    let cont = ast::from_ast(&cx, input);
    if let Some(cont) = &cont {
        valid::check(&cx, cont);
    }
    match (cx.check(), cont) {
        (Ok(()), Some(cont)) => {
            let mut tokens = expand::expand(&cont);
            tokens.extend(patch::expand(&cont, &expand::krate(&cont)));
            tokens
        }
        (result, cont) => {
            let mut tokens = result
                .err()
                .map(|e| e.to_compile_error())
                .unwrap_or_default();
            if !matches!(input.data, syn::Data::Union(_)) {
                let krate = cont
                    .as_ref()
                    .map(expand::krate)
                    .unwrap_or_else(|| syn::parse_quote!(::conjungo));
                tokens.extend(expand::fallback(&input.ident, &input.generics, &krate));
            }
            tokens
        }
    }
}
