use conjungo::Merge;

#[derive(Merge)]
#[merge(bogus)]
struct S {
    #[merge(apend)]
    a: Vec<u8>,
    #[merge(keep, replace)]
    b: u8,
    #[merge(skip = 1)]
    c: u8,
}

fn main() {}
