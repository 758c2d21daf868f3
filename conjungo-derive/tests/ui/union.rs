use conjungo::Merge;

#[derive(Merge)]
union U {
    a: u32,
    b: f32,
}

fn main() {}
