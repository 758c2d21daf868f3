use conjungo::Merge;

#[derive(Merge)]
struct Port {
    name: String,
}

#[derive(Merge)]
struct S {
    #[merge(by_key = nmae)]
    ports: Vec<Port>,
}

fn main() {}
