use conjungo::Merge;

#[derive(Merge)]
#[merge(replace)]
struct S {
    #[merge(append)]
    tags: Vec<u8>,
}

fn main() {}
