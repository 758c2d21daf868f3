//! Go conjungo's own test suite (merge_test.go, mfunc_test.go, _example/main.go), ported
//! where the behaviour has a Rust meaning. Go's `map[string]interface{}` becomes
//! `serde_json::Value`; Go structs become derived structs.

use conjungo::{Error, ErrorKind, Kind, Merge, Options, merge};
use serde_json::{Value, json};

#[derive(Merge, Debug, Clone, PartialEq, serde::Serialize)]
#[allow(non_snake_case)]
struct Foo {
    Name: String,
    Size: i64,
    Special: bool,
    Tags: Vec<Value>,
}

fn foo(name: &str, size: i64, special: bool, tags: Vec<Value>) -> Foo {
    Foo {
        Name: name.into(),
        Size: size,
        Special: special,
        Tags: tags,
    }
}

#[test]
fn options_default_to_overwrite() {
    assert!(Options::default().overwrite);
    assert!(Options::new().overwrite);
}

#[test]
fn smoke_maps_merge_correctly() {
    let mut target = json!({
        "A": "wrong", "B": 1,
        "C": {"foo": "unchanged", "bar": "orig"},
        "D": ["unchanged", 0],
        "E": foo("target", 1, false, vec![json!("unchanged"), json!(0)]),
    });
    let source = json!({
        "A": "correct", "B": 2,
        "C": {"bar": "newVal", "safe": "added"},
        "D": ["added", 1],
        "E": foo("source", 3, true, vec![json!("added"), json!(1)]),
    });
    merge(&mut target, source, &Options::default()).unwrap();
    assert_eq!(
        target,
        json!({
            "A": "correct", "B": 2,
            "C": {"bar": "newVal", "foo": "unchanged", "safe": "added"},
            "D": ["unchanged", 0, "added", 1],
            "E": {"Name": "source", "Size": 3, "Special": true,
                  "Tags": ["unchanged", 0, "added", 1]}
        })
    );
}

#[test]
fn smoke_structs_merge_correctly() {
    let mut target = foo("target", 1, false, vec![json!("unchanged"), json!(0)]);
    let source = foo("source", 3, true, vec![json!("added"), json!(1)]);
    merge(&mut target, source, &Options::default()).unwrap();
    assert_eq!(
        serde_json::to_value(&target).unwrap(),
        json!({"Name": "source", "Size": 3, "Special": true,
               "Tags": ["unchanged", 0, "added", 1]})
    );
}

fn overwrite_false_case() -> Value {
    let mut target = json!({
        "A": "original", "B": 1,
        "C": {"foo": "unchanged", "bar": "orig"},
        "D": ["unchanged", 0],
    });
    let source = json!({
        "A": "overwritten", "B": 2,
        "C": {"bar": "newVal", "baz": "added"},
        "D": ["added", 1],
        "E": "inserted",
    });
    merge(&mut target, source, &Options::default().overwrite(false)).unwrap();
    target
}

#[test]
fn overwrite_false_keeps_top_level_values_and_inserts_new_ones() {
    let t = overwrite_false_case();
    assert_eq!(t["A"], "original");
    assert_eq!(t["B"], 1);
    assert_eq!(t["E"], "inserted");
}

#[test]
fn overwrite_false_sub_map() {
    let t = overwrite_false_case();
    assert_eq!(t["C"]["bar"], "orig");
    assert_eq!(t["C"]["baz"], "added");
    assert_eq!(t["C"]["foo"], "unchanged");
}

#[test]
fn overwrite_false_still_appends_slices() {
    let t = overwrite_false_case();
    assert_eq!(t["D"], json!(["unchanged", 0, "added", 1]));
}

#[test]
fn basic_types_are_overwritten() {
    fn check<T: Merge + PartialEq + std::fmt::Debug + Clone>(target: T, source: T) {
        let mut t = target;
        merge(&mut t, source.clone(), &Options::default()).unwrap();
        assert_eq!(t, source);
    }
    check("wrong".to_string(), "correct".to_string());
    check(0i64, 1);
    check(0.0f64, 1.0);
    check(true, false);
    let now = std::time::SystemTime::now();
    check(now, now + std::time::Duration::from_secs(3600));
    check(json!("wrong"), json!("correct"));
    check(json!(0), json!(1));
    check(json!(0.0), json!(1.0));
    check(json!(true), json!(false));
}

