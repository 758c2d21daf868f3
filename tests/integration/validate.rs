//! `#[merge(immutable)]` and post-merge validation (`#[merge(validate = …)]`,
//! `Options::validate`) on a realistic account model: echoing an immutable field unchanged
//! is a no-op, changing it fails at its pointer (top level, nested, inside map entries),
//! and a failed validation lists every problem and leaves the target unchanged with no
//! update. Every accepted update is replayed with the MongoDB applier of `src/mongo.rs`.

use std::collections::BTreeMap;

use bson::oid::ObjectId;
use bson::{Document, doc};
use chrono::{TimeZone, Utc};
use conjungo::patch::{self, Applied};
use conjungo::{Error, ErrorKind, Merge, Options};
use conjungo_suite::mongo::apply_applied;
use proptest::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use validator::Validate;

#[derive(Merge, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[merge(patch, validate = check_account)]
#[serde(rename_all = "camelCase")]
struct Account {
    /// Clients send back the account they read: `_id` may be echoed, never changed.
    #[merge(immutable)]
    #[serde(rename = "_id")]
    id: ObjectId,
    #[merge(immutable)]
    tenant: uuid::Uuid,
    #[merge(immutable)]
    #[serde(with = "bson::serde_helpers::datetime::FromChrono04DateTime")]
    created_at: chrono::DateTime<Utc>,
    /// Set once: an account gets an owner, and keeps it.
    #[merge(immutable)]
    owner: Option<String>,
    name: String,
    seats: u32,
    plan_starts: i64,
    plan_ends: i64,
    billing: Billing,
    #[serde(default)]
    members: BTreeMap<String, Member>,
}

#[derive(Merge, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[merge(patch, validate = check_billing)]
struct Billing {
    #[merge(immutable)]
    currency: String,
    vat_percent: i32,
    email: Option<String>,
}

#[derive(Merge, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[merge(patch, validate = check_member)]
struct Member {
    #[merge(immutable)]
    joined: i64,
    role: String,
}

fn check_account(a: &Account) -> Result<(), Error> {
    let mut problems = Vec::new();
    if a.name.trim().is_empty() {
        problems.push(Error::custom("a name is required").at_key("name"));
    }
    if a.plan_ends < a.plan_starts {
        problems.push(Error::custom("the plan ends before it starts").at_key("planEnds"));
    }
    if (a.seats as usize) < a.members.len() {
        problems.push(Error::custom("more members than seats").at_key("seats"));
    }
    Error::invalid(problems)
}

fn check_billing(b: &Billing) -> Result<(), Error> {
    if (0..=100).contains(&b.vat_percent) {
        Ok(())
    } else {
        Err(Error::custom("a percentage").at_key("vat_percent"))
    }
}

fn check_member(m: &Member) -> Result<(), Error> {
    if ["admin", "dev", "viewer"].contains(&m.role.as_str()) {
        Ok(())
    } else {
        Err(Error::custom("an unknown role").at_key("role"))
    }
}

fn account() -> Account {
    Account {
        id: ObjectId::parse_str("65a1b2c3d4e5f60718293a4b").unwrap(),
        tenant: uuid::Uuid::parse_str("4f9c2f6e-8d1a-4b7e-9c3d-2a1b0c9d8e7f").unwrap(),
        created_at: Utc.with_ymd_and_hms(2024, 1, 2, 3, 4, 5).unwrap(),
        owner: None,
        name: "acme".into(),
        seats: 3,
        plan_starts: 10,
        plan_ends: 20,
        billing: Billing {
            currency: "EUR".into(),
            vat_percent: 20,
            email: None,
        },
        members: BTreeMap::from([(
            "ann".to_string(),
            Member {
                joined: 100,
                role: "admin".into(),
            },
        )]),
    }
}

