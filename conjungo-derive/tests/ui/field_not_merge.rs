use conjungo::Merge;

struct NotMerge;

#[derive(Merge)]
struct S {
    inner: NotMerge,
}

fn main() {}
