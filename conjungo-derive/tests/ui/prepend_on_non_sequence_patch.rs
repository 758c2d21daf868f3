// A strategy that does not fit the field's type is reported at the attribute, for the
// patch type as for the merge (one strategy table serves both).
use conjungo::Merge;
use serde::{Deserialize, Serialize};

#[derive(Merge, Serialize, Deserialize)]
#[merge(patch)]
struct S {
    #[merge(prepend)]
    name: String,
}

fn main() {}