/// Parse and apply `body` to `target`; on success the update replayed on the stored
/// document gives the merged value's document, on failure `target` is unchanged.
fn patch_json(target: &mut Account, body: Value, options: &Options) -> Result<Applied, Error> {
    let before = target.clone();
    let stored = bson::serialize_to_document(&*target).unwrap();
    let result = patch::parse::<AccountPatch>(body.to_string().as_bytes())
        .and_then(|p| patch::apply(target, p, options));
    match &result {
        Ok(applied) => {
            let replayed = apply_applied(&stored, applied).unwrap();
            assert_eq!(replayed, bson::serialize_to_document(&*target).unwrap());
        }
        Err(_) => assert_eq!(*target, before, "a failed patch changed the target"),
    }
    result
}

fn places(err: &Error) -> Vec<&str> {
    err.problems().iter().map(Error::path).collect()
}

#[test]
fn echoing_the_whole_account_back_is_a_no_op() {
    let mut a = account();
    // The read representation of the account, as a client got it (relaxed Extended JSON).
    let echoed = conjungo::bson::to_json(bson::Bson::Document(
        bson::serialize_to_document(&a).unwrap(),
    ));
    let applied = patch_json(&mut a, echoed, &Options::default()).unwrap();
    assert!(applied.is_empty(), "{:?}", applied.changes);
    assert_eq!(applied.update, Document::new());
    assert_eq!(a, account());
}

#[test]
fn changing_an_immutable_field_fails_at_its_pointer_and_changes_nothing() {
    let cases = [
        (
            json!({"_id": {"$oid": "65a1b2c3d4e5f60718293a4c"}, "name": "x"}),
            "/_id",
        ),
        (
            json!({"tenant": "00000000-0000-0000-0000-000000000000", "name": "x"}),
            "/tenant",
        ),
        (
            json!({"createdAt": {"$date": "2025-01-01T00:00:00Z"}, "name": "x"}),
            "/createdAt",
        ),
        (
            json!({"billing": {"currency": "USD"}, "name": "x"}),
            "/billing/currency",
        ),
        (
            json!({"members": {"ann": {"joined": 101}}, "name": "x"}),
            "/members/ann/joined",
        ),
    ];
    for (body, pointer) in cases {
        let mut a = account();
        let err = patch_json(&mut a, body.clone(), &Options::default()).unwrap_err();
        assert_eq!(err.kind(), &ErrorKind::Immutable, "{body}");
        assert_eq!(err.path(), pointer, "{body}");
        assert_eq!(err.http_status(), 422);
        assert_eq!(a, account());
    }
}

#[test]
fn unchanged_immutable_values_in_a_body_are_accepted_with_the_rest() {
    let mut a = account();
    let applied = patch_json(
        &mut a,
        json!({
            "tenant": "4f9c2f6e-8d1a-4b7e-9c3d-2a1b0c9d8e7f",
            "createdAt": {"$date": "2024-01-02T03:04:05Z"},
            "billing": {"currency": "EUR", "vat_percent": 7},
            "members": {"ann": {"joined": 100, "role": "dev"}},
        }),
        &Options::default(),
    )
    .unwrap();
    assert_eq!(
        applied.update,
        doc! {"$set": {"billing.vat_percent": 7, "members.ann.role": "dev"}}
    );
}

#[test]
fn an_optional_immutable_field_is_set_once() {
    let mut a = account();
    let applied = patch_json(&mut a, json!({"owner": "ann"}), &Options::default()).unwrap();
    assert_eq!(applied.update, doc! {"$set": {"owner": "ann"}});
    // The same value again: nothing to do.
    let applied = patch_json(&mut a, json!({"owner": "ann"}), &Options::default()).unwrap();
    assert!(applied.is_empty());
    // Another value, or removing it: refused.
    for body in [json!({"owner": "bob"}), json!({"owner": null})] {
        let err = patch_json(&mut a, body, &Options::default()).unwrap_err();
        assert_eq!((err.kind(), err.path()), (&ErrorKind::Immutable, "/owner"));
    }
    assert_eq!(a.owner.as_deref(), Some("ann"));
}

#[test]
fn a_new_map_entry_sets_its_immutable_fields() {
    let mut a = account();
    let applied = patch_json(
        &mut a,
        json!({"members": {"bob": {"joined": 200, "role": "dev"}}}),
        &Options::default(),
    )
    .unwrap();
    assert_eq!(
        applied.update,
        doc! {"$set": {"members.bob": {"joined": 200_i64, "role": "dev"}}}
    );
}

