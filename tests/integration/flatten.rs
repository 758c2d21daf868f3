//! `#[serde(flatten)]` structs in patch types: a body names the flattened struct's fields
//! at its parent's level, as serde reads and writes them; the update changes them there;
//! errors name them there, even though serde reads them from a buffer (out of its tracking
//! of places).

use std::collections::BTreeMap;

use bson::{Document, doc};
use conjungo::patch::{self, Applied};
use conjungo::{Error, ErrorKind, Merge, Options};
use conjungo_suite::mongo::apply_applied;
use conjungo_suite::rng::Rng;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// Audit fields shared by every stored document, flattened into each.
#[derive(Merge, Serialize, Deserialize, Debug, Clone, PartialEq, Default)]
#[merge(patch)]
#[serde(rename_all = "camelCase")]
struct Audit {
    created_by: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    note: Option<String>,
    /// Set by the server: never patched.
    #[merge(skip)]
    #[serde(default)]
    created_at: i64,
    source: Source,
}

#[derive(Merge, Serialize, Deserialize, Debug, Clone, PartialEq, Default)]
#[merge(patch)]
struct Source {
    app: String,
    version: u32,
}

#[derive(Merge, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[merge(patch)]
#[serde(rename_all = "camelCase")]
struct Article {
    #[merge(skip)]
    #[serde(rename = "_id")]
    id: i32,
    title: String,
    #[serde(flatten)]
    audit: Audit,
    tags: BTreeMap<String, String>,
    sections: BTreeMap<String, Section>,
}

/// A map's values with a flattened struct of their own.
#[derive(Merge, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[merge(patch)]
struct Section {
    body: String,
    #[serde(flatten)]
    audit: Audit,
}

fn audit(by: &str) -> Audit {
    Audit {
        created_by: by.into(),
        note: None,
        created_at: 1_700_000_000,
        source: Source {
            app: "web".into(),
            version: 3,
        },
    }
}

fn article() -> Article {
    Article {
        id: 1,
        title: "Flat".into(),
        audit: audit("ann"),
        tags: BTreeMap::from([("k".into(), "v".into())]),
        sections: BTreeMap::from([(
            "intro".into(),
            Section {
                body: "Hello".into(),
                audit: audit("bob"),
            },
        )]),
    }
}

/// Parse and apply `body`; on success the update replayed over the stored document is
/// what serde stores for the merged article.
fn apply(target: &mut Article, body: &Value) -> Result<Applied, Error> {
    let before = bson::serialize_to_document(&*target).unwrap();
    let p: ArticlePatch = patch::parse(&serde_json::to_vec(body).unwrap())?;
    let applied = patch::apply(target, p, &Options::merge_patch())?;
    let stored = bson::serialize_to_document(&*target).unwrap();
    assert_eq!(apply_applied(&before, &applied).unwrap(), stored, "{body}");
    Ok(applied)
}

fn paths(applied: &Applied) -> Vec<&str> {
    applied.changes.iter().map(|c| c.path.as_str()).collect()
}

#[test]
fn flattened_fields_are_patched_and_set_at_the_parents_level() {
    let mut a = article();
    let applied = apply(
        &mut a,
        &json!({"title": "Flatter", "createdBy": "cat", "note": "checked", "source": {"version": 4}}),
    )
    .unwrap();
    assert_eq!(
        applied.update,
        doc! {"$set": {"title": "Flatter", "createdBy": "cat", "note": "checked", "source.version": 4_i64}}
    );
    assert_eq!(
        paths(&applied),
        ["/title", "/createdBy", "/note", "/source/version"]
    );
    let mut expected = article();
    expected.title = "Flatter".into();
    expected.audit.created_by = "cat".into();
    expected.audit.note = Some("checked".into());
    expected.audit.source.version = 4;
    assert_eq!(a, expected);

    // Removing an optional flattened field unsets it at the parent's level.
    let applied = apply(&mut a, &json!({"note": null})).unwrap();
    assert_eq!(applied.update, doc! {"$unset": {"note": ""}});
    assert_eq!(paths(&applied), ["/note"]);
    assert_eq!(a.audit.note, None);
}

