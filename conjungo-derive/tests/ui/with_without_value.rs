use conjungo::Merge;

#[derive(Merge)]
struct S {
    #[merge(with)]
    id: u64,
}

fn main() {}
