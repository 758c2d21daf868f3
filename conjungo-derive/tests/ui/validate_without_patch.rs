use conjungo::Merge;

fn check(_: &S) -> Result<(), conjungo::Error> {
    Ok(())
}

#[derive(Merge)]
#[merge(validate = check)]
struct S {
    id: u64,
}

fn main() {}
