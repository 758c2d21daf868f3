//! DESIGN §9's `Service` workload: the derived merge vs a hand-written merge with the same
//! rules vs the `merge` crate (0.2) with strategies expressing the same rules; and the
//! per-type override registry's cost when nothing is registered for the types merged.

mod common;

use std::hint::black_box;

use criterion::{BatchSize, Criterion};

mod model {
    /// A strategy for the `merge` crate: the source replaces the target.
    pub fn overwrite<T>(left: &mut T, right: T) {
        *left = right;
    }

    /// A strategy for the `merge` crate: a `Some` source replaces the target.
    pub fn overwrite_some<T>(left: &mut Option<T>, right: Option<T>) {
        if right.is_some() {
            *left = right;
        }
    }

    /// The workload for the `merge` crate, its strategies expressing conjungo's rules.
    pub mod with_merge_crate {
        use super::{overwrite, overwrite_some};
        use std::collections::HashMap;

        #[derive(Clone, Debug, PartialEq, merge::Merge)]
        pub struct Endpoint {
            #[merge(strategy = overwrite)]
            pub name: String,
            #[merge(strategy = overwrite)]
            pub url: String,
            #[merge(strategy = overwrite)]
            pub port: i64,
        }

        #[derive(Clone, Debug, PartialEq, merge::Merge)]
        pub struct Deploy {
            #[merge(strategy = overwrite)]
            pub replicas: i64,
            #[merge(strategy = overwrite)]
            pub image: String,
            #[merge(strategy = merge::hashmap::overwrite)]
            pub env: HashMap<String, String>,
        }

        #[derive(Clone, Debug, PartialEq, merge::Merge)]
        pub struct Service {
            #[merge(strategy = overwrite)]
            pub name: String,
            #[merge(strategy = overwrite)]
            pub owner: String,
            #[merge(strategy = overwrite)]
            pub tier: i64,
            #[merge(strategy = overwrite)]
            pub public: bool,
            #[merge(strategy = merge::vec::append)]
            pub tags: Vec<String>,
            #[merge(strategy = merge::hashmap::overwrite)]
            pub labels: HashMap<String, String>,
            #[merge(strategy = merge::vec::append)]
            pub endpoints: Vec<Endpoint>,
            #[merge(strategy = merge::option::recurse)]
            pub deploy: Option<Deploy>,
            #[merge(strategy = overwrite_some)]
            pub notes: Option<String>,
        }

        /// The workload's values, in the `merge` crate's types.
        pub fn svc(n: i64) -> Service {
            let w = conjungo_suite::workload::svc(n);
            Service {
                name: w.name,
                owner: w.owner,
                tier: w.tier,
                public: w.public,
                tags: w.tags,
                labels: w.labels,
                endpoints: w
                    .endpoints
                    .into_iter()
                    .map(|e| Endpoint {
                        name: e.name,
                        url: e.url,
                        port: e.port,
                    })
                    .collect(),
                deploy: w.deploy.map(|d| Deploy {
                    replicas: d.replicas,
                    image: d.image,
                    env: d.env,
                }),
                notes: w.notes,
            }
        }
    }

    /// The same workload for conjungo: `conjungo_suite::workload`, no attributes.
    pub use conjungo_suite::workload as plain;
}

#[derive(Clone, Copy, Debug, PartialEq, conjungo::Merge)]
struct Scalars {
    a: i64,
    b: u32,
    c: f64,
    d: bool,
    e: char,
    f: Option<u16>,
    g: i8,
    h: u64,
}

fn scalars(n: u8) -> Scalars {
    Scalars {
        a: n.into(),
        b: n.into(),
        c: n.into(),
        d: n.is_multiple_of(2),
        e: 'x',
        f: Some(n.into()),
        g: 1,
        h: 2,
    }
}

fn hand_scalars(t: &mut Scalars, s: Scalars) {
    t.a = s.a;
    t.b = s.b;
    t.c = s.c;
    t.d = s.d;
    t.e = s.e;
    if s.f.is_some() {
        t.f = s.f;
    }
    t.g = s.g;
    t.h = s.h;
}

fn service(c: &mut Criterion) {
    use conjungo::Merge as _;
    use model::plain::{hand_merge, svc};

    // The three must agree before they are timed.
    let mut a = svc(1);
    a.merge(svc(2)).unwrap();
    let mut b = svc(1);
    hand_merge(&mut b, svc(2));
    assert_eq!(a, b);
    let mut m = model::with_merge_crate::svc(1);
    merge::Merge::merge(&mut m, model::with_merge_crate::svc(2));
    assert_eq!(m.labels, a.labels);
    assert_eq!(m.tags, a.tags);

    let unrelated = conjungo::Options::default().on_type::<std::net::Ipv4Addr>(|_, _, _| Ok(()));
    let mut group = c.benchmark_group("service");
    group.bench_function("hand-written", |bench| {
        bench.iter_batched(
            || (svc(1), svc(2)),
            |(mut t, s)| {
                hand_merge(&mut t, s);
                black_box(t)
            },
            BatchSize::SmallInput,
        )
    });
    group.bench_function("conjungo derive", |bench| {
        bench.iter_batched(
            || (svc(1), svc(2)),
            |(mut t, s)| {
                t.merge(s).unwrap();
                black_box(t)
            },
            BatchSize::SmallInput,
        )
    });
    group.bench_function("conjungo derive, unrelated on_type registered", |bench| {
        bench.iter_batched(
            || (svc(1), svc(2)),
            |(mut t, s)| {
                t.merge_with(s, &unrelated).unwrap();
                black_box(t)
            },
            BatchSize::SmallInput,
        )
    });
    group.bench_function("merge crate 0.2", |bench| {
        bench.iter_batched(
            || {
                (
                    model::with_merge_crate::svc(1),
                    model::with_merge_crate::svc(2),
                )
            },
            |(mut t, s)| {
                merge::Merge::merge(&mut t, s);
                black_box(t)
            },
            BatchSize::SmallInput,
        )
    });
    group.finish();

    let mut group = c.benchmark_group("scalars");
    group.bench_function("hand-written", |bench| {
        bench.iter(|| {
            let mut t = black_box(scalars(1));
            hand_scalars(&mut t, black_box(scalars(2)));
            black_box(t)
        })
    });
    group.bench_function("conjungo derive", |bench| {
        bench.iter(|| {
            let mut t = black_box(scalars(1));
            t.merge(black_box(scalars(2))).unwrap();
            black_box(t)
        })
    });
    let options = conjungo::Options::default();
    group.bench_function(
        "conjungo derive, merge_with (options at run time)",
        |bench| {
            bench.iter(|| {
                let mut t = black_box(scalars(1));
                t.merge_with(black_box(scalars(2)), black_box(&options))
                    .unwrap();
                black_box(t)
            })
        },
    );
    group.finish();
}

