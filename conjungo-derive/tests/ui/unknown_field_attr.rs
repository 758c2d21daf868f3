use conjungo::Merge;

#[derive(Merge)]
struct S {
    #[merge(apend)]
    tags: Vec<String>,
}

fn main() {}
