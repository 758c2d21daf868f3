//! `#[derive(Merge)]`: structs, enums, generics, strategies, the `Service` workload.

use std::collections::BTreeMap;

use conjungo::{Error, Merge, Options, SeqStrategy};
use proptest::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;

use conjungo_suite::workload::{hand_merge, svc};

#[test]
fn service_workload_merges_as_design_says() {
    let mut t = svc(1);
    t.merge(svc(2)).unwrap();
    let mut by_hand = svc(1);
    hand_merge(&mut by_hand, svc(2));
    assert_eq!(t, by_hand);
    assert_eq!(t.name, "svc-2");
    assert_eq!(t.tier, 2);
    assert!(t.public);
    assert_eq!(t.tags.len(), 6, "appended");
    assert_eq!(&t.tags[..3], &svc(1).tags[..]);
    assert_eq!(t.labels.len(), 8);
    assert_eq!(t.labels["l3"], "v3-2");
    assert_eq!(t.endpoints.len(), 4, "appended");
    let deploy = t.deploy.as_ref().unwrap();
    assert_eq!(deploy.replicas, 2);
    assert_eq!(deploy.env["E0"], "x2");
    assert_eq!(t.notes, None);

    let mut t = svc(1);
    t.merge_with(svc(2), &Options::default().overwrite(false))
        .unwrap();
    assert_eq!(t.name, "svc-1");
    assert_eq!(t.tags.len(), 6, "Go appends even with overwrite off");
    assert_eq!(t.labels["l3"], "v3-1");
}

#[test]
fn tuple_unit_and_empty_structs() {
    #[derive(Merge, Debug, PartialEq)]
    struct Pair(String, Option<u8>);
    #[derive(Merge, Debug, PartialEq)]
    struct Unit;
    #[derive(Merge, Debug, PartialEq)]
    struct Empty {}
    let mut p = Pair("a".into(), Some(1));
    p.merge(Pair("b".into(), None)).unwrap();
    assert_eq!(p, Pair("b".into(), Some(1)));
    let mut u = Unit;
    u.merge(Unit).unwrap();
    let mut e = Empty {};
    e.merge(Empty {}).unwrap();
}

#[test]
fn enums_same_variant_fieldwise_other_variant_by_overwrite() {
    #[derive(Merge, Debug, Clone, PartialEq)]
    enum Source {
        Git { url: String, rev: Option<String> },
        Path(String, Vec<String>),
        Inline,
    }
    let mut s = Source::Git {
        url: "a".into(),
        rev: Some("r".into()),
    };
    s.merge(Source::Git {
        url: "b".into(),
        rev: None,
    })
    .unwrap();
    assert_eq!(
        s,
        Source::Git {
            url: "b".into(),
            rev: Some("r".into())
        }
    );
    let mut p = Source::Path("x".into(), vec!["1".into()]);
    p.merge(Source::Path("y".into(), vec!["2".into()])).unwrap();
    assert_eq!(p, Source::Path("y".into(), vec!["1".into(), "2".into()]));
    let mut s2 = s.clone();
    s2.merge_with(Source::Inline, &Options::default().overwrite(false))
        .unwrap();
    assert_eq!(s2, s);
    s2.merge(Source::Inline).unwrap();
    assert_eq!(s2, Source::Inline);
}

#[test]
fn generics_with_inferred_bounds() {
    #[derive(Merge, Debug, PartialEq)]
    struct Layer<T, U>
    where
        U: Clone,
    {
        value: T,
        items: Vec<U>,
        #[merge(replace)]
        last: Option<U>,
    }
    let mut l = Layer {
        value: Some(1),
        items: vec!['a'],
        last: Some('x'),
    };
    l.merge(Layer {
        value: None,
        items: vec!['b'],
        last: Some('y'),
    })
    .unwrap();
    assert_eq!(
        l,
        Layer {
            value: Some(1),
            items: vec!['a', 'b'],
            last: Some('y')
        }
    );

    // on_type reaches a generic instantiation.
    let options = Options::default().on_type::<Layer<i32, char>>(|t, _, _| {
        t.value = -1;
        Ok(())
    });
    let mut l = Layer {
        value: 1,
        items: vec![],
        last: None,
    };
    l.merge_with(
        Layer {
            value: 2,
            items: vec!['z'],
            last: None,
        },
        &options,
    )
    .unwrap();
    assert_eq!(l.value, -1);
    assert!(l.items.is_empty());
}

