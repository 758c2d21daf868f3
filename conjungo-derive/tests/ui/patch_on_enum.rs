use conjungo::Merge;

#[derive(Merge)]
#[merge(patch)]
enum E {
    A { x: u8 },
}

fn main() {}
