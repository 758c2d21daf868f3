//! The [`validator`] crate as the validator of merged values (feature `validator`).
//!
//! A type that derives `validator::Validate` uses it after a patch with
//! `#[merge(patch, validate = conjungo::validator::check)]`: its errors become the problems
//! of an [`ErrorKind::Invalid`] error, each at the JSON Pointer
//! of its field. `validator` names fields the Rust way; the pointers use serde's names
//! (`rename`, `rename_all`) wherever conjungo knows the type: the type itself and the
//! `#[merge(patch)]` structs it holds (also through `Option` and `Box`). Inside list items
//! the names are `validator`'s. Struct-level (`schema`) errors are at the struct's place.
//!
//! ```
//! use conjungo::{patch, ErrorKind, Merge, Options};
//! use serde::{Deserialize, Serialize};
//! use validator::Validate;
//!
//! #[derive(Merge, Validate, Serialize, Deserialize, Clone, Debug, PartialEq)]
//! #[merge(patch, validate = conjungo::validator::check)]
//! #[serde(rename_all = "camelCase")]
//! struct Signup {
//!     #[validate(email)]
//!     contact_email: String,
//!     #[validate(range(min = 1, max = 10))]
//!     seat_count: u32,
//! }
//!
//! # #[cfg(feature = "bson")] {
//! let mut signup = Signup { contact_email: "a@b.test".into(), seat_count: 2 };
//! let p: SignupPatch = patch::parse(br#"{"contactEmail": "nope", "seatCount": 0}"#).unwrap();
//! let err = patch::apply(&mut signup, p, &Options::default()).unwrap_err();
//! assert!(matches!(err.kind(), ErrorKind::Invalid { .. }));
//! let places: Vec<&str> = err.problems().iter().map(|e| e.path()).collect();
//! assert_eq!(places, ["/contactEmail", "/seatCount"]);
//! assert_eq!(signup.seat_count, 2); // unchanged
//! # }
//! ```

use validator::{ValidationErrors, ValidationErrorsKind};

use crate::error::push_segment;
use crate::patch::{Patchable, SerdeNames};
use crate::{Error, ErrorKind};

/// Run `value`'s `validator::Validate` and turn its errors into problems at JSON Pointers
/// (see the [module docs](self)), sorted by place.
pub fn check<T: validator::Validate + Patchable>(value: &T) -> Result<(), Error> {
    let Err(errors) = value.validate() else {
        return Ok(());
    };
    let mut problems = Vec::new();
    collect(&errors, T::__conjungo_serde_names(), "", &mut problems);
    problems.sort_by(|a, b| a.path().cmp(b.path()));
    if problems.is_empty() {
        // `validator` failed without naming anything.
        problems.push(Error::custom("the value is invalid"));
    }
    Error::invalid(problems)
}

fn collect(errors: &ValidationErrors, names: SerdeNames, at: &str, out: &mut Vec<Error>) {
    for (field, kind) in errors.errors() {
        let (place, inner) = if field == "__all__" {
            (at.to_owned(), names)
        } else {
            let (segment, inner) = names
                .field(field)
                .unwrap_or((field.as_ref(), SerdeNames::NONE));
            let mut place = at.to_owned();
            // A flattened struct's fields are its parent's (see `SerdeNames`).
            if !segment.is_empty() {
                push_segment(&mut place, segment);
            }
            (place, inner)
        };
        match kind {
            ValidationErrorsKind::Field(list) => {
                for error in list {
                    let message = error
                        .message
                        .as_deref()
                        .map_or_else(|| error.code.to_string(), str::to_owned);
                    out.push(Error::new(ErrorKind::Custom(message)).with_path(place.clone()));
                }
            }
            ValidationErrorsKind::Struct(nested) => collect(nested, inner, &place, out),
            ValidationErrorsKind::List(items) => {
                for (index, nested) in items {
                    collect(nested, SerdeNames::NONE, &format!("{place}/{index}"), out);
                }
            }
        }
    }
}
