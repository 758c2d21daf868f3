//! Schemaless PATCH of a stored document: no panic; an error changes nothing; the update
//! replayed by MongoDB's rules gives exactly the merged document; the one pass from the
//! bytes (`apply_document_slice`) gives what the `Value` path gives, error or not; under
//! RFC 7396 options the one walk gives what the general path (taken when a validator is
//! registered) gives.
#![no_main]

use bson::doc;
use conjungo::{Mismatch, NullStrategy, Options, SeqStrategy, patch};
use conjungo_suite::mongo::apply_applied;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, bytes)) = data.split_first() else { return };
    let options = if mode & 1 == 0 {
        Options::merge_patch()
    } else {
        let seq = [SeqStrategy::Append, SeqStrategy::Prepend, SeqStrategy::Replace, SeqStrategy::Keep];
        let nulls = [NullStrategy::Skip, NullStrategy::Delete, NullStrategy::Set];
        let mismatch = [Mismatch::Error, Mismatch::Replace, Mismatch::Keep];
        Options::default()
            .overwrite(mode & 2 == 0)
            .seq(seq[usize::from(mode >> 2) % 4])
            .nulls(nulls[usize::from(mode >> 4) % 3])
            .mismatch(mismatch[usize::from(mode >> 6) % 3])
    };
    let stored = doc! {
        "_id": 1, "a": {"b": 1_i64, "c": [1, 2], "0": "x", "": 2.5},
        "n": 5_i64, "s": "t", "arr": [{"k": 1}], "labels": {"app.kubernetes.io/name": "x"},
    };
    let mut fast = stored.clone();
    let from_bytes = patch::apply_document_slice(&mut fast, bytes, &options);
    let Ok(body) = serde_json::from_slice::<serde_json::Value>(bytes) else {
        assert_eq!(from_bytes.unwrap_err(), patch::parse::<serde_json::Value>(bytes).unwrap_err());
        assert_eq!(fast, stored);
        return;
    };
    let mut merged = stored.clone();
    let result = patch::apply_document(&mut merged, body, &options);
    // By `Debug`: a `Document`'s `==` ignores field order, which must be the same too.
    assert_eq!(format!("{from_bytes:?}"), format!("{result:?}"));
    assert_eq!(format!("{fast:?}"), format!("{merged:?}"));
    if mode & 1 == 0 {
        // The same rules through the general path: a validator that accepts everything.
        let general = options.clone().validate::<bson::Document>(|_| Ok(()));
        let mut slow = stored.clone();
        let expected = patch::apply_document_slice(&mut slow, bytes, &general);
        assert_eq!(format!("{from_bytes:?}"), format!("{expected:?}"));
        assert_eq!(format!("{fast:?}"), format!("{slow:?}"));
    }
    match result {
        Err(_) => assert_eq!(merged, stored),
        Ok(applied) => {
            let replayed = apply_applied(&stored, &applied).expect("MongoDB takes the update");
            assert_eq!(replayed, merged, "update {}", applied.update);
        }
    }
});
