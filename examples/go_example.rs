//! Go conjungo's `_example/main.go`, with the Rust API: the same six merges, the same
//! printed results (checked with `assert_eq!` against Go's output).
//!
//! Run it with `cargo run --example go_example`.

use std::collections::BTreeMap;

use conjungo::{Error, Kind, Merge, Options, merge};
use serde::Serialize;
use serde_json::{Value, json};

fn print(value: &impl Serialize) -> Value {
    let value = serde_json::to_value(value).expect("serializable");
    println!(
        "{}",
        serde_json::to_string_pretty(&value).expect("printable")
    );
    value
}

fn simple_map() -> Result<Value, Error> {
    let mut target = json!({
        "A": "wrong", "B": 1,
        "C": {"foo": "unchanged", "bar": "orig"},
        "D": ["unchanged", 0],
    });
    let source = json!({
        "A": "correct", "B": 2,
        "C": {"bar": "newVal", "safe": "added"},
        "D": ["added", 1],
    });
    merge(&mut target, source, &Options::default())?;
    Ok(print(&target))
}

#[derive(Merge, Serialize)]
#[allow(non_snake_case)]
struct Foo {
    Name: String,
    Size: i64,
    Special: bool,
    SubMap: BTreeMap<String, String>,
}

fn simple_struct() -> Result<Value, Error> {
    let map = |pairs: &[(&str, &str)]| {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    let mut target = Foo {
        Name: "target".into(),
        Size: 2,
        Special: false,
        SubMap: map(&[("foo", "unchanged"), ("bar", "orig")]),
    };
    let source = Foo {
        Name: "source".into(),
        Size: 4,
        Special: true,
        SubMap: map(&[("bar", "newVal"), ("safe", "added")]),
    };
    target.merge(source)?;
    Ok(print(&target))
}

fn custom_merge() -> Result<Value, Error> {
    let mut target = json!({"A": "wrong", "B": 1, "C": {"Bar": "target"}});
    let source = json!({"A": "correct", "B": 2, "C": {"Bar": "source"}});
    let options = Options::default()
        // merge two numbers by adding them together
        .on_kind::<Value>(Kind::Number, |t, s, _| {
            if let (Some(a), Some(b)) = (t.as_i64(), s.as_i64()) {
                *t = json!(a + b);
            }
            Ok(())
        })
        // merge two objects by replacing the target with the source
        .on_kind::<Value>(Kind::Object, |t, s, _| {
            *t = s;
            Ok(())
        });
    // The root is an object too: merge its members by hand, so that the object rule
    // applies to the nested struct `C` only, as Go's struct kind function does.
    if let (Value::Object(t), Value::Object(s)) = (&mut target, source) {
        for (key, value) in s {
            match t.get_mut(&key) {
                Some(have) => merge(have, value, &options).map_err(|e| e.at_key(&key))?,
                None => {
                    t.insert(key, value);
                }
            }
        }
    }
    Ok(print(&target))
}

#[derive(Merge, Serialize, Debug, Clone)]
#[allow(non_snake_case)]
struct Sized {
    Name: String,
    Size: i64,
}

fn custom_struct_merge() -> Result<Value, Error> {
    let mut target = Sized {
        Name: "bar".into(),
        Size: 25,
    };
    let source = Sized {
        Name: "baz".into(),
        Size: 35,
    };
    let options = Options::default().on_type::<Sized>(|t, s, _| {
        // names are merged by concatenating them
        t.Name = format!("{}.{}", t.Name, s.Name);
        // sizes are merged by averaging them
        t.Size = (t.Size + s.Size) / 2;
        Ok(())
    });
    target.merge_with(source, &options)?;
    Ok(print(&target))
}

fn no_overwrite() -> Result<Value, Error> {
    let mut target = json!({
        "A": "not overwritten", "B": 1,
        "C": {"foo": "unchanged", "bar": "orig"},
    });
    let source = json!({
        "A": "overwritten", "B": 2,
        "C": {"bar": "newVal", "safe": "added"},
    });
    merge(&mut target, source, &Options::default().overwrite(false))?;
    Ok(print(&target))
}

/// A string holding a JSON document, merged as the document it holds.
#[derive(Merge, Debug, Clone)]
struct JsonString(String);

fn from_json() -> Result<Value, Error> {
    let mut target = JsonString(
        r#"{"a": "wrong", "b": 1, "c": {"bar": "orig", "foo": "unchanged"}, "d": ["old"], "e": [1]}"#
            .into(),
    );
    let source = JsonString(
        r#"{"a": "correct", "b": 2, "c": {"bar": "newVal", "safe": "added"}, "d": ["new"]}"#.into(),
    );
    let options = Options::default().on_type::<JsonString>(|t, s, o| {
        let parse = |text: &str| {
            serde_json::from_str::<Value>(text).map_err(|e| Error::custom(format!("bad JSON: {e}")))
        };
        let mut merged = parse(&t.0)?;
        merge(&mut merged, parse(&s.0)?, o)?;
        t.0 = merged.to_string();
        Ok(())
    });
    target.merge_with(source, &options)?;
    let value: Value = serde_json::from_str(&target.0).expect("merged JSON");
    Ok(print(&value))
}

fn main() -> Result<(), Error> {
    println!("Simple map merge");
    let out = simple_map()?;
    assert_eq!(
        out,
        json!({"A": "correct", "B": 2, "C": {"bar": "newVal", "foo": "unchanged", "safe": "added"},
               "D": ["unchanged", 0, "added", 1]})
    );

    println!("\nSimple struct merge");
    let out = simple_struct()?;
    assert_eq!(
        out,
        json!({"Name": "source", "Size": 4, "Special": true,
               "SubMap": {"bar": "newVal", "foo": "unchanged", "safe": "added"}})
    );

    println!("\nCustom merge func");
    let out = custom_merge()?;
    assert_eq!(out, json!({"A": "correct", "B": 3, "C": {"Bar": "source"}}));

    println!("\nCustom struct merge func");
    let out = custom_struct_merge()?;
    assert_eq!(out, json!({"Name": "bar.baz", "Size": 30}));

    println!("\nNo overwrite");
    let out = no_overwrite()?;
    assert_eq!(
        out,
        json!({"A": "not overwritten", "B": 1, "C": {"bar": "orig", "foo": "unchanged", "safe": "added"}})
    );

    println!("\nFrom JSON");
    let out = from_json()?;
    assert_eq!(
        out,
        json!({"a": "correct", "b": 2, "c": {"bar": "newVal", "foo": "unchanged", "safe": "added"},
               "d": ["old", "new"], "e": [1]})
    );
    Ok(())
}
