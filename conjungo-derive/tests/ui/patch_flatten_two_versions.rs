use conjungo::Merge;
use serde::{Deserialize, Serialize};

// A version field counts the writes of the whole value: one per type, its own or a
// flattened struct's.
#[derive(Merge, Serialize, Deserialize, Clone, PartialEq)]
#[merge(patch)]
struct Meta {
    #[merge(version)]
    revision: i64,
}

#[derive(Merge, Serialize, Deserialize, Clone, PartialEq)]
#[merge(patch)]
struct Invoice {
    #[merge(version)]
    version: i64,
    #[serde(flatten)]
    meta: Meta,
}

fn main() {}
