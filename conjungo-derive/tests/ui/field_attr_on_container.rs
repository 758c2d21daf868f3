use conjungo::Merge;

#[derive(Merge)]
#[merge(append)]
struct S {
    tags: Vec<u8>,
}

fn main() {}
