use conjungo::Merge;
use serde::{Deserialize, Serialize};

// A struct with named fields that has no `#[merge(patch)]`: no patch form.
#[derive(Merge, Serialize, Deserialize, Clone, Debug, PartialEq)]
struct Geo {
    lat: f64,
    lon: f64,
}

#[derive(Merge, Serialize, Deserialize)]
#[merge(patch)]
struct Place {
    geo: Geo,
}

fn main() {}
