//! Compile errors users can act on: one mistake per file, each with its reviewed
//! `.stderr` (regenerate with `TRYBUILD=overwrite` and review the diff).

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
