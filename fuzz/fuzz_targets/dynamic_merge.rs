//! Dynamic merges of two JSON values, with every option: no panic, no stack overflow;
//! an error changes nothing; RFC 7396 options never fail and are idempotent; a `Value`
//! merged at the root (in one pass, undone on failure, when mismatches are errors) gives
//! the result and the error of the same merge in two passes (under a `Box`).
#![no_main]

use conjungo::{Merge, Mismatch, NullStrategy, Options, SeqStrategy};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    let mut parts = serde_json::Deserializer::from_slice(rest).into_iter::<Value>();
    let (Some(Ok(target)), Some(Ok(source))) = (parts.next(), parts.next()) else { return };
    if mode & 1 == 0 {
        let mut once = target.clone();
        once.merge_with(source.clone(), &Options::merge_patch()).expect("RFC 7396 merges");
        let mut twice = once.clone();
        twice.merge_with(source, &Options::merge_patch()).unwrap();
        assert_eq!(once, twice);
        return;
    }
    let seq = [SeqStrategy::Append, SeqStrategy::Prepend, SeqStrategy::Replace, SeqStrategy::Keep];
    let nulls = [NullStrategy::Skip, NullStrategy::Delete, NullStrategy::Set];
    let mismatch = [Mismatch::Error, Mismatch::Replace, Mismatch::Keep];
    let options = Options::default()
        .overwrite(mode & 2 == 0)
        .seq(seq[usize::from(mode >> 2) % 4])
        .nulls(nulls[usize::from(mode >> 4) % 3])
        .mismatch(mismatch[usize::from(mode >> 6) % 3])
        .max_depth(64);
    let mut boxed = Box::new(target.clone());
    let expected = boxed.merge_with(Box::new(source.clone()), &options);
    let mut merged = target.clone();
    let result = merged.merge_with(source, &options);
    assert_eq!(result, expected);
    assert_eq!(merged, *boxed);
    if result.is_err() {
        assert_eq!(merged, target);
    }
});
