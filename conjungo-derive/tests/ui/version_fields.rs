use conjungo::Merge;
use serde::{Deserialize, Serialize};

#[derive(Merge, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[merge(patch)]
struct Two {
    #[merge(version)]
    a: i64,
    #[merge(version)]
    b: i64,
}

#[derive(Merge, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[merge(patch)]
struct NotAnInteger {
    #[merge(version)]
    v: String,
}

fn main() {}