#[test]
fn lifetimes() {
    #[derive(Merge)]
    struct Borrowed<'a> {
        name: &'a str,
        alias: std::borrow::Cow<'a, str>,
        count: u32,
    }
    let (a, b) = (String::from("a"), String::from("b"));
    let mut x = Borrowed {
        name: &a,
        alias: "x".into(),
        count: 1,
    };
    x.merge(Borrowed {
        name: &b,
        alias: "y".into(),
        count: 2,
    })
    .unwrap();
    assert_eq!((x.name, &*x.alias, x.count), ("b", "y", 2));
}

#[test]
fn strategies() {
    fn sum(t: &mut u32, s: u32, _: &Options) -> Result<(), Error> {
        *t = t.checked_add(s).ok_or_else(|| Error::custom("overflow"))?;
        Ok(())
    }
    #[derive(Merge, Debug, Clone, PartialEq)]
    struct S {
        #[merge(skip)]
        id: u32,
        #[merge(replace)]
        list: Vec<u8>,
        #[merge(keep)]
        kept: String,
        #[merge(keep)]
        kept_opt: Option<String>,
        #[merge(append)]
        app: Vec<u8>,
        #[merge(prepend)]
        pre: std::collections::VecDeque<u8>,
        #[merge(union)]
        uni: Vec<u8>,
        #[merge(append)]
        opt_app: Option<Vec<u8>>,
        #[merge(with = sum)]
        total: u32,
        #[merge(with = "conjungo::strategy::overwrite")]
        by_string_path: u8,
    }
    let t0 = S {
        id: 1,
        list: vec![1, 2],
        kept: "k".into(),
        kept_opt: None,
        app: vec![1],
        pre: [1].into(),
        uni: vec![1, 2],
        opt_app: Some(vec![1]),
        total: 5,
        by_string_path: 1,
    };
    let s = S {
        id: 2,
        list: vec![9],
        kept: "other".into(),
        kept_opt: Some("filled".into()),
        app: vec![2],
        pre: [2].into(),
        uni: vec![2, 3, 3],
        opt_app: Some(vec![2]),
        total: 6,
        by_string_path: 2,
    };
    // `append`/`prepend`/`union`/`replace` ignore the runtime seq strategy.
    let options = Options::default().seq(SeqStrategy::Keep).overwrite(false);
    let mut t = t0.clone();
    t.merge_with(s.clone(), &options).unwrap();
    assert_eq!(
        t,
        S {
            id: 1,
            list: vec![9],
            kept: "k".into(),
            kept_opt: Some("filled".into()),
            app: vec![1, 2],
            pre: [2, 1].into(),
            uni: vec![1, 2, 3],
            opt_app: Some(vec![1, 2]),
            total: 11,
            by_string_path: 1,
        }
    );
    let mut t = t0.clone();
    t.total = u32::MAX;
    let before = t.clone();
    let err = t.merge(s).unwrap_err();
    assert_eq!(err.path(), "/total");
    assert_eq!(t, before);
}

#[test]
fn by_key_merges_in_place_and_appends_the_rest() {
    #[derive(Merge, Debug, Clone, PartialEq)]
    struct Port {
        name: String,
        number: Option<u16>,
        labels: Vec<String>,
    }
    #[derive(Merge, Debug, Clone, PartialEq)]
    struct Svc {
        #[merge(by_key = name)]
        ports: Vec<Port>,
        #[merge(by_key = "name")]
        extra: Option<Vec<Port>>,
    }
    let port = |n: &str, num: Option<u16>, l: &[&str]| Port {
        name: n.into(),
        number: num,
        labels: l.iter().map(|s| s.to_string()).collect(),
    };
    let mut t = Svc {
        ports: vec![port("http", Some(80), &["a"]), port("grpc", Some(90), &[])],
        extra: None,
    };
    t.merge(Svc {
        ports: vec![port("grpc", None, &["b"]), port("admin", Some(1), &[])],
        extra: Some(vec![port("x", None, &[])]),
    })
    .unwrap();
    assert_eq!(
        t.ports,
        [
            port("http", Some(80), &["a"]),
            port("grpc", Some(90), &["b"]),
            port("admin", Some(1), &[])
        ]
    );
    assert_eq!(t.extra, Some(vec![port("x", None, &[])]));

    // Errors inside an item name the target index.
    let options = Options::default().on_type::<u16>(|_, _, _| Err(Error::custom("no")));
    let before = t.clone();
    let err = t
        .merge_with(
            Svc {
                ports: vec![port("admin", Some(2), &[])],
                extra: None,
            },
            &options,
        )
        .unwrap_err();
    assert_eq!(err.path(), "/ports/2/number");
    assert_eq!(t, before);
}

