use conjungo::Merge;

#[derive(Merge)]
struct S {
    #[merge(with = 1 + 2)]
    id: u64,
}

fn main() {}
