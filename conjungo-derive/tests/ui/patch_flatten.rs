use conjungo::Merge;
use serde::{Deserialize, Serialize};

#[derive(Merge, Serialize, Deserialize, Clone, PartialEq, Default)]
#[merge(patch)]
struct Audit {
    created_by: String,
}

// A flattened struct with its own patch type is fine; an `Option` of one is not.
#[derive(Merge, Serialize, Deserialize, Clone, PartialEq)]
#[merge(patch)]
struct Doc {
    name: String,
    #[serde(flatten)]
    audit: Audit,
    #[serde(flatten)]
    more: Option<Audit>,
}

fn main() {}