#[test]
fn a_failed_validation_lists_every_problem_and_changes_nothing() {
    let mut a = account();
    let err = patch_json(
        &mut a,
        json!({
            "name": " ",
            "planEnds": 5,
            "billing": {"vat_percent": 150},
            "members": {
                "bob": {"joined": 1, "role": "owner"},
                "cy": {"joined": 2, "role": "dev"},
                "di": {"joined": 3, "role": "dev"},
            },
        }),
        &Options::default(),
    )
    .unwrap_err();
    assert_eq!(err.http_status(), 422);
    assert!(matches!(err.kind(), ErrorKind::Invalid { .. }));
    assert_eq!(err.path(), "");
    // Fields' own validators first (in field order), then the container's.
    assert_eq!(
        places(&err),
        [
            "/billing/vat_percent",
            "/members/bob/role",
            "/name",
            "/planEnds",
            "/seats"
        ]
    );
    assert_eq!(a, account());
}

#[test]
fn a_valid_patch_is_applied_and_the_options_validator_runs_too() {
    let options = Options::default().validate::<Account>(|a| {
        if a.billing.email.as_deref().is_some_and(|e| !e.contains('@')) {
            return Err(Error::custom("an email address")
                .at_key("email")
                .at_key("billing"));
        }
        Ok(())
    });
    let mut a = account();
    let applied = patch_json(
        &mut a,
        json!({"seats": 5, "billing": {"email": "billing@acme.test"}}),
        &options,
    )
    .unwrap();
    assert_eq!(
        applied.update,
        doc! {"$set": {"seats": 5_i64, "billing.email": "billing@acme.test"}}
    );
    let err = patch_json(
        &mut a,
        json!({"billing": {"email": "nope"}, "planEnds": 1}),
        &options,
    )
    .unwrap_err();
    assert_eq!(places(&err), ["/planEnds", "/billing/email"]);
    assert_eq!(a.billing.email.as_deref(), Some("billing@acme.test"));
}

#[test]
fn the_merge_rule_of_immutable_fields_is_the_same_outside_patches() {
    let mut a = account();
    let mut other = account();
    other.name = "renamed".into();
    a.merge(other.clone()).unwrap();
    assert_eq!(a.name, "renamed");
    other.tenant = uuid::Uuid::nil();
    other.name = "again".into();
    let err = a.merge(other).unwrap_err();
    assert_eq!((err.kind(), err.path()), (&ErrorKind::Immutable, "/tenant"));
    assert_eq!(a.name, "renamed");
}

/// No validator here: atomicity comes from the check pass alone (no copy is made).
#[derive(Merge, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[merge(patch)]
struct Device {
    name: String,
    #[merge(immutable)]
    serial: String,
    slots: BTreeMap<String, Slot>,
    #[merge(immutable)]
    vendor: Option<String>,
}

#[derive(Merge, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[merge(patch)]
struct Slot {
    label: String,
    #[merge(immutable)]
    kind: String,
}

#[test]
fn without_a_validator_the_check_pass_refuses_before_anything_changes() {
    let device = Device {
        name: "d1".into(),
        serial: "S-1".into(),
        slots: BTreeMap::from([(
            "a".to_string(),
            Slot {
                label: "first".into(),
                kind: "ssd".into(),
            },
        )]),
        vendor: Some("acme".into()),
    };
    let cases = [
        (json!({"name": "x", "serial": "S-2"}), "/serial"),
        (
            json!({"name": "x", "slots": {"a": {"label": "y", "kind": "hdd"}}}),
            "/slots/a/kind",
        ),
        (json!({"name": "x", "vendor": null}), "/vendor"),
    ];
    for (body, pointer) in cases {
        let mut d = device.clone();
        let p: DevicePatch = patch::parse(body.to_string().as_bytes()).unwrap();
        let err = patch::apply(&mut d, p, &Options::default()).unwrap_err();
        assert_eq!((err.kind(), err.path()), (&ErrorKind::Immutable, pointer));
        assert_eq!(d, device, "{body}");
    }
    let mut d = device.clone();
    let p: DevicePatch = patch::parse(
        br#"{"name": "x", "serial": "S-1", "slots": {"b": {"label": "z", "kind": "nvme"}}}"#,
    )
    .unwrap();
    let applied = patch::apply(&mut d, p, &Options::default()).unwrap();
    assert_eq!(
        applied.update,
        doc! {"$set": {"name": "x", "slots.b": {"label": "z", "kind": "nvme"}}}
    );
}

