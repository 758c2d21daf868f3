use conjungo::Merge;

#[derive(Merge)]
struct Port {
    name: String,
}

#[derive(Merge)]
struct Host {
    #[merge(by_key = name)]
    ports: Port,
}

fn main() {}