#[test]
fn flattened_fields_inside_map_entries_are_patched_in_place_and_built_whole() {
    let mut a = article();
    let applied = apply(
        &mut a,
        &json!({"sections": {
            "intro": {"note": "short", "body": "Hi"},
            "outro": {"body": "Bye", "createdBy": "dan", "source": {"app": "cli", "version": 1}},
        }}),
    )
    .unwrap();
    let outro: Document = doc! {
        "body": "Bye", "createdBy": "dan", "createdAt": 0_i64,
        "source": {"app": "cli", "version": 1_i64},
    };
    assert_eq!(
        applied.update,
        doc! {"$set": {"sections.intro.body": "Hi", "sections.intro.note": "short", "sections.outro": outro}}
    );
    let mut changed = paths(&applied);
    changed.sort_unstable();
    assert_eq!(
        changed,
        [
            "/sections/intro/body",
            "/sections/intro/note",
            "/sections/outro"
        ]
    );
    assert_eq!(a.sections["outro"].audit.created_by, "dan");
}

#[test]
fn errors_in_flattened_fields_name_their_place_and_change_nothing() {
    let cases = [
        (json!({"createdBy": 5}), "/createdBy"),
        (json!({"createdBy": null}), "/createdBy"),
        (json!({"createdAt": 7}), "/createdAt"),
        (json!({"audit": {"createdBy": "x"}}), "/audit"),
        (json!({"zz": 1, "title": "t"}), "/zz"),
        (
            json!({"title": "t", "source": {"version": "four"}}),
            "/source/version",
        ),
        (
            json!({"source": {"version": -1}, "note": "n"}),
            "/source/version",
        ),
        (
            json!({"sections": {"intro": {"body": "b", "createdBy": 7}}}),
            "/sections/intro/createdBy",
        ),
        (
            json!({"sections": {"intro": {"source": {"app": 1}}}}),
            "/sections/intro/source/app",
        ),
    ];
    for (body, pointer) in cases {
        let mut a = article();
        let err = apply(&mut a, &body).unwrap_err();
        assert_eq!(err.path(), pointer, "{body}: {err}");
        assert_eq!(a, article(), "{body}");
    }
    // The kinds stay those of a field of the parent's own.
    let kind = |body: Value| apply(&mut article(), &body).unwrap_err().kind().clone();
    assert!(matches!(
        kind(json!({"createdBy": null})),
        ErrorKind::NullOnRequired
    ));
    assert!(
        matches!(kind(json!({"createdAt": 7})), ErrorKind::ProtectedField { field } if field == "createdAt")
    );
    assert!(matches!(kind(json!({"zz": 1})), ErrorKind::UnknownField { field } if field == "zz"));
}

#[test]
fn a_value_built_from_a_patch_lists_the_missing_fields_of_its_flattened_structs_too() {
    let mut a = article();
    let err = apply(&mut a, &json!({"sections": {"new": {"note": "n"}}})).unwrap_err();
    assert_eq!(err.path(), "/sections/new");
    let ErrorKind::MissingFields { fields } = err.kind() else {
        panic!("{err}");
    };
    assert_eq!(fields, &["body", "createdBy", "source"]);
    assert_eq!(a, article());
}

#[test]
fn a_diff_names_flattened_fields_at_the_parents_level_and_applies_back() {
    let old = article();
    let mut new = article();
    new.audit.created_by = "eve".into();
    new.audit.source.app = "api".into();
    new.sections.get_mut("intro").unwrap().audit.note = Some("n".into());
    let p = patch::diff(&old, &new);
    assert_eq!(
        serde_json::to_value(&p).unwrap(),
        json!({"createdBy": "eve", "source": {"app": "api"}, "sections": {"intro": {"note": "n"}}})
    );
    let mut patched = old.clone();
    apply(&mut patched, &serde_json::to_value(&p).unwrap()).unwrap();
    assert_eq!(patched, new);
    // Nothing differs: no patch.
    assert_eq!(
        serde_json::to_value(patch::diff(&old, &old)).unwrap(),
        json!({})
    );
}