/// `validator` as the validator: its Rust field names become serde names in pointers, in
/// nested `#[merge(patch)]` structs too.
#[derive(Merge, Validate, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[merge(patch, validate = conjungo::validator::check)]
#[serde(rename_all = "camelCase")]
#[validate(schema(function = "seats_cover_admins"))]
struct Org {
    #[validate(length(min = 1, message = "a name is required"))]
    display_name: String,
    #[validate(range(min = 1))]
    seat_count: u32,
    #[validate(nested)]
    billing_contact: Contact,
    #[merge(atomic)]
    #[validate(nested)]
    admins: Vec<Contact>,
}

#[derive(Merge, Validate, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[merge(patch)]
struct Contact {
    #[serde(rename = "mail")]
    #[validate(email)]
    email_address: String,
}

fn seats_cover_admins(org: &Org) -> Result<(), validator::ValidationError> {
    if (org.seat_count as usize) < org.admins.len() {
        return Err(
            validator::ValidationError::new("seats").with_message("fewer seats than admins".into())
        );
    }
    Ok(())
}

#[test]
fn validator_errors_are_problems_at_serde_pointers() {
    let org = Org {
        display_name: "acme".into(),
        seat_count: 2,
        billing_contact: Contact {
            email_address: "billing@acme.test".into(),
        },
        admins: vec![Contact {
            email_address: "ann@acme.test".into(),
        }],
    };
    let mut o = org.clone();
    let p: OrgPatch = patch::parse(
        br#"{"displayName": "", "billingContact": {"mail": "nope"},
             "admins": [{"mail": "x@y.test"}, {"mail": "bad"}, {"mail": "z@y.test"}]}"#,
    )
    .unwrap();
    let err = patch::apply(&mut o, p, &Options::default()).unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Invalid { .. }));
    // Inside list items the names are validator's (Rust) names.
    assert_eq!(
        places(&err),
        [
            "/admins/1/email_address",
            "/billingContact/mail",
            "/displayName"
        ]
    );
    let messages: Vec<String> = err
        .problems()
        .iter()
        .map(|e| e.kind().to_string())
        .collect();
    assert_eq!(messages, ["email", "email", "a name is required"]);
    assert_eq!(o, org);

    // A struct-level (schema) error is at the struct's place (validator runs it when the
    // fields are valid).
    let p: OrgPatch = patch::parse(
        br#"{"admins": [{"mail": "x@y.test"}, {"mail": "w@y.test"}, {"mail": "z@y.test"}]}"#,
    )
    .unwrap();
    let err = patch::apply(&mut o, p, &Options::default()).unwrap_err();
    assert_eq!(places(&err), [""]);
    assert_eq!(
        err.problems()[0].kind().to_string(),
        "fewer seats than admins"
    );
    assert_eq!(o, org);

    let p: OrgPatch =
        patch::parse(br#"{"seatCount": 5, "billingContact": {"mail": "b@acme.test"}}"#).unwrap();
    let applied = patch::apply(&mut o, p, &Options::default()).unwrap();
    assert_eq!(
        applied.update,
        doc! {"$set": {"billingContact.mail": "b@acme.test", "seatCount": 5_i64}}
    );
}

