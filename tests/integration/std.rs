//! `Merge` for std types, by the rules of DESIGN §3.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::rc::Rc;
use std::sync::Arc;

use conjungo::{Error, Merge, Options};

fn off() -> Options {
    Options::default().overwrite(false)
}

#[test]
fn scalars_follow_overwrite() {
    macro_rules! both {
        ($a:expr, $b:expr) => {{
            let mut t = $a;
            t.merge($b).unwrap();
            assert_eq!(t, $b);
            let mut t = $a;
            t.merge_with($b, &off()).unwrap();
            assert_eq!(t, $a);
        }};
    }
    both!(true, false);
    both!('a', 'b');
    both!(1u8, 2u8);
    both!(-1i128, 7i128);
    both!(1.5f32, 2.5f32);
    both!(String::from("a"), String::from("b"));
    both!(
        std::time::Duration::from_secs(1),
        std::time::Duration::from_secs(2)
    );
    both!(
        std::path::PathBuf::from("/a"),
        std::path::PathBuf::from("/b")
    );
    let mut unit = ();
    unit.merge(()).unwrap();
}

#[test]
fn zero_values_are_values() {
    // Absence is None, never a zero value.
    let mut n = 5i64;
    n.merge(0).unwrap();
    assert_eq!(n, 0);
    let mut s = String::from("x");
    s.merge(String::new()).unwrap();
    assert_eq!(s, "");
    let mut b = true;
    b.merge(false).unwrap();
    assert!(!b);
}

#[test]
fn option_rules() {
    let mut t = Some(1);
    t.merge(None).unwrap();
    assert_eq!(t, Some(1));
    let mut t: Option<i32> = None;
    t.merge_with(Some(2), &off()).unwrap();
    assert_eq!(
        t,
        Some(2),
        "an absent target is filled even with overwrite off"
    );
    let mut t = Some(vec![1]);
    t.merge(Some(vec![2])).unwrap();
    assert_eq!(t, Some(vec![1, 2]), "two Somes merge their insides");
    let mut t = Some(1);
    t.merge_with(Some(2), &off()).unwrap();
    assert_eq!(t, Some(1));
}

#[test]
fn maps_are_deep() {
    let mut t = HashMap::from([("a", vec![1]), ("b", vec![2])]);
    t.merge_with(HashMap::from([("a", vec![3]), ("c", vec![4])]), &off())
        .unwrap();
    assert_eq!(
        t,
        HashMap::from([("a", vec![1, 3]), ("b", vec![2]), ("c", vec![4])])
    );
    let mut t = BTreeMap::from([(1, BTreeMap::from([("x", 1)]))]);
    // `BTreeMap::merge` is being added to std (unstable): name the trait to be explicit.
    Merge::merge(
        &mut t,
        BTreeMap::from([(1, BTreeMap::from([("y", 2)])), (2, BTreeMap::new())]),
    )
    .unwrap();
    assert_eq!(
        t,
        BTreeMap::from([
            (1, BTreeMap::from([("x", 1), ("y", 2)])),
            (2, BTreeMap::new())
        ])
    );
}

#[test]
fn sets_union() {
    let mut t = HashSet::from([1, 2]);
    t.merge(HashSet::from([2, 3])).unwrap();
    assert_eq!(t, HashSet::from([1, 2, 3]));
    let mut t = BTreeSet::from(["a"]);
    t.merge_with(BTreeSet::from(["b"]), &off()).unwrap();
    assert_eq!(t, BTreeSet::from(["a", "b"]));
}

#[test]
fn box_merges_inside_shared_pointers_replace() {
    let mut b = Box::new(vec![1]);
    b.merge(Box::new(vec![2])).unwrap();
    assert_eq!(*b, vec![1, 2]);

    let mut r = Rc::new(vec![1]);
    r.merge(Rc::new(vec![2])).unwrap();
    assert_eq!(*r, vec![2]);
    let mut r = Rc::new(vec![1]);
    r.merge_with(Rc::new(vec![2]), &off()).unwrap();
    assert_eq!(*r, vec![1]);

    let mut a = Arc::new(String::from("a"));
    a.merge(Arc::new(String::from("b"))).unwrap();
    assert_eq!(*a, "b");
}

#[test]
fn tuples_and_arrays_element_wise() {
    let mut t = (1, vec![1], Some("a"));
    t.merge((2, vec![2], None)).unwrap();
    assert_eq!(t, (2, vec![1, 2], Some("a")));
    let mut a = [Some(1), None, Some(3)];
    a.merge([None, Some(2), Some(4)]).unwrap();
    assert_eq!(a, [Some(1), Some(2), Some(4)]);
}

#[test]
fn errors_in_tuples_and_arrays_name_the_index() {
    let options = Options::default().on_type::<u8>(|_, _, _| Err(Error::custom("no")));
    let mut t = (1u16, 2u8);
    let err = t.merge_with((3, 4), &options).unwrap_err();
    assert_eq!(err.path(), "/1");
    assert_eq!(t, (1, 2));
    let mut a = [vec![1u16], vec![2]];
    a.merge([vec![3], vec![4]]).unwrap();
    assert_eq!(a, [vec![1, 3], vec![2, 4]]);
}

#[test]
fn borrowed_values_are_replaced() {
    let owned = String::from("b");
    let mut r: &str = "a";
    r.merge(&owned).unwrap();
    assert_eq!(r, "b");
    let mut c: Cow<'_, str> = Cow::Borrowed("a");
    c.merge_with(Cow::Owned("b".into()), &off()).unwrap();
    assert_eq!(c, "a");
}

#[test]
fn vecs_of_any_static_type_merge() {
    // Items are never merged with each other, so they need not be `Merge`.
    #[derive(Debug, PartialEq)]
    struct Opaque(u8);
    let mut v = vec![Opaque(1)];
    v.merge(vec![Opaque(2)]).unwrap();
    assert_eq!(v, [Opaque(1), Opaque(2)]);
}

#[test]
fn on_type_for_a_container_type() {
    let options = Options::default().on_type::<Vec<String>>(|t, s, _| {
        *t = s;
        Ok(())
    });
    let mut m = BTreeMap::from([("k", vec!["a".to_string()])]);
    m.merge_with(BTreeMap::from([("k", vec!["b".to_string()])]), &options)
        .unwrap();
    assert_eq!(m["k"], ["b"]);
    // Other Vec types keep the default rule.
    let mut v = vec![1];
    v.merge_with(vec![2], &options).unwrap();
    assert_eq!(v, [1, 2]);
}