#[test]
fn the_schema_lists_flattened_fields_as_the_parents_own() {
    let schema = serde_json::to_value(schemars::schema_for!(ArticlePatch)).unwrap();
    let properties = schema["properties"].as_object().unwrap();
    let mut names: Vec<&str> = properties.keys().map(String::as_str).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        ["createdBy", "note", "sections", "source", "tags", "title"]
    );
    assert_eq!(schema["additionalProperties"], json!(false));
}

/// Generated bodies over the article: a patch either fails with nothing changed, or its
/// update replays to what serde stores (checked in `apply`).
#[test]
fn generated_bodies_apply_whole_or_change_nothing() {
    let mut rng = Rng(0xf1a7_7e2d);
    // Each member: values of its type, and a wrong one (a quarter of the time).
    let good = |name: &str, rng: &mut Rng| -> Value {
        let pick = rng.below(3);
        match name {
            "title" | "createdBy" | "body" => json!(["t", "u", "v"][pick]),
            "note" => [json!("n"), json!(null), json!("m")][pick].clone(),
            "source" => [json!({"app": "x"}), json!({"version": 2}), json!({})][pick].clone(),
            "tags" => [json!({"k": "w"}), json!({"k": null}), json!({"j": "x"})][pick].clone(),
            _ => json!(1),
        }
    };
    let bad = [json!(5), json!(null), json!({"version": "x"}), json!("s")];
    let value = |name: &str, rng: &mut Rng| {
        if rng.below(4) == 0 {
            bad[rng.below(bad.len())].clone()
        } else {
            good(name, rng)
        }
    };
    // `createdAt` is protected, `zz` unknown: rare.
    let names = [
        "title",
        "createdBy",
        "note",
        "source",
        "tags",
        "title",
        "note",
        "createdAt",
        "zz",
    ];
    let (mut applied, mut refused) = (0, 0);
    for _ in 0..300 {
        let mut body = serde_json::Map::new();
        for _ in 0..1 + rng.below(3) {
            let name = names[rng.below(names.len())];
            let v = value(name, &mut rng);
            body.insert(name.to_owned(), v);
        }
        if rng.below(3) == 0 {
            let mut entry = serde_json::Map::new();
            for name in ["body", "createdBy", "note", "source"] {
                if rng.below(3) != 0 {
                    let v = value(name, &mut rng);
                    entry.insert(name.into(), v);
                }
            }
            let key = if rng.below(2) == 0 { "intro" } else { "new" };
            body.insert("sections".into(), json!({ key: entry }));
        }
        let body = Value::Object(body);
        let mut a = article();
        match apply(&mut a, &body) {
            Ok(_) => applied += 1,
            Err(err) => {
                assert_eq!(a, article(), "{body}: {err}");
                refused += 1;
            }
        }
    }
    println!("{applied} applied, {refused} refused");
    // Both outcomes are exercised.
    assert!(
        applied > 30 && refused > 30,
        "{applied} applied, {refused} refused"
    );
}

