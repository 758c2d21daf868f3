//! Errors: JSON Pointer paths (RFC 6901 escaping), kinds, classes, messages.

use conjungo::{Error, ErrorClass, ErrorKind, Kind, Merge, Options};
use serde_json::json;

#[test]
fn paths_are_escaped_json_pointers() {
    let mut t = json!({"a/b": {"m~n": {"": [1]}}});
    let err = t.merge(json!({"a/b": {"m~n": {"": "x"}}})).unwrap_err();
    assert_eq!(err.path(), "/a~1b/m~0n/");
    // The pointer resolves to the place in the target.
    assert_eq!(t.pointer(err.path()), Some(&json!([1])));
}

#[test]
fn root_errors_have_an_empty_path() {
    let mut t = json!([1]);
    let err = t.merge(json!({"a": 1})).unwrap_err();
    assert_eq!(err.path(), "");
    assert_eq!(
        err.to_string(),
        "at the root: type mismatch: target is an array, source is an object"
    );
}

#[test]
fn custom_errors_get_their_path_on_the_way_up() {
    #[derive(Merge, Debug, Clone, PartialEq)]
    struct Inner {
        level: u8,
    }
    #[derive(Merge, Debug, Clone, PartialEq)]
    #[allow(dead_code)]
    enum Outer {
        Wrapped { inner: Inner },
        Other,
    }
    #[derive(Merge, Debug, Clone, PartialEq)]
    struct Top(u8, Outer);
    let options = Options::default().on_type::<u8>(|t, s, _| {
        if s > 9 {
            return Err(Error::custom(format!("{s} is too big")));
        }
        *t = s;
        Ok(())
    });
    let mut t = Top(
        1,
        Outer::Wrapped {
            inner: Inner { level: 1 },
        },
    );
    let before = t.clone();
    let err = t
        .merge_with(
            Top(
                2,
                Outer::Wrapped {
                    inner: Inner { level: 10 },
                },
            ),
            &options,
        )
        .unwrap_err();
    assert_eq!(err.path(), "/1/Wrapped/inner/level");
    assert_eq!(err.kind(), &ErrorKind::Custom("10 is too big".into()));
    assert_eq!(err.to_string(), "at /1/Wrapped/inner/level: 10 is too big");
    assert_eq!(t, before);
}

#[test]
fn serde_renames_are_the_path_segments() {
    #[derive(Merge, serde::Serialize, Debug)]
    #[serde(rename_all = "camelCase")]
    struct Doc {
        display_name: serde_json::Value,
        #[serde(rename = "meta-data")]
        meta: serde_json::Value,
    }
    let mut d = Doc {
        display_name: json!(1),
        meta: json!({"a": 1}),
    };
    let err = d
        .merge(Doc {
            display_name: json!(2),
            meta: json!({"a": []}),
        })
        .unwrap_err();
    assert_eq!(err.path(), "/meta-data/a");
    let err = d
        .merge(Doc {
            display_name: json!("x"),
            meta: json!({}),
        })
        .unwrap_err();
    assert_eq!(err.path(), "/displayName");
}

#[test]
fn classes_map_to_http_statuses() {
    assert_eq!(ErrorClass::Malformed.http_status(), 400);
    assert_eq!(ErrorClass::TooLarge.http_status(), 413);
    assert_eq!(ErrorClass::UnsupportedMediaType.http_status(), 415);
    assert_eq!(ErrorClass::Unprocessable.http_status(), 422);
    assert_eq!(ErrorClass::Internal.http_status(), 500);
    assert_eq!(
        Error::new(ErrorKind::TooLarge { limit: 1 }).http_status(),
        413
    );
    assert_eq!(Error::stored("no").http_status(), 500);
    let e = Error::new(ErrorKind::TypeMismatch {
        target: Kind::Bool,
        source: Kind::Null,
    });
    assert_eq!(e.http_status(), 422);
    let e = Error::new(ErrorKind::ProtectedField {
        field: "_id".into(),
    })
    .at_key("_id");
    assert_eq!(e.http_status(), 422);
    assert_eq!(
        e.to_string(),
        "at /_id: field `_id` is protected and cannot be patched"
    );
    let e = Error::new(ErrorKind::MissingFields {
        fields: vec!["a".into(), "b".into()],
    });
    assert_eq!(
        e.to_string(),
        "at the root: missing required fields `a`, `b`"
    );
}
