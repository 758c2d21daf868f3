use conjungo::Merge;

#[derive(Merge)]
#[merge(rename_all = "camelCase")]
struct S {
    id: u64,
}

fn main() {}
