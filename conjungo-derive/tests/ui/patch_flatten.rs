use conjungo::Merge;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

#[derive(Merge, Serialize, Deserialize, Clone, PartialEq, Default)]
#[merge(patch)]
struct Audit {
    created_by: String,
}

#[derive(Merge, Serialize, Deserialize, Clone, PartialEq)]
#[merge(patch)]
struct Doc {
    name: String,
    #[serde(flatten)]
    audit: Audit,
    #[serde(flatten)]
    extra: HashMap<String, String>,
}

fn main() {}
