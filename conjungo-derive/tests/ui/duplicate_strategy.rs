use conjungo::Merge;

#[derive(Merge)]
struct S {
    #[merge(skip)]
    #[merge(skip)]
    id: u64,
}

fn main() {}