#[test]
fn merge_map_deep() {
    let mut target = json!({"theKey": {"foo": "unchanged", "bar": "orig"}});
    merge(
        &mut target,
        json!({"theKey": {"bar": "newVal", "baz": "added"}}),
        &Options::default(),
    )
    .unwrap();
    assert_eq!(
        target["theKey"],
        json!({"foo": "unchanged", "bar": "newVal", "baz": "added"})
    );
}

#[test]
fn nil_target_takes_source() {
    // Go: an empty (zero) string target is filled. Rust has no nil string: absence is
    // `None` / null.
    let mut target: Option<String> = None;
    merge(&mut target, Some("bar".into()), &Options::default()).unwrap();
    assert_eq!(target.as_deref(), Some("bar"));
    let mut target = Value::Null;
    merge(&mut target, json!("bar"), &Options::default()).unwrap();
    assert_eq!(target, "bar");
}

#[test]
fn nil_source_keeps_target() {
    let mut target = Some("foo".to_string());
    merge(&mut target, None, &Options::default()).unwrap();
    assert_eq!(target.as_deref(), Some("foo"));
    let mut target = json!("foo");
    merge(&mut target, Value::Null, &Options::default()).unwrap();
    assert_eq!(target, "foo");
}

#[test]
fn nil_source_and_target() {
    let mut target: Option<i64> = None;
    merge(&mut target, None, &Options::default()).unwrap();
    assert_eq!(target, None);
    let mut target = Value::Null;
    merge(&mut target, Value::Null, &Options::default()).unwrap();
    assert_eq!(target, Value::Null);
}

#[test]
fn merge_slice_appends() {
    let mut target = vec![json!("unchanged"), json!(0)];
    merge(
        &mut target,
        vec![json!("added"), json!(1)],
        &Options::default(),
    )
    .unwrap();
    assert_eq!(
        target,
        [json!("unchanged"), json!(0), json!("added"), json!(1)]
    );
    let mut target = json!(["unchanged", 0]);
    merge(&mut target, json!(["added", 1]), &Options::default()).unwrap();
    assert_eq!(target, json!(["unchanged", 0, "added", 1]));
    // Whichever buffer holds the result (a source with room for both lends its own), the
    // target's items come first.
    for (target_room, source_room) in [(0, 0), (0, 8), (8, 0), (8, 8)] {
        let mut target = Vec::with_capacity(2 + target_room);
        target.extend([1, 2]);
        let mut source = Vec::with_capacity(2 + source_room);
        source.extend([3, 4]);
        merge(&mut target, source, &Options::default()).unwrap();
        assert_eq!(target, [1, 2, 3, 4], "{target_room} {source_room}");
    }
}

#[test]
fn merge_struct() {
    #[derive(Merge, Debug, PartialEq)]
    #[allow(non_snake_case)]
    struct Thing {
        Foo: String,
    }
    let mut target = Thing { Foo: "bar".into() };
    merge(
        &mut target,
        Thing { Foo: "baz".into() },
        &Options::default(),
    )
    .unwrap();
    assert_eq!(target.Foo, "baz");
}

#[test]
fn custom_type_function_error_is_returned() {
    // Go: a type merge func that always errors, for the `error` type.
    #[derive(Debug, Clone, PartialEq)]
    struct GoError(String);
    impl Merge for GoError {
        fn apply(&mut self, s: Self, cx: &mut conjungo::Apply<'_>) -> Result<(), Error> {
            conjungo::strategy::overwrite(self, s, cx.options())
        }
        fn custom_fn(o: &Options) -> Option<conjungo::CustomFn<'_, Self>> {
            o.type_fn::<Self>()
        }
        fn try_clone(&self) -> Option<Self> {
            Some(self.clone())
        }
    }
    let options =
        Options::default().on_type::<GoError>(|_, _, _| Err(Error::custom("returns error")));
    let mut target = GoError("some err".into());
    let err = merge(&mut target, GoError("other err".into()), &options).unwrap_err();
    assert!(err.to_string().contains("returns error"), "{err}");
    assert_eq!(target, GoError("some err".into()));

    // The same inside a map (Go's "MergeMapStrIFace / Merge fails").
    let mut target = std::collections::BTreeMap::from([
        ("A".to_string(), GoError("original".into())),
        ("F".to_string(), GoError("some err".into())),
    ]);
    let before = target.clone();
    let source = std::collections::BTreeMap::from([
        ("A".to_string(), GoError("overwritten".into())),
        ("F".to_string(), GoError("other err".into())),
    ]);
    let err = merge(&mut target, source, &options).unwrap_err();
    assert_eq!(err.path(), "/A");
    assert_eq!(err.kind(), &ErrorKind::Custom("returns error".into()));
    assert_eq!(target, before);
}

