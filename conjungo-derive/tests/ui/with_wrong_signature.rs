use conjungo::Merge;

fn add(t: &mut u32, s: u32) {
    *t += s;
}

#[derive(Merge)]
struct S {
    #[merge(with = add)]
    n: u32,
}

fn main() {}
