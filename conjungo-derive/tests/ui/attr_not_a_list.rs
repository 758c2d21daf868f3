use conjungo::Merge;

#[derive(Merge)]
struct S {
    #[merge]
    a: u8,
}

fn main() {}