/// Instruction counts: with `CONJUNGO_COUNT=<mode>` the binary runs 1 000 merges of one kind
/// in a function named `measured_<mode>`, for `scripts/bench.sh` to count under
/// `valgrind --tool=callgrind --toggle-collect=*measured_*` (deterministic, unlike time on a
/// shared machine). Inputs are built and outputs dropped outside the measured function.
fn count_instructions(mode: &str) {
    use conjungo::Merge as _;
    use model::plain::{Service, hand_merge, svc};
    const N: usize = 1_000;

    #[inline(never)]
    fn measured_hand(inputs: Vec<(Service, Service)>) -> Vec<Service> {
        inputs
            .into_iter()
            .map(|(mut t, s)| {
                hand_merge(&mut t, s);
                t
            })
            .collect()
    }

    #[inline(never)]
    fn measured_derive(inputs: Vec<(Service, Service)>) -> Vec<Service> {
        inputs
            .into_iter()
            .map(|(mut t, s)| {
                t.merge(s).unwrap();
                t
            })
            .collect()
    }

    #[inline(never)]
    fn measured_derive_registered(
        inputs: Vec<(Service, Service)>,
        options: &conjungo::Options,
    ) -> Vec<Service> {
        inputs
            .into_iter()
            .map(|(mut t, s)| {
                t.merge_with(s, options).unwrap();
                t
            })
            .collect()
    }

    #[inline(never)]
    fn measured_merge_crate(
        inputs: Vec<(
            model::with_merge_crate::Service,
            model::with_merge_crate::Service,
        )>,
    ) -> Vec<model::with_merge_crate::Service> {
        inputs
            .into_iter()
            .map(|(mut t, s)| {
                merge::Merge::merge(&mut t, s);
                t
            })
            .collect()
    }

    #[inline(never)]
    fn measured_scalars_hand(inputs: Vec<(Scalars, Scalars)>) -> Vec<Scalars> {
        inputs
            .into_iter()
            .map(|(mut t, s)| {
                hand_scalars(&mut t, s);
                t
            })
            .collect()
    }

    #[inline(never)]
    fn measured_scalars_derive(inputs: Vec<(Scalars, Scalars)>) -> Vec<Scalars> {
        inputs
            .into_iter()
            .map(|(mut t, s)| {
                t.merge(s).unwrap();
                t
            })
            .collect()
    }

    /// With options passed at run time (`merge_with`): the registry is read once per struct.
    #[inline(never)]
    fn measured_scalars_derive_options(
        inputs: Vec<(Scalars, Scalars)>,
        options: &conjungo::Options,
    ) -> Vec<Scalars> {
        inputs
            .into_iter()
            .map(|(mut t, s)| {
                t.merge_with(s, options).unwrap();
                t
            })
            .collect()
    }

    let out = match mode {
        "scalars_derive_options" => measured_scalars_derive_options(
            (0..N).map(|_| (scalars(1), scalars(2))).collect(),
            &conjungo::Options::default(),
        )
        .len(),
        "hand" => measured_hand((0..N).map(|_| (svc(1), svc(2))).collect()).len(),
        "derive" => measured_derive((0..N).map(|_| (svc(1), svc(2))).collect()).len(),
        "derive_registered" => {
            let unrelated =
                conjungo::Options::default().on_type::<std::net::Ipv4Addr>(|_, _, _| Ok(()));
            measured_derive_registered((0..N).map(|_| (svc(1), svc(2))).collect(), &unrelated).len()
        }
        "merge_crate" => measured_merge_crate(
            (0..N)
                .map(|_| {
                    (
                        model::with_merge_crate::svc(1),
                        model::with_merge_crate::svc(2),
                    )
                })
                .collect(),
        )
        .len(),
        "scalars_hand" => {
            measured_scalars_hand((0..N).map(|_| (scalars(1), scalars(2))).collect()).len()
        }
        "scalars_derive" => {
            measured_scalars_derive((0..N).map(|_| (scalars(1), scalars(2))).collect()).len()
        }
        other => panic!("unknown mode {other}"),
    };
    black_box(out);
}

fn main() {
    common::main(count_instructions, service, || {
        common::criterion()
            .measurement_time(std::time::Duration::from_secs(8))
            .sample_size(200)
    });
}