fn body() -> impl Strategy<Value = Value> {
    let member = (
        0i64..3,
        prop::sample::select(vec!["admin", "dev", "viewer", "owner"]),
    )
        .prop_map(|(joined, role)| json!({"joined": 100 + joined, "role": role}));
    let members = prop::collection::btree_map(
        prop::sample::select(vec!["ann", "bob", "cy", "di"]),
        prop_oneof![Just(Value::Null), member],
        0..3,
    );
    let fields = (
        prop::option::of(prop::sample::select(vec!["acme", "", "beta"])),
        prop::option::of(0u32..5),
        prop::option::of(0i64..30),
        prop::option::of(-10i32..120),
        prop::option::of(prop::sample::select(vec!["EUR", "USD"])),
        prop::option::of(members),
        prop::option::of(prop::option::of(prop::sample::select(vec!["ann", "bob"]))),
    );
    fields.prop_map(|(name, seats, ends, vat, currency, members, owner)| {
        let mut body = serde_json::Map::new();
        let mut billing = serde_json::Map::new();
        if let Some(name) = name {
            body.insert("name".into(), json!(name));
        }
        if let Some(seats) = seats {
            body.insert("seats".into(), json!(seats));
        }
        if let Some(ends) = ends {
            body.insert("planEnds".into(), json!(ends));
        }
        if let Some(vat) = vat {
            billing.insert("vat_percent".into(), json!(vat));
        }
        if let Some(currency) = currency {
            billing.insert("currency".into(), json!(currency));
        }
        if !billing.is_empty() {
            body.insert("billing".into(), Value::Object(billing));
        }
        if let Some(members) = members {
            body.insert("members".into(), json!(members));
        }
        if let Some(owner) = owner {
            body.insert("owner".into(), json!(owner));
        }
        Value::Object(body)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// For generated bodies, a patch either fails with the target unchanged, or the merged
    /// value passes validation and no immutable field changed.
    #[test]
    fn a_patch_fails_untouched_or_leaves_a_valid_account(body in body(), owned in any::<bool>()) {
        let mut a = account();
        if owned {
            a.owner = Some("ann".into());
        }
        let before = a.clone();
        match patch_json(&mut a, body, &Options::default()) {
            Ok(_) => {
                prop_assert!(check_account(&a).is_ok());
                prop_assert!(check_billing(&a.billing).is_ok());
                prop_assert!(a.members.values().all(|m| check_member(m).is_ok()));
                prop_assert_eq!((a.id, a.tenant, a.created_at), (before.id, before.tenant, before.created_at));
                prop_assert_eq!(&a.billing.currency, &before.billing.currency);
                if before.owner.is_some() {
                    prop_assert_eq!(&a.owner, &before.owner);
                }
                for (name, member) in &before.members {
                    if let Some(now) = a.members.get(name) {
                        prop_assert_eq!(now.joined, member.joined);
                    }
                }
            }
            Err(e) => {
                prop_assert_eq!(&a, &before);
                prop_assert!(
                    matches!(e.kind(), ErrorKind::Invalid { .. } | ErrorKind::Immutable),
                    "{}", e
                );
            }
        }
    }
}

/// A flattened struct's fields are its parent's: `validator`'s errors inside it have no
/// segment for the flattened field.
#[derive(Merge, Validate, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[merge(patch, validate = conjungo::validator::check)]
#[serde(rename_all = "camelCase")]
struct FlatMember {
    #[validate(length(min = 1))]
    display_name: String,
    #[serde(flatten)]
    #[validate(nested)]
    reach: Reach,
}

#[derive(Merge, Validate, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[merge(patch)]
struct Reach {
    #[serde(rename = "mail")]
    #[validate(email)]
    email_address: String,
}

#[test]
fn validator_errors_in_a_flattened_struct_are_at_the_parents_level() {
    let member = FlatMember {
        display_name: "ann".into(),
        reach: Reach {
            email_address: "ann@acme.test".into(),
        },
    };
    let mut m = member.clone();
    let p: FlatMemberPatch = patch::parse(br#"{"displayName": "", "mail": "nope"}"#).unwrap();
    let err = patch::apply(&mut m, p, &Options::default()).unwrap_err();
    assert_eq!(places(&err), ["/displayName", "/mail"]);
    assert_eq!(m, member);

    let p: FlatMemberPatch = patch::parse(br#"{"mail": "bob@acme.test"}"#).unwrap();
    let applied = patch::apply(&mut m, p, &Options::default()).unwrap();
    assert_eq!(applied.update, doc! {"$set": {"mail": "bob@acme.test"}});
}
