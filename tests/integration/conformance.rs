//! Conformance with Go conjungo (recorded oracle) and RFC 7396 (Appendix A, §1, §3).

use crate::common;

use common::{json_eq, jsonl};
use conjungo::{Merge, Options, json};

#[test]
fn go_conjungo_oracle() {
    let cases = jsonl("conjungo-oracle-public.jsonl");
    assert_eq!(cases.len(), 100);
    let (mut ok_cases, mut err_cases) = (0, 0);
    for (i, case) in cases.iter().enumerate() {
        let overwrite = case
            .get("overwrite")
            .and_then(|v| v.as_bool())
            .unwrap_or(true);
        let options = Options::default().overwrite(overwrite);
        let mut target = case["target"].clone();
        let before = target.clone();
        let result = conjungo::merge(&mut target, case["source"].clone(), &options);
        let expect = &case["expect"];
        if let Some(merged) = expect.get("ok") {
            ok_cases += 1;
            assert!(
                result.is_ok(),
                "case {i}: unexpected error {result:?}\n{case}"
            );
            assert!(
                json_eq(&target, merged),
                "case {i}: got {target}\nexpected {merged}\n{case}"
            );
        } else {
            err_cases += 1;
            let err = result.expect_err(&format!("case {i}: expected an error\n{case}"));
            assert_eq!(target, before, "case {i}: target changed on error ({err})");
            // Go names one failing key (`key 'a': key 'b': …`, the first its random map
            // order met); we name one as a JSON Pointer. Both must be real mismatches.
            let go = expect["err"].as_str().unwrap();
            let go_path: String = go
                .split(": ")
                .filter_map(|p| {
                    p.strip_prefix("key '")?
                        .strip_suffix('\'')
                        .map(|k| format!("/{k}"))
                })
                .collect();
            for path in [err.path(), go_path.as_str()] {
                let (t, s) = (case["target"].pointer(path), case["source"].pointer(path));
                let (t, s) = (t.expect(path), s.expect(path));
                assert_ne!(
                    json::kind(t),
                    json::kind(s),
                    "case {i}: {path} is no mismatch"
                );
            }
        }
    }
    assert!(ok_cases > 0 && err_cases > 0);
}

#[test]
fn rfc7396_vectors_through_merge_patch() {
    for (i, case) in jsonl("rfc7396.jsonl").iter().enumerate() {
        let mut target = case["target"].clone();
        json::merge_patch(&mut target, case["patch"].clone()).unwrap();
        assert_eq!(target, case["result"], "vector {i}: {case}");
    }
}

#[test]
fn rfc7396_vectors_through_merge_with_preset() {
    for (i, case) in jsonl("rfc7396.jsonl").iter().enumerate() {
        let mut target = case["target"].clone();
        target
            .merge_with(case["patch"].clone(), &Options::merge_patch())
            .unwrap();
        assert_eq!(target, case["result"], "vector {i}: {case}");
        let mut target = case["target"].clone();
        conjungo::merge(&mut target, case["patch"].clone(), &Options::merge_patch()).unwrap();
        assert_eq!(target, case["result"], "vector {i}: {case}");
    }
}
