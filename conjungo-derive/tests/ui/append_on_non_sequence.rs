use conjungo::Merge;

#[derive(Merge)]
struct S {
    #[merge(append)]
    name: String,
}

fn main() {}
