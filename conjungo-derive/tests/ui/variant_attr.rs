use conjungo::Merge;

#[derive(Merge)]
enum E {
    #[merge(skip)]
    A(u8),
}

fn main() {}