#[test]
fn type_mismatch_is_an_error() {
    let mut target = json!(0);
    let err = merge(&mut target, json!(""), &Options::default()).unwrap_err();
    assert_eq!(
        err.kind(),
        &ErrorKind::TypeMismatch {
            target: Kind::Number,
            source: Kind::String
        }
    );
    assert_eq!(err.path(), "");
    assert_eq!(target, json!(0));
}

#[test]
fn type_mismatch_deeper_in_the_tree() {
    let mut target = json!({"theKey": 0});
    let err = merge(&mut target, json!({"theKey": ""}), &Options::default()).unwrap_err();
    assert_eq!(err.path(), "/theKey");
    assert!(err.to_string().contains("type mismatch"), "{err}");
    assert_eq!(target, json!({"theKey": 0}));
}

#[test]
fn custom_type_function_adding_ints() {
    // mfunc_test / _example: a type func for int that adds.
    let options = Options::default().on_type::<i64>(|t, s, _| {
        *t += s;
        Ok(())
    });
    #[derive(Merge, Debug, PartialEq)]
    struct Counts {
        a: i64,
        nested: Option<Box<Counts>>,
        by_name: std::collections::HashMap<String, i64>,
        label: String,
    }
    let mut t = Counts {
        a: 1,
        nested: Some(Box::new(Counts {
            a: 10,
            nested: None,
            by_name: Default::default(),
            label: "n".into(),
        })),
        by_name: [("x".to_string(), 5)].into(),
        label: "t".into(),
    };
    t.merge_with(
        Counts {
            a: 2,
            nested: Some(Box::new(Counts {
                a: 20,
                nested: None,
                by_name: Default::default(),
                label: "m".into(),
            })),
            by_name: [("x".to_string(), 6), ("y".to_string(), 1)].into(),
            label: "s".into(),
        },
        &options,
    )
    .unwrap();
    assert_eq!(t.a, 3);
    assert_eq!(t.nested.as_ref().unwrap().a, 30);
    assert_eq!(t.nested.as_ref().unwrap().label, "m");
    assert_eq!(t.by_name["x"], 11);
    assert_eq!(t.by_name["y"], 1);
    assert_eq!(t.label, "s");
}

#[test]
fn custom_struct_function() {
    // A type func for a struct type replaces the field-wise merge of that type, everywhere.
    #[derive(Merge, Debug, PartialEq)]
    struct Point {
        x: i64,
        y: i64,
    }
    #[derive(Merge, Debug, PartialEq)]
    struct Shape {
        name: String,
        origin: Point,
        points: Vec<Point>,
    }
    let options = Options::default().on_type::<Point>(|t, s, _| {
        t.x = t.x.max(s.x);
        t.y = t.y.max(s.y);
        Ok(())
    });
    let mut shape = Shape {
        name: "a".into(),
        origin: Point { x: 5, y: 1 },
        points: vec![],
    };
    shape
        .merge_with(
            Shape {
                name: "b".into(),
                origin: Point { x: 2, y: 7 },
                points: vec![Point { x: 0, y: 0 }],
            },
            &options,
        )
        .unwrap();
    assert_eq!(shape.origin, Point { x: 5, y: 7 });
    assert_eq!(shape.name, "b");
    assert_eq!(shape.points.len(), 1);
}

#[test]
fn kind_function_for_dynamic_values() {
    // Go's SetKindMergeFunc(reflect.Slice, …): replace slices instead of appending.
    let options = Options::default().on_kind::<Value>(Kind::Array, |t, s, _| {
        *t = s;
        Ok(())
    });
    let mut v = json!({"a": [1, 2], "b": {"c": [3]}});
    v.merge_with(json!({"a": [9], "b": {"c": [8, 7]}}), &options)
        .unwrap();
    assert_eq!(v, json!({"a": [9], "b": {"c": [8, 7]}}));
}

#[test]
fn default_function_for_dynamic_values() {
    // Go's SetDefaultMergeFunc: applies to scalar kinds only; maps and slices keep theirs.
    let options = Options::default().on_default::<Value>(|_, _, _| Ok(()));
    let mut v = json!({"a": 1, "b": [1], "c": {"d": "x"}});
    v.merge_with(json!({"a": 2, "b": [2], "c": {"d": "y", "e": 1}}), &options)
        .unwrap();
    assert_eq!(v, json!({"a": 1, "b": [1, 2], "c": {"d": "x", "e": 1}}));
}
