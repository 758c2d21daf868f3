use conjungo::Merge;

struct Item;

#[derive(Merge)]
struct S {
    #[merge(union)]
    items: Vec<Item>,
}

fn main() {}