#[test]
fn container_replace() {
    #[derive(Merge, Debug, Clone, PartialEq)]
    #[merge(replace)]
    struct Credentials {
        user: String,
        token: Option<String>,
    }
    #[derive(Merge, Debug, Clone, PartialEq)]
    struct Conn {
        host: String,
        creds: Credentials,
    }
    let mut c = Conn {
        host: "h".into(),
        creds: Credentials {
            user: "a".into(),
            token: Some("t".into()),
        },
    };
    c.merge(Conn {
        host: "h2".into(),
        creds: Credentials {
            user: "b".into(),
            token: None,
        },
    })
    .unwrap();
    assert_eq!(
        c.creds,
        Credentials {
            user: "b".into(),
            token: None
        },
        "no field-wise merge"
    );
}

#[test]
fn recursive_types() {
    #[derive(Merge, Debug, Clone, PartialEq)]
    struct Node {
        value: i32,
        children: BTreeMap<String, Node>,
        next: Option<Box<Node>>,
    }
    #[derive(Merge, Debug, Clone, PartialEq)]
    enum Expr {
        Lit(serde_json::Value),
        Neg(Box<Expr>),
        Pair(Box<Pair>),
    }
    #[derive(Merge, Debug, Clone, PartialEq)]
    struct Pair {
        left: Expr,
        right: Expr,
    }
    let leaf = |v| Node {
        value: v,
        children: BTreeMap::new(),
        next: None,
    };
    let mut n = Node {
        value: 1,
        children: [("a".into(), leaf(1))].into(),
        next: Some(Box::new(leaf(5))),
    };
    n.merge(Node {
        value: 2,
        children: [("a".into(), leaf(3)), ("b".into(), leaf(4))].into(),
        next: None,
    })
    .unwrap();
    assert_eq!(n.children["a"].value, 3);
    assert_eq!(n.next.as_ref().unwrap().value, 5);

    // A JSON mismatch deep inside mutually recursive types is found by the check pass.
    let mut e = Expr::Pair(Box::new(Pair {
        left: Expr::Lit(json!(1)),
        right: Expr::Neg(Box::new(Expr::Lit(json!({"a": 1})))),
    }));
    let before = e.clone();
    let err = e
        .merge(Expr::Pair(Box::new(Pair {
            left: Expr::Lit(json!(2)),
            right: Expr::Neg(Box::new(Expr::Lit(json!({"a": "x"})))),
        })))
        .unwrap_err();
    assert_eq!(err.path(), "/Pair/right/Neg/Lit/a");
    assert_eq!(e, before);
}

mod hostile_scope {
    #![deny(warnings)]
    #![allow(dead_code)]

    // Shadow everything generated code could name without a full path.
    #[allow(non_camel_case_types)]
    struct Option;
    #[allow(non_camel_case_types)]
    struct Some;
    #[allow(non_camel_case_types)]
    struct None;
    #[allow(non_camel_case_types)]
    struct Result;
    #[allow(non_camel_case_types)]
    struct Ok;
    #[allow(non_camel_case_types)]
    struct Err;
    #[allow(non_camel_case_types)]
    struct Box;
    #[allow(non_camel_case_types)]
    struct Vec;
    trait Merge {}
    mod core {}
    mod std {}

    #[derive(::conjungo::Merge)]
    struct Hostile {
        a: ::std::string::String,
        b: ::core::option::Option<u8>,
        #[merge(append)]
        c: ::std::vec::Vec<u8>,
        #[merge(skip)]
        d: u8,
    }

    #[derive(::conjungo::Merge)]
    enum HostileEnum {
        A(u8),
        B { x: ::std::string::String },
        C,
    }

    #[test]
    fn hostile_scope_compiles_and_merges() {
        use ::conjungo::Merge as _;
        let mut h = Hostile {
            a: "a".into(),
            b: ::core::option::Option::Some(1),
            c: ::std::vec![1],
            d: 0,
        };
        h.merge(Hostile {
            a: "b".into(),
            b: ::core::option::Option::None,
            c: ::std::vec![2],
            d: 9,
        })
        .unwrap();
        assert_eq!(h.a, "b");
        assert_eq!(h.b, ::core::option::Option::Some(1));
        assert_eq!(h.c, [1, 2]);
        assert_eq!(h.d, 0);
        let mut e = HostileEnum::A(1);
        e.merge(HostileEnum::B { x: "x".into() }).unwrap();
        let mut c = HostileEnum::C;
        c.merge(HostileEnum::C).unwrap();
    }
}

mod custom_crate_path {
    // A re-export under another name, as a facade crate would have it.
    mod facade {
        pub use ::conjungo as merging;
    }

