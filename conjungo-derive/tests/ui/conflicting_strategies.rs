use conjungo::Merge;

#[derive(Merge)]
struct S {
    #[merge(append, replace)]
    tags: Vec<String>,
}

fn main() {}
