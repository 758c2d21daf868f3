use conjungo::Merge;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

// A flattened map has no place of its own for its entries: refused when the patch type is
// checked (the derive cannot see what the field's type is).
#[derive(Merge, Serialize, Deserialize, Clone, PartialEq)]
#[merge(patch)]
struct Extra {
    name: String,
    #[serde(flatten)]
    extra: HashMap<String, String>,
}

fn main() {}