    #[derive(facade::merging::Merge, Debug, PartialEq)]
    #[merge(crate = facade::merging)]
    struct Renamed {
        x: u8,
        y: ::std::vec::Vec<u8>,
    }

    #[derive(facade::merging::Merge)]
    #[merge(crate = "facade::merging")]
    struct RenamedString(u8);

    #[test]
    fn custom_crate_path_works() {
        use facade::merging::Merge as _;
        let mut r = Renamed { x: 1, y: vec![1] };
        r.merge(Renamed { x: 2, y: vec![2] }).unwrap();
        assert_eq!(
            r,
            Renamed {
                x: 2,
                y: vec![1, 2]
            }
        );
        let mut s = RenamedString(1);
        s.merge(RenamedString(3)).unwrap();
        assert_eq!(s.0, 3);
    }
}

/// A derived struct whose fields are all JSON-representable, for the property below.
#[derive(Merge, Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Profile {
    name: String,
    age: i64,
    admin: bool,
    nick: Option<String>,
    tags: Vec<String>,
    scores: BTreeMap<String, i64>,
    address: Option<Address>,
}

#[derive(Merge, Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Address {
    city: String,
    zip: Option<String>,
}

fn profile() -> impl Strategy<Value = Profile> {
    let address =
        ("[a-c]{1,3}", prop::option::of("[0-9]{2}")).prop_map(|(city, zip)| Address { city, zip });
    (
        "[a-z]{0,4}",
        -50i64..50,
        any::<bool>(),
        prop::option::of("[a-z]{1,3}"),
        prop::collection::vec("[a-c]", 0..3),
        prop::collection::btree_map("[a-d]", -9i64..9, 0..4),
        prop::option::of(address),
    )
        .prop_map(|(name, age, admin, nick, tags, scores, address)| Profile {
            name,
            age,
            admin,
            nick,
            tags,
            scores,
            address,
        })
}

fn options() -> impl Strategy<Value = Options> {
    (
        any::<bool>(),
        prop_oneof![
            Just(SeqStrategy::Append),
            Just(SeqStrategy::Prepend),
            Just(SeqStrategy::Replace),
            Just(SeqStrategy::Keep)
        ],
    )
        .prop_map(|(overwrite, seq)| Options::default().overwrite(overwrite).seq(seq))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Typed merge == JSON merge of the serialized values, under the same options (None
    /// serializes as null, which the default null rule skips, as `Option` does).
    #[test]
    fn typed_merge_equals_json_merge(t in profile(), s in profile(), options in options()) {
        let mut typed = t.clone();
        typed.merge_with(s.clone(), &options).unwrap();

        let mut dynamic = serde_json::to_value(&t).unwrap();
        dynamic.merge_with(serde_json::to_value(&s).unwrap(), &options).unwrap();

        prop_assert_eq!(serde_json::to_value(&typed).unwrap(), dynamic);
    }
}

/// A struct of atomic values and `Option`s of them merges by moves when nothing is
/// registered (the fast path); with an unrelated function registered it takes the general
/// path. Both must agree, for every overwrite setting, also for an `Option` of an `Option`
/// (whose inner `None` does not overwrite) and a skipped field.
#[derive(Merge, Debug, Clone, PartialEq)]
struct Flat {
    a: i64,
    b: Option<u16>,
    c: Option<Option<i32>>,
    d: String,
    e: f64,
    #[merge(skip)]
    f: u8,
}

struct Unrelated;

fn flat() -> impl Strategy<Value = Flat> {
    (
        any::<i64>(),
        prop::option::of(any::<u16>()),
        prop::option::of(prop::option::of(any::<i32>())),
        "[ab]{0,2}",
        any::<f64>(),
        any::<u8>(),
    )
        .prop_map(|(a, b, c, d, e, f)| Flat { a, b, c, d, e, f })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn the_fast_path_of_flat_structs_is_the_general_path(
        target in flat(),
        source in flat(),
        overwrite in any::<bool>(),
    ) {
        let plain = Options::default().overwrite(overwrite);
        let general = Options::default()
            .overwrite(overwrite)
            .on_type::<Unrelated>(|_, _, _| Ok(()));
        let mut fast = target.clone();
        fast.merge_with(source.clone(), &plain).unwrap();
        let mut slow = target.clone();
        slow.merge_with(source.clone(), &general).unwrap();
        // Bitwise for floats (NaN != NaN).
        prop_assert_eq!(format!("{fast:?}"), format!("{slow:?}"));
        if overwrite {
            let mut default = target.clone();
            default.merge(source.clone()).unwrap();
            prop_assert_eq!(format!("{default:?}"), format!("{slow:?}"));
        }
    }
}