/// The body's member order and repeated keys read as for any patch type: a body out of key
/// order (read by serde as a map, the flattened struct's members buffered) parses to the
/// patch its sorted form parses to, and a repeated key keeps its last value.
#[test]
fn member_order_and_repeated_keys_read_as_for_any_patch() {
    let sorted: ArticlePatch = patch::parse(
        br#"{"createdBy": "c", "note": "n", "source": {"app": "a", "version": 2}, "title": "t"}"#,
    )
    .unwrap();
    let unsorted: ArticlePatch = patch::parse(
        br#"{"title": "t", "source": {"version": 2, "app": "a"}, "note": "n", "createdBy": "c"}"#,
    )
    .unwrap();
    assert_eq!(unsorted, sorted);
    let repeated: ArticlePatch =
        patch::parse(br#"{"createdBy": "x", "title": "t", "createdBy": "c"}"#).unwrap();
    let last: ArticlePatch = patch::parse(br#"{"title": "t", "createdBy": "c"}"#).unwrap();
    assert_eq!(repeated, last);
    assert_ne!(repeated, ArticlePatch::default());
}

/// Stamps of a realistic model: a date and a uuid stored as bson's own types through
/// serde functions, a `u64` bson may refuse.
#[derive(Merge, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[merge(patch)]
#[serde(rename_all = "camelCase")]
struct Review {
    #[serde(with = "bson::serde_helpers::datetime::FromChrono04DateTime")]
    reviewed_at: chrono::DateTime<chrono::Utc>,
    #[serde(with = "bson::serde_helpers::uuid_1::AsBinary")]
    reviewer: uuid::Uuid,
    quota: u64,
}

#[derive(Merge, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[merge(patch)]
struct Account {
    #[merge(skip)]
    #[serde(rename = "_id")]
    id: bson::oid::ObjectId,
    name: String,
    #[serde(flatten)]
    review: Review,
}

#[test]
fn flattened_dates_uuids_and_u64_are_stored_as_serde_stores_them() {
    let base = Account {
        id: bson::oid::ObjectId::from_bytes([7; 12]),
        name: "acme".into(),
        review: Review {
            reviewed_at: chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap(),
            reviewer: uuid::Uuid::from_u128(1),
            quota: 10,
        },
    };
    let mut a = base.clone();
    let before = bson::serialize_to_document(&a).unwrap();
    let p: AccountPatch = patch::parse(
        br#"{"reviewedAt": {"$date": "2025-06-07T08:09:10Z"},
             "reviewer": "00000000-0000-0000-0000-00000000002a", "quota": 20}"#,
    )
    .unwrap();
    let applied = patch::apply(&mut a, p, &Options::default()).unwrap();
    let stored = bson::serialize_to_document(&a).unwrap();
    assert_eq!(
        applied.update,
        doc! {"$set": {
            "reviewedAt": stored.get("reviewedAt").unwrap().clone(),
            "reviewer": stored.get("reviewer").unwrap().clone(),
            "quota": 20_i64,
        }}
    );
    assert!(matches!(
        stored.get("reviewedAt"),
        Some(bson::Bson::DateTime(_))
    ));
    assert!(matches!(
        stored.get("reviewer"),
        Some(bson::Bson::Binary(_))
    ));
    assert_eq!(apply_applied(&before, &applied).unwrap(), stored);
    assert_eq!(paths(&applied), ["/quota", "/reviewedAt", "/reviewer"]);

    // A quota bson cannot store is refused at its place; nothing changes.
    let mut a = base.clone();
    let p: AccountPatch = patch::parse(br#"{"name": "b", "quota": 18446744073709551615}"#).unwrap();
    let err = patch::apply(&mut a, p, &Options::default()).unwrap_err();
    assert_eq!(err.path(), "/quota");
    assert!(matches!(err.kind(), ErrorKind::Unstorable { .. }), "{err}");
    assert_eq!(a, base);
    // A date that is not one is refused at its place.
    let err = patch::parse::<AccountPatch>(br#"{"name": "b", "reviewedAt": "soon"}"#).unwrap_err();
    assert_eq!(err.path(), "/reviewedAt");
}

/// Bookkeeping flattened into a model: its version field counts the model's writes (serde
/// stores it at the model's level).
#[derive(Merge, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[merge(patch)]
#[serde(rename_all = "camelCase")]
struct Meta {
    #[merge(version)]
    revision: i64,
    #[merge(skip)]
    created_at: i64,
}

#[derive(Merge, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[merge(patch)]
struct Invoice {
    number: String,
    total: i64,
    #[serde(flatten)]
    meta: Meta,
}

#[test]
fn a_version_in_a_flattened_struct_guards_and_counts_the_writes_of_its_parent() {
    let stored = Invoice {
        number: "A-1".into(),
        total: 10,
        meta: Meta {
            revision: 4,
            created_at: 1,
        },
    };
    assert_eq!(patch::version(&stored), Some(4));
    patch::check_version(&stored, 4).unwrap();
    assert_eq!(
        patch::check_version(&stored, 3).unwrap_err().kind(),
        &ErrorKind::VersionMismatch {
            expected: 3,
            found: Some(4)
        }
    );

    let before = bson::serialize_to_document(&stored).unwrap();
    let mut invoice = stored.clone();
    let p: InvoicePatch = patch::parse(br#"{"total": 12}"#).unwrap();
    let applied = patch::apply(&mut invoice, p, &Options::merge_patch()).unwrap();
    assert_eq!(applied.filter, doc! {"revision": 4_i64});
    assert_eq!(
        applied.update,
        doc! {"$set": {"total": 12_i64}, "$inc": {"revision": 1_i64}}
    );
    let paths: Vec<&str> = applied.changes.iter().map(|c| c.path.as_str()).collect();
    assert_eq!(paths, ["/total", "/revision"]);
    assert_eq!(invoice.meta.revision, 5);
    assert_eq!(
        apply_applied(&before, &applied).unwrap(),
        bson::serialize_to_document(&invoice).unwrap()
    );

    // A body may not write the version itself, nor a field the flattened struct skips.
    for (body, at) in [
        (r#"{"revision": 9}"#, "/revision"),
        (r#"{"createdAt": 2}"#, "/createdAt"),
    ] {
        let error = patch::parse::<InvoicePatch>(body.as_bytes()).unwrap_err();
        assert_eq!(error.path(), at, "{body}");
    }

    // Nothing changed: no increment, the filter still guards.
    let p: InvoicePatch = patch::parse(br#"{"total": 12}"#).unwrap();
    let applied = patch::apply(&mut invoice, p, &Options::merge_patch()).unwrap();
    assert_eq!(applied.update, doc! {});
    assert_eq!(applied.filter, doc! {"revision": 5_i64});
    assert_eq!(invoice.meta.revision, 5);
}

/// Items of a keyed list with a flattened struct of their own.
#[derive(Merge, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[merge(patch)]
struct Shelf {
    #[merge(by_key = id)]
    items: Vec<Entry>,
}

#[derive(Merge, Serialize, Deserialize, Debug, Clone, PartialEq)]
struct Entry {
    id: String,
    #[serde(flatten)]
    audit: Audit,
}

/// An error inside a stored keyed item's flattened struct names the member the patch
/// changed (serde puts it at the item: it reads a flattened struct from a buffer), and
/// nothing changes.
#[test]
fn errors_in_flattened_fields_of_keyed_items_name_their_place() {
    let shelf = Shelf {
        items: vec![Entry {
            id: "e1".into(),
            audit: audit("ann"),
        }],
    };
    for (body, pointer) in [
        (
            json!({"items": {"e1": {"source": {"version": "four"}, "note": "n"}}}),
            "/items/e1/source/version",
        ),
        (
            json!({"items": {"e1": {"note": "n", "createdBy": 5}}}),
            "/items/e1/createdBy",
        ),
        // A missing field stays the item's own error.
        (json!({"items": {"e1": {"createdBy": null}}}), "/items/e1"),
    ] {
        let mut s = shelf.clone();
        let err = patch::parse::<ShelfPatch>(&serde_json::to_vec(&body).unwrap())
            .and_then(|p| patch::apply(&mut s, p, &Options::merge_patch()))
            .unwrap_err();
        assert_eq!(err.path(), pointer, "{body}: {err}");
        assert_eq!(s, shelf, "{body}");
    }
}
