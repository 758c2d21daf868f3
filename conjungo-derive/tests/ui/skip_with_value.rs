use conjungo::Merge;

#[derive(Merge)]
struct S {
    #[merge(skip = true)]
    id: u64,
}

fn main() {}
